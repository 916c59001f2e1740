"""A Spark 4.3 driver running one query in real-time mode, meant to be killed: the Kafka topic
"events" read from the earliest offset and written, key and value as strings, to the topic
"out" (real-time mode refuses the memory sink; the query is tests/spark/capture43.py's `rtm`),
with trigger(realTime=TRIGGER). Run in its own process group by tests/spark/rtm.py through
lib/killable_client.py, with the spark43 virtualenv's python.

Argument: a JSON object {"work": DIR, "name": "rtm", "bootstrap": "127.0.0.1:PORT",
"trigger": "10 seconds"}. The checkpoint is WORK/ckpt/NAME.
Stdout, one JSON object a line:
  {"started": ...}   the query is running
  {"progress": N}    one per progress event (a real-time batch reports when its trigger ends)
  {"truth": {...}}   answering {"op": "truth"} on stdin: the last planned and committed batch
                     as Spark's own OffsetSeqLog and CommitLog read them (no metadata cache),
                     with from_ms / at_ms bracketing the read
Stdin: {"op": "truth"}, {"op": "stop"} (stop the query and the session, print
{"stopped": true}, exit).
"""
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import env  # noqa: E402
from pyspark.sql import SparkSession  # noqa: E402
from pyspark.sql.streaming import StreamingQueryListener  # noqa: E402

ARGS = json.loads(sys.argv[1])
WORK = ARGS["work"]
NAME = ARGS.get("name", "rtm")
CHECKPOINT = os.path.join(WORK, "ckpt", NAME)
# where OffsetSeqLog and CommitLog live from Spark 4.1 on
CKPT = "org.apache.spark.sql.execution.streaming.checkpointing"
OUT_LOCK = threading.Lock()


def emit(doc):
    with OUT_LOCK:
        sys.stdout.write(json.dumps(doc) + "\n")
        sys.stdout.flush()


class Progress(StreamingQueryListener):
    def onQueryStarted(self, event):
        pass

    def onQueryProgress(self, event):
        emit({"progress": event.progress.batchId, "at_ms": int(time.time() * 1000)})

    def onQueryIdle(self, event):
        pass

    def onQueryTerminated(self, event):
        pass


def opt(o):
    return o.get() if o is not None and o.isDefined() else None


def truth(spark):
    pkg = getattr(spark._jvm, CKPT)
    js = spark._jsparkSession
    t = int(time.time() * 1000)
    last = opt(pkg.OffsetSeqLog(js, CHECKPOINT + "/offsets", False).getLatestBatchId())
    committed = opt(pkg.CommitLog(js, CHECKPOINT + "/commits", False).getLatestBatchId())
    return {"last_batch_id": last, "committed_batch_id": committed, "from_ms": t,
            "at_ms": int(time.time() * 1000)}


def main():
    t0 = time.time()
    spark = (SparkSession.builder.master("local[2]")
             .appName("streamtop-rtm")
             .config("spark.jars", ",".join(env.spark_jars()))
             .config("spark.sql.shuffle.partitions", "2")
             .config("spark.default.parallelism", "2")
             .config("spark.ui.enabled", "false")
             .config("spark.driver.memory", "512m")
             .getOrCreate())
    spark.sparkContext.setLogLevel("WARN")
    spark.streams.addListener(Progress())
    q = (spark.readStream.format("kafka").option("kafka.bootstrap.servers", ARGS["bootstrap"])
         .option("subscribe", "events").option("startingOffsets", "earliest").load()
         .selectExpr("CAST(key AS STRING) AS key", "CAST(value AS STRING) AS value")
         .writeStream.format("kafka").option("kafka.bootstrap.servers", ARGS["bootstrap"])
         .option("topic", "out").queryName(NAME).outputMode("update")
         .option("checkpointLocation", CHECKPOINT)
         .trigger(realTime=ARGS.get("trigger", "10 seconds")).start())
    emit({"started": True, "seconds": round(time.time() - t0, 1), "spark": spark.version,
          "checkpoint": CHECKPOINT, "pid": os.getpid(), "pgid": os.getpgid(0)})
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
