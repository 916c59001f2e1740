"""Kafka lag measured at the brokers, against a live Spark query and a real broker. Prints TAP
lines for tests/run.sh; run with a Spark line's virtualenv python (tests/e2e/test_spark.sh does).

One KRaft broker, a producer writing to 3 topics x 4 partitions (lag-a, lag-b, lag-c) all along,
and two Structured Streaming queries in this process:
  lag   subscribePattern "lag-.*", maxOffsetsPerTrigger 120 a 1 s trigger (the producer is
        faster: lag builds), into the noop sink; a listener writes its progress as JSON lines
  lost  the topic "gone": one batch, then stopped; only then is its retention lowered
        (retention.ms 1000, segment.ms 500: records made earlier could expire between the
        planning of that batch and its read, failing the query)

  1. While both run: in each of several `export -f json` passes, for every partition,
     streamtop's end offset lies between the broker's end offsets read (kafka-python) just
     before and just after the pass, its position is the offset of streamtop's committed batch
     as Spark's OffsetSeqLog reads it, its planned offset that of the newest batch, and lag =
     end - position; backlog_records is their sum, measured at the broker.
  2. Partitions added to lag-a while the query runs show up within a few passes.
  3. The query stopped, a topic lag-d made (matching the pattern, unknown to the checkpoint):
     every partition of it is new, its lag the whole retained range; a topic "other" is not
     listed.
  4. "gone" gets records that expire before the stopped query reads them: `check` is critical
     with builtin:kafka-data-lost and kafka_lost_records = log start - Spark's committed offset.
  4b. A stream on the broker's SASL listener with a wrong password: unknown, the error names the
     server and the authentication failure, the password in no output.
  4c. "gone" deleted: the stream's error names the topic.
  5. The broker stopped: the Kafka streams are unknown with an error naming the bootstrap
     server and the cause, a pass still ends (bounded by the [kafka] timeout), and a stream
     without Kafka is unaffected; the broker started again, a pass measures again.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import env, tap  # noqa: E402

TOPICS = ["lag-a", "lag-b", "lag-c"]
PARTS = 4
KAFKA_TIMEOUT_S = 3


def producer(bootstrap, stop, topics):
    from kafka import KafkaProducer

    from kafka.errors import KafkaError

    p = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, acks=1, metadata_max_age_ms=1000)
    i = 0
    while not stop.is_set():
        for t in list(topics):
            for part in range(topics[t]):
                try:
                    p.send(t, value=b"%d" % i, partition=part)
                except (ValueError, KafkaError):
                    pass  # a partition or topic made a moment ago: known once metadata refreshes
        i += 1
        stop.wait(0.02)
    p.flush()
    p.close()


def end_offsets(bootstrap, tps):
    from kafka import KafkaConsumer, TopicPartition

    c = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        got = c.end_offsets([TopicPartition(t, p) for t, p in tps])
        return {(tp.topic, tp.partition): off for tp, off in got.items()}
    finally:
        c.close()


def begin_offsets(bootstrap, tps):
    from kafka import KafkaConsumer, TopicPartition

    c = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        got = c.beginning_offsets([TopicPartition(t, p) for t, p in tps])
        return {(tp.topic, tp.partition): off for tp, off in got.items()}
    finally:
        c.close()


def streamtop(cfg, *args, timeout=60):
    t = time.time()
    r = subprocess.run([env.BIN, "-c", cfg, "--db", ":memory:"] + list(args), capture_output=True,
                       text=True, timeout=timeout)
    doc = None
    try:
        doc = json.loads(r.stdout)
    except ValueError:
        pass
    return r.returncode, doc, r.stderr, time.time() - t


def stream(doc, name):
    for s in (doc or {}).get("streams", []):
        if s["name"] == name:
            return s
    return None


def parts(s):
    return {(p["topic"], p["partition"]): p for p in (s or {}).get("kafka", {}).get("partitions", [])}


class Spark:
    def __init__(self, work):
        from pyspark.sql import SparkSession
        from pyspark.sql.streaming import StreamingQueryListener

        self.spark = (SparkSession.builder.master("local[2]").appName("streamtop-kafka-lag")
                      .config("spark.jars", ",".join(env.spark_jars()))
                      .config("spark.sql.shuffle.partitions", "2")
                      .config("spark.ui.enabled", "false")
                      .config("spark.ui.showConsoleProgress", "false")
                      .config("spark.driver.memory", "512m")
                      .getOrCreate())
        self.spark.sparkContext.setLogLevel("ERROR")
        self.progress = os.path.join(work, "progress.jsonl")
        path = self.progress
        lock = threading.Lock()

        class Listener(StreamingQueryListener):
            def onQueryStarted(self, event):
                pass

            def onQueryProgress(self, event):
                with lock, open(path, "a") as f:
                    f.write(event.progress.json.replace("\n", " ") + "\n")

            def onQueryIdle(self, event):
                pass

            def onQueryTerminated(self, event):
                pass

        self.spark.streams.addListener(Listener())

    def start(self, name, ckpt, bootstrap, **opts):
        r = (self.spark.readStream.format("kafka").option("kafka.bootstrap.servers", bootstrap)
             .option("startingOffsets", "earliest"))
        for k, v in opts.items():
            r = r.option(k, v)
        return (r.load().writeStream.format("noop").queryName(name)
                .option("checkpointLocation", ckpt).trigger(processingTime="1 second").start())

    def batch_offsets(self, ckpt, batch):
        """The source offsets of a batch as Spark's OffsetSeqLog reads them."""
        st = self.spark._jvm.org.apache.spark.sql.execution.streaming
        seq = st.OffsetSeqLog(self.spark._jsparkSession, ckpt + "/offsets").get(int(batch))
        if not seq.isDefined():
            return None
        o = seq.get().offsets().apply(0)
        return json.loads(o.get().json()) if o.isDefined() else None

    def committed(self, ckpt):
        st = self.spark._jvm.org.apache.spark.sql.execution.streaming
        c = st.CommitLog(self.spark._jsparkSession, ckpt + "/commits").getLatestBatchId()
        return c.get() if c.isDefined() else None


