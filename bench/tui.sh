#!/bin/sh
# Dashboard benchmark (not run by CI): see bench/tui.py for what it prints.
set -eu
cd "$(dirname "$0")/.."
OUT=${BENCH_OUT:-bench/out}
mkdir -p "$OUT"
make --no-print-directory O="$OUT/build" CFLAGS="-O2" all "$OUT/build/bench/frame" >/dev/null
exec python3 bench/tui.py "$OUT/build" "${BENCH_RUNS:-5}" "${BENCH_IDLE_SECONDS:-60}"
