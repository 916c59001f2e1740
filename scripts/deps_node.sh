#!/bin/sh
# The local storage servers of the end-to-end tests, from npm, at the versions of their
# committed lock files: tests/s3 (@20minutes/s3rver) and tests/azure (Azurite), each installed
# with `npm ci` into its node_modules (ignored by git). Idempotent: a stamp holds the lock
# file's checksum, so a second run downloads nothing. Without node, npm or network it says so
# and exits 0: those tests then skip.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
command -v npm >/dev/null 2>&1 || { echo "streamtop: no npm: the S3 and Azure tests will skip" >&2; exit 0; }
for d in tests/s3 tests/azure; do
    dir="$ROOT/$d"
    [ -f "$dir/package-lock.json" ] || continue
    want=$(cksum <"$dir/package-lock.json")
    stamp="$dir/node_modules/.streamtop-stamp"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        continue
    fi
    echo "streamtop: npm ci in $d" >&2
    if (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2); then
        printf '%s\n' "$want" >"$stamp"
    else
        echo "streamtop: npm ci failed in $d (no network?): its tests will skip" >&2
    fi
done
exit 0