def sasl_listener(port):
    """Broker properties: retention checked every second, and a second listener on port that
    wants SASL/PLAIN (user streamtop, password right-password), for the authentication check.
    Later lines of a properties file win: listeners and the protocol map are given again."""
    return ["log.retention.check.interval.ms=1000", "log.segment.delete.delay.ms=0",
            "sasl.enabled.mechanisms=PLAIN",
            "listener.name.sasl_plaintext.plain.sasl.jaas.config="
            "org.apache.kafka.common.security.plain.PlainLoginModule required "
            'user_streamtop="right-password";',
            "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT",
            "SASL_PORT=%d" % port]


def write_config(path, bootstrap, ck_lag, ck_lost, progress, sasl):
    with open(path, "w") as f:
        f.write("""; written by tests/spark/kafka_lag.py
[kafka]
timeout = {t}s
kafka.socket.connection.setup.timeout.ms = 2000

[builtin]
stalled = off
stuck = off
not_draining = off

[stream lag]
checkpoint      = {ck}
progress        = {prog}
kafka_bootstrap = {bs}

[stream lost]
checkpoint      = {cl}
kafka_bootstrap = {bs}

[stream plain]
checkpoint = {ck}

[stream auth]
checkpoint      = {cl}
kafka_bootstrap = {sasl}
kafka.security.protocol = SASL_PLAINTEXT
kafka.sasl.mechanism = PLAIN
kafka.sasl.username = streamtop
kafka.sasl.password = ${{ST_TEST_KAFKA_PW}}
""".format(t=KAFKA_TIMEOUT_S, ck=ck_lag, prog=progress, bs=bootstrap, cl=ck_lost, sasl=sasl))


