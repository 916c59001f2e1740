"""The live Spark suite: a KRaft broker and a Spark driver in subprocesses, two streaming queries
fed while they run, streamtop watching them, and each of streamtop's figures compared with
what Spark (or the broker) says itself. Prints TAP lines ("ok - ..." etc.) for tests/run.sh.
Run with the project virtualenv's python (tests/e2e/test_spark.sh does).

Scenarios (queries in tests/spark/driver.py):
  files  JSON files dropped into landing/dt=.../ by a feeder thread (2 a second), read with
         maxFilesPerTrigger=1 on a 2 s trigger into a Delta table: a file backlog builds.
  kafka  a topic of 3 partitions, a producer at 100 records/s, read with maxOffsetsPerTrigger=150
         on a 1 s trigger into foreachBatch that sleeps 2.5 s: a record backlog builds.

Phases. (1) Wait for each query's first commit (the first batches take 20-30 s on 2 cores).
(2) RUN_SECONDS of streamtop passes every 2 s while both queries and feeders run: no negative
figure and no error in any pass. (3) Live brackets, per query: truth, streamtop, truth again;
only a bracket in which Spark's planned, committed and last-progress batch did not move, and
the progress file was at that batch before and after streamtop read it, is compared
(last/committed batch and rates below); up to BRACKETS tries. (4) The feeder and the
producer pause; once a Kafka batch planned after the pause has reported progress the queries
are stopped (the files query usually with a batch in flight), and every figure below is
compared exactly with Spark's on that still state.

How figures are compared (exactly unless a tolerance is named):
  last_batch_id, committed_batch_id   OffsetSeqLog / CommitLog getLatestBatchId (via spark._jvm)
  input_rows_per_second,
  processed_rows_per_second           query.lastProgress of the same batch (the progress file
                                      has reached that batch), relative 1e-6
  backlog_files, backlog_bytes        the landing listing (files not named .* or _*) minus the
                                      files of Spark's FileStreamSourceLog (allFiles)
  sink_lag_batches                    OffsetSeqLog's last batch - the Delta sink's txn version
                                      for the query id (DeltaLog.forTable snapshot)
  sink schema fields                  the DeltaLog snapshot's metadata schemaString
  backlog_records (kafka)             streamtop takes it from the last progress event: the sum
                                      over partitions of latestOffset - endOffset. Truth: the
                                      broker's end offsets (kafka-python admin client) minus the
                                      end offsets of that same batch from OffsetSeqLog.get, for a
                                      batch planned after the producer paused (so latestOffset
                                      equals the broker's end offset when it was planned).
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
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import env, tap  # noqa: E402
from lib.driver_client import Driver  # noqa: E402
from lib.kafka import Broker  # noqa: E402

RUN_SECONDS = float(os.environ.get("STREAMTOP_SPARK_RUN_SECONDS", "30"))
BRACKETS = 10
TOPIC = "events"
RATE = 100  # records per second from the producer


class Feeder(threading.Thread):
    """Drops one JSON file of 5 rows into landing/dt=<day>/ every 0.5 s, written beside the
    landing folder and renamed in (Spark and streamtop never see a half-written file)."""

    def __init__(self, landing, scratch):
        super().__init__(daemon=True)
        self.landing, self.scratch = landing, scratch
        self.paused, self.stopped = threading.Event(), threading.Event()
        self.n = 0

    def run(self):
        while not self.stopped.is_set():
            if not self.paused.is_set():
                day = "2026-12-0%d" % (1 + self.n // 20 % 3)
                d = os.path.join(self.landing, "dt=" + day)
                os.makedirs(d, exist_ok=True)
                tmp = os.path.join(self.scratch, "part-%05d.json" % self.n)
                with open(tmp, "w") as f:
                    for i in range(5):
                        f.write(json.dumps({"id": self.n * 5 + i, "name": "n%d" % i, "amount": i * 1.5}) + "\n")
                os.rename(tmp, os.path.join(d, "part-%05d.json" % self.n))
                self.n += 1
            self.stopped.wait(0.5)


class Producer(threading.Thread):
    """RATE records a second, spread over the topic's 3 partitions."""

    def __init__(self, bootstrap):
        super().__init__(daemon=True)
        from kafka import KafkaProducer

        self.p = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, acks=1)
        self.paused, self.stopped, self.idle = threading.Event(), threading.Event(), threading.Event()
        self.sent = 0

    def run(self):
        step = 0.1
        while not self.stopped.is_set():
            if self.paused.is_set():
                self.p.flush()
                self.idle.set()
            else:
                self.idle.clear()
                for _ in range(int(RATE * step)):
                    self.p.send(TOPIC, value=b'{"n":%d}' % self.sent, partition=self.sent % 3)
                    self.sent += 1
            self.stopped.wait(step)
        self.p.flush()
        self.p.close()


