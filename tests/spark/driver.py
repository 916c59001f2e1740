"""The Spark side of the live suite, run in its own process by the harness (run.py) with the
project virtualenv's python. It starts the scenarios' streaming queries on one local[2]
session, writes each query's progress as JSON lines through a StreamingQueryListener, and
answers requests on stdin, one JSON object a line, with one JSON line on stdout:

  {"op": "truth"}  what Spark itself says now, per query: query.lastProgress, the last planned
                   and committed batch from Spark's OffsetSeqLog / CommitLog, the end offsets of
                   those batches, the files of its FileStreamSourceLog, and the Delta sink's
                   version, schema and the query's txn version from DeltaLog.forTable
  {"op": "truth", "light": true}  the same without the file-source log, Delta and the
                   dead-letter folder (cheap)
  {"op": "truth", "ids": true}  only each query's planned and committed batch and lastProgress's
                   batch (cheapest: for streamtop passes in a tight loop)
  {"op": "stop_queries", "names": [...]}  stop those queries (default all) (the session stays up to answer "truth")
  {"op": "append_table", "path": P, "times": N}  N batch appends to the Delta table at P (another
                   writer), answering Delta's version after each
  {"op": "stop"}   stop the queries and the session, then exit

Everything here is Spark's own code reached through py4j; streamtop's readers are not used.
Argument: a JSON object {"work": DIR, "bootstrap": "127.0.0.1:PORT", "topic": T, "jars": [...]}

The driver's own log goes to WORK/spark-driver.log through a log4j2 configuration given with
spark.driver.extraJavaOptions (the streaming classes at INFO: the "Streaming query made
progress" blocks), and the Spark UI serves the PrometheusServlet on a port of its own choosing
(reported in the "started" line as "ui_port").
"""
import json
import os
import sys
import threading
import time

from pyspark.sql import SparkSession
from pyspark.sql.streaming import StreamingQueryListener
from pyspark.sql import functions as F
from pyspark.sql.types import DoubleType, LongType, StringType, StructField, StructType

ARGS = json.loads(sys.argv[1])
WORK = ARGS["work"]
PROGRESS = os.path.join(WORK, "progress")

# what each scenario's query reads and writes (the harness writes the same paths into the
# streamtop config)
FILES = {
    "checkpoint": os.path.join(WORK, "ckpt", "files"),
    "source": os.path.join(WORK, "landing"),
    "sink": os.path.join(WORK, "tables", "events"),
}
KAFKA = {"checkpoint": os.path.join(WORK, "ckpt", "kafka")}
# the Delta sink of "files" read back as a stream (what the offset says when the
# reader has caught up)
DSRC = {"checkpoint": os.path.join(WORK, "ckpt", "dsrc"), "source": FILES["sink"]}
# a rate source with a watermark and a windowed count: state on disk, a watermark that trails
RATE = {"checkpoint": os.path.join(WORK, "ckpt", "rate")}
# JSON files whose rows gain a column midway, into foreachBatch: good rows appended to a Delta
# table with mergeSchema (idempotent: txnAppId = the query id, txnVersion = the batch), rows
# that fail parsing written as JSON files to a dead-letter folder
EVOLVE = {
    "checkpoint": os.path.join(WORK, "ckpt", "evolve"),
    "source": os.path.join(WORK, "landing_evolve"),
    "sink": os.path.join(WORK, "tables", "evolve"),
    "deadletter": os.path.join(WORK, "deadletter", "evolve"),
}
DRIVER_LOG = os.path.join(WORK, "spark-driver.log")

# knobs (the harness reads them back from the "started" line)
FILES_TRIGGER = "2 seconds"
MAX_FILES_PER_TRIGGER = 1  # the feeder drops 2 files a second: a backlog builds
KAFKA_TRIGGER = "1 second"
MAX_OFFSETS_PER_TRIGGER = 150  # the producer writes 100 records/s, a batch takes >= 2.5 s
BATCH_DELAY_S = 2.5
RATE_TRIGGER = "4 seconds"  # room between batches for a live bracket (a pass and two reads of Spark)
RATE_ROWS_PER_SECOND = 5
WATERMARK_DELAY = "10 seconds"
WINDOW = "4 seconds"
EVOLVE_TRIGGER = "2 seconds"

