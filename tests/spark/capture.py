"""Capture small live checkpoints as fixtures (tests/fixtures/live/spark-<version>/<scenario>/).

Runs the scenarios the live suite has no committed fixture of, a few batches each on one
local[2] session, stops the queries and copies what they left: the checkpoint (hidden Hadoop
.crc files included), each Delta table's _delta_log (no parquet), the progress JSON lines of a
StreamingQueryListener and, for "evolve", the dead-letter prefix. Rerunnable: a scenario's
folder is replaced. Run under the live lock with the project virtualenv's python:

  flock /tmp/streamtop-live.lock .venv/spark4/bin/python tests/spark/capture.py [SCENARIO...]

Scenarios:
  rate    rate source (10 rows/s, 2 partitions), a 2 s watermark and a 2 s tumbling window
          count/sum, appended to a Delta table on a 1 s trigger (state on disk, HDFS provider)
  dsrc    a Delta table (2 versions written up front, then an append every 2 s) read as a
          stream with maxFilesPerTrigger=1 into foreachBatch: the reader stays behind the table
  evolve  JSON files read as text into foreachBatch: rows that parse go to a Delta table
          (mergeSchema; a new column "channel" from the third file on; txnAppId/txnVersion, so
          the table keeps a txn of the query), rows that do not go to dlq/dt=<day>/ as JSON lines
"""
import json
import os
import shutil
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import env  # noqa: E402

from pyspark.sql import SparkSession  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402
from pyspark.sql.streaming import StreamingQueryListener  # noqa: E402

BATCHES = 4  # committed batches each query runs before it is stopped


class ProgressToFiles(StreamingQueryListener):
    def __init__(self, folder):
        super().__init__()
        self.folder = folder

    def onQueryStarted(self, event):
        pass

    def onQueryProgress(self, event):
        p = event.progress
        with open(os.path.join(self.folder, (p.name or str(p.id)) + ".jsonl"), "a") as f:
            f.write(json.dumps(json.loads(p.json), separators=(",", ":")) + "\n")

    def onQueryIdle(self, event):
        pass

    def onQueryTerminated(self, event):
        pass


def session():
    # the configuration of tests/spark/driver.py session()
    return (
        SparkSession.builder.master("local[2]")
        .appName("streamtop-capture")
        .config("spark.jars", ",".join(env.spark_jars()))
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "768m")
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
        .config("spark.databricks.delta.snapshotPartitions", "2")
        .config("spark.sql.streaming.stateStore.providerClass",
                "org.apache.spark.sql.execution.streaming.state.HDFSBackedStateStoreProvider")
        .getOrCreate()
    )


def start_rate(spark, work):
    df = (spark.readStream.format("rate").option("rowsPerSecond", 10).option("numPartitions", 2)
          .load()
          .withWatermark("timestamp", "2 seconds")
          .groupBy(F.window("timestamp", "2 seconds"))
          .agg(F.count("*").alias("n"), F.sum("value").alias("total")))
    return (df.writeStream.format("delta").outputMode("append").queryName("rate")
            .option("checkpointLocation", os.path.join(work, "rate", "checkpoint"))
            .trigger(processingTime="1 second").start(os.path.join(work, "rate", "sink")))


def start_dsrc(spark, work, stop):
    table = os.path.join(work, "dsrc", "table")

    def append(i):  # one small file a version, so the table's version checksums stay small
        spark.range(i * 10, i * 10 + 10, numPartitions=1).withColumn("v", F.col("id") * 2) \
            .write.format("delta").mode("append").save(table)

    for i in range(2):
        append(i)

    def writer():
        i = 2
        while not stop.is_set():
            append(i)
            i += 1
            stop.wait(2.0)

    threading.Thread(target=writer, daemon=True).start()

    def slow(df, batch_id):
        df.count()
        time.sleep(1.0)

    df = spark.readStream.format("delta").option("maxFilesPerTrigger", 1).load(table)
    return (df.writeStream.foreachBatch(slow).queryName("dsrc")
            .option("checkpointLocation", os.path.join(work, "dsrc", "checkpoint"))
            .trigger(processingTime="1 second").start())


