"""The live Spark suite: a KRaft broker and a Spark driver in subprocesses, five streaming queries
fed while they run, streamtop watching them, and each of streamtop's figures compared with
what Spark (or the broker, or the files Spark wrote) says itself. Prints TAP lines ("ok - ..."
etc.) for tests/run.sh. Run with the project virtualenv's python (tests/e2e/test_spark.sh does).

Scenarios (queries in tests/spark/driver.py, all on one local[2] session):
  files  JSON files dropped into landing/dt=.../ by a feeder thread (2 a second), read with
         maxFilesPerTrigger=1 on a 2 s trigger into a Delta table: a file backlog builds.
         Watched twice: progress from the listener's JSON lines (stream "files") and from the
         driver's log4j2 file, the log of every query (stream "files_log").
  kafka  a topic of 3 partitions, a producer at 100 records/s, read with maxOffsetsPerTrigger=150
         on a 1 s trigger into foreachBatch that sleeps 2.5 s: a record backlog builds.
  dsrc   the files query's Delta table read as a stream (maxFilesPerTrigger=1).
  rate   a rate source (5 rows/s) with withWatermark("timestamp", "10 seconds") and a count per
         4 s window (state on disk), append mode to noop; its progress from the live UI's
         PrometheusServlet (http://127.0.0.1:PORT/metrics/prometheus).
  evolve JSON files (one of 4 rows every 2 s, every third with a malformed line) into
         foreachBatch: good rows appended to Delta with mergeSchema (txnAppId = query id,
         txnVersion = batch), and from midway on with a new column "extra"; malformed rows
         (_corrupt_record) written with Spark's JSON writer to a dead-letter folder, which is
         the stream's `deadletter`.

Phases. (1) Wait for each query's first commit (20-70 s on 2 busy cores); passes meanwhile have
no error. Then the evolve sink's one schema is compared (version 0) and the feeder starts
writing the new column. (2) RUN_SECONDS (and at least MIN_PASSES checked passes: a sanitizer
build is slower) of streamtop passes in a tight loop (no sleep; each
continues from the previous pass's cursors in a history DB, as from cron) while a thread reads
Spark's planned and committed batch of every query over and over: each pass is checked against
the last read that ended before it began and the first that began after it ended: its
last_batch_id and committed_batch_id within them, no negative figure (ages, backlogs), no
error (files renamed, .tmp files, compactions and Delta checkpoints happen meanwhile). (3) Live
brackets, per stream: truth, streamtop, truth again; only a bracket in which Spark's planned
and committed batch did not move and the stream's progress source (listener file, driver log)
stayed at one batch is compared, its progress figures with that batch's event in
recentProgress (the servlet reads lastProgress when asked); tried for up to BRACKET_SECONDS,
each bracket begun right after a commit or a newly planned batch, its pass collecting that
stream alone (--select). A stream whose query never stood still that long (on a loaded machine
its batches run back to back) has its last pass checked as one over a moving query: right if it
equals Spark at some instant within it (batch ids between the two reads, progress figures those
of one batch the progress source held meanwhile), with a note of what moved in each try. (4) The
feeders and the producer pause; once a Kafka batch planned after the pause has reported
progress and the evolve query has written every row the feeder made, the queries are stopped
(the files query usually with a batch in flight), and every figure below is compared with
Spark's on that still state; then one more pass from the tight loop's cursors must give the
same figures as the fresh one.

How figures are compared (exactly unless a tolerance is named):
  last_batch_id, committed_batch_id   OffsetSeqLog / CommitLog getLatestBatchId (via spark._jvm)
  input_rows_per_second,
  processed_rows_per_second           the progress event of the batch the progress source had
                                      reached (recentProgress; lastProgress once stopped),
                                      relative 1e-6; for every progress source
  batch_duration_seconds (rate)       the servlet's latency gauge: durationMs.triggerExecution
                                      / 1000 of lastProgress, relative 1e-6
  watermark_lag_seconds (rate)        generated_at of the pass - batchWatermarkMs of the last
                                      planned batch (OffsetSeqLog.get(N).metadata), within
                                      1.5 ms (streamtop measures every age at generated_at;
                                      its watermark comes from that same offsets file)
  state_bytes (rate)                  the state store files under state/ as Spark left them
                                      (no .crc, .tmp or hidden files); and stateOperators
                                      numRowsTotal > 0 in lastProgress
  backlog_files, backlog_bytes        the landing listing (files not named .* or _*) minus the
                                      files of Spark's FileStreamSourceLog (allFiles)
  sink_lag_batches                    OffsetSeqLog's last batch - the Delta sink's txn version
                                      for the query id (DeltaLog.forTable snapshot); for evolve
                                      the txn that foreachBatch's idempotent writes left
  sink schema version                 the newest version with a metaData action
                                      (DeltaLog.getChanges): 0 before the new column, later the
                                      version mergeSchema wrote; its changed_at that version's
                                      commitInfo.timestamp exactly, and DeltaTable.history()'s
                                      timestamp at most 5 s after it (history gives the commit
                                      file's mtime when later: 2.1 s seen on a busy machine)
  schema changes (evolve)             from the cursors' pass: the fields the newest metaData
                                      added to the one before ("+ extra: string")
  deadletter_files, _bytes            the data files Spark's JSON reader finds in the folder
                                      (spark.read.json(...).inputFiles()) and their sizes; rows
                                      read back = malformed lines the feeder made = rows
                                      foreachBatch wrote there
  deadletter_newest_age_seconds       generated_at - the newest of those files' mtime, 1.5 ms
  backlog_versions (dsrc)             0 once the rows read (recentProgress) equal the table's
                                      rows; then 2 after another writer's two appends to that
                                      table (DeltaLog.forTable's version before and after them)
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

RUN_SECONDS = float(os.environ.get("STREAMTOP_SPARK_RUN_SECONDS", "15"))
MIN_PASSES = 11  # tight-loop passes that must lie between two reads of Spark's
BRACKET_SECONDS = float(os.environ.get("STREAMTOP_SPARK_BRACKET_SECONDS", "40"))  # live brackets are tried this long
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


class EvolveFeeder(threading.Thread):
    """Drops one JSON file of 4 rows into landing_evolve/ every 2 s (renamed in whole); every
    third file holds one malformed line instead of its last row. Once `extra` is set, its rows
    carry a new field "extra". Counts what it made: rows, malformed lines (kept, to know them
    again), files with the new field."""

    def __init__(self, landing, scratch):
        super().__init__(daemon=True)
        self.landing, self.scratch = landing, scratch
        self.paused, self.stopped, self.extra = threading.Event(), threading.Event(), threading.Event()
        self.n = self.rows = self.extra_files = 0
        self.malformed = []

    def run(self):
        while not self.stopped.is_set():
            if not self.paused.is_set():
                lines = []
                for i in range(4):
                    row = {"id": self.n * 4 + i, "name": "e%d" % i, "amount": i * 2.5}
                    if self.extra.is_set():
                        row["extra"] = "x%d" % self.n
                    lines.append(json.dumps(row))
                if self.n % 3 == 2:
                    lines[-1] = '{"id": %d, "name": "broken' % (self.n * 4 + 3)
                tmp = os.path.join(self.scratch, "evolve-%05d.json" % self.n)
                with open(tmp, "w") as f:
                    f.write("\n".join(lines) + "\n")
                os.rename(tmp, os.path.join(self.landing, "part-%05d.json" % self.n))
                if self.n % 3 == 2:
                    self.malformed.append(lines[-1])
                self.extra_files += 1 if self.extra.is_set() else 0
                self.rows += len(lines)
                self.n += 1
            self.stopped.wait(2.0)


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


def streamtop_export(cfg, with_time=False, db=":memory:", only=None):
    """One `streamtop export -f json` pass: {stream name: stream}, and with with_time also the
    pass's generated_at in epoch ms. With db ":memory:" the pass reads everything afresh; with a
    file it continues from the cursors the previous passes stored there, as from cron. With
    only, the pass collects that one stream (--select on its bracket label), so that it is
    short enough to fall between two of the query's batches on a loaded machine."""
    sel = ["--select", "bracket=" + only] if only else []
    r = subprocess.run([env.BIN, "-c", cfg, "--db", db, "export", "-f", "json"] + sel,
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError("streamtop export exited %d: %s" % (r.returncode, r.stderr[-2000:]))
    doc = json.loads(r.stdout)
    st = {s["name"]: s for s in doc["streams"]}
    return (st, iso_ms(doc["generated_at"])) if with_time else st


def write_config(path, work, started):
    f, k = started["files"], started["kafka"]
    r, e = started["rate"], started["evolve"]
    with open(path, "w") as out:
        out.write("""; written by tests/spark/run.py
[stream files]
labels     = bracket=files
checkpoint = {fc}
source     = {fs}
sink       = {fk}
progress   = {prog}/files.jsonl
trigger    = 2s

; the same query, its progress taken from the driver's log4j2 log
[stream files_log]
labels     = bracket=files_log
checkpoint = {fc}
progress   = {log}
trigger    = 2s

[stream dsrc]
labels     = bracket=dsrc
checkpoint = {dc}
source     = {ds}
trigger    = 2s

[stream kafka]
labels     = bracket=kafka
checkpoint = {kc}
progress   = {prog}/kafka.jsonl
trigger    = 1s

; its progress from the live UI's PrometheusServlet (the gauges carry the query's name)
[stream rate]
labels     = bracket=rate
checkpoint = {rc}
progress   = http://127.0.0.1:{port}/metrics/prometheus
trigger    = 4s

[stream evolve]
labels     = bracket=evolve
checkpoint = {ec}
source     = {es}
sink       = {ek}
deadletter = {ed}
progress   = {prog}/evolve.jsonl
trigger    = 2s
""".format(fc=f["checkpoint"], fs=f["source"], fk=f["sink"], kc=k["checkpoint"],
           dc=started["dsrc"]["checkpoint"], ds=started["dsrc"]["source"],
           rc=r["checkpoint"], port=started["ui_port"], log=started["driver_log"],
           ec=e["checkpoint"], es=e["source"], ek=e["sink"], ed=e["deadletter"],
           prog=os.path.join(work, "progress")))


WORK = [None]  # the run's folder, for failure details
DRIVER_LOG = [None]  # the driver's log4j2 file
# which query each streamtop stream watches
QUERY = {"files": "files", "files_log": "files", "kafka": "kafka", "dsrc": "dsrc",
         "rate": "rate", "evolve": "evolve"}
# how each stream's progress figures arrive: a listener's JSON lines, the driver's log4j2
# file, or the servlet (which reads lastProgress when asked, so it is never behind)
VIA = {"files": "jsonl", "kafka": "jsonl", "evolve": "jsonl", "files_log": "log", "rate": "servlet"}
LIVE = ("files", "files_log", "kafka", "rate", "evolve")


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


def log_batches():
    """{query id: batchId} of the last whole "Streaming query made progress: {" block of each
    query in the driver's log (the JSON is pretty-printed over many lines and ends with a "}"
    line; Spark logs it after lastProgress changed, so the log can be a batch behind)."""
    out, block = {}, None
    try:
        with open(DRIVER_LOG[0], "r", errors="replace") as f:
            for line in f:
                if block is not None:
                    block.append(line)
                    if line.rstrip("\n") == "}":
                        try:
                            doc = json.loads("".join(block))
                            out[doc["id"]] = doc.get("batchId")
                        except (ValueError, KeyError):
                            pass
                        block = None
                    continue
                i = line.find("Streaming query made progress: {")
                if i >= 0:
                    block = [line[i + len("Streaming query made progress: "):]]
    except OSError:
        pass
    return out


def progress_batches(streams, t):
    """Where each stream's progress source is now: the batch of its newest event, or
    lastProgress's batch for the servlet."""
    logs = log_batches() if any(VIA.get(x) == "log" for x in streams) else {}
    out = {}
    for x in streams:
        q = QUERY[x]
        if VIA.get(x) == "jsonl":
            out[x] = listener_batch(WORK[0], q)
        elif VIA.get(x) == "log":
            out[x] = logs.get((t.get(q) or {}).get("query_id"))
        elif VIA.get(x) == "servlet":
            out[x] = ((t.get(q) or {}).get("last_progress") or {}).get("batchId")
    return out


def stable(a, b, x, before, after):
    """The progress event streamtop's progress figures are compared with, or None: Spark's
    planned and committed batch of stream x's query did not move between the two reads a and
    b, and its progress source was at the same batch before streamtop ran and after; the
    event is that batch's in recentProgress (the first with its batchId: Spark 3.5+ appends
    idle events with the same batchId, which no progress file shows)."""
    q = QUERY[x]
    for k in ("last_batch_id", "committed_batch_id"):
        if a[q][k] != b[q][k]:
            return None
    if before[x] is None or before[x] != after[x]:
        return None
    for p in a[q].get("recent") or []:
        if p.get("batchId") == before[x]:
            return p
    return None


def unstable_why(a, b, x, before, after):
    """Why a bracket could not be compared exactly (for the notes): what moved."""
    q = QUERY[x]
    moved = ["%s %s->%s" % (k, a[q][k], b[q][k]) for k in ("last_batch_id", "committed_batch_id")
             if a[q][k] != b[q][k]]
    if before[x] is None or before[x] != after[x]:
        moved.append("progress source %s->%s" % (before[x], after[x]))
    return ", ".join(moved) or "batch %s not in recentProgress" % before[x]


def first_events(recent, lo, hi):
    """{batchId: the first event with it} of recentProgress, for batchIds lo..hi (lo None: any
    up to hi)."""
    out = {}
    for p in recent or []:
        b = p.get("batchId")
        if b is not None and b <= hi and (lo is None or b >= lo) and b not in out:
            out[b] = p
    return out


def compare_moving(x, t1, t2, s, gen_ms, before, after, when):
    """A pass during which Spark moved on: it is right if it equals Spark's state at some
    instant within it. Its batch ids lie between Spark's read before the pass began and the
    one after it ended; its progress figures are those of one batch the progress source held
    meanwhile (the first event of that batchId in recentProgress, read after the pass); its
    watermark lag, when its planned batch is one of the two reads', is measured from that
    batch's watermark."""
    q = QUERY[x]
    a, b, m = t1[q], t2[q], s["metrics"]
    tap.check("%s (%s): streamtop reads it without errors" % (x, when), not s["errors"], "\n".join(s["errors"]))
    tap.check("%s (%s): query id is Spark's" % (x, when), s.get("query_id") == a["query_id"],
              "%s vs %s" % (s.get("query_id"), a["query_id"]))
    for k, name in (("last_batch_id", "OffsetSeqLog"), ("committed_batch_id", "CommitLog")):
        lo, hi, v = a[k], b[k], m.get(k)
        tap.check("%s (%s): %s within %s.getLatestBatchId before and after the pass (%s..%s)" % (
            x, when, k, name, lo, hi), v is not None and hi is not None and (lo is None or lo <= v) and v <= hi,
            "streamtop %s" % v)
    pairs = [("inputRowsPerSecond", "input_rows_per_second"),
             ("processedRowsPerSecond", "processed_rows_per_second")]
    if VIA.get(x) == "servlet":
        pairs.append(("durationMs.triggerExecution", "batch_duration_seconds"))

    def want(p, key):
        if key.startswith("durationMs."):
            return p["durationMs"].get("triggerExecution") / 1000.0
        return p.get(key)

    events = first_events(b.get("recent"), before[x], after[x]) if after[x] is not None else {}
    match = [bid for bid, p in sorted(events.items())
             if all(close(m[metric], want(p, key)) for key, metric in pairs)]
    tap.check("%s (%s): %s = recentProgress of one batch the progress source held during the pass "
              "(%s..%s)" % (x, when, ", ".join(metric for _, metric in pairs), before[x], after[x]),
              bool(match), "streamtop %s; recentProgress %s" % (
                  {metric: m[metric] for _, metric in pairs},
                  {bid: {key: want(p, key) for key, _ in pairs} for bid, p in sorted(events.items())}))
    for t in (a, b):
        wm = t.get("watermark_last")
        if wm and m.get("last_batch_id") == t["last_batch_id"]:
            w = (gen_ms - wm) / 1000.0
            tap.check("%s (%s): watermark_lag_seconds = generated_at - batchWatermarkMs of batch %s "
                      "(OffsetSeqLog metadata) = %.3f" % (x, when, t["last_batch_id"], w),
                      m["watermark_lag_seconds"] is not None and abs(m["watermark_lag_seconds"] - w) < 0.0015,
                      "streamtop %s (origin %s)" % (
                          m["watermark_lag_seconds"], (s.get("origins") or {}).get("watermark_lag_seconds")))
            break


def planned_ms(p):
    """When a progress event's batch was planned (its trigger timestamp), epoch ms."""
    return iso_ms(p["timestamp"])


def iso_ms(text):
    from datetime import datetime

    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def close(a, b, rel=1e-6):
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))


