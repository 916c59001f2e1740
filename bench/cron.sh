#!/bin/sh
# Cron benchmark (not run by CI): see bench/cron.py for what it prints. BENCH_STREAMS simulated
# streams (default 2,000) on local disk, each of the simulator's default shape (120 batches of 3
# landing files: a landing zone that keeps its files, a checkpoint that keeps 100 batches; about
# 13 GB for 2,000 streams) unless BENCH_BATCHES and BENCH_FILES say otherwise.
set -eu
cd "$(dirname "$0")/.."
STREAMS=${BENCH_STREAMS:-2000}
BATCHES=${BENCH_BATCHES:-120}
FILES=${BENCH_FILES:-3}
. bench/lib.sh
bench_setup 3
TREE="$OUT/crontree"
SHAPE="$STREAMS $BATCHES $FILES"
if [ ! -f "$TREE/streamtop.ini" ] || [ "$(cat "$TREE/.shape" 2>/dev/null)" != "$SHAPE" ]; then
    rm -rf "$TREE"
    "$BIN" simulate "$TREE" --streams "$STREAMS" --batches "$BATCHES" --files-per-batch "$FILES" \
        >/dev/null
    echo "$STREAMS" >"$TREE/.streams"
    echo "$SHAPE" >"$TREE/.shape"
fi
exec python3 bench/cron.py "$BIN" "$TREE" "$RUNS"
