#!/bin/sh
# S3 listing benchmark (not run by CI): see bench/s3list.py for what it prints. Needs node and
# npm (the local S3 server) and the AWS CLI (Debian package awscli) as the baseline.
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_setup 5
OUT=$(cd "$OUT" && pwd)
if ! command -v aws >/dev/null 2>&1; then
    echo "bench: installing the AWS CLI (awscli) for the baseline" >&2
    apt-get install -y -qq awscli >/dev/null
fi
if [ ! -f "$OUT/s3store.done" ]; then
    rm -rf "$OUT/s3store"
    python3 bench/gen_s3.py "$OUT/s3store" >/dev/null
    touch "$OUT/s3store.done"
fi
STREAMTOP_ROOT=$(pwd)
. tests/s3/s3lib.sh
trap 's3_stop' EXIT
# once with a single server process (s3rver serves one request at a time), once with one
# process per core (as S3 serves requests in parallel)
for w in 1 $(nproc); do
    S3_WORKERS=$w s3_start "$OUT/s3store" bench
    python3 bench/s3list.py "$OUT/build/streamtop" "http://127.0.0.1:$S3_PORT" "$RUNS" "$w"
    s3_stop
done