# what the evolve query's foreachBatch wrote, as it wrote it (the harness's truth for the
# dead-letter folder beside Spark's own listing of it)
EVOLVE_WRITTEN = {"bad_rows": 0, "good_rows": 0, "batches_with_bad": 0}

LOG4J2 = """
rootLogger.level = warn
rootLogger.appenderRef.console.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n%ex
appender.file.type = File
appender.file.name = file
appender.file.fileName = {log}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n%ex
logger.streaming.name = org.apache.spark.sql.execution.streaming
logger.streaming.level = info
logger.streaming.additivity = false
logger.streaming.appenderRef.file.ref = file
logger.streaming.appenderRef.console.ref = console
logger.streaming.appenderRef.console.level = warn
"""


def log(*a):
    print(*a, file=sys.stderr, flush=True)


class ProgressToFiles(StreamingQueryListener):
    """One JSON line per progress event in PROGRESS/<query name>.jsonl (written whole, then
    flushed: a reader may see the last line only partly written, as with any live file)."""

    def onQueryStarted(self, event):
        pass

    def onQueryProgress(self, event):
        p = event.progress
        doc = json.loads(p.json)
        with open(os.path.join(PROGRESS, (p.name or str(p.id)) + ".jsonl"), "a") as f:
            f.write(json.dumps(doc, separators=(",", ":")) + "\n")

    def onQueryIdle(self, event):
        pass

    def onQueryTerminated(self, event):
        pass


def session():
    conf = os.path.join(WORK, "log4j2.properties")
    with open(conf, "w") as f:
        f.write(LOG4J2.replace("{log}", DRIVER_LOG))
    b = (
        SparkSession.builder.master("local[2]")
        .appName("streamtop-live")
        .config("spark.jars", ",".join(ARGS["jars"]))
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        # the JVM starts with these (pyspark passes the builder's settings to spark-submit)
        .config("spark.driver.extraJavaOptions", "-Dlog4j2.configurationFile=file:" + conf)
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "true")
        .config("spark.ui.port", "0")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.ui.retainedJobs", "50")
        .config("spark.ui.retainedStages", "50")
        .config("spark.sql.ui.retainedExecutions", "20")
        .config("spark.metrics.conf.*.sink.prometheusServlet.class",
                "org.apache.spark.metrics.sink.PrometheusServlet")
        .config("spark.metrics.conf.*.sink.prometheusServlet.path", "/metrics/prometheus")
        .config("spark.sql.streaming.metricsEnabled", "true")
        .config("spark.driver.memory", "768m")
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
        .config("spark.databricks.delta.snapshotPartitions", "2")
        .config("spark.sql.streaming.stateStore.providerClass",
                "org.apache.spark.sql.execution.streaming.state.HDFSBackedStateStoreProvider")
    )
    s = b.getOrCreate()
    s.sparkContext.setLogLevel("WARN")
    return s


def start_files(spark):
    schema = StructType([
        StructField("id", LongType()),
        StructField("name", StringType()),
        StructField("amount", DoubleType()),
        StructField("dt", StringType()),  # filled from the dt=... folder
    ])
    df = (spark.readStream.schema(schema).option("maxFilesPerTrigger", MAX_FILES_PER_TRIGGER)
          .json(FILES["source"]))
    return (df.writeStream.format("delta").queryName("files")
            .option("checkpointLocation", FILES["checkpoint"])
            .trigger(processingTime=FILES_TRIGGER).start(FILES["sink"]))


def slow_batch(df, batch_id):
    df.count()
    time.sleep(BATCH_DELAY_S)  # the deliberate delay: the query falls behind the producer


def start_kafka(spark):
    df = (spark.readStream.format("kafka")
          .option("kafka.bootstrap.servers", ARGS["bootstrap"])
          .option("subscribe", ARGS["topic"])
          .option("startingOffsets", "earliest")
          .option("maxOffsetsPerTrigger", MAX_OFFSETS_PER_TRIGGER)
          .load())
    return (df.writeStream.foreachBatch(slow_batch).queryName("kafka")
            .option("checkpointLocation", KAFKA["checkpoint"])
            .trigger(processingTime=KAFKA_TRIGGER).start())


def count_batch(df, batch_id):
    df.count()


