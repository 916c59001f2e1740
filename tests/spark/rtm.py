"""A Spark 4.3 query in real-time mode on the Kafka broker, watched the way cron watches it:
healthy for whole long triggers, then its driver killed with SIGKILL. Prints TAP lines for
tests/run.sh. Run with the spark43 virtualenv's python (tests/e2e/test_spark.sh does, when
`STREAMTOP_SPARK_NEWEST=1 make deps` set that line up).

The query (tests/spark/rtm_driver.py): topic "events" to topic "out" with
trigger(realTime="10 seconds"), the harness producing to "events" at PRODUCE_PER_S. Spark writes
offsets/N and commits/N together when each trigger ends. streamtop watches it with `check -f
json` every PASS_S seconds (a fresh process each time, like cron), the stream configured with
trigger = 10s and trigger_mode = realtime, and stalled_min / stuck_min short in [builtin].

  1. From the first commit on, over at least two whole triggers: every check is OK (exit 0, no
     alert), and its last and committed batch ids are Spark's (OffsetSeqLog and CommitLog read
     through py4j in the driver just before and just after the pass, agreeing).
  2. The driver's whole process group (python and the JVM) gets SIGKILL a few seconds into a
     trigger.
  3. No check before the kill fired anything; after it, the batch ids stay those Spark last
     read, and `check` says critical (stalled firing, exit 2) once the last commit is older
     than trigger + stalled_min, within a pass or two of that, and not before it.
"""
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time

os.environ.setdefault("STREAMTOP_SPARK_LINE", "spark43")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import env, tap  # noqa: E402
from lib.checkloop import CheckLoop, firing, stream  # noqa: E402
from lib.killable_client import Killable, group_members  # noqa: E402

NAME = "rtm"
TRIGGER_S = 10
STALLED_MIN_S = 10
STUCK_MIN_S = 20
PASS_S = 2
PRODUCE_PER_S = 20
SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "rtm_driver.py")


def write_config(path, ckpt):
    with open(path, "w") as f:
        f.write("""; written by tests/spark/rtm.py
[global]
refresh = 1s

[builtin]
stalled_min = {stalled}s
stuck_min = {stuck}s

[stream {name}]
checkpoint   = {ck}
trigger      = {trigger}s
trigger_mode = realtime
""".format(stalled=STALLED_MIN_S, stuck=STUCK_MIN_S, name=NAME, ck=ckpt, trigger=TRIGGER_S))


def metric(s, m):
    return (s or {}).get("metrics", {}).get(m)


def ids(s):
    return metric(s, "last_batch_id"), metric(s, "committed_batch_id")


def producer(bootstrap, stop):
    from kafka import KafkaProducer

    p = KafkaProducer(bootstrap_servers=bootstrap)
    i = 0
    while not stop.is_set():
        p.send("events", key=b"k%d" % (i % 5), value=json.dumps({"i": i}).encode())
        i += 1
        stop.wait(1.0 / PRODUCE_PER_S)
    p.flush()
    p.close()


