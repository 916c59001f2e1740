#!/bin/sh
# Daemon benchmark (not run by CI): see bench/serve.py for what it prints. Needs wrk and, for
# the baseline, node_exporter's textfile collector (Debian wrk, prometheus-node-exporter),
# installed here when missing. BENCH_STREAMS (1000) simulated streams; BENCH_PASSES (1440, a
# day at a one-minute cadence) passes for the memory figure.
set -eu
cd "$(dirname "$0")/.."
STREAMS=${BENCH_STREAMS:-1000}
. bench/lib.sh
bench_setup 3
for p in wrk:wrk prometheus-node-exporter:prometheus-node-exporter; do
    if ! command -v "${p%%:*}" >/dev/null 2>&1; then
        echo "bench: installing ${p#*:} (apt-get)" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${p#*:}" >/dev/null
    fi
done
# the Debian package starts its own node_exporter on :9100; the bench runs its own on a free port
systemctl disable --now prometheus-node-exporter >/dev/null 2>&1 || true
TREE="$OUT/serve-tree"
if [ ! -f "$TREE/streamtop.ini" ] || [ "$(cat "$TREE/.streams" 2>/dev/null)" != "$STREAMS" ]; then
    rm -rf "$TREE"
    "$BIN" simulate "$TREE" --streams "$STREAMS" --batches 60 --files-per-batch 1 >/dev/null
    echo "$STREAMS" >"$TREE/.streams"
fi
exec python3 bench/serve.py "$BIN" "$TREE" "$RUNS" "${BENCH_PASSES:-1440}"
