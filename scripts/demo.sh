#!/bin/sh
# make demo: simulate a live pipeline in a temporary folder, keep it moving, and show its state
# a few times; the folder is removed on exit.
set -eu
BIN=${1:-build/streamtop}
DIR=$(mktemp -d "${TMPDIR:-/tmp}/streamtop-demo.XXXXXX")
SIM_PID=""
cleanup() {
    if [ -n "$SIM_PID" ]; then kill "$SIM_PID" 2>/dev/null || true; fi
    wait 2>/dev/null || true
    rm -rf "$DIR"
}
trap cleanup EXIT INT TERM
"$BIN" simulate "$DIR/pipeline" --streams 4 --trigger 5s --ticks 60 >"$DIR/simulate.log" 2>&1 &
SIM_PID=$!
i=0
while [ ! -f "$DIR/pipeline/streamtop.ini" ]; do
    i=$((i + 1))
    if [ "$i" -gt 100 ] || ! kill -0 "$SIM_PID" 2>/dev/null; then
        cat "$DIR/simulate.log" >&2
        echo "streamtop demo: the simulator did not start" >&2
        exit 1
    fi
    sleep 0.1
done
cat "$DIR/simulate.log"
echo
"$BIN" --db "$DIR/history.db" -c "$DIR/pipeline/streamtop.ini" watch --iterations 4
echo
echo "The same state as JSON (streamtop export -f json), first stream:"
"$BIN" --db "$DIR/history.db" -c "$DIR/pipeline/streamtop.ini" export -f json | head -60
