#!/usr/bin/env python3
"""Passes while the pipeline writes: a writer process churns a pipeline tree the way Spark and
Delta do (offsets and commits written to hidden temp files and renamed into place with their
.crc files, old batches purged, the file-source log compacted every 10 batches with the files
it replaces deleted, Delta commits with a checkpoint every 10 versions and the log cleaned
behind it, state files replaced, dead letters added and removed, the progress file appended in
pieces and rolled over), while `streamtop export -f json` runs in a tight loop against it.

Every pass must show no error and no warning, last and committed batch within what the writer
had published before the pass started and begun by the time it ended, both never going back,
and no negative figure. Prints TAP lines ("ok - ..." / "not ok - ...").

usage: race.py STREAMTOP_BIN WORKDIR [SECONDS]
"""
import json
import math
import multiprocessing as mp
import os
import subprocess
import sys
import time
import uuid

QID = "6f1c9ad2-2b0e-4d1a-9a57-3f0e8c5d7a10"
RESERVOIR = "3b9e5f4a-8c1d-4e2f-b6a7-0d9c8e7f6a5b"
RETAIN = 15  # minBatchesToRetain
COMPACT = 10  # spark.sql.streaming.fileSource.log.compactInterval
CKPT_EVERY = 10  # delta.checkpointInterval
FILES_PER_BATCH = 2


def put(path, data, crc=False):
    """Spark's CheckpointFileManager.createAtomic: a hidden temp file renamed into place (with
    Hadoop's .crc beside it on a local file system)."""
    d, name = os.path.split(path)
    tmp = os.path.join(d, ".%s.%s.tmp" % (name, uuid.uuid4()))
    with open(tmp, "w") as f:
        f.write(data)
    if crc:
        with open(os.path.join(d, ".%s.crc" % os.path.basename(tmp)), "wb") as f:
            f.write(b"crc\0\0\0\x01")
        os.rename(os.path.join(d, ".%s.crc" % os.path.basename(tmp)),
                  os.path.join(d, ".%s.crc" % name))
    os.rename(tmp, path)


def rm(path):
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