def check_pass(sp, cfg, broker, ck, tps, label):
    """One export pass compared with the broker before and after it and Spark's offset log."""
    before = end_offsets(broker.bootstrap, tps)
    rc, doc, err, _ = streamtop(cfg, "export", "-f", "json")
    after = end_offsets(broker.bootstrap, tps)
    s = stream(doc, "lag")
    if not tap.check("%s: export exits 0 with the stream measured at the broker" % label,
                     rc == 0 and s and s.get("kafka") and not s["errors"],
                     "rc %s\n%s\nerrors %s\n%s" % (rc, err, s and s["errors"], json.dumps(s)[:2000])):
        return None
    if label == "pass 1":
        with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
            json.dump(doc, f)
            f.flush()
            r = subprocess.run([sys.executable, os.path.join(env.ROOT, "tests", "e2e", "jsonschema_lite.py"),
                                os.path.join(env.ROOT, "man", "streamtop-export.schema.json"), f.name],
                               capture_output=True, text=True)
        tap.check("the export with measured partitions validates against the schema", r.returncode == 0,
                  r.stdout + r.stderr)
        r = subprocess.run([env.BIN, "-c", cfg, "--db", ":memory:", "export", "-f", "prom"], capture_output=True,
                           text=True, timeout=60)
        series = [ln for ln in r.stdout.splitlines()
                  if ln.startswith('streamtop_kafka_partition_lag{stream="lag",')]
        tap.check("Prometheus: one streamtop_kafka_partition_lag series per partition of the stream (%d), with topic and partition"
                  % len(series), len(series) == len(tps) and all('topic="lag-' in ln and 'partition="' in ln
                                                                 for ln in series), r.stdout[-2000:])
        if shutil.which("promtool"):
            pt = subprocess.run(["promtool", "check", "metrics"], input=r.stdout, capture_output=True, text=True)
            tap.check("promtool check metrics accepts it", pt.returncode == 0, pt.stdout + pt.stderr)
    committed = s["metrics"]["committed_batch_id"]
    last = s["metrics"]["last_batch_id"]
    pos = sp.batch_offsets(ck, committed)
    planned = sp.batch_offsets(ck, last)
    got = parts(s)
    bad = []
    for tp in tps:
        p = got.get(tp)
        if p is None:
            bad.append("%s-%d missing" % tp)
            continue
        if not before[tp] <= p["end"] <= after[tp]:
            bad.append("%s-%d end %s not in [%d, %d]" % (tp + (p["end"], before[tp], after[tp])))
        want_pos = pos.get(tp[0], {}).get(str(tp[1])) if pos else None
        if p["position"] != want_pos:
            bad.append("%s-%d position %s, OffsetSeqLog batch %s has %s" % (tp + (p["position"], committed, want_pos)))
        want_planned = planned.get(tp[0], {}).get(str(tp[1])) if planned else None
        if p["planned"] != want_planned:
            bad.append("%s-%d planned %s, OffsetSeqLog batch %s has %s" % (tp + (p["planned"], last, want_planned)))
        if p["lag"] != p["end"] - p["position"]:
            bad.append("%s-%d lag %s != %s - %s" % (tp + (p["lag"], p["end"], p["position"])))
    total = sum(p["lag"] for p in got.values())
    tap.check("%s: per partition (12) end within the broker's, position and planned offsets = Spark's "
              "OffsetSeqLog batches %s and %s, lag = end - position (%d records)" % (label, committed, last, total),
              not bad, "\n".join(bad))
    tap.check("%s: backlog_records = sum of the partitions' lag, origin broker" % label,
              s["metrics"]["backlog_records"] == total and s["origins"].get("backlog_records") == "broker",
              json.dumps({k: s["metrics"][k] for k in ("backlog_records", "backlog_age_seconds")}))
    return s