def end_offsets(bootstrap):
    """The broker's end offset of each partition of TOPIC (the next offset to be written)."""
    from kafka import KafkaConsumer, TopicPartition

    c = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        tps = [TopicPartition(TOPIC, p) for p in range(3)]
        return {tp.partition: off for tp, off in c.end_offsets(tps).items()}
    finally:
        c.close()


def listing(landing):
    out = {}
    for dirpath, dirs, files in os.walk(landing):
        dirs[:] = [d for d in dirs if not d.startswith((".", "_"))]
        for n in files:
            if not n.startswith((".", "_")):
                p = os.path.join(dirpath, n)
                out[os.path.realpath(p)] = os.stat(p).st_size
    return out


def uri_path(u):
    return os.path.realpath(urllib.parse.unquote(urllib.parse.urlparse(u).path))


def streamtop_export(cfg):
    r = subprocess.run([env.BIN, "-c", cfg, "--db", ":memory:", "export", "-f", "json"],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError("streamtop export exited %d: %s" % (r.returncode, r.stderr[-2000:]))
    return {s["name"]: s for s in json.loads(r.stdout)["streams"]}


def write_config(path, work, started):
    f, k = started["files"], started["kafka"]
    with open(path, "w") as out:
        out.write("""; written by tests/spark/run.py
[stream files]
checkpoint = {fc}
source     = {fs}
sink       = {fk}
progress   = {prog}/files.jsonl
trigger    = 2s

[stream dsrc]
checkpoint = {dc}
source     = {ds}
trigger    = 2s

[stream kafka]
checkpoint = {kc}
progress   = {prog}/kafka.jsonl
trigger    = 1s
""".format(fc=f["checkpoint"], fs=f["source"], fk=f["sink"], kc=k["checkpoint"], dc=started["dsrc"]["checkpoint"], ds=started["dsrc"]["source"],
           prog=os.path.join(work, "progress")))


WORK = [None]  # the run's folder, for failure details


def listener_batch(work, q):
    """The batchId of the last whole line the progress listener wrote for query q, or None.
    Spark 3.5's Python listener runs seconds behind query.lastProgress (its events cross py4j
    on their own thread), so lastProgress is only the truth for streamtop's progress figures
    when the file has caught up with it."""
    try:
        with open(os.path.join(work, "progress", q + ".jsonl"), "rb") as f:
            lines = f.read().split(b"\n")
        return json.loads(lines[-2])["batchId"] if len(lines) >= 2 else None
    except (OSError, ValueError, KeyError):
        return None


def stable(a, b, q, work, before):
    """Spark's figures for query q did not move between the two reads a and b, and the
    progress file streamtop reads was at lastProgress's batch both before streamtop ran
    (before: {query: listener_batch}) and after."""
    for k in ("last_batch_id", "committed_batch_id"):
        if a[q][k] != b[q][k]:
            return False
    pa, pb = a[q]["last_progress"], b[q]["last_progress"]
    return ((pa or {}).get("batchId") == (pb or {}).get("batchId") == before[q]
            == listener_batch(work, q))


def planned_ms(p):
    """When a progress event's batch was planned (its trigger timestamp), epoch ms."""
    from datetime import datetime

    return int(datetime.fromisoformat(p["timestamp"].replace("Z", "+00:00")).timestamp() * 1000)


def close(a, b, rel=1e-6):
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))