def start_dsrc(spark):
    df = spark.readStream.format("delta").option("maxFilesPerTrigger", 1).load(DSRC["source"])
    return (df.writeStream.foreachBatch(count_batch).queryName("dsrc")
            .option("checkpointLocation", DSRC["checkpoint"])
            .trigger(processingTime="2 seconds").start())


def start_rate(spark):
    df = (spark.readStream.format("rate").option("rowsPerSecond", RATE_ROWS_PER_SECOND)
          .option("numPartitions", 1).load()
          .withWatermark("timestamp", WATERMARK_DELAY)
          .groupBy(F.window("timestamp", WINDOW)).count())
    return (df.writeStream.format("noop").outputMode("append").queryName("rate")
            .option("checkpointLocation", RATE["checkpoint"])
            .trigger(processingTime=RATE_TRIGGER).start())


EVOLVE_SCHEMA = StructType([
    StructField("id", LongType()),
    StructField("name", StringType()),
    StructField("amount", DoubleType()),
    StructField("extra", StringType()),  # written by the feeder from midway on
    StructField("_corrupt_record", StringType()),
])
EVOLVE_QID = [None]
EVOLVE_HAS_EXTRA = [False]


def evolve_batch(df, batch_id):
    """One Spark job reads the batch's few rows; the bad ones go to the dead-letter folder as
    JSON, the good ones to Delta with mergeSchema (the new column once a row carries it)."""
    while EVOLVE_QID[0] is None:  # start() has not returned yet
        time.sleep(0.05)
    spark = df.sparkSession
    rows = df.withColumn("_file", F.input_file_name()).collect()
    bad = [(r["_file"], r["_corrupt_record"], "malformed JSON") for r in rows if r["_corrupt_record"] is not None]
    good = [r for r in rows if r["_corrupt_record"] is None]
    if any(r["extra"] is not None for r in good):
        EVOLVE_HAS_EXTRA[0] = True
    if bad:
        # as Databricks' badRecordsPath writes them: the file, the raw record, the reason
        (spark.createDataFrame(bad, "path string, record string, reason string").coalesce(1)
         .write.mode("append").json(EVOLVE["deadletter"]))
        EVOLVE_WRITTEN["bad_rows"] += len(bad)  # in the folder now, whatever comes next
        EVOLVE_WRITTEN["batches_with_bad"] += 1
    cols = ["id", "name", "amount"] + (["extra"] if EVOLVE_HAS_EXTRA[0] else [])
    schema = StructType([f for f in EVOLVE_SCHEMA.fields if f.name in cols])
    out = spark.createDataFrame([tuple(r[c] for c in cols) for r in good], schema)
    (out.coalesce(1).write.format("delta").mode("append").option("mergeSchema", "true")
     .option("txnAppId", EVOLVE_QID[0]).option("txnVersion", batch_id).save(EVOLVE["sink"]))
    EVOLVE_WRITTEN["good_rows"] += len(good)


def start_evolve(spark):
    df = (spark.readStream.schema(EVOLVE_SCHEMA).option("maxFilesPerTrigger", 10)
          .option("columnNameOfCorruptRecord", "_corrupt_record").json(EVOLVE["source"]))
    q = (df.writeStream.foreachBatch(evolve_batch).queryName("evolve")
         .option("checkpointLocation", EVOLVE["checkpoint"])
         .trigger(processingTime=EVOLVE_TRIGGER).start())
    EVOLVE_QID[0] = str(q.id)
    return q


def opt(o):
    return o.get() if o.isDefined() else None


def progress_dict(q):
    """query.lastProgress as a dict, read as its JSON in one py4j call (pyspark 4's
    StreamingQueryProgress object is built field by field, a call each: seconds on a busy
    driver)."""
    jp = q._jsq.lastProgress()
    return json.loads(jp.json()) if jp is not None else None


def batch_offsets(offlog, batch):
    """The source offsets of a batch as Spark's OffsetSeqLog reads them (JSON, one per source)."""
    if batch is None:
        return None
    seq = opt(offlog.get(batch))
    if seq is None:
        return None
    offs = seq.offsets()
    out = []
    for i in range(offs.size()):
        o = opt(offs.apply(i))
        out.append(json.loads(o.json()) if o is not None else None)
    return out