class Writer:
    def __init__(self, root, pub):
        self.root = root
        self.pub = pub  # shared counters: what is published ("done") and begun ("begun")
        self.ck = os.path.join(root, "ckpt")
        self.landing = os.path.join(root, "landing")
        self.archive = os.path.join(root, "archive")
        self.log = os.path.join(root, "sink", "_delta_log")
        self.src = os.path.join(self.ck, "sources", "0")
        self.nfile = 0
        self.waiting = []  # landing files not yet in the source log (oldest first)
        self.entries = []  # every source-log entry so far (a .compact holds them all)
        self.read = []  # the landing files of the last batches, archived three batches on
        self.schema_v = 0

    def setup(self):
        for d in ("offsets", "commits", "sources/0", "state/0/0"):
            os.makedirs(os.path.join(self.ck, d))
        for d in (self.landing, self.archive, self.log, os.path.join(self.root, "dlq"),
                  os.path.join(self.root, "schema", "_schemas")):
            os.makedirs(d, exist_ok=True)
        put(os.path.join(self.ck, "metadata"), json.dumps({"id": QID}))
        put(os.path.join(self.root, "schema", "_schemas", "0"), self.schema_text(0))
        self.delta_commit(0, metadata=True)
        with open(os.path.join(self.root, "progress.jsonl"), "w"):
            pass
        for _ in range(6):
            self.land()

    def schema_text(self, v):
        fields = [{"name": "c%d" % i, "type": "long", "nullable": True, "metadata": {}}
                  for i in range(v + 1)]
        return "v1\n" + json.dumps({"type": "struct", "fields": fields})

    def land(self):
        day = "dt=%d" % (self.nfile // 25)
        os.makedirs(os.path.join(self.landing, day), exist_ok=True)
        p = os.path.join(self.landing, day, "f%05d.json" % self.nfile)
        self.nfile += 1
        tmp = p + "._COPYING_"
        with open(tmp, "w") as f:
            f.write('{"x": %d}\n' % self.nfile)
        os.rename(tmp, p)
        self.waiting.append(p)
        self.pub["landed"].value = self.nfile

    def delta_commit(self, v, metadata=False, txn=None):
        lines = []
        if metadata:
            lines.append(json.dumps({"protocol": {"minReaderVersion": 1, "minWriterVersion": 2}}))
            schema = {"type": "struct", "fields": [{"name": "x", "type": "long", "nullable": True,
                                                    "metadata": {}}]}
            self.meta = {
                "id": RESERVOIR, "format": {"provider": "parquet", "options": {}},
                "schemaString": json.dumps(schema), "partitionColumns": [], "configuration": {},
                "createdTime": int(time.time() * 1000)}
            lines.append(json.dumps({"metaData": self.meta}))
        if txn is not None:
            self.txn = {"appId": QID, "version": txn, "lastUpdated": int(time.time() * 1000)}
            lines.append(json.dumps({"txn": {"appId": QID, "version": txn,
                                             "lastUpdated": int(time.time() * 1000)}}))
            lines.append(json.dumps({"add": {"path": "part-%05d.parquet" % v, "size": 100,
                                             "partitionValues": {}, "dataChange": True,
                                             "modificationTime": int(time.time() * 1000)}}))
        op = "STREAMING UPDATE" if txn is not None else "CREATE TABLE"
        params = {"outputMode": "Append", "queryId": QID, "epochId": str(txn)} \
            if txn is not None else {}
        lines.append(json.dumps({"commitInfo": {
            "timestamp": int(time.time() * 1000), "operation": op,
            "operationParameters": params,
            "operationMetrics": {"numOutputRows": "10", "numAddedFiles": "1"}}}))
        put(os.path.join(self.log, "%020d.json" % v), "\n".join(lines) + "\n", crc=True)
        put(os.path.join(self.log, "%020d.crc" % v),
            # as Delta writes it: the table's metadata and every query's txn, as of version v
            json.dumps({"txnId": "t%d" % v, "tableSizeBytes": 100 * v, "numFiles": v,
                        "numMetadata": 1, "numProtocol": 1,
                        "setTransactions": [self.txn] if getattr(self, "txn", None) else [],
                        "metadata": self.meta,
                        "protocol": {"minReaderVersion": 1, "minWriterVersion": 2}}))
        if v and v % CKPT_EVERY == 0:
            with open(os.path.join(self.log, "%020d.checkpoint.parquet" % v), "wb") as f:
                f.write(b"PAR1" + b"\0" * 64 + b"PAR1")
            put(os.path.join(self.log, "_last_checkpoint"), json.dumps({"version": v, "size": 4}))
            # log cleanup: what the previous checkpoint made unneeded
            for old in range(max(0, v - 2 * CKPT_EVERY), v - CKPT_EVERY):
                rm(os.path.join(self.log, "%020d.json" % old))
                rm(os.path.join(self.log, ".%020d.json.crc" % old))
                rm(os.path.join(self.log, "%020d.crc" % old))
            rm(os.path.join(self.log, "%020d.checkpoint.parquet" % (v - 2 * CKPT_EVERY)))

    def source_log(self, n, files):
        now = int(time.time() * 1000)
        new = [json.dumps({"path": "file://" + p, "timestamp": now, "batchId": n}) for p in files]
        self.entries.extend(new)
        if (n + 1) % COMPACT == 0:
            put(os.path.join(self.src, "%d.compact" % n), "\n".join(["v1"] + self.entries))
            # cleanupDelay elapsed: the files this compact replaces go
            for old in range(max(0, n - 2 * COMPACT), n):
                rm(os.path.join(self.src, str(old)))
                rm(os.path.join(self.src, "%d.compact" % old))
        else:
            put(os.path.join(self.src, str(n)), "\n".join(["v1"] + new))

    def progress(self, n, files):
        path = os.path.join(self.root, "progress.jsonl")
        line = json.dumps({"id": QID, "runId": str(uuid.uuid4()), "batchId": n,
                           "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
                           "numInputRows": len(files), "inputRowsPerSecond": 5.0,
                           "processedRowsPerSecond": 7.5,
                           "durationMs": {"triggerExecution": 30}}) + "\n"
        if n and n % 50 == 0:  # roll over: keep the old file, a new one replaces it at once
            os.link(path, path + ".%d" % n)
            put(path, "")
        with open(path, "a") as f:  # in two writes: a pass may see the first half alone
            f.write(line[:len(line) // 2])
            f.flush()
            time.sleep(0.001)
            f.write(line[len(line) // 2:])

    def state(self, n):
        d = os.path.join(self.ck, "state", "0", "0")
        put(os.path.join(d, "%d.delta" % (n + 1)), "x" * 64, crc=True)
        rm(os.path.join(d, "%d.delta" % (n + 1 - RETAIN)))
        rm(os.path.join(d, ".%d.delta.crc" % (n + 1 - RETAIN)))
        # a folder made and removed again (a partition's temporary folder)
        t = os.path.join(self.ck, "state", "0", "_tmp%d" % n)
        os.makedirs(t)
        with open(os.path.join(t, "x"), "w") as f:
            f.write("x")
        if n:
            prev = os.path.join(self.ck, "state", "0", "_tmp%d" % (n - 1))
            rm(os.path.join(prev, "x"))
            os.rmdir(prev)

    def deadletter(self, n):
        d = os.path.join(self.root, "dlq", "dt=%d" % (n // 7))
        os.makedirs(d, exist_ok=True)
        put(os.path.join(d, "part-%05d.json" % n), '{"reason": "bad", "record": "%d"}\n' % n)
        if n >= 21 and n % 7 == 0:  # retention: the oldest day goes, folder and all
            old = os.path.join(self.root, "dlq", "dt=%d" % (n // 7 - 3))
            if os.path.isdir(old):
                for name in os.listdir(old):
                    rm(os.path.join(old, name))
                os.rmdir(old)

    def batch(self, n):
        take, self.waiting = self.waiting[:FILES_PER_BATCH], self.waiting[FILES_PER_BATCH:]
        self.pub["begun_last"].value = n
        self.source_log(n, take)
        put(os.path.join(self.ck, "offsets", str(n)),
            "v1\n" + json.dumps({"batchWatermarkMs": 0, "batchTimestampMs":
                                 int(time.time() * 1000), "conf": {}}) +
            "\n" + json.dumps({"logOffset": n}), crc=True)
        self.pub["last"].value = n
        self.state(n)
        self.delta_commit(n + 1, txn=n)
        self.deadletter(n)
        self.progress(n, take)
        if n and n % 40 == 0:  # a new schema version now and then
            self.schema_v += 1
            put(os.path.join(self.root, "schema", "_schemas", str(self.schema_v)),
                self.schema_text(self.schema_v))
        self.pub["begun_commit"].value = n
        put(os.path.join(self.ck, "commits", str(n)), "v1\n{\"nextBatchWatermarkMs\":0}",
            crc=True)
        self.pub["committed"].value = n
        # cleanSource = archive: what the batch three before read leaves the landing zone
        self.read.append(take)
        if len(self.read) > 3:
            for p in self.read.pop(0):
                os.rename(p, os.path.join(self.archive, os.path.basename(p)))
        # purge: the query keeps the newest RETAIN batches
        old = n - RETAIN
        if old >= 0:
            for d in ("offsets", "commits"):
                rm(os.path.join(self.ck, d, str(old)))
                rm(os.path.join(self.ck, d, ".%d.crc" % old))
        for _ in range(FILES_PER_BATCH + (1 if n % 3 == 0 else -1)):
            self.land()


def write(root, pub, seconds):
    w = Writer(root, pub)
    w.setup()
    pub["ready"].value = 1
    end = time.monotonic() + seconds
    n = 0
    while time.monotonic() < end:
        w.batch(n)
        n += 1
        time.sleep(0.01)
    pub["done"].value = 1


def main():
    binary, work = sys.argv[1], sys.argv[2]
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 20
    root = os.path.join(work, "pipe")
    os.makedirs(root)
    cfg = os.path.join(work, "race.ini")
    with open(cfg, "w") as f:
        f.write("[global]\ndatabase = %s\n\n[stream race]\n" % os.path.join(work, "state.db"))
        f.write("checkpoint = %s/ckpt\nsource = %s/landing\nsink = %s/sink\n"
                "progress = %s/progress.jsonl\ndeadletter = %s/dlq\nschema = %s/schema\n"
                % ((root,) * 6))
    names = ("ready", "done", "begun_last", "last", "begun_commit", "committed", "landed")
    pub = {k: mp.Value("q", -1 if k not in ("ready", "done") else 0, lock=False) for k in names}
    proc = mp.Process(target=write, args=(root, pub, seconds))
    proc.start()
    while pub["committed"].value < 1:  # a query past its first batches
        if not proc.is_alive():
            print("not ok - the writer started")
            return 1
        time.sleep(0.01)

    passes = overlapped = 0
    problems = []
    prev_last = prev_commit = -1
    env = dict(os.environ, STREAMTOP_CONFIG="")
    while not pub["done"].value:
        lo_last, lo_commit = pub["last"].value, pub["committed"].value
        lo_landed = pub["landed"].value
        r = subprocess.run([binary, "-c", cfg, "export", "-f", "json"], capture_output=True,
                           env=env, timeout=60)
        hi_last, hi_commit = pub["begun_last"].value, pub["begun_commit"].value
        hi_landed = pub["landed"].value
        passes += 1
        overlapped += (hi_last != lo_last or hi_commit != lo_commit)
        where = "pass %d" % passes
        if r.returncode != 0:
            problems.append("%s: exit %d: %s" % (where, r.returncode, r.stderr[:500]))
            continue
        st = json.loads(r.stdout)["streams"][0]
        m = st["metrics"]
        if st["errors"] or st["warnings"] or st["status"] == "unknown":
            problems.append("%s: status %s, errors %s, warnings %s"
                            % (where, st["status"], st["errors"], st["warnings"]))
        last, commit = m.get("last_batch_id"), m.get("committed_batch_id")
        if last is None or commit is None:
            problems.append("%s: last batch %s, committed %s" % (where, last, commit))
            continue
        if not lo_last <= last <= hi_last:
            problems.append("%s: last batch %s, the writer had published %d and begun %d"
                            % (where, last, lo_last, hi_last))
        if not lo_commit <= commit <= hi_commit or commit > last:
            problems.append("%s: committed batch %s (last %s), the writer had published %d and "
                            "begun %d" % (where, commit, last, lo_commit, hi_commit))
        if last < prev_last or commit < prev_commit:
            problems.append("%s: went back from %d/%d to %d/%d"
                            % (where, prev_last, prev_commit, last, commit))
        prev_last, prev_commit = max(prev_last, last), max(prev_commit, commit)
        for k, v in m.items():
            if isinstance(v, (int, float)) and (math.isnan(v) or v < 0):
                problems.append("%s: %s is %s" % (where, k, v))
        b = m.get("backlog_files")
        if b is None or not 0 <= b <= hi_landed:
            problems.append("%s: backlog_files %s with %d..%d files landed"
                            % (where, b, lo_landed, hi_landed))
        for k in ("backlog_bytes", "backlog_age_seconds", "commit_age_seconds",
                  "sink_lag_batches", "schema_version", "deadletter_files", "state_bytes",
                  "processed_rows_per_second"):
            if m.get(k) is None:
                problems.append("%s: %s not measured" % (where, k))
    proc.join(30)
    batches = pub["last"].value + 1
    print("# %d passes over %d batches written (%d passes while the writer moved)"
          % (passes, batches, overlapped))
    for p in problems[:15]:
        print("#   " + p)
    ok = not problems
    print("%s - %d passes during %d batches: no error, no warning, batches within what was "
          "published, never back, nothing negative" % ("ok" if ok else "not ok", passes, batches))
    enough = passes >= 10 and batches >= 20 and overlapped >= 1
    print("%s - the passes raced the writer (at least 10 passes, 20 batches, one pass while it "
          "wrote)" % ("ok" if enough else "not ok"))
    return 0 if ok and enough else 1


if __name__ == "__main__":
    sys.exit(main())
