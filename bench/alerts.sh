#!/bin/sh
# Alerting benchmark (not run by CI): see bench/alerts.py for what it prints.
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_setup 5
if [ ! -f "$OUT/tree/streamtop.ini" ] || [ "$(cat "$OUT/tree/.streams" 2>/dev/null)" != 500 ]; then
    rm -rf "$OUT/tree"
    "$BIN" simulate "$OUT/tree" --streams 500 --batches 110 --files-per-batch 1 >/dev/null
    echo 500 >"$OUT/tree/.streams"
fi
exec python3 bench/alerts.py "$BIN" "$OUT/tree" "$RUNS"