def batch_watermark(offlog, batch):
    """batchWatermarkMs of a batch as Spark's OffsetSeqLog reads it (0 before any event time)."""
    if batch is None:
        return None
    seq = opt(offlog.get(batch))
    if seq is None:
        return None
    meta = opt(seq.metadata())
    return meta.batchWatermarkMs() if meta is not None else None


def delta_truth(spark, path, qid):
    """What Delta itself says of a table: version, schema, the txn of query qid, each version's
    commit time and operation (DeltaTable.history), and the versions that carry a metaData
    action (DeltaLog.getChanges)."""
    from delta.tables import DeltaTable

    jvm, js = spark._jvm, spark._jsparkSession
    dl = jvm.org.apache.spark.sql.delta.DeltaLog
    dl.clearCache()  # a fresh snapshot, not the one cached when the sink last wrote
    log = dl.forTable(js, path)
    snap = log.unsafeVolatileSnapshot()
    t = {"version": snap.version()}
    if snap.version() < 0:
        return t
    t["schema"] = json.loads(snap.metadata().schemaString())
    t["txn_version"] = opt(snap.transactions().get(qid))
    t["history"] = [
        {"version": r["version"], "ts_ms": int(r["timestamp"].timestamp() * 1000),
         "operation": r["operation"]}
        for r in DeltaTable.forPath(spark, path).history().select(
            "version", "timestamp", "operation").collect()
    ]
    meta_versions, commit_ms, schemas = [], {}, []
    it = log.getChanges(0, False)
    while it.hasNext():
        pair = it.next()
        acts = pair._2()
        for i in range(acts.size()):
            a = acts.apply(i)
            kind = a.getClass().getSimpleName()
            if kind == "Metadata":
                meta_versions.append(pair._1())
                schemas.append(json.loads(a.schemaString()))
            elif kind == "CommitInfo":
                commit_ms[pair._1()] = a.timestamp().getTime()
    t["commit_ms"] = {str(v): commit_ms.get(v) for v in meta_versions}
    t["metadata_schemas"] = schemas
    t["metadata_versions"] = meta_versions
    return t


def truth(spark, queries, light=False, ids=False, names=None):
    jvm = spark._jvm
    js = spark._jsparkSession
    st = jvm.org.apache.spark.sql.execution.streaming
    out = {"at_ms": int(time.time() * 1000)}
    for name, (q, paths) in list(queries.items()):
        if names and name not in names:
            continue
        ck = paths["checkpoint"]
        offlog = st.OffsetSeqLog(js, ck + "/offsets")
        last = opt(offlog.getLatestBatchId())
        committed = opt(st.CommitLog(js, ck + "/commits").getLatestBatchId())
        prog = progress_dict(q)
        t = {
            "query_id": str(q.id),
            "active": q.isActive,
            "last_batch_id": last,
            "committed_batch_id": committed,
            "last_progress": prog,
        }
        out[name] = t
        if ids:
            continue
        t["offsets_last"] = batch_offsets(offlog, last)
        t["offsets_progress"] = batch_offsets(offlog, prog["batchId"]) if prog else None
        t["watermark_last"] = batch_watermark(offlog, last)
        t["watermark_progress"] = batch_watermark(offlog, prog["batchId"]) if prog else None
        # the newest progress events Spark keeps (recentProgress), for the batch a progress
        # file has reached when lastProgress is already further
        rp = q._jsq.recentProgress()
        t["recent"] = [json.loads(rp[i].json()) for i in range(max(0, len(rp) - 8), len(rp))]
        if name == "evolve":
            t["written"] = dict(EVOLVE_WRITTEN)
        if light:
            continue
        if name == "files":
            # metadataLogVersion 1: the version Spark writes ("v1" on each file's first line)
            srclog = st.FileStreamSourceLog(1, js, ck + "/sources/0")
            t["source_files"] = [e.path() for e in srclog.allFiles()]
            t["sink"] = delta_truth(spark, paths["sink"], str(q.id))
        if name == "evolve":
            t["sink"] = delta_truth(spark, paths["sink"], str(q.id))
            # the dead-letter folder as Spark lists it (its data files, without _SUCCESS and
            # checksums), and the rows in them
            try:
                dl = spark.read.json(paths["deadletter"])
                t["deadletter_files"] = [uri_path(u) for u in dl.inputFiles()]
                t["deadletter_rows"] = dl.count()
            except Exception as e:  # nothing written yet: Spark says the path does not exist
                t["deadletter_files"], t["deadletter_rows"] = [], 0
                t["deadletter_error"] = str(e)[:200]
        if name == "dsrc":
            # rows the query has read (all its progress events) against the rows in the table
            t["rows_read"] = sum(json.loads(x.json())["numInputRows"] for x in q._jsq.recentProgress())
            t["table_rows"] = spark.read.format("delta").load(paths["source"]).count()
            t["table_version"] = jvm.org.apache.spark.sql.delta.DeltaLog.forTable(
                js, paths["source"]).unsafeVolatileSnapshot().version()
    return out


