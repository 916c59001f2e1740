#!/bin/sh
# The live Spark suite (tests/spark/run.py): a KRaft Kafka broker and Spark 4 queries (file
# source to Delta, Kafka to foreachBatch) started on 127.0.0.1, watched by streamtop, and its
# figures compared with Spark's own. Skips when `make deps` could not set it up (no network)
# or when STREAMTOP_SKIP_LIVE=1 (`make check-fast`). Bounded at 7 minutes.
. tests/e2e/lib.sh

ROOT=${STREAMTOP_ROOT:-$(pwd)}
PY="$ROOT/.venv/spark4/bin/python"
if [ "${STREAMTOP_SKIP_LIVE:-}" = 1 ]; then
    skip "live Spark suite (STREAMTOP_SKIP_LIVE=1, make check-fast)"
    exit 0
fi
if [ ! -x "$PY" ] || ! "$PY" -c 'import pyspark, delta, kafka' 2>/dev/null; then
    skip "live Spark suite: no .venv/spark4 with pyspark, delta-spark and kafka-python (run make deps with network)"
    exit 0
fi
for j in spark4 broker; do
    if [ ! -f "$ROOT/.cache/jars/$j/.stamp" ]; then
        skip "live Spark suite: no jars in .cache/jars/$j (run make deps with network)"
        exit 0
    fi
done
if ! command -v java >/dev/null 2>&1; then
    skip "live Spark suite: no java (make deps installs openjdk-17-jdk-headless)"
    exit 0
fi
# run.py cleans up its broker, driver and temp folder itself; timeout is the last resort
STREAMTOP_BIN="$BIN" timeout -k 10 420 nice "$PY" "$ROOT/tests/spark/run.py"
rc=$?
if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
    notok "live Spark suite finished within 7 minutes"
elif [ $rc -ne 0 ]; then
    notok "live Spark suite exited with status $rc"
fi
exit 0