def main():
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
    if shutil.which("java") is None:
        tap.skip("kafka lag: no java")
        return 0
    work = tempfile.mkdtemp(prefix="live-kafka.")
    stop = threading.Event()
    broker = sp = None
    try:
        from kafka.admin import KafkaAdminClient, NewPartitions, NewTopic
        from lib.kafka import Broker

        t0 = time.time()
        sasl_port = env.free_port()
        broker = Broker(extra=sasl_listener(sasl_port))
        sasl = "127.0.0.1:%d" % sasl_port
        admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap, request_timeout_ms=30000)
        admin.create_topics([NewTopic(t, num_partitions=PARTS, replication_factor=1) for t in TOPICS] +
                            [NewTopic("gone", num_partitions=1, replication_factor=1)])
        counts = {t: PARTS for t in TOPICS}
        threading.Thread(target=producer, args=(broker.bootstrap, stop, counts), daemon=True).start()
        from kafka import KafkaProducer

        kp = KafkaProducer(bootstrap_servers=broker.bootstrap)
        for i in range(10):
            kp.send("gone", b"%d" % i, partition=0)
        kp.flush()

        sp = Spark(work)
        tap.prefix = "spark %s kafka lag: " % sp.spark.version
        ck_lag, ck_lost = os.path.join(work, "ckpt", "lag"), os.path.join(work, "ckpt", "lost")
        cfg = os.path.join(work, "streamtop.ini")
        os.environ["ST_TEST_KAFKA_PW"] = "wrong-password"
        write_config(cfg, broker.bootstrap, ck_lag, ck_lost, sp.progress, sasl)
        q = sp.start("lag", ck_lag, broker.bootstrap, subscribePattern="lag-.*", maxOffsetsPerTrigger="120")
        ql = sp.start("lost", ck_lost, broker.bootstrap, subscribe="gone")
        deadline = time.time() + 90
        while time.time() < deadline and (sp.committed(ck_lag) is None or sp.committed(ck_lost) is None):
            time.sleep(0.5)
        while time.time() < deadline and not os.path.exists(sp.progress):
            time.sleep(0.5)  # the listener writes its first event a moment after the commit
        if sp.committed(ck_lag) is None or sp.committed(ck_lost) is None:
            raise RuntimeError("no batch committed within 90 s")
        ql.stop()
        tap.note("broker, producer and queries up after %.1fs" % (time.time() - t0))

        # 1. per-partition lag against the broker and Spark's offset log, while both move
        tps = [(t, p) for t in TOPICS for p in range(PARTS)]
        s = None
        for k in range(3):
            s = check_pass(sp, cfg, broker, ck_lag, tps, "pass %d" % (k + 1)) or s
            time.sleep(1)
        if s:
            ages = [p["oldest_age_seconds"] for p in s["kafka"]["partitions"] if p["lag"] > 0]
            tap.check("the oldest waiting record's age is measured (%s s, the largest of %d lagging partitions)"
                      % (s["metrics"]["backlog_age_seconds"], len(ages)),
                      ages and all(a is not None for a in ages) and s["metrics"]["backlog_age_seconds"] == max(ages)
                      and s["origins"].get("backlog_age_seconds") == "broker",
                      json.dumps(s["kafka"]["partitions"])[:2000])

        # 2. partitions added while the query runs
        admin.create_partitions({"lag-a": NewPartitions(total_count=PARTS + 2)})
        counts["lag-a"] = PARTS + 2
        seen = None
        deadline = time.time() + 30
        while time.time() < deadline:
            _, doc, _, _ = streamtop(cfg, "export", "-f", "json")
            got = parts(stream(doc, "lag"))
            if ("lag-a", PARTS) in got and ("lag-a", PARTS + 1) in got:
                seen = got
                break
            time.sleep(1)
        tap.check("partitions added to lag-a while the query runs show up", seen is not None)

        # 3. a topic the pattern matches, made while the query is stopped: all of it waits
        q.stop()
        admin.create_topics([NewTopic("lag-d", num_partitions=2, replication_factor=1),
                             NewTopic("other", num_partitions=1, replication_factor=1)])
        counts["lag-d"] = 2
        counts["other"] = 1
        deadline = time.time() + 20
        while time.time() < deadline and min(end_offsets(broker.bootstrap, [("lag-d", 0), ("lag-d", 1)]).values()) == 0:
            time.sleep(0.5)
        rc, doc, err, _ = streamtop(cfg, "export", "-f", "json")
        got = parts(stream(doc, "lag"))
        ends = end_offsets(broker.bootstrap, [("lag-d", 0), ("lag-d", 1)])
        d = [got.get(("lag-d", i)) for i in range(2)]
        tap.check("a new topic matching subscribePattern: its partitions are new, their lag from the log start "
                  "(%s)" % [p and p["lag"] for p in d],
                  all(p and p["new"] and p["lag"] > 0 and p["position"] is None and p["lag"] == p["end"] - p["log_start"]
                      and p["end"] <= ends[("lag-d", i)] for i, p in enumerate(d)),
                  json.dumps(d))
        tap.check("a topic the pattern does not match is not listed",
                  not any(t == "other" for t, _ in got), sorted(set(t for t, _ in got)))

        # 4. records of "gone" expire before the stopped query reads them
        from kafka.admin import ConfigResource, ConfigResourceType

        admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, "gone",
                                            configs={"retention.ms": "1000", "segment.ms": "500"})])
        pos = sp.batch_offsets(ck_lost, sp.committed(ck_lost))["gone"]["0"]
        for i in range(50):
            kp.send("gone", b"x", partition=0)
        kp.flush()
        start = 0
        deadline = time.time() + 40
        while time.time() < deadline and start <= pos:
            time.sleep(1)
            kp.send("gone", b"roll", partition=0)  # rolls the segment (segment.ms) so it can expire
            kp.flush()
            start = begin_offsets(broker.bootstrap, [("gone", 0)])[("gone", 0)]
        if not tap.check("retention moved the log start of gone past Spark's committed offset %d (to %d)" % (pos, start),
                         start > pos):
            raise RuntimeError("retention did not delete records of gone")
        rc, doc, err, _ = streamtop(cfg, "check", "-f", "json", "--no-notify")
        s = stream(doc, "lost")
        lost = (s or {}).get("metrics", {}).get("kafka_lost_records")
        p = parts(s).get(("gone", 0)) or {}
        fired = [a for a in (s or {}).get("alerts", []) if a["rule"] == "builtin:kafka-data-lost"]
        tap.check("kafka_lost_records = log start %s - committed offset %d, and builtin:kafka-data-lost is "
                  "critical (check exits %d)" % (p.get("log_start"), pos, rc),
                  rc == 2 and lost is not None and lost == p.get("log_start") - pos and lost > 0 and fired
                  and fired[0]["level"] == "critical",
                  "%s\n%s" % (err, json.dumps(s)[:3000]))

        # 4b. a wrong password: a clear error on that stream, never the password
        s = stream(doc, "auth")
        errs = (s or {}).get("errors", [])
        tap.check("a wrong SASL password: the stream is unknown, its error names %s and the authentication failure"
                  % sasl, s and s["status"] == "unknown" and any(sasl in e and "uthentication" in e for e in errs),
                  json.dumps(errs))
        tap.check("the password is in no output", "wrong-password" not in json.dumps(doc) and "wrong-password" not in err)
        # 4c. the topic deleted
        admin.delete_topics(["gone"])
        missing = []
        deadline = time.time() + 20
        while time.time() < deadline and not missing:
            _, doc, _, _ = streamtop(cfg, "export", "-f", "json")
            missing = [e for e in stream(doc, "lost")["errors"] if "topic gone: not in the cluster" in e]
            if not missing:
                time.sleep(1)
        tap.check("the topic deleted: the stream's error names it", missing, json.dumps(stream(doc, "lost"))[:1500])

        # 5. the broker stopped, then started again
        stop.set()
        broker.halt()
        rc, doc, err, took = streamtop(cfg, "export", "-f", "json", timeout=60)
        s, plain = stream(doc, "lag"), stream(doc, "plain")
        errs = (s or {}).get("errors", [])
        tap.note("a pass with the broker down took %.1fs ([kafka] timeout %ds)" % (took, KAFKA_TIMEOUT_S))
        tap.check("broker down: the Kafka stream is unknown with an error naming %s and the cause" % broker.bootstrap,
                  s and s["status"] == "unknown" and any(broker.bootstrap in e and "refused" in e for e in errs),
                  json.dumps(errs))
        tap.check("broker down: the stream without Kafka is unaffected",
                  plain and not plain["errors"] and plain["status"] != "unknown", json.dumps(plain)[:1000])
        broker.restart()
        ok = False
        deadline = time.time() + 60
        while time.time() < deadline and not ok:
            rc, doc, err, _ = streamtop(cfg, "export", "-f", "json")
            s = stream(doc, "lag")
            ok = bool(s and not s["errors"] and s["kafka"]["partitions"] and
                      s["metrics"]["backlog_records"] is not None)
            if not ok:
                time.sleep(1)
        tap.check("the broker started again: the lag is measured again", ok, json.dumps(s)[:2000])
    except Exception as e:  # noqa: BLE001
        import traceback

        tap.notok("kafka lag scenario ran to its end", "%s\n%s" % (e, traceback.format_exc()))
    finally:
        stop.set()
        if sp:
            for q in sp.spark.streams.active:
                q.stop()
            sp.spark.stop()
        if broker:
            broker.stop()
        if os.environ.get("STREAMTOP_SPARK_KEEP"):
            tap.note("kept %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 1 if tap.failed else 0


if __name__ == "__main__":
    sys.exit(main())