def uri_path(u):
    import urllib.parse

    return os.path.realpath(urllib.parse.unquote(urllib.parse.urlparse(u).path))


def main():
    os.makedirs(PROGRESS, exist_ok=True)
    os.makedirs(FILES["source"], exist_ok=True)
    os.makedirs(EVOLVE["source"], exist_ok=True)
    t0 = time.time()
    spark = session()
    spark.streams.addListener(ProgressToFiles())
    queries = {"files": (start_files(spark), FILES), "kafka": (start_kafka(spark), KAFKA),
               "rate": (start_rate(spark), RATE), "evolve": (start_evolve(spark), EVOLVE)}

    def dsrc_later():
        # a Delta source needs a table with a commit (its _delta_log folder appears before
        # 0.json); "truth" answers without "dsrc" until then
        from delta.tables import DeltaTable

        while not DeltaTable.isDeltaTable(spark, FILES["sink"]):
            time.sleep(0.5)
        queries["dsrc"] = (start_dsrc(spark), DSRC)

    threading.Thread(target=dsrc_later, daemon=True).start()
    ui = spark.sparkContext.uiWebUrl or ""
    print(json.dumps({"started": True, "seconds": round(time.time() - t0, 1),
                      "spark": spark.version, "files": FILES, "kafka": KAFKA, "dsrc": DSRC,
                      "rate": RATE, "evolve": EVOLVE, "driver_log": DRIVER_LOG,
                      "ui_port": int(ui.rsplit(":", 1)[1]) if ":" in ui.split("//")[-1] else None,
                      "app_id": spark.sparkContext.applicationId,
                      "files_trigger": FILES_TRIGGER, "max_files_per_trigger": MAX_FILES_PER_TRIGGER,
                      "kafka_trigger": KAFKA_TRIGGER, "max_offsets_per_trigger": MAX_OFFSETS_PER_TRIGGER}),
          flush=True)
    for line in sys.stdin:
        try:
            req = json.loads(line)
            if req.get("op") == "truth":
                resp = truth(spark, queries, light=bool(req.get("light")), ids=bool(req.get("ids")),
                             names=req.get("names"))
            elif req.get("op") == "append_table":
                # another writer: TIMES batch appends to the Delta table at PATH (a row of its
                # own, so the schema is the table's), each one commit; Delta's version after each
                path = req["path"]
                versions = []
                dl = spark._jvm.org.apache.spark.sql.delta.DeltaLog
                for _ in range(int(req.get("times", 1))):
                    spark.read.format("delta").load(path).limit(1).write.format("delta").mode(
                        "append").save(path)
                    dl.clearCache()
                    versions.append(dl.forTable(spark._jsparkSession, path).unsafeVolatileSnapshot().version())
                resp = {"versions": versions}
            elif req.get("op") == "stop_queries":
                for name, (q, _) in list(queries.items()):
                    if name in req.get("names", list(queries)):
                        q.stop()
                resp = {"stopped_queries": True}
            elif req.get("op") == "stop":
                break
            else:
                resp = {"error": "unknown op %r" % req.get("op")}
        except Exception as e:  # answered, so the harness can report it and carry on
            resp = {"error": "%s: %s" % (type(e).__name__, e)}
        print(json.dumps(resp), flush=True)
    for q, _ in list(queries.values()):
        try:
            q.stop()
        except Exception as e:
            log("stop:", e)
    spark.stop()
    print(json.dumps({"stopped": True}), flush=True)


if __name__ == "__main__":
    main()