def compare_live(x, t, s, when, gen_ms, allow_errors=(), p=None):
    """The figures of one stream that come from its checkpoint and its progress; t is the truth
    of its query, p the progress event its progress figures are compared with (default
    lastProgress), gen_ms the time of streamtop's pass (generated_at: every age and lag of the
    pass is measured at that instant)."""
    m = s["metrics"]
    errs = [e for e in s["errors"] if not any(a in e for a in allow_errors)]
    tap.check("%s (%s): streamtop reads it without errors" % (x, when), not errs, "\n".join(errs))
    tap.check("%s (%s): query id is Spark's" % (x, when), s.get("query_id") == t["query_id"],
              "%s vs %s" % (s.get("query_id"), t["query_id"]))
    tap.check("%s (%s): last_batch_id = OffsetSeqLog.getLatestBatchId (%s)" % (x, when, t["last_batch_id"]),
              m["last_batch_id"] == t["last_batch_id"], "streamtop %s" % m["last_batch_id"])
    tap.check("%s (%s): committed_batch_id = CommitLog.getLatestBatchId (%s)" % (x, when, t["committed_batch_id"]),
              m["committed_batch_id"] == t["committed_batch_id"], "streamtop %s" % m["committed_batch_id"])
    p = p or t["last_progress"]
    if not allow_errors:
        pairs = [("inputRowsPerSecond", "input_rows_per_second"),
                 ("processedRowsPerSecond", "processed_rows_per_second")]
        if VIA.get(x) == "servlet":
            pairs.append(("durationMs.triggerExecution", "batch_duration_seconds"))
        for key, metric in pairs:
            if key.startswith("durationMs."):
                want = p["durationMs"].get("triggerExecution") / 1000.0 if p else None
            else:
                want = p.get(key) if p else None
            tap.check("%s (%s): %s = recentProgress.%s of batch %s (%s)" % (x, when, metric, key, p and p["batchId"], want),
                      close(m[metric], want), "streamtop %s (origin %s); progress source's batch %s" % (
                          m[metric], (s.get("origins") or {}).get(metric), progress_batches([x], {QUERY[x]: t})[x]))
    wm = t.get("watermark_last")
    if wm:  # 0 before the first event time: no watermark yet
        want = (gen_ms - wm) / 1000.0
        tap.check("%s (%s): watermark_lag_seconds = generated_at - batchWatermarkMs of batch %s "
                  "(OffsetSeqLog metadata) = %.3f" % (x, when, t["last_batch_id"], want),
                  m["watermark_lag_seconds"] is not None and abs(m["watermark_lag_seconds"] - want) < 0.0015,
                  "streamtop %s (origin %s); lastProgress.eventTime %s" % (
                      m["watermark_lag_seconds"], (s.get("origins") or {}).get("watermark_lag_seconds"),
                      (p or {}).get("eventTime")))


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
    txn = f["sink"].get("txn_version")
    want_lag = f["last_batch_id"] - txn if txn is not None else None
    tap.check("files: sink_lag_batches = last batch - DeltaLog txn version (%s - %s)" % (f["last_batch_id"], txn),
              mf["sink_lag_batches"] == want_lag, "streamtop %s" % mf["sink_lag_batches"])
    # the sink's schema: one schema since version 0 (the query's first commit writes metaData)
    sink = compare_sink_schema("files", f["sink"], sf, "stopped")
    fields = [(x["name"], x["type"]) for x in (f["sink"].get("schema") or {}).get("fields", [])]
    tap.check("files: one schema, at version 0 (%s)" % fields,
              f["sink"].get("metadata_versions") == [0] and sink.get("version") == 0,
              "metaData versions %s" % f["sink"].get("metadata_versions"))

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


