#!/bin/sh
# Dashboard benchmark (not run by CI): see bench/tui.py for what it prints.
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_setup 5 "${BENCH_OUT:-bench/out}/build/bench/frame"
exec python3 bench/tui.py "$OUT/build" "$RUNS" "${BENCH_IDLE_SECONDS:-60}"
