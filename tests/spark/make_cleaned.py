"""Write a Delta table whose _delta_log Delta itself has cleaned past its checkpoint, the normal
state of a long-running streaming sink after delta.logRetentionDuration, and record what Delta's
own reader (DeltaLog.forTable) says of it.

    .venv/spark4/bin/python tests/spark/make_cleaned.py WORK [--fixture OUT]

WORK (created; must not exist) receives:
  landing/        four JSON files, one a batch
  checkpoint/     the streaming query's checkpoint
  table/          the Delta table: CREATE TABLE at version 0 (the only metaData), the query's
                  four batches at versions 1-4 (txn of its query id, versions 0-3), batch appends
                  at 5, 6 and 7; checkpointInterval 2, logRetentionDuration 1 day. Before
                  version 6 every log file is dated back 5 days, so the checkpoint Delta writes
                  at 6 lets its MetadataCleanup delete versions 0-5 (commits, checksums and the
                  checkpoints at 2 and 4): what is left is 6.json, 6.crc, 6.checkpoint.parquet,
                  7.json, 7.crc and _last_checkpoint. No commit left has metaData or a txn.
  expected.json   the query's last batch (Spark's OffsetSeqLog) and Delta's answers: snapshot version, table id, schema (fields with Spark's type
                  names and nullability), the query's txn version, and the same answers read
                  again from a copy of the log without its .crc files (through the parquet
                  checkpoint), plus the files the log holds.
With --fixture OUT: OUT/_delta_log (a copy of the table's log; no data files) and
OUT/expected.json, the project's fixture (tests/fixtures/live/spark-4.0.0/cleaned).

Everything asserted here comes from Delta and Spark (py4j); streamtop's readers are not used.
Jars: as the live suite passes them (tests/spark/lib/env.py spark_jars()).
"""
import json
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import env  # noqa: E402

DAY_S = 86400
BATCHES = 4


def session():
    from pyspark.sql import SparkSession

    s = (
        SparkSession.builder.master("local[1]")
        .appName("streamtop-cleaned-log")
        .config("spark.jars", ",".join(env.spark_jars()))
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.default.parallelism", "1")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "512m")
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
        .config("spark.databricks.delta.snapshotPartitions", "1")
        .getOrCreate()
    )
    s.sparkContext.setLogLevel("WARN")
    return s


def log_files(table):
    d = os.path.join(table, "_delta_log")
    return sorted(n for n in os.listdir(d) if not n.startswith("."))


def backdate(table, days):
    """Date every file of the log back (Delta's cleanup compares file modification times with
    now - logRetentionDuration truncated to the day)."""
    d = os.path.join(table, "_delta_log")
    t = time.time() - days * DAY_S
    for n in os.listdir(d):
        p = os.path.join(d, n)
        if os.path.isfile(p):
            os.utime(p, (t, t))


def delta_answers(spark, table):
    """What DeltaLog.forTable says of the table now (a fresh snapshot)."""
    jvm = spark._jvm
    dl = jvm.org.apache.spark.sql.delta.DeltaLog
    dl.clearCache()
    snap = dl.forTable(spark._jsparkSession, table).unsafeVolatileSnapshot()
    md = snap.metadata()
    fields = []
    for f in md.schema().fields():
        dt = f.dataType()
        fields.append({"name": f.name(), "type": json.loads(dt.json()) if dt.typeName() == "struct"
                       else dt.typeName(), "nullable": f.nullable()})
    txns = snap.transactions()
    it = txns.iterator()
    txn = {}
    while it.hasNext():
        kv = it.next()
        txn[kv._1()] = kv._2()
    return {
        "version": snap.version(),
        "table_id": md.id(),
        "schema_string": md.schemaString(),
        "fields": fields,
        "transactions": txn,
    }