def main():
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
    if shutil.which("java") is None:
        tap.skip("real-time mode: no java")
        return 0
    t0 = time.time()
    work = tempfile.mkdtemp(prefix="live-rtm.")
    broker = loop = k = None
    stop = threading.Event()
    try:
        from kafka.admin import KafkaAdminClient, NewTopic
        from lib.kafka import Broker

        broker = Broker()
        admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
        admin.create_topics([NewTopic(t, num_partitions=1, replication_factor=1) for t in ("events", "out")])
        admin.close()
        threading.Thread(target=producer, args=(broker.bootstrap, stop), daemon=True).start()
        cfg, db = os.path.join(work, "streamtop.ini"), os.path.join(work, "state.db")
        write_config(cfg, os.path.join(work, "ckpt", NAME))

        k = Killable({"work": work, "name": NAME, "bootstrap": broker.bootstrap,
                      "trigger": "%d seconds" % TRIGGER_S}, os.path.join(work, "driver.log"), script=SCRIPT)
        tap.prefix = "spark %s real-time mode: " % k.started["spark"]
        tap.note("broker and driver up after %.1fs" % (time.time() - t0))
        first = k.wait_for(lambda d: "progress" in d, 3 * TRIGGER_S + 30)
        if not first:
            raise RuntimeError("no real-time batch committed within %d s\n%s" % (3 * TRIGGER_S + 30, k.tail()))
        tap.note("batch %d committed after %.1fs" % (first["progress"], time.time() - t0))
        # the progress event can come before commits/N is on storage (seen on a loaded machine:
        # offsets/0 written, commits/0 not yet, a check in between rightly saw no commit): the
        # checks start once Spark's own CommitLog has the batch
        deadline = time.time() + 30
        while time.time() < deadline:
            t = k.ask_truth(30)
            if t and t.get("committed_batch_id") is not None and t["committed_batch_id"] >= first["progress"]:
                break
            time.sleep(0.2)
        else:
            raise RuntimeError("CommitLog has no batch %d within 30 s of its progress\n%s" % (first["progress"], k.tail()))

        # 1. healthy over two whole triggers: checks, and Spark's reading around each
        loop = CheckLoop([("c", cfg, db)], PASS_S)
        loop.start()
        loop_ms = int(time.time() * 1000)
        truths = []
        want = first["progress"] + 3  # batches first+1 and first+2 run whole under the checks
        deadline = time.time() + 3 * TRIGGER_S + 20
        while time.time() < deadline and max(k.progress()) < want:
            t = k.ask_truth(30)
            if t:
                truths.append(t)
            time.sleep(0.5)
        done = max(k.progress())
        if done < want:
            raise RuntimeError("batch %d not committed within %d s of the first checks\n%s" % (
                want, 3 * TRIGGER_S + 20, k.tail()))
        commits = [d for d in k.seen if "progress" in d]
        last_commit_ms = commits[-1]["at_ms"]
        tap.note("commits at %s s" % ", ".join("%.1f" % ((d["at_ms"] - loop_ms) / 1000) for d in commits))
        # 2. SIGKILL a few seconds into the next trigger, after Spark's last reading
        time.sleep(3)
        truths.append(k.ask_truth(30))
        last_truth = truths[-1]
        members = group_members(k.pgid)
        tap.check("the driver's process group holds python and the JVM (%d processes)" % len(members),
                  len(members) >= 2, str(members))
        kill_ms = k.sigkill()
        deadline = time.time() + 10
        while group_members(k.pgid) and time.time() < deadline:
            time.sleep(0.1)
        tap.check("SIGKILL ended the whole process group", not group_members(k.pgid), str(group_members(k.pgid)))
        tap.check("Spark read batch %d planned and committed just before the kill" % done,
                  last_truth and last_truth["last_batch_id"] == last_truth["committed_batch_id"] == done,
                  json.dumps(last_truth))

        before = [p for p in loop.snapshot("c") if p["end_ms"] < kill_ms]
        bad = ["rc %s, %s: %s %s" % (p["rc"], (stream(p, NAME) or {}).get("status"), firing(stream(p, NAME)),
                                     p.get("err", "")) for p in before
               if p["rc"] != 0 or (stream(p, NAME) or {}).get("status") != "ok" or firing(stream(p, NAME))]
        span = (before[-1]["end_ms"] - before[0]["start_ms"]) / 1000 if before else 0
        tap.check("%d checks over %.0f s (%d whole triggers) before the kill: OK, exit 0, no alert" % (
            len(before), span, want - first["progress"] - 1),
            len(before) >= 2 * TRIGGER_S // PASS_S and span >= 2 * TRIGGER_S and not bad,
            "\n".join(bad) or "too few passes")
        # a pass compares when Spark read the same ids just before it began and just after it ended
        compared, wrong = 0, []
        for p in before:
            pre = [t for t in truths if t["at_ms"] <= p["start_ms"]]
            post = [t for t in truths if t["from_ms"] >= p["end_ms"]]
            if not pre or not post:
                continue
            a, b = pre[-1], post[0]
            if (a["last_batch_id"], a["committed_batch_id"]) != (b["last_batch_id"], b["committed_batch_id"]):
                continue
            compared += 1
            if ids(stream(p, NAME)) != (a["last_batch_id"], a["committed_batch_id"]):
                wrong.append("streamtop %s, Spark %s" % (ids(stream(p, NAME)), (a["last_batch_id"],
                                                                                 a["committed_batch_id"])))
        nocommit = [json.dumps([p["start_ms"] - loop_ms, p["rc"], stream(p, NAME)])[:1500] for p in before
                    if metric(stream(p, NAME), "committed_batch_id") is None]
        tap.check("every check before the kill names a committed batch", not nocommit, "\n".join(nocommit))
        seen_ids = sorted({ids(stream(p, NAME))[1] for p in before if ids(stream(p, NAME))[1] is not None})
        tap.check("%d of those checks, between two agreeing readings of Spark's OffsetSeqLog and CommitLog:"
                  " the same last and committed batch (committed batches seen: %s)" % (compared, seen_ids),
                  compared >= 3 and not wrong and len(seen_ids) >= 3, "\n".join(wrong) or "too few compared")

        # 3. stalled after trigger + stalled_min without a commit
        limit_ms = last_commit_ms + (TRIGGER_S + STALLED_MIN_S) * 1000
        crit = None
        deadline = time.time() + (limit_ms - kill_ms) / 1000 + 4 * PASS_S + 10
        while time.time() < deadline and crit is None:
            for p in loop.snapshot("c"):
                if p["start_ms"] > kill_ms and p["rc"] == 2 and "builtin:stalled" in firing(stream(p, NAME), "critical"):
                    crit = p
                    break
            time.sleep(0.3)
        loop.stop()
        passes = loop.snapshot("c")
        late_s = (crit["end_ms"] - limit_ms) / 1000 if crit else None
        tap.check("check reports the stream critical (stalled firing, exit 2) %s s after the kill, %s s past"
                  " last commit + trigger + stalled_min (at most %d)" % (
                      crit and round((crit["end_ms"] - kill_ms) / 1000, 1), late_s and round(late_s, 1),
                      2 * PASS_S + 2),
                  crit is not None and late_s <= 2 * PASS_S + 2,
                  json.dumps([(p["rc"], stream(p, NAME)) for p in passes[-2:]])[:3000])
        early = [p for p in passes if p["rc"] != 0 and p["end_ms"] < limit_ms - 1500]
        tap.check("no check alerted before the last commit was trigger + stalled_min old (%d passes)"
                  % len(passes), not early,
                  json.dumps([(p["rc"], p["start_ms"] - kill_ms, stream(p, NAME)) for p in early])[:3000])
        if crit:
            tap.note("firing: %s" % ", ".join("%s %s %s" % (a["rule"], a["level"], a["threshold"])
                                              for a in stream(crit, NAME)["alerts"]))
        after = [p for p in passes if p["start_ms"] > kill_ms]
        stale = [str(ids(stream(p, NAME))) for p in after
                 if ids(stream(p, NAME)) != (done, done) or (stream(p, NAME) or {}).get("errors")]
        tap.check("%d checks after the kill: last and committed batch %d, Spark's last reading, no error" % (
            len(after), done), after and not stale, "\n".join(stale))
    except Exception:
        import traceback

        tap.notok("real-time mode killed", "%s\n%s" % (traceback.format_exc(), k.tail() if k else ""))
    finally:
        stop.set()
        if loop:
            loop.stop()
        if k:
            k.kill()
        if broker:
            broker.stop()
        if os.environ.get("STREAMTOP_SPARK_KEEP"):
            if loop:
                with open(os.path.join(work, "passes.json"), "w") as f:
                    json.dump(loop.snapshot("c"), f)
            tap.note("kept " + work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    tap.note("real-time mode killed: %.0fs" % (time.time() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