def start_evolve(spark, work, stop):
    base = os.path.join(work, "evolve")
    landing, table, dlq = (os.path.join(base, n) for n in ("landing", "table", "dlq"))
    day = "2026-12-01"
    os.makedirs(os.path.join(landing, "dt=" + day), exist_ok=True)
    scratch = os.path.join(base, "scratch")
    os.makedirs(scratch, exist_ok=True)

    def feeder():
        n = 0
        while not stop.is_set() and n < 20:
            tmp = os.path.join(scratch, "part-%05d.json" % n)
            with open(tmp, "w") as f:
                for i in range(4):
                    row = {"id": n * 4 + i, "amount": i * 1.5}
                    if n >= 2:
                        row["channel"] = "web" if i % 2 else "app"
                    f.write(json.dumps(row) + "\n")
                f.write('{"id": %d, "amount": "12,50"\n' % (n * 4 + 99))  # broken: no closing }
            os.rename(tmp, os.path.join(landing, "dt=" + day, "part-%05d.json" % n))
            n += 1
            stop.wait(1.0)

    threading.Thread(target=feeder, daemon=True).start()
    qid = {}

    def route(df, batch_id):
        while "id" not in qid:  # set just after start() returns
            time.sleep(0.05)
        parsed = df.withColumn("j", F.from_json("value", "id long, amount double, channel string",
                                                {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": "_bad"}))
        ok = F.col("value").rlike(r"^\{.*\}\s*$")
        good = parsed.where(ok).select("j.*")
        if good.where(F.col("channel").isNull()).count() == good.count():
            good = good.drop("channel")  # files before the third have no channel yet
        (good.write.format("delta").mode("append").option("mergeSchema", "true")
         .option("txnAppId", qid["id"]).option("txnVersion", batch_id).save(table))
        bad = parsed.where(~ok).select(F.col("value").alias("record"),
                                        F.lit("unparsable JSON").alias("reason"))
        if bad.count():
            (bad.coalesce(1).write.mode("append")
             .json(os.path.join(dlq, "dt=" + day, "batch=%d" % batch_id)))

    df = spark.readStream.format("text").option("maxFilesPerTrigger", 1).load(landing)
    q = (df.writeStream.foreachBatch(route).queryName("evolve")
         .option("checkpointLocation", os.path.join(base, "checkpoint"))
         .trigger(processingTime="1 second"))
    # the txn app id is the query id, which Spark assigns at start: take it from the checkpoint
    # metadata Spark writes before the first batch
    q = q.start()
    qid["id"] = str(q.id)
    return q


def committed(work, name):
    d = os.path.join(work, name, "checkpoint", "commits")
    if not os.path.isdir(d):
        return -1
    ids = [int(n) for n in os.listdir(d) if n.isdigit()]
    return max(ids) if ids else -1


def copy_tree(src, dst, keep):
    """Copy src to dst, only files for which keep(relpath) is true."""
    for root, _, files in os.walk(src):
        for n in files:
            rel = os.path.relpath(os.path.join(root, n), src)
            if keep(rel):
                os.makedirs(os.path.dirname(os.path.join(dst, rel)), exist_ok=True)
                shutil.copy2(os.path.join(root, n), os.path.join(dst, rel))


def no_parquet(rel):
    return ".parquet" not in rel and "_delta_log" in rel


def main():
    wanted = sys.argv[1:] or ["rate", "dsrc", "evolve"]
    work = tempfile.mkdtemp(prefix="streamtop-capture.")
    progress = os.path.join(work, "progress")
    os.makedirs(progress)
    spark = session()
    spark.sparkContext.setLogLevel("WARN")
    spark.streams.addListener(ProgressToFiles(progress))
    stop = threading.Event()
    queries = {}
    if "rate" in wanted:
        queries["rate"] = start_rate(spark, work)
    if "dsrc" in wanted:
        queries["dsrc"] = start_dsrc(spark, work, stop)
    if "evolve" in wanted:
        queries["evolve"] = start_evolve(spark, work, stop)
    deadline = time.time() + 240
    while time.time() < deadline and any(committed(work, n) < BATCHES for n in queries):
        for n, q in queries.items():
            if q.exception() is not None:
                raise SystemExit("%s failed: %s" % (n, q.exception()))
        time.sleep(0.5)
    stop.set()
    for q in queries.values():
        q.stop()
    version = spark.version
    spark.stop()
    out_root = os.path.join(env.ROOT, "tests", "fixtures", "live", "spark-" + version)
    for n in queries:
        out = os.path.join(out_root, n)
        shutil.rmtree(out, ignore_errors=True)
        copy_tree(os.path.join(work, n, "checkpoint"), os.path.join(out, "checkpoint"), lambda r: True)
        for table in ("sink", "table"):
            src = os.path.join(work, n, table)
            if os.path.isdir(src):
                copy_tree(src, os.path.join(out, table), no_parquet)
        if n == "evolve":
            copy_tree(os.path.join(work, n, "dlq"), os.path.join(out, "dlq"), lambda r: True)
        if os.path.exists(os.path.join(progress, n + ".jsonl")):
            shutil.copy2(os.path.join(progress, n + ".jsonl"), os.path.join(out, "progress.jsonl"))
        print("captured %s: %d batches committed -> %s" % (n, committed(work, n) + 1, out))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
