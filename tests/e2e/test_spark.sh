#!/bin/sh
# The live Spark suite (tests/spark/run.py), once per Spark line set up by `make deps`
# (spark4: Spark 4.0, spark35: Spark 3.5): a KRaft Kafka broker and streaming queries (file
# source to Delta, Kafka to foreachBatch, Delta as a source, a rate source with a watermark and
# windowed state, schema evolution and dead letters from foreachBatch; progress from listener
# files, the driver's log and the live UI's PrometheusServlet) started on 127.0.0.1, watched by
# streamtop, and its figures compared with Spark's own. A line skips when `make deps` could not
# set it up (no network); all skip with STREAMTOP_SKIP_LIVE=1 (`make check-fast`);
# STREAMTOP_SPARK_LINES picks lines. On the Spark 4 line, Kafka lag measured at the broker
# (tests/spark/kafka_lag.py, bounded at 5.5 minutes). Each line is bounded at 6 minutes, and then the
# killed-and-restarted driver (tests/spark/restart.py) at 4 minutes (generous: a loaded CI machine
# starts a driver in twice the time it takes here). When
# `STREAMTOP_SPARK_NEWEST=1 make deps` set up the Spark 4.3 line (.venv/spark43), a query in
# real-time mode on the Kafka broker (tests/spark/rtm.py): healthy over whole 10 s triggers, then
# stalled after its driver's SIGKILL; bounded at 3 minutes.
. tests/e2e/lib.sh

ROOT=${STREAMTOP_ROOT:-$(pwd)}
if [ "${STREAMTOP_SKIP_LIVE:-}" = 1 ]; then
    skip "live Spark suite (STREAMTOP_SKIP_LIVE=1, make check-fast)"
    exit 0
fi
if ! command -v java >/dev/null 2>&1; then
    skip "live Spark suite: no java (make deps installs openjdk-17-jdk-headless)"
    exit 0
fi
if [ ! -f "$ROOT/.cache/jars/broker/.stamp" ]; then
    skip "live Spark suite: no Kafka broker jars in .cache/jars/broker (run make deps with network)"
    exit 0
fi
for line in ${STREAMTOP_SPARK_LINES:-spark4 spark35}; do
    PY="$ROOT/.venv/$line/bin/python"
    if [ ! -x "$PY" ] || ! "$PY" -c 'import pyspark, delta, kafka' 2>/dev/null; then
        skip "live Spark suite $line: no .venv/$line with pyspark, delta-spark and kafka-python (run make deps with network)"
        continue
    fi
    if [ ! -f "$ROOT/.cache/jars/$line/.stamp" ]; then
        skip "live Spark suite $line: no jars in .cache/jars/$line (run make deps with network)"
        continue
    fi
    # run.py cleans up its broker, driver and temp folder itself; timeout is the last resort
    STREAMTOP_BIN="$BIN" STREAMTOP_SPARK_LINE=$line timeout -k 10 360 nice "$PY" "$ROOT/tests/spark/run.py"
    rc=$?
    if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
        notok "live Spark suite $line finished within 6 minutes"
    elif [ $rc -ne 0 ]; then
        notok "live Spark suite $line exited with status $rc"
    fi
    # Kafka lag measured at the broker against Spark's offset log (tests/spark/kafka_lag.py);
    # one line is enough: it reads the same Kafka offsets on both
    if [ "$line" = spark4 ]; then
        STREAMTOP_BIN="$BIN" STREAMTOP_SPARK_LINE=$line timeout -k 10 330 nice "$PY" "$ROOT/tests/spark/kafka_lag.py"
        rc=$?
        if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
            notok "Kafka lag scenario finished within 5.5 minutes"
        elif [ $rc -ne 0 ]; then
            notok "Kafka lag scenario exited with status $rc"
        fi
    fi
    # a driver killed with SIGKILL mid-batch, then restarted (tests/spark/restart.py)
    STREAMTOP_BIN="$BIN" STREAMTOP_SPARK_LINE=$line timeout -k 10 240 nice "$PY" "$ROOT/tests/spark/restart.py"
    rc=$?
    if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
        notok "killed-driver scenario $line finished within 4 minutes"
    elif [ $rc -ne 0 ]; then
        notok "killed-driver scenario $line exited with status $rc"
    fi
done
# real-time mode (Spark 4.3, Trigger.RealTime on Kafka): healthy, then killed (tests/spark/rtm.py)
PY="$ROOT/.venv/spark43/bin/python"
if [ ! -x "$PY" ] || [ ! -f "$ROOT/.cache/jars/spark43/.stamp" ]; then
    skip "real-time mode query: no Spark 4.3 line in .venv/spark43 and .cache/jars/spark43 (run STREAMTOP_SPARK_NEWEST=1 make deps)"
else
    STREAMTOP_BIN="$BIN" STREAMTOP_SPARK_LINE=spark43 timeout -k 10 180 nice "$PY" "$ROOT/tests/spark/rtm.py"
    rc=$?
    if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
        notok "real-time mode query finished within 3 minutes"
    elif [ $rc -ne 0 ]; then
        notok "real-time mode query exited with status $rc"
    fi
fi
exit 0
