#!/bin/sh
# Benchmark (not run by CI): builds with -O2, simulates 500 streams with 100 retained batches,
# and compares a cold `streamtop export` with `cat` over every checkpoint file, side by side.
set -eu
cd "$(dirname "$0")/.."
STREAMS=${BENCH_STREAMS:-500}
. bench/lib.sh
bench_setup 7
if [ ! -f "$OUT/tree/streamtop.ini" ] || [ "$(cat "$OUT/tree/.streams" 2>/dev/null)" != "$STREAMS" ]; then
    rm -rf "$OUT/tree"
    "$BIN" simulate "$OUT/tree" --streams "$STREAMS" --batches 110 --files-per-batch 1 >/dev/null
    echo "$STREAMS" >"$OUT/tree/.streams"
fi
exec python3 bench/measure.py "$BIN" "$OUT/tree" "$RUNS"
