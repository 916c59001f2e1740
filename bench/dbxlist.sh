#!/bin/sh
# Databricks listing benchmark (not run by CI): see bench/dbxlist.py for what it prints. Needs
# the SDK virtualenv that `make deps` sets up (.venv/dbx) for the baseline.
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_setup 5
OUT=$(cd "$OUT" && pwd)
if [ ! -x .venv/dbx/bin/python ]; then
    echo "bench: no .venv/dbx (run make deps)" >&2
    exit 1
fi
if [ ! -f "$OUT/dbxvol.done" ]; then
    rm -rf "$OUT/dbxvol"
    python3 - "$OUT/dbxvol/main/default/bench/dlq" <<'PY'
import os, sys
d = sys.argv[1]
os.makedirs(d)
for i in range(20000):
    p = os.path.join(d, "part-%05d-0c1d.json" % i)
    with open(p, "w") as f:
        f.write('{"bad": %d}\n' % i)
    os.utime(p, (1795000000 + i, 1795000000 + i))
PY
    touch "$OUT/dbxvol.done"
fi
rm -f "$OUT/dbx.port"
python3 tests/e2e/dbxdouble.py "$OUT/dbx.port" --volumes "$OUT/dbxvol" --dbfs "$OUT" \
    --token dapi-bench --seconds 600 &
pid=$!
trap 'kill $pid 2>/dev/null' EXIT
i=0
while [ ! -s "$OUT/dbx.port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
python3 bench/dbxlist.py "$OUT/build/streamtop" "http://127.0.0.1:$(cat "$OUT/dbx.port")" "$RUNS"
