#!/bin/sh
# Cron benchmark (not run by CI): see bench/cron.py for what it prints. BENCH_STREAMS simulated
# streams (default 2,000) on local disk.
set -eu
cd "$(dirname "$0")/.."
STREAMS=${BENCH_STREAMS:-2000}
. bench/lib.sh
bench_setup 3
TREE="$OUT/crontree"
if [ ! -f "$TREE/streamtop.ini" ] || [ "$(cat "$TREE/.streams" 2>/dev/null)" != "$STREAMS" ]; then
    rm -rf "$TREE"
    "$BIN" simulate "$TREE" --streams "$STREAMS" --batches 20 --files-per-batch 1 >/dev/null
    echo "$STREAMS" >"$TREE/.streams"
fi
exec python3 bench/cron.py "$BIN" "$TREE" "$RUNS"
