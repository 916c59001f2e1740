"""Time to detect a killed driver, and false alarms on healthy ones, live (not run by CI).

RUNS times: a Spark driver (tests/spark/killable.py: the rate source into foreachBatch, 1 s
trigger) is started, its batch 6 starts sleeping, and 1 to 3 s later its whole process group
gets SIGKILL. `streamtop check -f json` runs the way cron would, a fresh process every 10 s over
every stream, twice a tick: with the default built-ins (no [builtin] section, no trigger on the
killed streams) and with the old defaults written out (stalled_min = 5m, stuck_min = 15m), each
with its own state DB. Time to detect: from the SIGKILL to the end of the first check that
reports the stream critical. The baseline beside it is the trigger interval.

Meanwhile the live suite's healthy scenarios run the whole time (tests/spark/driver.py: files
into Delta with a feeder, Kafka into a slow foreachBatch with a producer, the Delta table read
back; plus one more killable driver that is never killed), watched by the same checks: every
check that does not call them OK is a false alarm, as is any check calling a killed driver's
stream not OK before its kill. Also printed: the longest commit age and time in flight the
healthy streams showed, and how long a driver takes from its start to its first progress
event (what a restart costs, during which a dead driver and a restarting one look alike).

usage: detect.py STREAMTOP RUNS   (with the virtualenv's python; BENCH_DETECT_OLD=0 leaves the
old defaults out, so a run takes minutes less)
"""
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SPARK = os.path.join(HERE, "..", "tests", "spark")
sys.path.insert(0, SPARK)
from lib import env  # noqa: E402
from lib.checkloop import CheckLoop, stream  # noqa: E402
from lib.driver_client import Driver  # noqa: E402
from lib.kafka import Broker  # noqa: E402
from lib.killable_client import Killable  # noqa: E402
import run as live  # noqa: E402  (the live suite's feeder and producer, as they are)

PERIOD = 10
SLEEP_BATCH = 6
OLD = "[builtin]\nstalled_min = 5m\nstuck_min = 15m\n\n"
HEALTHY = ("files", "dsrc", "kafka", "healthy")


def config(path, work, started, runs, builtin):
    f, k, d = started["files"], started["kafka"], started["dsrc"]
    prog = os.path.join(work, "progress")
    text = builtin + """[stream files]
checkpoint = {fc}
source     = {fs}
sink       = {fk}
progress   = {prog}/files.jsonl
trigger    = 2s

[stream dsrc]
checkpoint = {dc}
source     = {ds}
trigger    = 2s

[stream kafka]
checkpoint = {kc}
progress   = {prog}/kafka.jsonl
trigger    = 1s
""".format(fc=f["checkpoint"], fs=f["source"], fk=f["sink"], dc=d["checkpoint"], ds=d["source"],
           kc=k["checkpoint"], prog=prog)
    for name in ["healthy"] + ["k%d" % i for i in range(1, runs + 1)]:
        text += "\n[stream {n}]\ncheckpoint = {c}\nprogress   = {p}/{n}.jsonl\n".format(
            n=name, c=os.path.join(work, "ckpt", name), p=prog)
    with open(path, "w") as out:
        out.write(text)


def rules(s):
    return ",".join(sorted(a["rule"] + ":" + a["level"] for a in (s or {}).get("alerts", [])))


def detected(passes, name, kill_ms):
    """(seconds from the kill to the end of the first check calling name critical, its rules)."""
    for p in passes:
        s = stream(p, name)
        if p["start_ms"] > kill_ms and s and s["status"] == "critical":
            return (p["end_ms"] - kill_ms) / 1000, rules(s)
    return None, None