def fields_of(schema):
    return [(f["name"], f["type"] if isinstance(f["type"], str) else json.dumps(f["type"], sort_keys=True))
            for f in (schema or {}).get("fields", [])]


def compare_sink_schema(x, d, s, when):
    """The sink schema streamtop reports against Delta's own: its version is the table version
    of the newest metaData action (DeltaLog.getChanges), its time that version's
    commitInfo.timestamp (exactly), which DeltaTable.history() may show up to 5 s later (it
    gives the commit file's modification time when that is later)."""
    sink = (s.get("schema") or {}).get("sink") or {}
    want_v = d["metadata_versions"][-1] if d.get("metadata_versions") else None
    tap.check("%s (%s): sink schema version = newest metaData version in DeltaLog.getChanges %s"
              % (x, when, d.get("metadata_versions")),
              sink.get("version") == want_v and s["metrics"]["schema_version"] == want_v,
              "streamtop %s (schema_version %s)" % (json.dumps(sink)[:300], s["metrics"]["schema_version"]))
    hist = [h for h in d.get("history", []) if h["version"] == want_v]
    got = sink.get("changed_at")
    got_ms = iso_ms(got) if got else None
    ci = (d.get("commit_ms") or {}).get(str(want_v))
    tap.check("%s (%s): sink schema changed_at = commitInfo.timestamp of version %s (DeltaLog.getChanges: %s)"
              % (x, when, want_v, ci), got_ms is not None and got_ms == ci, "streamtop %s" % got)
    # history() gives the commit file's modification time when it is later than
    # commitInfo.timestamp: on a loaded machine seconds later (2.1 s seen)
    tap.check("%s (%s): and DeltaTable.history() timestamp of version %s is at most 5 s after it"
              % (x, when, want_v),
              got_ms is not None and hist and 0 <= hist[0]["ts_ms"] - got_ms <= 5000,
              "streamtop %s, history %s" % (got, hist))
    return sink