def main():
    args = sys.argv[1:]
    if not args or args[0].startswith("-"):
        sys.exit(__doc__)
    work = os.path.abspath(args[0])
    fixture = os.path.abspath(args[args.index("--fixture") + 1]) if "--fixture" in args else None
    os.makedirs(work)
    landing, ckpt, table = (os.path.join(work, n) for n in ("landing", "checkpoint", "table"))
    os.makedirs(landing)
    for b in range(BATCHES):
        with open(os.path.join(landing, "part-%d.json" % b), "w") as f:
            for i in range(3):
                n = b * 3 + i
                f.write(json.dumps({"id": n, "name": "n%d" % n, "amount": n * 1.5,
                                    "payload": {"device": "d%d" % (n % 2), "battery": 90 - n}}) + "\n")
    spark = session()
    try:
        from pyspark.sql.types import (DoubleType, IntegerType, LongType, StringType,
                                       StructField, StructType)

        # version 0: the table's one metaData (id NOT NULL: a nullability Delta records)
        spark.sql(
            "CREATE TABLE delta.`%s` (id BIGINT NOT NULL, name STRING, amount DOUBLE, "
            "payload STRUCT<device: STRING, battery: INT>) USING delta TBLPROPERTIES ("
            "'delta.checkpointInterval' = '2', 'delta.logRetentionDuration' = 'interval 1 days')"
            % table)
        schema = StructType([
            StructField("id", LongType()), StructField("name", StringType()),
            StructField("amount", DoubleType()),
            StructField("payload", StructType([StructField("device", StringType()),
                                               StructField("battery", IntegerType())])),
        ])
        # versions 1-4: one STREAMING UPDATE (with its txn) per file
        q = (spark.readStream.schema(schema).option("maxFilesPerTrigger", 1).json(landing)
             .writeStream.format("delta").option("checkpointLocation", ckpt)
             .trigger(availableNow=True).start(table))
        q.awaitTermination(120)
        query_id = str(q.id)
        # the query's last batch, as Spark's own offset log reads it
        latest = spark._jvm.org.apache.spark.sql.execution.streaming.OffsetSeqLog(
            spark._jsparkSession, os.path.join(ckpt, "offsets")).getLatestBatchId()
        last_batch = latest.get() if latest.isDefined() else None
        extra = spark.createDataFrame([(100, "late", 0.5, ("d9", 1))], schema)
        extra.write.format("delta").mode("append").save(table)  # version 5
        backdate(table, 5)
        extra.write.format("delta").mode("append").save(table)  # version 6: checkpoint + cleanup
        for _ in range(60):  # the cleanup runs after the checkpoint
            if not os.path.exists(os.path.join(table, "_delta_log", "%020d.json" % 5)):
                break
            time.sleep(0.5)
        extra.write.format("delta").mode("append").save(table)  # version 7
        files = log_files(table)
        if "%020d.json" % 0 in files:
            sys.exit("Delta did not clean the log: %s" % files)
        truth = delta_answers(spark, table)
        # the same table without its checksums: Delta reads the parquet checkpoint instead
        bare = tempfile.mkdtemp(prefix="bare-", dir=work)
        shutil.copytree(os.path.join(table, "_delta_log"), os.path.join(bare, "_delta_log"),
                        ignore=lambda d, names: [n for n in names if n.endswith(".crc")])
        without_crc = delta_answers(spark, bare)
        shutil.rmtree(bare)
        for k in ("version", "table_id", "schema_string", "transactions"):
            if truth[k] != without_crc[k]:
                sys.exit("Delta reads the log differently without its .crc files: %s" % k)
        expected = {
            "spark_version": spark.version,
            "delta_version": __import__("importlib.metadata").metadata.version("delta-spark"),
            "query_id": query_id,
            "last_batch_id": last_batch,  # OffsetSeqLog.getLatestBatchId
            "log_files": files,
            "delta": truth,
            "delta_without_crc": without_crc,
        }
        with open(os.path.join(work, "expected.json"), "w") as f:
            json.dump(expected, f, indent=1, sort_keys=True)
            f.write("\n")
    finally:
        spark.stop()
    if fixture:
        if os.path.exists(fixture):
            shutil.rmtree(fixture)
        os.makedirs(fixture)
        shutil.copytree(os.path.join(table, "_delta_log"), os.path.join(fixture, "_delta_log"))
        shutil.copy(os.path.join(work, "expected.json"), fixture)
    print(json.dumps({"log_files": files, "txn": truth["transactions"], "version": truth["version"]}))


if __name__ == "__main__":
    main()