def compare_live(name, t, s, when):
    """The figures of one query that come from its checkpoint and its progress."""
    m = s["metrics"]
    tap.check("%s (%s): streamtop reads it without errors" % (name, when), not s["errors"],
              "\n".join(s["errors"]))
    tap.check("%s (%s): query id is Spark's" % (name, when), s.get("query_id") == t["query_id"],
              "%s vs %s" % (s.get("query_id"), t["query_id"]))
    if True:
        tap.check("%s (%s): last_batch_id = OffsetSeqLog.getLatestBatchId (%s)" % (name, when, t["last_batch_id"]),
                  m["last_batch_id"] == t["last_batch_id"], "streamtop %s" % m["last_batch_id"])
        tap.check("%s (%s): committed_batch_id = CommitLog.getLatestBatchId (%s)" % (name, when, t["committed_batch_id"]),
                  m["committed_batch_id"] == t["committed_batch_id"], "streamtop %s" % m["committed_batch_id"])
        p = t["last_progress"]
        for key, metric in (("inputRowsPerSecond", "input_rows_per_second"),
                            ("processedRowsPerSecond", "processed_rows_per_second")):
            want = p.get(key) if p else None
            tap.check("%s (%s): %s = lastProgress.%s of batch %s (%s)" % (name, when, metric, key, p and p["batchId"], want),
                      close(m[metric], want), "streamtop %s (origin %s); progress file's last batch %s" % (
                          m[metric], (s.get("origins") or {}).get(metric), listener_batch(WORK[0], name)))


def compare_still(truth, st, landing, ends):
    """Backlogs, sink lag and schema, on the state left by the stopped queries."""
    f, k = truth["files"], truth["kafka"]
    sf, sk = st["files"], st["kafka"]
    mf, mk = sf["metrics"], sk["metrics"]

    # files: backlog from Spark's own source log against the landing listing
    files = listing(landing)
    seen = {uri_path(u) for u in f["source_files"]}
    waiting = {p: n for p, n in files.items() if p not in seen}
    tap.check("files: backlog_files = landing listing - FileStreamSourceLog.allFiles (%d of %d)" % (len(waiting), len(files)),
              mf["backlog_files"] == len(waiting), "streamtop %s" % mf["backlog_files"])
    tap.check("files: backlog_bytes = bytes of those files (%d)" % sum(waiting.values()),
              mf["backlog_bytes"] == sum(waiting.values()), "streamtop %s" % mf["backlog_bytes"])
    tap.check("files: a backlog built (maxFilesPerTrigger=1 behind 2 files/s)", len(waiting) > 0,
              "no file waiting")
    want_lag = f["last_batch_id"] - f["sink_txn_version"] if f["sink_txn_version"] is not None else None
    tap.check("files: sink_lag_batches = last batch - DeltaLog txn version (%s - %s)" % (f["last_batch_id"], f["sink_txn_version"]),
              mf["sink_lag_batches"] == want_lag, "streamtop %s" % mf["sink_lag_batches"])
    # the sink's schema: one schema since version 0 (the query's first commit writes metaData)
    sink = (sf.get("schema") or {}).get("sink") or {}
    v0 = [h for h in f["sink_history"] if h["version"] == 0]
    fields = ",".join(x["name"] for x in (f["sink_schema"] or {}).get("fields", []))
    tap.check("files: schema_version 0 for the sink's one schema (%s, DeltaLog metadata)" % fields,
              mf["schema_version"] == 0 and sink.get("version") == 0,
              "streamtop %s, sink %s" % (mf["schema_version"], json.dumps(sink)[:300]))
    # tolerance 1 s: Delta's history reports the commit file's modification time when it is
    # later than commitInfo.timestamp
    got = sink.get("changed_at")
    want = v0[0]["ts_ms"] if v0 else None
    from datetime import datetime

    got_ms = int(datetime.fromisoformat(got.replace("Z", "+00:00")).timestamp() * 1000) if got else None
    tap.check("files: sink schema changed_at = DeltaTable.history() timestamp of version 0 (+-1 s)",
              got_ms is not None and want is not None and abs(got_ms - want) <= 1000,
              "streamtop %s, Delta %s" % (got, want))

    # dsrc: a Delta source that has read every row of its table has no version left to read
    d, sd = truth["dsrc"], st["dsrc"]
    tap.note("dsrc: offsets %s, table version %s, rows read %s of %s" % (
        d["offsets_last"], d["table_version"], d["rows_read"], d["table_rows"]))
    tap.check("dsrc: streamtop reads it without errors", not sd["errors"], "\n".join(sd["errors"]))
    if d["rows_read"] == d["table_rows"]:
        tap.check("dsrc: backlog_versions = 0 once every row of the table was read (%s rows, lastProgress sum)"
                  % d["table_rows"], sd["metrics"]["backlog_versions"] == 0,
                  "streamtop %s" % sd["metrics"]["backlog_versions"])
    else:
        tap.notok("dsrc: the Delta source caught up within 60 s", "%s of %s rows" % (d["rows_read"], d["table_rows"]))

    # kafka: records behind, for the batch streamtop's progress figure belongs to
    p = k["last_progress"]
    offs = k["offsets_progress"][0] if k["offsets_progress"] else {}
    want = sum(ends[pp] - offs.get(TOPIC, {}).get(str(pp), 0) for pp in ends)
    tap.check("kafka: backlog_records = broker end offsets %s - OffsetSeqLog offsets of batch %s %s = %d"
              % (ends, p and p["batchId"], offs.get(TOPIC), want),
              mk["backlog_records"] == want, "streamtop %s" % mk["backlog_records"])
    return want