def compare_evolve(t, s, feeder, gen_ms):
    """Schema evolution on the Delta sink of foreachBatch and its dead-letter folder."""
    d, m = t["sink"], s["metrics"]
    sink = compare_sink_schema("evolve", d, s, "stopped")
    names = [f[0] for f in fields_of(d.get("schema"))]
    tap.check("evolve: the new column reached the Delta schema (mergeSchema) after version 0 (%s)" % names,
              "extra" in names and len(d.get("metadata_versions", [])) >= 2 and d["metadata_versions"][-1] > 0,
              "metaData versions %s" % d.get("metadata_versions"))
    want_lag = t["last_batch_id"] - d["txn_version"] if d.get("txn_version") is not None else None
    tap.check("evolve: sink_lag_batches = last batch - DeltaLog txn version of the query id (%s - %s)"
              % (t["last_batch_id"], d.get("txn_version")),
              m["sink_lag_batches"] == want_lag, "streamtop %s" % m["sink_lag_batches"])

    # the dead-letter folder: the files Spark's JSON reader finds in it, their sizes and times
    files = t["deadletter_files"]
    stats = {p: os.stat(p) for p in files}
    want_bytes = sum(x.st_size for x in stats.values())
    newest = max((x.st_mtime_ns // 1000000 for x in stats.values()), default=None)
    tap.note("evolve: %d malformed lines made, %s bad rows written by foreachBatch in %s batches, "
             "%s rows read back from %d dead-letter files" % (
                 len(feeder.malformed), t["written"]["bad_rows"], t["written"]["batches_with_bad"],
                 t["deadletter_rows"], len(files)))
    tap.check("evolve: every malformed line the feeder made is a dead-letter row (spark.read.json "
              "of the folder: %s of %d)" % (t["deadletter_rows"], len(feeder.malformed)),
              t["deadletter_rows"] == len(feeder.malformed) == t["written"]["bad_rows"] > 0,
              "foreachBatch wrote %s" % t["written"])
    tap.check("evolve: deadletter_files = the folder's data files as Spark lists them (inputFiles: %d)" % len(files),
              m["deadletter_files"] == len(files), "streamtop %s" % m["deadletter_files"])
    tap.check("evolve: deadletter_bytes = their sizes (%d)" % want_bytes,
              m["deadletter_bytes"] == want_bytes, "streamtop %s" % m["deadletter_bytes"])
    want_age = (gen_ms - newest) / 1000.0 if newest is not None else None
    tap.check("evolve: deadletter_newest_age_seconds = generated_at - newest file's mtime (%s)" % want_age,
              want_age is not None and m["deadletter_newest_age_seconds"] is not None
              and abs(m["deadletter_newest_age_seconds"] - want_age) < 0.0015,
              "streamtop %s" % m["deadletter_newest_age_seconds"])
    dls = s.get("deadletter") or s.get("deadletters") or []
    sample = ((dls[0] if dls else {}).get("sample") or {})
    tap.check("evolve: the dead-letter sample's record is a line the feeder broke",
              sample.get("record") in feeder.malformed, json.dumps(dls)[:400])


def compare_cursors(fresh, cont, truth):
    """A pass that continues from the tight loop's cursors (history.db) against the fresh pass:
    the same figures; and it knows what the evolve sink's schema change was, having seen the
    version before it (a fresh pass finds only the newest metaData)."""
    keys = ("last_batch_id", "committed_batch_id", "backlog_files", "backlog_bytes", "backlog_records",
            "backlog_versions", "sink_lag_batches", "schema_version", "deadletter_files",
            "deadletter_bytes", "state_bytes", "input_rows_per_second", "processed_rows_per_second")
    # (the rate stream's servlet is gone with its query: the cursors keep its last figures)
    diff = ["%s %s: fresh %s, from cursors %s" % (x, k, fresh[x]["metrics"].get(k), cont[x]["metrics"].get(k))
            for x in fresh for k in keys if fresh[x]["metrics"].get(k) != cont[x]["metrics"].get(k)
            and not (VIA.get(x) == "servlet" and "rows_per_second" in k)]
    tap.check("a pass from the stored cursors gives the fresh pass's figures", not diff, "\n".join(diff))
    sink = (cont["evolve"].get("schema") or {}).get("sink") or {}
    schemas = truth["evolve"]["sink"].get("metadata_schemas") or []
    want = None
    if len(schemas) >= 2:
        old = {f["name"] for f in schemas[-2]["fields"]}
        want = ["+ %s: %s" % (f["name"], f["type"]) for f in schemas[-1]["fields"] if f["name"] not in old]
    tap.check("evolve: from the cursors, the schema change is named: %s = the fields the newest "
              "metaData added to the one before (DeltaLog.getChanges)" % sink.get("changes"),
              want and sink.get("changes") == want, "Delta: %s; streamtop %s" % (want, json.dumps(sink)[:300]))


def state_listing(ckpt):
    """Bytes of the state store's files as Spark left them (checksums, temp and hidden files
    aside), and how many there are."""
    total = n = 0
    for dirpath, dirs, files in os.walk(os.path.join(ckpt, "state")):
        for f in files:
            if f.startswith(".") or f.endswith((".crc", ".tmp")):
                continue
            total += os.stat(os.path.join(dirpath, f)).st_size
            n += 1
    return total, n


def compare_rate(t, s, ckpt):
    m = s["metrics"]
    ops = ((t["last_progress"] or {}).get("stateOperators") or [])
    rows = sum(o.get("numRowsTotal", 0) for o in ops)
    want, n = state_listing(ckpt)
    tap.check("rate: state_bytes = bytes of the %d state store files under state/ (%d)" % (n, want),
              m["state_bytes"] == want, "streamtop %s" % m["state_bytes"])
    tap.check("rate: the windowed count keeps state (lastProgress stateOperators numRowsTotal %d, "
              "state on disk %d bytes)" % (rows, want), rows > 0 and want > 0, json.dumps(ops)[:300])


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
    broker = driver = feeder = efeeder = producer = None
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
        efeeder = EvolveFeeder(os.path.join(work, "landing_evolve"), scratch)
        os.makedirs(efeeder.landing)
        efeeder.start()
        driver = Driver({"work": work, "bootstrap": broker.bootstrap, "topic": TOPIC,
                         "jars": env.spark_jars()}, os.path.join(work, "driver.log"))
        tap.prefix = "spark %s: " % driver.started["spark"]
        DRIVER_LOG[0] = driver.started["driver_log"]
        tap.note("driver up after %.1fs (UI on port %s)" % (time.time() - t0, driver.started["ui_port"]))
        cfg = os.path.join(work, "streamtop.ini")
        write_config(cfg, work, driver.started)
        rate_ckpt = driver.started["rate"]["checkpoint"]

        # (1) the first commit of each query; streamtop passes meanwhile: before the first
        # commit there is no Delta sink and no progress file yet, which is no error
        wait_until = time.time() + 150
        early, early_passes = [], 0
        while time.time() < wait_until:
            t = driver.ask("truth", ids=True)
            if "dsrc" in t and all(t[q]["committed_batch_id"] is not None and t[q]["last_progress"]
                                   for q in ("files", "kafka", "rate", "evolve")) and all(
                    listener_batch(work, q) is not None for q in ("files", "kafka", "evolve")):
                break
            st = streamtop_export(cfg)
            early_passes += 1
            t_after = driver.ask("truth", ids=True)
            for x in st:
                # only passes that began after the query started (start() returns once Spark
                # made its checkpoint folder; before, a missing folder is the right error) and
                # ended before its first commit: after it a progress file the listener has not
                # written yet is an error (Spark 3.5's Python listener writes seconds after the
                # commit)
                if QUERY[x] in t and QUERY[x] in t_after and t_after[QUERY[x]]["committed_batch_id"] is None:
                    early += ["%s: %s" % (x, e) for e in st[x]["errors"]]
            time.sleep(1)
        else:
            raise RuntimeError("no commit from every query within 150 s")
        tap.note("first commits after %.1fs" % (time.time() - t0))
        tap.check("%d streamtop passes before the first commits: no error" % early_passes,
                  not early, "\n".join(sorted(set(early))))

        # the evolve sink before its new column: one schema, at version 0; this pass is the
        # first recorded in the state DB, so the passes from it later know the schema before
        db = os.path.join(work, "history.db")
        t = driver.ask("truth", timeout=120)
        st = streamtop_export(cfg, db=db)
        compare_sink_schema("evolve", t["evolve"]["sink"], st["evolve"], "before the new column")
        efeeder.extra.set()

        # (2) while the queries run: streamtop passes in a tight loop (each from the cursors
        # of the one before, as from cron), and beside them Spark's batch ids read over and
        # over; each pass is checked against the last read that ended before it began and the
        # first that began after it ended: no batch outside them, no negative figure, no error
        reads, stop = [], threading.Event()

        def read_spark():
            while not stop.is_set():
                r0 = time.time()
                t = driver.ask("truth", ids=True)
                reads.append((r0, time.time(), t))

        reader = threading.Thread(target=read_spark, daemon=True)
        reader.start()
        # RUN_SECONDS at least, and as many passes as it takes for MIN_PASSES of them to lie
        # after a read of Spark's (a slow build, such as a sanitizer's, is slower, not wrong);
        # then one more read that begins after the last pass ended
        t_start = time.time()
        deadline, cap = t_start + RUN_SECONDS, t_start + RUN_SECONDS * 10
        runs = []
        while time.time() < cap and (time.time() < deadline or sum(
                1 for p0, _, _ in runs if reads and reads[0][1] <= p0) < MIN_PASSES):
            p0 = time.time()
            try:
                st = streamtop_export(cfg, db=db)
            except Exception as e:
                st = e
            runs.append((p0, time.time(), st))
        last_end, wait_read = runs[-1][1], time.time() + 60
        while time.time() < wait_read and not any(r0 >= last_end for r0, _, _ in list(reads)):
            time.sleep(0.05)
        stop.set()
        reader.join(60)
        bad, checked = [], 0
        for n, (p0, p1, st) in enumerate(runs, 1):
            if isinstance(st, Exception):
                bad.append("pass %d: %s" % (n, st))
                continue
            a = [t for r0, r1, t in reads if r1 <= p0]
            b = [t for r0, r1, t in reads if r0 >= p1]
            a, b = (a[-1] if a else None), (b[0] if b else None)
            checked += 1 if a and b else 0
            for x, sx in st.items():
                q = QUERY[x]
                for metric, v in sx["metrics"].items():
                    if isinstance(v, (int, float)) and v < 0:
                        bad.append("pass %d: %s %s = %s" % (n, x, metric, v))
                bad += ["pass %d: %s: %s" % (n, x, e) for e in sx["errors"]]
                if not a or not b or q not in a or q not in b:
                    continue
                for k in ("last_batch_id", "committed_batch_id"):
                    lo, hi, v = a[q][k], b[q][k], sx["metrics"].get(k)
                    if hi is None and v is None:
                        continue
                    if v is None or hi is None or v > hi or (lo is not None and v < lo):
                        bad.append("pass %d: %s %s = %s, Spark's before/after %s/%s" % (n, x, k, v, lo, hi))
        took = sorted(p1 - p0 for p0, p1, _ in runs)
        spent = runs[-1][1] - t_start
        tap.note("tight loop: %d passes in %.0f s (%d between two reads of Spark's, which took %.2f s "
                 "each), a pass took %.3f s (median), %.3f s (max)" % (
                     len(runs), spent, checked, spent / max(1, len(reads)),
                     took[len(took) // 2] if took else 0, took[-1] if took else 0))
        tap.check("%d streamtop passes in a tight loop while the queries ran: every batch id within "
                  "Spark's before/after, no negative figure, no error" % len(runs),
                  checked >= MIN_PASSES and not bad, "%d of %d passes between two reads\n" % (checked, len(runs))
                  + "\n".join(bad[:40]))

        # (3) live brackets, one stream at a time: Spark's truth for its query, a streamtop
        # pass, the truth again
        todo, tries = set(LIVE), {x: 0 for x in LIVE}
        moving, why = {}, {x: [] for x in LIVE}
        bracket_until = time.time() + BRACKET_SECONDS
        while todo:  # one try of each at least
            for x in sorted(todo):
                q = QUERY[x]
                # start where the most time lies ahead before the batch ids move: right after
                # a commit (no batch in flight: the rate query, idle between triggers) or right
                # after a batch was planned (the Kafka query, always behind, plans the next one
                # as it commits); a short wait, then a try all the same
                first, wait_until = None, time.time() + 3
                while True:
                    t1 = driver.ask("truth", light=True, names=[q])
                    last = t1[q]["last_batch_id"]
                    first = last if first is None else first
                    if (last == t1[q]["committed_batch_id"] or last != first
                            or time.time() >= wait_until):
                        break
                    time.sleep(0.05)
                tries[x] += 1
                before = progress_batches([x], t1)
                st, gen_ms = streamtop_export(cfg, with_time=True, only=x)
                t2 = driver.ask("truth", light=True, names=[q])
                after = progress_batches([x], t2)
                p = stable(t1, t2, x, before, after)
                if p:
                    compare_live(x, t1[q], st[x], "live, bracket %d" % tries[x], gen_ms, p=p)
                    todo.discard(x)
                else:
                    moving[x] = (t1, t2, st, gen_ms, before, after)
                    why[x].append(unstable_why(t1, t2, x, before, after))
            if time.time() >= bracket_until:
                break
            time.sleep(0.2)
        # a stream whose query never stood still for a whole bracket (a loaded machine: its
        # batches run back to back, or its listener writes during every pass): its last pass
        # is checked as a pass over a moving query, which is right if it equals Spark at some
        # instant within it
        for x in sorted(todo):
            tap.note("%s: no bracket in which Spark stood still, in %d tries over %d s (%s); its "
                     "last is compared as a pass over a moving query" % (
                         x, tries[x], BRACKET_SECONDS, "; ".join(why[x][-4:])))
            t1, t2, st, gen_ms, before, after = moving[x]
            compare_moving(x, t1, t2, st[x], gen_ms, before, after, "live, moving, bracket %d" % tries[x])

        # (4) pause, a Kafka batch planned after the pause, the evolve query through every
        # file, stop, compare everything
        feeder.paused.set()
        efeeder.paused.set()
        producer.paused.set()
        producer.idle.wait(10)
        paused_ms = int(time.time() * 1000)
        ends = end_offsets(broker.bootstrap)
        tap.note("paused: %d files, %d records sent; broker end offsets %s; evolve: %d files, %d rows, "
                 "%d malformed, %d files with the new field" % (
                     feeder.n, producer.sent, ends, efeeder.n, efeeder.rows, len(efeeder.malformed),
                     efeeder.extra_files))
        wait_until = time.time() + 60
        while time.time() < wait_until:
            t = driver.ask("truth", light=True)
            w = t["evolve"]["written"]
            p = t["kafka"]["last_progress"]
            if p and planned_ms(p) > paused_ms and w["bad_rows"] + w["good_rows"] == efeeder.rows:
                break
            time.sleep(0.5)
        tap.note("after the pause: a Kafka batch planned since, evolve wrote %d of %d rows, %.0f s" % (
            w["bad_rows"] + w["good_rows"], efeeder.rows, time.time() - paused_ms / 1000))
        driver.ask("stop_queries", timeout=120, names=["files", "kafka", "rate", "evolve"])
        # the Delta source reads what the stopped files query wrote, then has nothing to do
        wait_until = time.time() + 60
        while time.time() < wait_until:
            d = driver.ask("truth", timeout=120)["dsrc"]
            if d["rows_read"] == d["table_rows"] and d["last_batch_id"] == d["committed_batch_id"]:
                break
            time.sleep(1)
        driver.ask("stop_queries", timeout=120, names=["dsrc"])
        truth = driver.ask("truth", timeout=120)
        # the listener and the log may still be writing the last events: wait until each has
        # reached the last committed batch (lastProgress itself can be further: an idle query's
        # event carries the next batch's id and reaches a listener as QueryIdleEvent, which no
        # progress file shows)
        wait_until = time.time() + 20
        streams = [x for x in LIVE if VIA[x] != "servlet"]
        while time.time() < wait_until:
            at = progress_batches(streams, truth)
            if all(at[x] is not None and at[x] >= (truth[QUERY[x]]["committed_batch_id"] or 0) for x in streams):
                break
            time.sleep(0.5)
        st, gen_ms = streamtop_export(cfg, with_time=True)
        tap.note("stopped: " + ", ".join("%s batch %s/%s" % (q, truth[q]["last_batch_id"], truth[q]["committed_batch_id"])
                                         for q in ("files", "kafka", "rate", "evolve")) + " (planned/committed)")
        for x in LIVE:
            # a stopped query is gone from the servlet: the rate stream's progress is an error now;
            # the others are compared with the event of the batch their progress source reached
            p = (first_events(truth[QUERY[x]].get("recent"), at[x], at[x]).get(at[x])
                 if at.get(x) is not None else None)
            compare_live(x, truth[QUERY[x]], st[x], "stopped", gen_ms,
                         allow_errors=("/metrics/prometheus",) if VIA[x] == "servlet" else (), p=p)
        compare_still(truth, st, landing, ends)
        compare_evolve(truth["evolve"], st["evolve"], efeeder, gen_ms)
        compare_rate(truth["rate"], st["rate"], rate_ckpt)
        compare_cursors(st, streamtop_export(cfg, db=db), truth)
        # another writer appends to the table the stopped Delta source had read to the end:
        # the versions it committed are the source's backlog (before/after: DeltaLog.forTable)
        d = truth["dsrc"]
        if d["rows_read"] == d["table_rows"]:
            app = driver.ask("append_table", timeout=120, path=driver.started["dsrc"]["source"], times=2)
            want = app["versions"][-1] - d["table_version"]
            sd = streamtop_export(cfg)["dsrc"]
            tap.check("dsrc: backlog_versions = versions another writer committed since the source caught up "
                      "(DeltaLog.forTable %s -> %s)" % (d["table_version"], app["versions"][-1]),
                      not sd["errors"] and sd["metrics"]["backlog_versions"] == want and want == 2,
                      "streamtop %s, errors %s" % (sd["metrics"]["backlog_versions"], sd["errors"]))
    except Exception as e:
        import traceback

        tap.notok("live Spark suite ran", "%s\n%s\n%s" % (traceback.format_exc(), driver.tail() if driver else "",
                                                        broker.tail() if broker else ""))
    finally:
        for th in (feeder, efeeder, producer):
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