def fmt(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return "-", "-"
    return "%.0f s" % statistics.median(xs), "%.0f-%.0f s" % (min(xs), max(xs))


def main():
    bin_, runs = sys.argv[1], int(sys.argv[2])
    with_old = os.environ.get("BENCH_DETECT_OLD", "1") != "0"
    env.BIN = os.path.abspath(bin_)
    work = tempfile.mkdtemp(prefix="bench-detect.")
    broker = driver = feeder = producer = loop = None
    kills, starts = {}, []
    t0 = time.time()
    try:
        broker = Broker()
        from kafka.admin import KafkaAdminClient, NewTopic

        admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap, request_timeout_ms=30000)
        admin.create_topics([NewTopic(live.TOPIC, num_partitions=3, replication_factor=1)])
        admin.close()
        producer = live.Producer(broker.bootstrap)
        producer.start()
        os.makedirs(os.path.join(work, "landing"))
        os.makedirs(os.path.join(work, "scratch"))
        feeder = live.Feeder(os.path.join(work, "landing"), os.path.join(work, "scratch"))
        feeder.start()
        driver = Driver({"work": work, "bootstrap": broker.bootstrap, "topic": live.TOPIC,
                         "jars": env.spark_jars()}, os.path.join(work, "driver.log"))
        cfg_new, cfg_old = os.path.join(work, "new.ini"), os.path.join(work, "old.ini")
        config(cfg_new, work, driver.started, runs, "")
        config(cfg_old, work, driver.started, runs, OLD)
        jobs = [("new", cfg_new, os.path.join(work, "new.db"))]
        if with_old:
            jobs.append(("old", cfg_old, os.path.join(work, "old.db")))
        loop = CheckLoop(jobs, PERIOD)
        loop.start()
        healthy = Killable({"work": work, "name": "healthy"}, os.path.join(work, "healthy.log"))
        print("# spark %s; healthy scenarios up after %.0f s" % (driver.started["spark"], time.time() - t0),
              flush=True)
        for i in range(1, runs + 1):
            name = "k%d" % i
            marker = os.path.join(work, name + ".sleeping")
            t = time.time()
            k = Killable({"work": work, "name": name, "sleep_batch": SLEEP_BATCH, "marker": marker},
                         os.path.join(work, name + ".log"))
            first = k.wait_for(lambda d: isinstance(d.get("progress"), int), 120)
            if first:
                starts.append(first["at_ms"] / 1000 - t)
            deadline = time.time() + 120
            while not os.path.exists(marker) and time.time() < deadline:
                time.sleep(0.1)
            if not os.path.exists(marker):
                sys.exit("bench: %s never reached batch %d\n%s" % (name, SLEEP_BATCH, k.tail()))
            time.sleep(random.uniform(1, 3))
            kills[name] = k.sigkill()
            print("# %s killed in batch %d, %.0f s after its start" % (name, SLEEP_BATCH, time.time() - t),
                  flush=True)
        # wait for every configuration to call every killed stream critical
        deadline = time.time() + (420 if with_old else 120)
        while time.time() < deadline:
            if all(detected(loop.snapshot(label), n, ms)[0] is not None for label, _, _ in jobs
                   for n, ms in kills.items()):
                break
            time.sleep(2)
        healthy_up = healthy.progress()
        healthy.stop()
    finally:
        if loop:
            loop.stop()
        for th in (feeder, producer):
            if th:
                th.stopped.set()
        if driver:
            driver.stop()
        if broker:
            broker.stop()
        watched = time.time() - t0
        if not os.environ.get("BENCH_KEEP"):
            shutil.rmtree(work, ignore_errors=True)

    labels = [label for label, _, _ in jobs]
    det = {label: [detected(loop.snapshot(label), n, kills[n]) for n in sorted(kills)] for label in labels}
    print("\nTime to detect a driver killed mid-batch (SIGKILL), `check` every %d s, %d runs, "
          "%.0f min watched" % (PERIOD, len(kills), watched / 60))
    print("| configuration | median | range | rules firing at detection |")
    print("|---|---|---|---|")
    print("| baseline: the trigger interval | 1 s | | |")
    names = {"old": "old defaults (stalled_min 5m, stuck_min 15m)", "new": "defaults (stalled_min 1m, stuck_min 2m)"}
    for label in ("old", "new"):
        if label in det:
            med, rng = fmt([d[0] for d in det[label]])
            print("| %s | %s | %s | %s |" % (names[label], med, rng, "; ".join(sorted({d[1] or "-" for d in det[label]}))))
    print("\nFalse alarms (checks not calling a healthy stream OK, from its first commit on):")
    for label in labels:
        bad, total, seen = [], 0, set()
        for p in loop.snapshot(label):
            for s in (p.get("doc") or {}).get("streams", []):
                n = s["name"]
                if n not in HEALTHY and not (n in kills and p["end_ms"] < kills[n]):
                    continue
                if n not in seen and s["metrics"].get("committed_batch_id") is None:
                    continue  # no checkpoint or no commit yet
                seen.add(n)
                total += 1
                if s["status"] != "ok":
                    bad.append("%s %s %s" % (n, s["status"], rules(s) or "; ".join(s["errors"])[:120]))
        print("  %s: %d of %d stream checks not OK%s" % (label, len(bad), total,
                                                        (": " + "; ".join(sorted(set(bad)))) if bad else ""))
    # what the healthy streams showed (the default checks), after their first commit
    new = loop.snapshot("new")
    for n in HEALTHY:
        ages = [stream(p, n)["metrics"].get("commit_age_seconds") for p in new if stream(p, n)]
        infl = [stream(p, n)["metrics"].get("inflight_seconds") for p in new if stream(p, n)]
        ages, infl = [a for a in ages if a is not None], [a for a in infl if a is not None]
        print("  %s: %d checks, longest commit age %s s, longest in flight %s s (first batch included)" % (
            n, len(ages), ages and round(max(ages), 1), infl and round(max(infl), 1)))
    if starts:
        print("  a killable driver's start to its first progress event: median %.0f s (%.0f-%.0f s)"
              % (statistics.median(starts), min(starts), max(starts)))
    print("  healthy killable driver: %d progress events" % len(healthy_up))
    return 0


if __name__ == "__main__":
    sys.exit(main())