def main():
    # timeout(1) sends TERM: leave through the finally below (broker, driver, temp folder)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
    missing = [x for x in (os.path.join(env.JARS, env.LINE, ".stamp"), os.path.join(env.JARS, "broker", ".stamp"))
               if not os.path.exists(x)]
    if missing:
        tap.skip("live Spark suite: %s missing (run `make deps` with network)" % ", ".join(missing))
        return 0
    if shutil.which("java") is None:
        tap.skip("live Spark suite: no java (make deps installs openjdk-17-jdk-headless)")
        return 0
    t0 = time.time()
    work = tempfile.mkdtemp(prefix="live-spark.")
    WORK[0] = work
    broker = driver = feeder = producer = None
    try:
        broker = Broker()
        from kafka.admin import KafkaAdminClient, NewTopic

        admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap, request_timeout_ms=30000)
        admin.create_topics([NewTopic(TOPIC, num_partitions=3, replication_factor=1)])
        admin.close()
        tap.note("broker on %s after %.1fs" % (broker.bootstrap, time.time() - t0))
        producer = Producer(broker.bootstrap)
        producer.start()
        landing = os.path.join(work, "landing")
        scratch = os.path.join(work, "scratch")
        os.makedirs(landing)
        os.makedirs(scratch)
        feeder = Feeder(landing, scratch)
        feeder.start()
        driver = Driver({"work": work, "bootstrap": broker.bootstrap, "topic": TOPIC,
                         "jars": env.spark_jars()}, os.path.join(work, "driver.log"))
        tap.prefix = "spark %s: " % driver.started["spark"]
        tap.note("driver up after %.1fs" % (time.time() - t0))
        cfg = os.path.join(work, "streamtop.ini")
        write_config(cfg, work, driver.started)

        # (1) the first commit of each query; streamtop passes meanwhile: before the first
        # commit there is no Delta sink and no progress file yet, which is no error
        wait_until = time.time() + 150
        early, early_passes = [], 0
        while time.time() < wait_until:
            t = driver.ask("truth", light=True)
            if "dsrc" in t and all(t[q]["committed_batch_id"] is not None and t[q]["last_progress"]
                                   and listener_batch(work, q) is not None for q in ("files", "kafka")):
                break
            st = streamtop_export(cfg)
            early_passes += 1
            t_after = driver.ask("truth", light=True)
            for name in ("files", "kafka"):
                # only passes that began and ended before the first commit: after it a progress
                # file the listener has not written yet is an error (Spark 3.5's Python
                # listener writes seconds after the commit)
                if t_after[name]["committed_batch_id"] is None:
                    early += ["%s: %s" % (name, e) for e in st[name]["errors"]]
            time.sleep(1)
        else:
            raise RuntimeError("no commit from both queries within 150 s")
        tap.note("first commits after %.1fs" % (time.time() - t0))
        tap.check("%d streamtop passes before the first commits: no error" % early_passes,
                  not early, "\n".join(sorted(set(early))))

        # (2) while the queries run: passes every 2 s, never a negative figure or an error
        deadline = time.time() + RUN_SECONDS
        bad, passes = [], 0
        while time.time() < deadline:
            try:
                st = streamtop_export(cfg)
                passes += 1
                for name, s in st.items():
                    for metric, v in s["metrics"].items():
                        if isinstance(v, (int, float)) and v < 0:
                            bad.append("%s %s = %s" % (name, metric, v))
                    bad += ["%s: %s" % (name, e) for e in s["errors"]]
            except Exception as e:
                bad.append(str(e))
            time.sleep(2)
        tap.check("%d streamtop passes while the queries ran: no negative figure, no error" % passes,
                  passes > 0 and not bad, "\n".join(sorted(set(bad))))

        # (3) live brackets
        todo = {"files", "kafka"}
        for i in range(BRACKETS):
            if not todo:
                break
            t1 = driver.ask("truth", light=True)
            before = {q: listener_batch(work, q) for q in todo}
            st = streamtop_export(cfg)
            t2 = driver.ask("truth", light=True)
            for q in sorted(todo):
                if stable(t1, t2, q, work, before):
                    compare_live(q, t1[q], st[q], "live, bracket %d" % (i + 1))
                    todo.discard(q)
            time.sleep(0.3)
        for q in sorted(todo):
            tap.notok("%s: a stable bracket to compare streamtop with Spark in %d tries" % (q, BRACKETS))

        # (4) pause, a Kafka batch planned after the pause, stop, compare everything
        feeder.paused.set()
        producer.paused.set()
        producer.idle.wait(10)
        paused_ms = int(time.time() * 1000)
        ends = end_offsets(broker.bootstrap)
        tap.note("paused: %d files, %d records sent; broker end offsets %s" % (feeder.n, producer.sent, ends))
        wait_until = time.time() + 60
        while time.time() < wait_until:
            p = driver.ask("truth", light=True)["kafka"]["last_progress"]
            if p and planned_ms(p) > paused_ms:
                break
            time.sleep(0.5)
        driver.ask("stop_queries", timeout=120, names=["files", "kafka"])
        # the Delta source reads what the stopped files query wrote, then has nothing to do
        wait_until = time.time() + 60
        while time.time() < wait_until:
            d = driver.ask("truth", timeout=120)["dsrc"]
            if d["rows_read"] == d["table_rows"] and d["last_batch_id"] == d["committed_batch_id"]:
                break
            time.sleep(1)
        driver.ask("stop_queries", timeout=120, names=["dsrc"])
        truth = driver.ask("truth", timeout=120)
        wait_until = time.time() + 20  # the listener may still be writing the last events
        while time.time() < wait_until and not all(
                listener_batch(work, q) == (truth[q]["last_progress"] or {}).get("batchId") for q in ("files", "kafka")):
            time.sleep(0.5)
        st = streamtop_export(cfg)
        tap.note("stopped: files batch %s/%s, kafka batch %s/%s (planned/committed)" % (
            truth["files"]["last_batch_id"], truth["files"]["committed_batch_id"],
            truth["kafka"]["last_batch_id"], truth["kafka"]["committed_batch_id"]))
        for q in ("files", "kafka"):
            compare_live(q, truth[q], st[q], "stopped")
        compare_still(truth, st, landing, ends)
    except Exception as e:
        import traceback

        tap.notok("live Spark suite ran", "%s\n%s\n%s" % (traceback.format_exc(), driver.tail() if driver else "",
                                                        broker.tail() if broker else ""))
    finally:
        for th in (feeder, producer):
            if th:
                th.stopped.set()
        if driver:
            driver.stop()
        if broker:
            broker.stop()
        if os.environ.get("STREAMTOP_SPARK_KEEP"):
            tap.note("kept " + work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    tap.note("live Spark suite took %.0fs" % (time.time() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
