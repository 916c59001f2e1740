#!/bin/sh
# File-source backlog benchmark (not run by CI): see bench/backlog.py for what it prints.
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_setup 5
if [ ! -f "$OUT/large/streamtop.ini" ]; then
    rm -rf "$OUT/large"
    python3 bench/gen_large.py "$OUT/large"
fi
exec python3 bench/backlog.py "$OUT/build/streamtop" "$OUT/large" "$RUNS"
