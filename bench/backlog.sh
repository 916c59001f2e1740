#!/bin/sh
# File-source backlog benchmark (not run by CI): see bench/backlog.py for what it prints.
set -eu
cd "$(dirname "$0")/.."
OUT=${BENCH_OUT:-bench/out}
RUNS=${BENCH_RUNS:-5}
mkdir -p "$OUT"
make --no-print-directory O="$OUT/build" CFLAGS="-O2" all >/dev/null
if [ ! -f "$OUT/large/streamtop.ini" ]; then
    rm -rf "$OUT/large"
    python3 bench/gen_large.py "$OUT/large"
fi
exec python3 bench/backlog.py "$OUT/build/streamtop" "$OUT/large" "$RUNS"
