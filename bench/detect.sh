#!/bin/sh
# Time-to-detect benchmark, live Spark (not run by CI): see bench/detect.py for what it prints.
# Needs what `make deps` sets up for the live suite (BENCH_SPARK_LINE, default spark4). It
# starts JVMs: on a shared machine run it under the same lock as the live suite.
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_setup 5
LINE=${BENCH_SPARK_LINE:-spark4}
PY=.venv/$LINE/bin/python
[ -x "$PY" ] || { echo "bench: no .venv/$LINE (run make deps)" >&2; exit 1; }
STREAMTOP_SPARK_LINE=$LINE exec "$PY" bench/detect.py "$BIN" "$RUNS"
