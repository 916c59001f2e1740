"""Kafka lag of 1,000 partitions (50 topics x 20) in one pass, against Kafka's own
kafka-get-offsets (GetOffsetShell) on the same broker. Run by bench/kafka.sh.

The broker holds 20 records a partition. One stream's checkpoint (offsets/0 and commits/0,
written here) has every partition; two cases:
  caught up   the positions are the end offsets: streamtop's pass is one Metadata request and
              two ListOffsets requests (earliest, latest) for all 1,000 partitions
  lagging     the positions are 5 behind: the same, plus the first waiting record of each of the
              1,000 partitions (its timestamp, for backlog_age_seconds)
Each a fresh `streamtop export -f json` process (medians of RUNS, wall time and peak RSS by GNU
time), beside `kafka-get-offsets --time -1` over every topic (a JVM started each time, as the
script does) and the same time without the JVM's start (GetOffsetShell on a class path warmed
by one run: measured as its run minus `java -version`'s).
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "spark"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import timed  # noqa: E402
from lib import env  # noqa: E402
from lib.kafka import JAVA_OPTS, Broker  # noqa: E402

TOPICS, PARTS, RECORDS = 50, 20, 20


def checkpoint(root, behind):
    os.makedirs(os.path.join(root, "offsets"))
    os.makedirs(os.path.join(root, "commits"))
    with open(os.path.join(root, "metadata"), "w") as f:
        f.write('{"id":"4b845061-ea3a-4bcd-af05-ad21b45da953"}\n')
    offs = {"bench-%02d" % t: {str(p): RECORDS - behind for p in range(PARTS)} for t in range(TOPICS)}
    with open(os.path.join(root, "offsets", "0"), "w") as f:
        f.write('v1\n{"batchWatermarkMs":0,"batchTimestampMs":%d,"conf":{}}\n%s\n' % (
            int(time.time() * 1000), json.dumps(offs, separators=(",", ":"))))
    with open(os.path.join(root, "commits", "0"), "w") as f:
        f.write('v1\n{"nextBatchWatermarkMs":0}\n')


def main():
    binary, tools, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    work = tempfile.mkdtemp(prefix="bench-kafka.")
    b = Broker()
    try:
        from kafka import KafkaProducer
        from kafka.admin import KafkaAdminClient, NewTopic

        admin = KafkaAdminClient(bootstrap_servers=b.bootstrap, request_timeout_ms=60000)
        admin.create_topics([NewTopic("bench-%02d" % t, PARTS, 1) for t in range(TOPICS)], timeout_ms=60000)
        p = KafkaProducer(bootstrap_servers=b.bootstrap, linger_ms=20)
        for t in range(TOPICS):
            for part in range(PARTS):
                for i in range(RECORDS):
                    p.send("bench-%02d" % t, b"r%d" % i, partition=part)
        p.flush()
        rows = []
        for name, behind in (("caught up", 0), ("lagging", 5)):
            ck = os.path.join(work, name.replace(" ", "-"))
            checkpoint(ck, behind)
            cfg = os.path.join(work, name.replace(" ", "-") + ".ini")
            with open(cfg, "w") as f:
                f.write("[kafka]\nbootstrap = %s\ntimeout = 30s\n[stream s]\ncheckpoint = %s\n" % (b.bootstrap, ck))
            out = subprocess.run([binary, "-c", cfg, "--db", ":memory:", "export", "-f", "json"],
                                 capture_output=True, text=True, check=True).stdout
            s = json.loads(out)["streams"][0]
            assert not s["errors"], s["errors"]
            assert len(s["kafka"]["partitions"]) == TOPICS * PARTS
            assert s["metrics"]["backlog_records"] == behind * TOPICS * PARTS, s["metrics"]
            if behind:
                got = sum(1 for x in s["kafka"]["partitions"] if x["oldest_at"])
                assert got == TOPICS * PARTS, "%d of the partitions' oldest records arrived" % got
            cmd = "%s -c %s --db :memory: export -f json >/dev/null" % (binary, cfg)
            res = [timed(cmd) for _ in range(runs)]
            rows.append(("streamtop export, %s" % name, statistics.median(r[0] for r in res),
                         statistics.median(r[1] for r in res)))
        cp = env.broker_classpath() + ":" + tools
        java = "java %s -cp %s" % (" ".join(JAVA_OPTS), cp)
        base = "%s org.apache.kafka.tools.GetOffsetShell --bootstrap-server %s --topic 'bench-.*' --time -1 >/dev/null" % (
            java, b.bootstrap)
        n = int(subprocess.run(base.replace(">/dev/null", "| wc -l"), shell=True, capture_output=True,
                               text=True).stdout)
        assert n == TOPICS * PARTS, "kafka-get-offsets printed %d partitions" % n
        res = [timed(base) for _ in range(runs)]
        jvm = [timed("java %s -version 2>/dev/null" % " ".join(JAVA_OPTS)) for _ in range(runs)]
        rows.append(("kafka-get-offsets --time -1 (latest only)", statistics.median(r[0] for r in res),
                     statistics.median(r[1] for r in res)))
        rows.append(("  a JVM starting alone (java -version)", statistics.median(r[0] for r in jvm),
                     statistics.median(r[1] for r in jvm)))
        print("1,000 partitions (%d topics x %d), %d records each; median of %d runs" % (TOPICS, PARTS, RECORDS, runs))
        print("| workload | wall | peak RSS |")
        print("|---|---|---|")
        for name, ms, rss in rows:
            print("| %s | %.0f ms | %.1f MiB |" % (name, ms, rss))
    finally:
        b.stop()
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
