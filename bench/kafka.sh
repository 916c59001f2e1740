#!/bin/sh
# Kafka lag benchmark (not run by CI): see bench/kafkalag.py for what it prints. Starts a KRaft
# broker from the jars `make deps` fetched (hold the live lock: flock /tmp/streamtop-live.lock
# sh bench/kafka.sh); the baseline, Kafka's own kafka-get-offsets (GetOffsetShell, in
# kafka-tools, which the broker's class path lacks), is fetched once with Maven into bench/out.
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_setup 5
OUT=$(cd "$OUT" && pwd)
PY=.venv/spark4/bin/python
if [ ! -x "$PY" ] || [ ! -f .cache/jars/broker/.stamp ]; then
    echo "bench: needs .venv/spark4 and .cache/jars/broker (make deps)" >&2
    exit 1
fi
if [ ! -f "$OUT/kafka-tools/kafka-tools-3.9.1.jar" ]; then
    mvn -q -B -s tests/spark/settings.xml -Dmaven.repo.local="$OUT/m2" \
        org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy \
        -Dartifact=org.apache.kafka:kafka-tools:3.9.1 -DoutputDirectory="$OUT/kafka-tools" >&2
fi
"$PY" bench/kafkalag.py "$OUT/build/streamtop" "$OUT/kafka-tools/kafka-tools-3.9.1.jar" "$RUNS"
