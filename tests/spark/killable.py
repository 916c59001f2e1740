"""A Spark driver meant to be killed: one streaming query (the rate source into foreachBatch,
which counts the batch and appends it to a Parquet folder), run in its own process group by the
harness (tests/spark/restart.py, bench/detect.py) with the project virtualenv's python.

Batch SLEEP_BATCH, the first time it runs, writes MARKER (JSON: the batch id and when it began
sleeping) and then sleeps SLEEP_S: a batch in flight for as long as the harness wants, to be
ended by SIGKILL. A driver started again on the same checkpoint finds MARKER and re-runs that
batch without sleeping. A StreamingQueryListener writes each progress event as a JSON line in
WORK/progress/<name>.jsonl and prints {"progress": batchId} on stdout.

Argument: a JSON object
  {"work": DIR, "name": "killed", "trigger": "1 second", "rows_per_second": 20,
   "sleep_batch": N or null, "sleep_s": 600, "marker": PATH, "truth_first": bool}
Stdout, one JSON object a line:
  {"truth": {...}}   with truth_first, before the query starts: what a fresh Spark session reads
                     from the checkpoint through Spark's own OffsetSeqLog and CommitLog
  {"started": ...}   the query is running
  {"progress": N}    one per progress event
Stdin, one JSON object a line: {"op": "truth"} (the same logs now, answered with a "truth"
line), {"op": "stop"} (stop the query and the session, print {"stopped": true}, exit).
"""
import json
import os
import sys
import threading
import time

from pyspark.sql import SparkSession
from pyspark.sql.streaming import StreamingQueryListener

ARGS = json.loads(sys.argv[1])
WORK = ARGS["work"]
NAME = ARGS.get("name", "killed")
CHECKPOINT = os.path.join(WORK, "ckpt", NAME)
OUTPUT = os.path.join(WORK, "out", NAME)
PROGRESS = os.path.join(WORK, "progress")
SLEEP_BATCH = ARGS.get("sleep_batch")
MARKER = ARGS.get("marker") or os.path.join(WORK, NAME + ".sleeping")
OUT_LOCK = threading.Lock()


def emit(doc):
    with OUT_LOCK:
        sys.stdout.write(json.dumps(doc) + "\n")
        sys.stdout.flush()


class Progress(StreamingQueryListener):
    def onQueryStarted(self, event):
        pass

    def onQueryProgress(self, event):
        doc = json.loads(event.progress.json)
        with open(os.path.join(PROGRESS, NAME + ".jsonl"), "a") as f:
            f.write(json.dumps(doc, separators=(",", ":")) + "\n")
        emit({"progress": doc["batchId"], "at_ms": int(time.time() * 1000)})

    def onQueryIdle(self, event):
        pass

    def onQueryTerminated(self, event):
        pass


def session():
    s = (
        SparkSession.builder.master("local[2]")
        .appName("streamtop-killable")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "512m")
        .getOrCreate()
    )
    s.sparkContext.setLogLevel("WARN")
    return s


def opt(o):
    return o.get() if o.isDefined() else None


def truth(spark):
    """The last planned and committed batch as Spark's own log classes read them."""
    st = spark._jvm.org.apache.spark.sql.execution.streaming
    js = spark._jsparkSession
    offlog = st.OffsetSeqLog(js, CHECKPOINT + "/offsets")
    last = opt(offlog.getLatestBatchId())
    meta = opt(offlog.get(last)).metadata() if last is not None else None
    return {
        "last_batch_id": last,
        "committed_batch_id": opt(st.CommitLog(js, CHECKPOINT + "/commits").getLatestBatchId()),
        # when Spark planned the last batch (OffsetSeqMetadata.batchTimestampMs)
        "batch_timestamp_ms": opt(meta).batchTimestampMs() if meta is not None else None,
        "at_ms": int(time.time() * 1000),
    }


def batch(df, batch_id):
    df.write.mode("append").parquet(OUTPUT)
    if batch_id == SLEEP_BATCH and not os.path.exists(MARKER):
        tmp = MARKER + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"batch": batch_id, "at_ms": int(time.time() * 1000)}, f)
        os.rename(tmp, MARKER)
        time.sleep(float(ARGS.get("sleep_s", 600)))


def main():
    os.makedirs(PROGRESS, exist_ok=True)
    t0 = time.time()
    spark = session()
    if ARGS.get("truth_first"):
        emit({"truth": truth(spark)})
    spark.streams.addListener(Progress())
    df = spark.readStream.format("rate").option("rowsPerSecond", ARGS.get("rows_per_second", 20)).load()
    q = (df.writeStream.foreachBatch(batch).queryName(NAME)
         .option("checkpointLocation", CHECKPOINT)
         .trigger(processingTime=ARGS.get("trigger", "1 second")).start())
    emit({"started": True, "seconds": round(time.time() - t0, 1), "spark": spark.version,
          "checkpoint": CHECKPOINT, "progress_file": os.path.join(PROGRESS, NAME + ".jsonl"),
          "pid": os.getpid(), "pgid": os.getpgid(0)})
    for line in sys.stdin:
        try:
            req = json.loads(line)
        except ValueError:
            continue
        if req.get("op") == "truth":
            emit({"truth": truth(spark)})
        elif req.get("op") == "stop":
            break
    q.stop()
    spark.stop()
    emit({"stopped": True})


if __name__ == "__main__":
    main()
