#!/bin/sh
# Incremental S3 landing listing benchmark (not run by CI): see bench/s3incr.py for what it
# prints. Needs node and npm (the local S3 server).
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_setup 3
OUT=$(cd "$OUT" && pwd)
STREAMTOP_ROOT=$(pwd)
. tests/s3/s3lib.sh
trap 's3_stop' EXIT
# the store grows by 50 objects a run: made again each time the bench runs (BENCH_FILES: objects
# a partition, 1000)
rm -rf "$OUT/s3incr" "$OUT/s3incr.ckpt"
# 45 minutes into an hour: the newest partition is open
NOW=$((1795440000 + 2700))
python3 tests/s3/landing.py make "$OUT/s3incr" "$OUT/s3incr.ckpt" 100 "${BENCH_FILES:-1000}" "$NOW" \
    >/dev/null
s3_start "$OUT/s3incr" lake
python3 bench/s3incr.py "$OUT/build/streamtop" "http://127.0.0.1:$S3_PORT" "$RUNS" "$NOW" \
    "$OUT/s3incr" "$OUT/s3incr.ckpt"
