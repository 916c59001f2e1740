"""The Spark side of the live suite, run in its own process by the harness (run.py) with the
project virtualenv's python. It starts the scenarios' streaming queries on one local[2]
session, writes each query's progress as JSON lines through a StreamingQueryListener, and
answers requests on stdin, one JSON object a line, with one JSON line on stdout:

  {"op": "truth"}  what Spark itself says now, per query: query.lastProgress, the last planned
                   and committed batch from Spark's OffsetSeqLog / CommitLog, the end offsets of
                   those batches, the files of its FileStreamSourceLog, and the Delta sink's
                   version, schema and the query's txn version from DeltaLog.forTable
  {"op": "truth", "light": true}  the same without the file-source log and Delta (cheap)
  {"op": "stop_queries", "names": [...]}  stop those queries (default all) (the session stays up to answer "truth")
  {"op": "stop"}   stop the queries and the session, then exit

Everything here is Spark's own code reached through py4j; streamtop's readers are not used.
Argument: a JSON object {"work": DIR, "bootstrap": "127.0.0.1:PORT", "topic": T, "jars": [...]}
"""
import json
import os
import sys
import threading
import time

from pyspark.sql import SparkSession
from pyspark.sql.streaming import StreamingQueryListener
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
# the Delta sink of "files" read back as a stream (issue 13, 7b: what the offset says when the
# reader has caught up)
DSRC = {"checkpoint": os.path.join(WORK, "ckpt", "dsrc"), "source": FILES["sink"]}

# knobs (the harness reads them back from the "started" line)
FILES_TRIGGER = "2 seconds"
MAX_FILES_PER_TRIGGER = 1  # the feeder drops 2 files a second: a backlog builds
KAFKA_TRIGGER = "1 second"
MAX_OFFSETS_PER_TRIGGER = 150  # the producer writes 100 records/s, a batch takes >= 2.5 s
BATCH_DELAY_S = 2.5


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
    b = (
        SparkSession.builder.master("local[2]")
        .appName("streamtop-live")
        .config("spark.jars", ",".join(ARGS["jars"]))
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.ui.enabled", "false")
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


def opt(o):
    return o.get() if o.isDefined() else None


def progress_dict(q):
    p = q.lastProgress
    if p is None:
        return None
    if hasattr(p, "json"):
        return json.loads(p.json)
    return dict(p)


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


def truth(spark, queries, light=False):
    jvm = spark._jvm
    js = spark._jsparkSession
    st = jvm.org.apache.spark.sql.execution.streaming
    out = {"at_ms": int(time.time() * 1000)}
    for name, (q, paths) in list(queries.items()):
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
            "offsets_last": batch_offsets(offlog, last),
            "offsets_progress": batch_offsets(offlog, prog["batchId"]) if prog else None,
        }
        if name == "files" and not light:
            # metadataLogVersion 1: the version Spark writes ("v1" on each file's first line)
            srclog = st.FileStreamSourceLog(1, js, ck + "/sources/0")
            t["source_files"] = [e.path() for e in srclog.allFiles()]
            dl = jvm.org.apache.spark.sql.delta.DeltaLog
            dl.clearCache()  # a fresh snapshot, not the one cached when the sink last wrote
            snap = dl.forTable(js, paths["sink"]).unsafeVolatileSnapshot()
            t["sink_version"] = snap.version()
            t["sink_schema"] = json.loads(snap.metadata().schemaString()) if snap.version() >= 0 else None
            t["sink_txn_version"] = opt(snap.transactions().get(str(q.id))) if snap.version() >= 0 else None
            # Delta's own history: when each version was committed, and by which operation
            from delta.tables import DeltaTable

            t["sink_history"] = [
                {"version": r["version"], "ts_ms": int(r["timestamp"].timestamp() * 1000),
                 "operation": r["operation"]}
                for r in DeltaTable.forPath(spark, paths["sink"]).history().select(
                    "version", "timestamp", "operation").collect()
            ]
        if name == "dsrc" and not light:
            # rows the query has read (all its progress events) against the rows in the table
            t["rows_read"] = sum(p["numInputRows"] for p in (json.loads(x.json) if hasattr(x, "json") else x
                                                             for x in q.recentProgress))
            t["table_rows"] = spark.read.format("delta").load(paths["source"]).count()
            t["table_version"] = jvm.org.apache.spark.sql.delta.DeltaLog.forTable(
                js, paths["source"]).unsafeVolatileSnapshot().version()
        out[name] = t
    return out


def main():
    os.makedirs(PROGRESS, exist_ok=True)
    os.makedirs(FILES["source"], exist_ok=True)
    t0 = time.time()
    spark = session()
    spark.streams.addListener(ProgressToFiles())
    queries = {"files": (start_files(spark), FILES), "kafka": (start_kafka(spark), KAFKA)}

    def dsrc_later():
        # a Delta source needs a table with a commit (its _delta_log folder appears before
        # 0.json); "truth" answers without "dsrc" until then
        from delta.tables import DeltaTable

        while not DeltaTable.isDeltaTable(spark, FILES["sink"]):
            time.sleep(0.5)
        queries["dsrc"] = (start_dsrc(spark), DSRC)

    threading.Thread(target=dsrc_later, daemon=True).start()
    print(json.dumps({"started": True, "seconds": round(time.time() - t0, 1),
                      "spark": spark.version, "files": FILES, "kafka": KAFKA, "dsrc": DSRC,
                      "files_trigger": FILES_TRIGGER, "max_files_per_trigger": MAX_FILES_PER_TRIGGER,
                      "kafka_trigger": KAFKA_TRIGGER, "max_offsets_per_trigger": MAX_OFFSETS_PER_TRIGGER}),
          flush=True)
    for line in sys.stdin:
        try:
            req = json.loads(line)
            if req.get("op") == "truth":
                resp = truth(spark, queries, light=bool(req.get("light")))
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
