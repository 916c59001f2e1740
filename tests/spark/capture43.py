"""Capture the newest releases' formats as fixtures (tests/fixtures/live/spark-<version>/<scenario>/).

Each scenario runs a few batches of a small query on local[2], stops it and copies what it left
(checkpoint with hidden .crc files, Delta _delta_log without data files), with Spark's own
reading of it in expected.json: OffsetSeqLog / CommitLog through py4j, the query's lastProgress,
DeltaLog.forTable for tables, the broker's end offsets for Kafka. Rerunnable: a scenario's folder
is replaced. One scenario a JVM (jsonlog needs its own log4j2 set-up at launch); with no argument
each scenario runs in its own child process. Set up with `STREAMTOP_SPARK_NEWEST=1 make deps`; run under
the live lock with the spark43 virtualenv:

  flock /tmp/streamtop-live.lock .venv/spark43/bin/python tests/spark/capture43.py SCENARIO...

With STREAMTOP_CAPTURE_DIR=DIR the scenarios land in DIR/spark-4.3.0/ instead (the live test
tests/e2e/test_live43.sh captures afresh there and reads what the releases just wrote).

Scenarios:
  named       two file sources named with DataStreamReader.name() ("orders", "refunds"), unioned,
              spark.sql.streaming.offsetLog.formatVersion=2: offsets/N in the v2 format
  listener    written by the named run: the StreamingQueryListener's JSON lines (progress, and
              the started, idle and terminated events) with a 1 s noDataProgressEventInterval
  state       a rate-source count by key on RocksDB with changelog checkpointing and
              stateStore.checkpointFormatVersion=2 (commits v2, <version>_<uuid> state files,
              JSON .crc checksums, operator metadata v2); and a transformWithStateInPandas query
              (the "tws" checkpoint: _stateSchema/default/<batch>_<uuid>)
  repartition a RocksDB count by key on 2 shuffle partitions, stopped, repartitioned offline to 3
              with StreamingCheckpointManager.repartition, then restarted for a few batches
  rtm         a Kafka source in real-time mode (trigger realTime="10 seconds") into a Kafka
              sink (4.3 refuses the memory sink there), two long batches, on the KRaft broker of
              lib/kafka.py
  jsonlog     a rate query on a driver with spark.log.structuredLogging.enabled=true, log4j2
              writing Spark's JSON layout to a file: an excerpt with the progress lines
  delta       (pyspark 4.2.0 and Delta 4.4.0 from .venv/delta44: Delta 4.4.0 fails on Spark 4.3.0)
              a Delta table created with delta.checkpointPolicy=v2,
              delta.enableInCommitTimestamps=true and delta.checkpointInterval=3, seven appends
              with a txn each (version
              checksums, UUID-named JSON v2 checkpoints with _sidecars/, _last_checkpoint with
              v2Checkpoint), plus a log compaction file written by Delta Kernel's
              LogCompactionWriter (Delta Spark reads such files but has no writer of them)
  pipelines   a Declarative Pipeline (spark-pipelines run, Spark Connect in process) with one
              streaming table from a JSON file source: a run, then a full refresh (the catalog is in
              memory here, so an incremental second run cannot find its table);
              the flow checkpoints _checkpoints/spark_catalog/default/events/events/<N>
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("STREAMTOP_SPARK_LINE", "spark43")
# the Python workers (transformWithStateInPandas) need this virtualenv's pandas and pyarrow
os.environ["PYSPARK_PYTHON"] = sys.executable
from lib import env  # noqa: E402

from pyspark.sql import SparkSession  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402
from pyspark.sql.streaming import StreamingQueryListener  # noqa: E402

SCENARIOS = ["named", "state", "repartition", "rtm", "jsonlog", "delta", "pipelines"]
CKPT = "org.apache.spark.sql.execution.streaming.checkpointing"
ROCKSDB = "org.apache.spark.sql.execution.streaming.state.RocksDBStateStoreProvider"


class EventsToFile(StreamingQueryListener):
    """One JSON object a line: a progress as Spark writes it (StreamingQueryProgress.json), the
    other events as {"event": <Spark's class name>, <the event's fields>}."""

    def __init__(self, path):
        super().__init__()
        self.path = path
        self.lock = threading.Lock()
        self.idle = 0

    def _write(self, obj):
        with self.lock, open(self.path, "a") as f:
            f.write(json.dumps(obj, separators=(",", ":")) + "\n")

    def onQueryStarted(self, event):
        self._write({"event": "QueryStartedEvent", "id": str(event.id), "runId": str(event.runId),
                     "name": event.name, "timestamp": event.timestamp})

    def onQueryProgress(self, event):
        self._write(json.loads(event.progress.json))

    def onQueryIdle(self, event):
        self.idle += 1
        self._write({"event": "QueryIdleEvent", "id": str(event.id), "runId": str(event.runId),
                     "timestamp": event.timestamp})

    def onQueryTerminated(self, event):
        self._write({"event": "QueryTerminatedEvent", "id": str(event.id), "runId": str(event.runId),
                     "exception": event.exception, "errorClassOnException": event.errorClassOnException})


def session(extra=None):
    b = (SparkSession.builder.master("local[2]")
         .appName("streamtop-capture43")
         .config("spark.jars", ",".join(env.spark_jars()))
         .config("spark.sql.shuffle.partitions", "2")
         .config("spark.default.parallelism", "2")
         .config("spark.ui.enabled", "false")
         .config("spark.driver.memory", "768m")
         .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
         .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
         .config("spark.databricks.delta.snapshotPartitions", "2"))
    for k, v in (extra or {}).items():
        b = b.config(k, v)
    spark = b.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    return spark


# ---- Spark's own reading of what it wrote -------------------------------------------------------

def _opt(o):
    """A Scala Option through py4j: its value or None."""
    return o.get() if o is not None and o.isDefined() else None


def checkpoint_truth(spark, ckpt):
    jvm, js = spark._jvm, spark._jsparkSession
    pkg = getattr(jvm, CKPT)
    out = {}
    offsets = pkg.OffsetSeqLog(js, os.path.join(ckpt, "offsets"), False)  # no metadata cache
    latest = _opt(offsets.getLatest())
    if latest is not None:
        seq = latest._2()
        out["offsets_latest_batch"] = latest._1()
        out["offsets_class"] = seq.getClass().getSimpleName()
        md = _opt(seq.metadataOpt())
        if md is not None:
            out["offsets_metadata"] = json.loads(md.json())
            out["offsets_metadata_class"] = md.getClass().getSimpleName()
        # the offsets as Spark holds them: by name for the v2 log, by position for v1
        srcs = {}
        names = [m.getName() for m in seq.getClass().getMethods()]
        if "offsetsMap" in names:
            it = seq.offsetsMap().iterator()
            while it.hasNext():
                kv = it.next()
                srcs[kv._1()] = _json_or_none(_opt(kv._2()))
        else:
            it = seq.offsets().iterator()
            i = 0
            while it.hasNext():
                srcs[str(i)] = _json_or_none(_opt(it.next()))
                i += 1
        out["offsets_sources"] = srcs
        out["offsets_string"] = seq.toString()
    commits = pkg.CommitLog(js, os.path.join(ckpt, "commits"), False)
    c = _opt(commits.getLatest())
    if c is not None:
        out["commits_latest_batch"] = c._1()
        out["commit_metadata"] = json.loads(c._2().json())
        out["commit_metadata_class"] = c._2().getClass().getSimpleName()
    return out


def _json_or_none(offset):
    if offset is None:
        return None
    s = offset.json()
    try:
        return json.loads(s)
    except ValueError:
        return s


def progress_truth(q):
    lp = q.lastProgress
    return {"lastProgress": lp, "recentProgress_count": len(q.recentProgress),
            "query_id": str(q.id), "run_id": str(q.runId), "name": q.name}


def committed(ckpt):
    d = os.path.join(ckpt, "commits")
    if not os.path.isdir(d):
        return -1
    ids = [int(n) for n in os.listdir(d) if n.isdigit()]
    return max(ids) if ids else -1


def wait_batches(q, ckpt, n, timeout=120, extra=None):
    deadline = time.time() + timeout
    while time.time() < deadline and committed(ckpt) < n - 1:
        if q.exception() is not None:
            raise SystemExit("query %s failed: %s" % (q.name, q.exception()))
        if extra:
            extra()
        time.sleep(0.3)
    if committed(ckpt) < n - 1:
        raise SystemExit("query %s: %d batches committed within %ds" % (q.name, committed(ckpt) + 1, timeout))


def copy_tree(src, dst, keep=lambda rel: True):
    for root, _, files in os.walk(src):
        for n in files:
            rel = os.path.relpath(os.path.join(root, n), src)
            if keep(rel):
                os.makedirs(os.path.dirname(os.path.join(dst, rel)), exist_ok=True)
                shutil.copy2(os.path.join(root, n), os.path.join(dst, rel))


def delta_log_only(rel):
    # the log without data files; the parquet of a v2 checkpoint's sidecars is the point there
    return rel.startswith("_delta_log/") and (".parquet" not in rel or "/_sidecars/" in rel
                                               or ".checkpoint." in rel)


def out_dir(spark, name):
    # the line's folder even for the Delta tables, which Spark 4.2.0 writes (expected.json and
    # PROVENANCE.md say which Spark and Delta wrote each scenario)
    # STREAMTOP_CAPTURE_DIR: somewhere else than the fixtures (the live test captures afresh)
    root = os.environ.get("STREAMTOP_CAPTURE_DIR") or os.path.join(env.ROOT, "tests", "fixtures", "live")
    d = os.path.join(root, "spark-4.3.0", name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


def write_expected(d, obj, spark):
    obj = dict(obj)
    obj["spark_version"] = spark.version
    if "delta" in obj:
        from importlib.metadata import version
        obj["delta_spark_version"] = version("delta-spark")
    obj["captured_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    with open(os.path.join(d, "expected.json"), "w") as f:
        json.dump(obj, f, indent=1, sort_keys=True, default=str)
        f.write("\n")


# ---- scenarios ----------------------------------------------------------------------------------

def run_named(work):
    spark = session({"spark.sql.streaming.offsetLog.formatVersion": "2",
                     "spark.sql.streaming.queryEvolution.enableSourceEvolution": "true",
                     "spark.sql.streaming.noDataProgressEventInterval": "1000"})
    events = os.path.join(work, "events.jsonl")
    listener = EventsToFile(events)
    spark.streams.addListener(listener)
    dirs = {n: os.path.join(work, "in", n) for n in ("orders", "refunds")}
    for d in dirs.values():
        os.makedirs(d)
    scratch = os.path.join(work, "scratch")
    os.makedirs(scratch)
    stop = threading.Event()

    def feeder():
        for i in range(5):
            for n, d in dirs.items():
                tmp = os.path.join(scratch, "%s-%d.json" % (n, i))
                with open(tmp, "w") as f:
                    for j in range(3):
                        f.write(json.dumps({"id": i * 10 + j, "kind": n, "amount": j * 2.5}) + "\n")
                os.rename(tmp, os.path.join(d, "part-%05d.json" % i))
            if stop.wait(1.0):
                return

    threading.Thread(target=feeder, daemon=True).start()
    schema = "id long, kind string, amount double"
    a = (spark.readStream.format("json").schema(schema).option("maxFilesPerTrigger", 1)
         .name("orders").load(dirs["orders"]))
    b = (spark.readStream.format("json").schema(schema).option("maxFilesPerTrigger", 1)
         .name("refunds").load(dirs["refunds"]))
    ckpt = os.path.join(work, "checkpoint")

    def sink(df, batch_id):
        df.count()

    q = (a.unionByName(b).writeStream.foreachBatch(sink).queryName("named")
         .option("checkpointLocation", ckpt).trigger(processingTime="1 second").start())
    wait_batches(q, ckpt, 5)
    deadline = time.time() + 20  # the feeder is done after 5 s; wait for an idle event
    while time.time() < deadline and listener.idle < 2:
        time.sleep(0.3)
    stop.set()
    truth = progress_truth(q)
    q.stop()
    time.sleep(1.0)  # the terminated event
    truth.update(checkpoint_truth(spark, ckpt))
    truth["source_names"] = ["orders", "refunds"]
    truth["conf"] = {"spark.sql.streaming.offsetLog.formatVersion": "2",
                     "spark.sql.streaming.queryEvolution.enableSourceEvolution": "true"}
    d = out_dir(spark, "named")
    copy_tree(ckpt, os.path.join(d, "checkpoint"))
    shutil.copy2(events, os.path.join(d, "progress.jsonl"))
    write_expected(d, truth, spark)
    dl = out_dir(spark, "listener")
    shutil.copy2(events, os.path.join(dl, "progress.jsonl"))
    kinds = {}
    with open(events) as f:
        for line in f:
            o = json.loads(line)
            k = o.get("event", "progress")
            kinds[k] = kinds.get(k, 0) + 1
    write_expected(dl, {"events": kinds, "query_id": truth["query_id"], "run_id": truth["run_id"],
                        "idle_events_seen_by_listener": listener.idle,
                        "lastProgress": truth["lastProgress"],
                        "noDataProgressEventInterval_ms": 1000}, spark)
    spark.stop()
    return [d, dl]


def _tws_processor():  # built lazily: the stateful processor API needs pandas
    import pandas as pd
    from pyspark.sql.streaming.stateful_processor import StatefulProcessor

    class Count(StatefulProcessor):
        def init(self, handle):
            self.count = handle.getValueState("count", "n long")

        def handleInputRows(self, key, rows, timerValues):
            n = self.count.get()[0] if self.count.exists() else 0
            for pdf in rows:
                n += len(pdf)
            self.count.update((n,))
            yield pd.DataFrame({"k": [key[0]], "n": [n]})

        def close(self):
            pass

    return Count()


STATE_V2 = {
    "spark.sql.streaming.stateStore.providerClass": ROCKSDB,
    "spark.sql.streaming.stateStore.rocksdb.changelogCheckpointing.enabled": "true",
    "spark.sql.streaming.stateStore.checkpointFormatVersion": "2",
    "spark.sql.streaming.stateStore.minDeltasForSnapshot": "2",
}


def run_state(work):
    spark = session(STATE_V2)
    rate = (spark.readStream.format("rate").option("rowsPerSecond", 5).option("numPartitions", 2)
            .load().withColumn("k", (F.col("value") % 3).cast("string")))
    ckpt = os.path.join(work, "checkpoint")

    def sink(df, batch_id):
        df.count()

    q = (rate.groupBy("k").count().writeStream.outputMode("update").foreachBatch(sink)
         .queryName("state").option("checkpointLocation", ckpt)
         .trigger(processingTime="1 second").start())
    tws_ckpt = os.path.join(work, "tws")
    tws = (rate.groupBy("k").transformWithStateInPandas(
        statefulProcessor=_tws_processor(), outputStructType="k string, n long",
        outputMode="Update", timeMode="None")
        .writeStream.outputMode("update").foreachBatch(sink).queryName("tws")
        .option("checkpointLocation", tws_ckpt).trigger(processingTime="1 second").start())
    wait_batches(q, ckpt, 5)
    wait_batches(tws, tws_ckpt, 4, timeout=90)
    out = []
    for name, query, c in (("state", q, ckpt), ("tws", tws, tws_ckpt)):
        truth = progress_truth(query)
        query.stop()
        truth.update(checkpoint_truth(spark, c))
        truth["conf"] = STATE_V2
        d = out_dir(spark, name)
        copy_tree(c, os.path.join(d, "checkpoint"))
        write_expected(d, truth, spark)
        out.append(d)
    spark.stop()
    return out


def run_repartition(work):
    conf = {"spark.sql.streaming.stateStore.providerClass": ROCKSDB}
    spark = session(conf)
    ckpt = os.path.join(work, "checkpoint")

    def start(**trigger):
        rate = (spark.readStream.format("rate").option("rowsPerSecond", 5).option("numPartitions", 2)
                .load().withColumn("k", F.col("value") % 3))

        def sink(df, batch_id):
            df.count()

        return (rate.groupBy("k").count().writeStream.outputMode("update").foreachBatch(sink)
                .queryName("repartition").option("checkpointLocation", ckpt)
                .trigger(**(trigger or {"processingTime": "1 second"})).start())

    q = start()
    wait_batches(q, ckpt, 3)
    q.stop()
    # repartition refuses a checkpoint whose last batch did not commit (a stop in the middle of
    # one): an availableNow run finishes it and stops by itself
    q = start(availableNow=True)
    q.awaitTermination(90)
    before = committed(ckpt)
    spark._streamingCheckpointManager.repartition(ckpt, 3)
    repartition_batch = committed(ckpt)
    q = start()
    wait_batches(q, ckpt, repartition_batch + 3)
    truth = progress_truth(q)
    q.stop()
    truth.update(checkpoint_truth(spark, ckpt))
    jvm = spark._jvm
    log = getattr(jvm, CKPT).OffsetSeqLog(spark._jsparkSession, os.path.join(ckpt, "offsets"), False)
    utils = jvm.org.apache.spark.sql.execution.streaming.state.OfflineStateRepartitionUtils
    flags, parts = {}, {}
    for b in range(0, truth["offsets_latest_batch"] + 1):
        flags[str(b)] = bool(utils.isRepartitionBatch(b, log))
        md = _opt(_opt(log.get(b)).metadataOpt())
        parts[str(b)] = int(_opt(utils.getShufflePartitions(md)))
    truth.update({"last_batch_before_repartition": before, "repartition_batch": repartition_batch,
                  "is_repartition_batch": flags, "shuffle_partitions_by_batch": parts,
                  "conf": conf, "repartitioned_to": 3})
    d = out_dir(spark, "repartition")
    copy_tree(ckpt, os.path.join(d, "checkpoint"))
    write_expected(d, truth, spark)
    spark.stop()
    return [d]


def run_rtm(work):
    from kafka import KafkaProducer, KafkaConsumer, TopicPartition
    from kafka.admin import KafkaAdminClient, NewTopic
    from lib.kafka import Broker

    broker = Broker()
    try:
        admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
        admin.create_topics([NewTopic(t, num_partitions=1, replication_factor=1) for t in ("events", "out")])
        admin.close()
        stop = threading.Event()

        def produce():
            p = KafkaProducer(bootstrap_servers=broker.bootstrap)
            i = 0
            while not stop.is_set():
                p.send("events", key=b"k%d" % (i % 5), value=json.dumps({"i": i}).encode())
                i += 1
                stop.wait(0.05)
            p.flush()
            p.close()

        threading.Thread(target=produce, daemon=True).start()
        spark = session()
        events = os.path.join(work, "events.jsonl")
        spark.streams.addListener(EventsToFile(events))
        ckpt = os.path.join(work, "checkpoint")
        q = (spark.readStream.format("kafka").option("kafka.bootstrap.servers", broker.bootstrap)
             .option("subscribe", "events").option("startingOffsets", "earliest").load()
             .selectExpr("CAST(key AS STRING) AS key", "CAST(value AS STRING) AS value")
             .writeStream.format("kafka").option("kafka.bootstrap.servers", broker.bootstrap)
             .option("topic", "out").queryName("rtm").outputMode("update")
             .option("checkpointLocation", ckpt).trigger(realTime="10 seconds").start())
        started = time.time()
        wait_batches(q, ckpt, 2, timeout=60)
        elapsed = time.time() - started
        truth = progress_truth(q)
        truth["recentProgress"] = q.recentProgress
        q.stop()
        stop.set()
        time.sleep(0.5)
        truth.update(checkpoint_truth(spark, ckpt))
        c = KafkaConsumer(bootstrap_servers=broker.bootstrap)
        tps = [TopicPartition(t, 0) for t in ("events", "out")]
        truth["broker_end_offsets"] = {"%s-0" % tp.topic: n for tp, n in c.end_offsets(tps).items()}
        c.close()
        truth["trigger"] = {"realTime": "10 seconds"}
        truth["seconds_to_two_commits"] = round(elapsed, 1)
        d = out_dir(spark, "rtm")
        copy_tree(ckpt, os.path.join(d, "checkpoint"))
        shutil.copy2(events, os.path.join(d, "progress.jsonl"))
        write_expected(d, truth, spark)
        spark.stop()
        return [d]
    finally:
        broker.stop()


LOG4J2 = """\
rootLogger.level = info
rootLogger.appenderRef.file.ref = file
appender.file.type = File
appender.file.name = file
appender.file.fileName = {path}
appender.file.layout.type = JsonTemplateLayout
appender.file.layout.eventTemplateUri = classpath:org/apache/spark/SparkLayout.json
logger.jetty.name = org.sparkproject.jetty
logger.jetty.level = warn
"""


def run_jsonlog(work):
    log = os.path.join(work, "driver.jsonl")
    props = os.path.join(work, "log4j2.properties")
    with open(props, "w") as f:
        f.write(LOG4J2.format(path=log))
    spark = session({"spark.log.structuredLogging.enabled": "true",
                     "spark.driver.extraJavaOptions": "-Dlog4j2.configurationFile=file:" + props})
    spark.sparkContext.setLogLevel("INFO")
    ckpt = os.path.join(work, "checkpoint")

    def sink(df, batch_id):
        df.count()

    q = (spark.readStream.format("rate").option("rowsPerSecond", 5).load().writeStream
         .foreachBatch(sink).queryName("jsonlog").option("checkpointLocation", ckpt)
         .trigger(processingTime="1 second").start())
    wait_batches(q, ckpt, 3)
    truth = progress_truth(q)
    truth["progress_batch_ids"] = [p["batchId"] for p in q.recentProgress]
    q.stop()
    time.sleep(0.5)
    truth.update(checkpoint_truth(spark, ckpt))
    keep, total, parsed = [], 0, 0
    qid = truth["query_id"]
    with open(log) as f:
        for line in f:
            total += 1
            try:
                o = json.loads(line)
                parsed += 1
            except ValueError:
                continue
            msg = o.get("msg", "")
            ctx = json.dumps(o.get("context", {}))
            if ("made progress" in msg or "Starting [id" in msg or "idle" in msg
                    or ("query" in msg.lower() and qid in msg + ctx and len(keep) < 12)):
                keep.append(line)
    truth["log_lines_total"] = total
    truth["log_lines_json"] = parsed
    truth["excerpt_lines"] = len(keep)
    truth["excerpt_progress_lines"] = sum(1 for line in keep if "made progress" in line)
    truth["conf"] = {"spark.log.structuredLogging.enabled": "true",
                     "log4j2": "File appender, JsonTemplateLayout classpath:org/apache/spark/SparkLayout.json"}
    d = out_dir(spark, "jsonlog")
    with open(os.path.join(d, "driver.jsonl"), "w") as f:
        f.writelines(keep)
    with open(os.path.join(d, "log4j2.properties"), "w") as f:
        f.write(LOG4J2.format(path="/path/to/driver.jsonl"))
    write_expected(d, truth, spark)
    spark.stop()
    return [d]


def run_delta(work):
    spark = session({"spark.databricks.delta.checkpointV2.topLevelFileFormat": "json",
                     "spark.databricks.delta.checkpoint.partSize": "2"})
    table = os.path.join(work, "table")
    spark.sql("CREATE TABLE delta.`%s` (id BIGINT, k STRING, ts TIMESTAMP) USING delta TBLPROPERTIES ("
              "'delta.checkpointPolicy'='v2', 'delta.enableInCommitTimestamps'='true', "
              "'delta.checkpointInterval'='3')" % table)
    # batch appends carrying a txn (txnAppId/txnVersion, as a streaming sink records its query)
    app = "streamtop-capture43"
    for v in range(7):
        (spark.range(v * 5, v * 5 + 5, numPartitions=1)
         .selectExpr("id", "CAST(id % 3 AS STRING) AS k", "current_timestamp() AS ts")
         .write.format("delta").mode("append").option("txnAppId", app).option("txnVersion", v)
         .save(table))
    truth = {"writes": "7 batch appends with txnAppId=%s, txnVersion=0..6" % app}
    jvm = spark._jvm
    # a log compaction file over commits 1..3, by Delta Kernel (Delta Spark only reads them)
    try:
        kpath = jvm.io.delta.kernel.internal.fs.Path
        engine = jvm.io.delta.kernel.defaults.engine.DefaultEngine.create(
            spark._jsc.hadoopConfiguration())
        jvm.io.delta.kernel.internal.compaction.LogCompactionWriter(
            kpath("file:" + table), kpath("file:" + os.path.join(table, "_delta_log")), 1, 3, 0
        ).writeLogCompactionFile(engine)
        truth["log_compaction"] = {"writer": "io.delta.kernel.internal.compaction.LogCompactionWriter",
                                   "start_version": 1, "end_version": 3}
    except Exception as e:  # noqa: BLE001 -- the rest of the capture stands without it
        truth["log_compaction_error"] = str(e)[:300]
    dl = jvm.org.apache.spark.sql.delta.DeltaLog.forTable(spark._jsparkSession, table)
    snap = dl.update(False, jvm.scala.Option.empty(), jvm.scala.Option.empty())
    md = json.loads(snap.metadata().json())["metaData"]
    txns = {}
    it = snap.setTransactions().iterator()
    while it.hasNext():
        t = it.next()
        txns[t.appId()] = t.version()
    delta = {"version": snap.version(), "table_id": md["id"],
             "schema": json.loads(md["schemaString"]),
             "configuration": md.get("configuration", {}),
             "setTransactions": txns,
             "protocol": json.loads(snap.protocol().json())["protocol"],
             "timestamp": snap.timestamp(),
             "checksum_read_by_snapshot": snap.checksumOpt().isDefined()}
    ict = _opt(snap.getInCommitTimestampOpt())
    delta["inCommitTimestamp"] = ict
    truth["delta"] = delta
    truth["delta_confs"] = {"spark.databricks.delta.checkpointV2.topLevelFileFormat": "json",
                            "spark.databricks.delta.checkpoint.partSize": "2"}
    d = out_dir(spark, "delta")
    copy_tree(table, os.path.join(d, "table"), delta_log_only)
    write_expected(d, truth, spark)
    spark.stop()
    return [d]


PIPELINE_SPEC = """name: streamtop_sdp
storage: file://{storage}
configuration:
  spark.sql.shuffle.partitions: "2"
libraries:
  - glob:
      include: transformations/**
"""

PIPELINE_PY = """from pyspark import pipelines as dp
from pyspark.sql import DataFrame, SparkSession

spark = SparkSession.active()


@dp.table
def events() -> DataFrame:
    return spark.readStream.format("json").schema("id long, kind string").load({landing!r})
"""


def run_pipelines(work):
    proj, landing, storage = (os.path.join(work, n) for n in ("proj", "in", "storage"))
    os.makedirs(os.path.join(proj, "transformations"))
    os.makedirs(landing)
    spec = os.path.join(proj, "spark-pipeline.yml")
    with open(spec, "w") as f:
        f.write(PIPELINE_SPEC.format(storage=storage))
    with open(os.path.join(proj, "transformations", "events.py"), "w") as f:
        f.write(PIPELINE_PY.format(landing=landing))
    cli = os.path.join(os.path.dirname(sys.executable), "spark-pipelines")
    runs = []
    for i, extra in enumerate(([], ["--full-refresh-all"])):
        with open(os.path.join(landing, "part-%05d.json" % i), "w") as f:
            f.write('{"id": %d, "kind": "a"}\n{"id": %d, "kind": "b"}\n' % (i, i + 100))
        # the session catalog is in memory (no metastore here): a later run would find the
        # table's location without the table and refuse it (LOCATION_ALREADY_EXISTS), and an
        # incremental run cannot go on without the file sink's log, so the second run is a full
        # refresh
        shutil.rmtree(os.path.join(proj, "spark-warehouse"), ignore_errors=True)
        envp = dict(os.environ, PATH=os.path.dirname(sys.executable) + ":" + os.environ["PATH"])
        with open(os.path.join(work, "run%d.log" % i), "w") as log:
            rc = subprocess.call([cli, "run", "--spec", spec] + extra, cwd=proj, env=envp,
                                 stdout=log, stderr=subprocess.STDOUT, timeout=180)
        if rc:
            raise SystemExit("spark-pipelines run %s failed (%d): %s" % (extra, rc, open(log.name).read()[-2000:]))
        runs.append({"args": ["run"] + extra})
    flow = os.path.join(storage, "_checkpoints", "spark_catalog", "default", "events", "events")
    spark = session()
    truth = {"runs": runs, "flow_checkpoints": {}}
    for n in sorted(os.listdir(flow)):
        truth["flow_checkpoints"][n] = checkpoint_truth(spark, os.path.join(flow, n))
    truth["live_checkpoint"] = max(os.listdir(flow), key=int)
    d = out_dir(spark, "pipelines")
    copy_tree(storage, os.path.join(d, "storage"))
    copy_tree(proj, os.path.join(d, "proj"), lambda rel: not rel.startswith("spark-warehouse")
              and "__pycache__" not in rel)
    with open(os.path.join(d, "proj", "spark-pipeline.yml"), "w") as f:
        f.write(PIPELINE_SPEC.format(storage="/path/to/storage"))
    with open(os.path.join(d, "proj", "transformations", "events.py"), "w") as f:
        f.write(PIPELINE_PY.format(landing="/path/to/in"))
    write_expected(d, truth, spark)
    spark.stop()
    return [d]


def main():
    wanted = sys.argv[1:] or SCENARIOS
    if len(wanted) > 1:  # each in a JVM of its own; a failed one does not stop the others
        rc = 0
        for s in wanted:
            rc |= subprocess.call([sys.executable, os.path.abspath(__file__), s])
        sys.exit(rc)
    name = wanted[0]
    if name not in SCENARIOS:
        raise SystemExit("unknown scenario %s (one of %s)" % (name, ", ".join(SCENARIOS)))
    import pyspark
    if name == "delta" and pyspark.__version__ != "4.2.0" and not os.environ.get("STREAMTOP_DELTA44"):
        # Delta 4.4.0 is built for Spark 4.2.0 and fails on 4.3.0: run on that Spark
        py = os.path.join(env.DELTA44_VENV, "bin", "python")
        os.environ["STREAMTOP_DELTA44"] = "1"
        os.execv(py, [py, os.path.abspath(__file__), name])
    work = tempfile.mkdtemp(prefix="streamtop-capture43.")
    try:
        for d in globals()["run_" + name](work):
            size = sum(os.path.getsize(os.path.join(r, n)) for r, _, fs in os.walk(d) for n in fs)
            print("captured %s (%d bytes)" % (d, size))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
