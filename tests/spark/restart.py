"""A driver killed with SIGKILL in the middle of a batch, then restarted from the same checkpoint,
watched the way cron and an on-call engineer watch it. Prints TAP lines for tests/run.sh. Run
with the project virtualenv's python (tests/e2e/test_spark.sh does).

The query (tests/spark/killable.py): the rate source into foreachBatch on a 1 s trigger; its
batch SLEEP_BATCH sleeps for ten minutes the first time it runs. streamtop watches it with a
state DB file, `check -f json` every PASS_S seconds (a fresh process each time, like cron), the
built-ins tightened in [builtin] (stalled_min, stuck_min), a webhook (tests/e2e/hookd.py), and
the dashboard in tmux on a private socket.

  1. After a few commits: every check is OK (exit 0, no alert) while the query runs.
  2. The batch starts sleeping; its driver's whole process group (python and the JVM) gets
     SIGKILL and is gone.
  3. Every check after the kill: last_batch_id = SLEEP_BATCH, committed_batch_id one less, a
     batch in flight; within a minute `stalled` and/or `batch-stuck` fire critical (exit 2), the
     webhook gets "firing", and the dashboard's row says crit with the batch in flight.
  4. A new driver on the same checkpoint first reads it with Spark's own OffsetSeqLog and
     CommitLog in its fresh session (ground truth, compared with what streamtop said after the
     kill: batch ids exactly; inflight_seconds against the pass time minus the batch's
     batchTimestampMs, within 1 s); then its query runs: Spark's first progress is batch
     SLEEP_BATCH again, and commits resume.
  5. The next checks are OK with no alert (exit 0), the webhook gets "resolved" for each rule
     that fired, and the dashboard's row says ok. No screen shows an escape sequence as text.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import env, tap  # noqa: E402
from lib.checkloop import CheckLoop, firing, stream  # noqa: E402
from lib.killable_client import Killable, group_members  # noqa: E402

SLEEP_BATCH = 6
PASS_S = 2
NAME = "killed"
RULES = ("builtin:stalled", "builtin:batch-stuck")


def write_config(path, work, port):
    with open(path, "w") as f:
        f.write("""; written by tests/spark/restart.py
[global]
refresh = 1s

[builtin]
stalled_min = 8s
stuck_min = 8s
notify = hook

[webhook hook]
format = json
url = http://127.0.0.1:{port}/hook
timeout = 5s

[stream {name}]
checkpoint = {ck}
progress   = {prog}
trigger    = 1s
""".format(port=port, name=NAME, ck=os.path.join(work, "ckpt", NAME),
           prog=os.path.join(work, "progress", NAME + ".jsonl")))


class Screen:
    """The dashboard in tmux on a private socket, its screen read with capture-pane."""

    def __init__(self, cfg, db, work):
        self.sock = "stk%d" % os.getpid()
        self.work = work
        self.up = False
        if shutil.which("tmux") is None:
            return
        cmd = "env LANG=C.UTF-8 TERM=xterm-256color %s -c %s --db %s; echo EXIT=$?; sleep 60" % (
            env.BIN, cfg, db)
        self.tm("new-session", "-d", "-s", "s", "-x", "132", "-y", "20", cmd)
        self.tm("set-option", "-t", "s", "remain-on-exit", "on")
        self.up = True
        self.screens = []

    def tm(self, *a):
        return subprocess.run(["tmux", "-L", self.sock] + list(a), capture_output=True, text=True,
                              timeout=10).stdout

    def capture(self):
        s = self.tm("capture-pane", "-p", "-t", "s")
        self.screens.append(s)
        return s

    def row(self, screen):
        for line in screen.splitlines():
            if re.search(r"\b%s\b" % NAME, line):
                return line
        return None

    def wait_row(self, pred, timeout=15):
        """The stream's row once pred(row) holds (polling the screen), else the last one."""
        deadline, row = time.time() + timeout, None
        while time.time() < deadline:
            row = self.row(self.capture())
            if row and pred(row):
                return row, True
            time.sleep(0.25)
        return row, False

    def quit(self):
        if not self.up:
            return None
        self.tm("send-keys", "-t", "s", "q")
        deadline = time.time() + 10
        s = ""
        while time.time() < deadline:
            s = self.capture()
            if "EXIT=" in s:
                break
            time.sleep(0.2)
        return s

    def close(self):
        if self.up:
            subprocess.run(["tmux", "-L", self.sock, "kill-server"], capture_output=True, timeout=10)
            self.up = False


def hook_events(ctl):
    try:
        with open(os.path.join(ctl, "log")) as f:
            return [json.loads(b["body"]) for b in map(json.loads, f) if b.get("body")]
    except (OSError, ValueError):
        return []


def wait_hook(ctl, pred, timeout=15):
    deadline = time.time() + timeout
    while True:
        ev = [e for e in hook_events(ctl) if pred(e)]
        if ev or time.time() > deadline:
            return ev
        time.sleep(0.3)


def metric(s, m):
    return (s or {}).get("metrics", {}).get(m)


def iso_ms(t):
    from datetime import datetime

    return int(datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp() * 1000)


def main():
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
    if shutil.which("java") is None:
        tap.skip("driver killed and restarted: no java")
        return 0
    t0 = time.time()
    work = tempfile.mkdtemp(prefix="live-restart.")
    ctl = os.path.join(work, "hook")
    os.makedirs(ctl)
    hookd = loop = screen = k1 = k2 = None
    try:
        hookd = subprocess.Popen([sys.executable, os.path.join(env.ROOT, "tests", "e2e", "hookd.py"), ctl,
                                  "--seconds", "180"], start_new_session=True)
        deadline = time.time() + 10
        while not os.path.exists(os.path.join(ctl, "port")) and time.time() < deadline:
            time.sleep(0.05)
        with open(os.path.join(ctl, "port")) as f:
            port = int(f.read())
        cfg, db = os.path.join(work, "streamtop.ini"), os.path.join(work, "state.db")
        write_config(cfg, work, port)
        marker = os.path.join(work, NAME + ".sleeping")
        args = {"work": work, "name": NAME, "trigger": "1 second", "rows_per_second": 20,
                "sleep_batch": SLEEP_BATCH, "sleep_s": 600, "marker": marker}

        # 1. a few commits, then cron-like checks and the dashboard while it runs
        k1 = Killable(args, os.path.join(work, "driver1.log"))
        tap.prefix = "spark %s: " % k1.started["spark"]
        tap.note("driver up after %.1fs" % (time.time() - t0))
        if not k1.wait_for(lambda d: d.get("progress", -1) >= 2, 90):
            raise RuntimeError("no progress for batch 2 within 90 s\n" + k1.tail())
        loop = CheckLoop([("c", cfg, db)], PASS_S)
        loop.start()
        screen = Screen(cfg, db, work)
        deadline = time.time() + 90
        while not os.path.exists(marker) and time.time() < deadline:
            time.sleep(0.1)
        if not os.path.exists(marker):
            raise RuntimeError("batch %d did not start sleeping within 90 s\n%s" % (SLEEP_BATCH, k1.tail()))
        time.sleep(2.5)  # in the middle of the batch, and a check or so sees it in flight

        # 2. SIGKILL the driver's process group
        members = group_members(k1.pgid)
        tap.check("the driver's process group holds python and the JVM (%d processes)" % len(members),
                  len(members) >= 2, str(members))
        kill_ms = k1.sigkill()
        deadline = time.time() + 10
        while group_members(k1.pgid) and time.time() < deadline:
            time.sleep(0.1)
        tap.check("SIGKILL ended the whole process group", not group_members(k1.pgid),
                  str(group_members(k1.pgid)))
        tap.note("killed in batch %d after %.1fs" % (SLEEP_BATCH, time.time() - t0))

        before = [p for p in loop.snapshot("c") if p["end_ms"] < kill_ms]
        bad = ["rc %s, %s: %s %s" % (p["rc"], (stream(p, NAME) or {}).get("status"), firing(stream(p, NAME)),
                                     p.get("err", "")) for p in before
               if p["rc"] != 0 or (stream(p, NAME) or {}).get("status") != "ok" or firing(stream(p, NAME))]
        tap.check("%d checks while the query ran (short thresholds): OK, no alert" % len(before),
                  len(before) >= 2 and not bad, "\n".join(bad) or "too few passes")

        # 3. stalled / batch-stuck
        crit = None
        deadline = time.time() + 60
        while time.time() < deadline and crit is None:
            for p in loop.snapshot("c"):
                s = stream(p, NAME)
                if p["start_ms"] > kill_ms and p["rc"] == 2 and set(firing(s, "critical")) & set(RULES):
                    crit = p
                    break
            time.sleep(0.3)
        detect_s = (crit["end_ms"] - kill_ms) / 1000 if crit else None
        tap.check("check reports the stream critical (stalled / batch-stuck firing, exit 2) within 60 s"
                  " of the kill (%s s)" % (detect_s and round(detect_s, 1)), crit is not None,
                  json.dumps([(p["rc"], stream(p, NAME)) for p in loop.snapshot("c")[-2:]])[:3000])
        if crit:
            s = stream(crit, NAME)
            tap.note("firing: %s" % ", ".join("%s %s %s" % (a["rule"], a["level"], a["threshold"])
                                              for a in s["alerts"]))
        after = [p for p in loop.snapshot("c") if p["start_ms"] > kill_ms]
        wrong = []
        for p in after:
            s = stream(p, NAME)
            if not (metric(s, "last_batch_id") == SLEEP_BATCH and metric(s, "committed_batch_id") == SLEEP_BATCH - 1
                    and (metric(s, "inflight_seconds") or 0) > 0 and not s["errors"]):
                wrong.append(json.dumps({k: metric(s, k) for k in ("last_batch_id", "committed_batch_id",
                                                                   "inflight_seconds")}) + str((s or {}).get("errors")))
        tap.check("%d checks after the kill: batch %d in flight, %d committed, no error" % (
            len(after), SLEEP_BATCH, SLEEP_BATCH - 1), after and not wrong, "\n".join(wrong))
        fired = wait_hook(ctl, lambda e: e.get("event") == "firing" and e.get("stream") == NAME
                          and e.get("alert") in RULES and e.get("level") == "critical")
        tap.check("the webhook got a critical \"firing\" (%s)" % ", ".join(sorted({e["alert"] for e in fired})),
                  fired, json.dumps(hook_events(ctl))[:2000])
        if screen.up:
            row, good = screen.wait_row(lambda r: "crit" in r and str(SLEEP_BATCH) in r.split())
            tap.check("the dashboard's row: crit, batch %d in flight (%s)" % (SLEEP_BATCH, (row or "").strip()),
                      good and str(SLEEP_BATCH - 1) in row.split(), "\n".join(screen.screens[-1:]))
        else:
            tap.skip("the dashboard in tmux: no tmux")

        # 4. restart from the same checkpoint: first Spark's own reading of it
        k2 = Killable(dict(args, truth_first=True), os.path.join(work, "driver2.log"))
        truth = k2.wait_for(lambda d: "truth" in d, 5)["truth"]
        last = after[-1] if after else None
        s = stream(last, NAME)
        tap.check("after the kill streamtop's batch ids are Spark's (OffsetSeqLog %s, CommitLog %s, fresh session)"
                  % (truth["last_batch_id"], truth["committed_batch_id"]),
                  metric(s, "last_batch_id") == truth["last_batch_id"] == SLEEP_BATCH
                  and metric(s, "committed_batch_id") == truth["committed_batch_id"] == SLEEP_BATCH - 1,
                  "streamtop %s / %s" % (metric(s, "last_batch_id"), metric(s, "committed_batch_id")))
        if s and truth.get("batch_timestamp_ms"):
            want = (iso_ms(last["doc"]["generated_at"]) - truth["batch_timestamp_ms"]) / 1000
            got = metric(s, "inflight_seconds")
            tap.check("inflight_seconds = pass time - OffsetSeqMetadata.batchTimestampMs (%.1f s, +-1 s)" % want,
                      got is not None and abs(got - want) <= 1.0, "streamtop %s" % got)
        restart_ms = int(time.time() * 1000)
        first = k2.wait_for(lambda d: "progress" in d, 90)
        tap.check("the restarted query runs batch %d again first (its first progress event)" % SLEEP_BATCH,
                  first and first["progress"] == SLEEP_BATCH, "%s\n%s" % (first, k2.tail()))
        if not k2.wait_for(lambda d: d.get("progress", -1) > SLEEP_BATCH, 30):
            raise RuntimeError("no commit after batch %d within 30 s of the restart" % SLEEP_BATCH)
        resumed_ms = int(time.time() * 1000)
        tap.note("restarted; commits resumed %.1fs after the new driver was up" % ((resumed_ms - restart_ms) / 1000))

        # 5. resolved
        good = None
        deadline = time.time() + 30
        while time.time() < deadline and good is None:
            for p in loop.snapshot("c"):
                s = stream(p, NAME)
                if p["start_ms"] > resumed_ms and p["rc"] == 0 and s and s["status"] == "ok" and not s["alerts"]:
                    good = p
                    break
            time.sleep(0.3)
        s = stream(good, NAME)
        tap.check("after the restart check reports the stream OK with no alert (exit 0; batch %s committed)"
                  % metric(s, "committed_batch_id"), good is not None and metric(s, "committed_batch_id") >= SLEEP_BATCH,
                  json.dumps([(p["rc"], stream(p, NAME)) for p in loop.snapshot("c")[-2:]])[:3000])
        fired_rules = {e["alert"] for e in fired}
        resolved = wait_hook(ctl, lambda e: e.get("event") == "resolved" and e.get("stream") == NAME
                             and e.get("alert") in fired_rules)
        tap.check("the webhook got \"resolved\" for each rule that fired (%s)" % ", ".join(sorted(fired_rules)),
                  fired_rules and {e["alert"] for e in resolved} == fired_rules, json.dumps(hook_events(ctl))[:2000])
        if screen.up:
            row, good_row = screen.wait_row(lambda r: re.search(r"\bok\b", r) is not None)
            tap.check("the dashboard's row: ok again (%s)" % (row or "").strip(), good_row,
                      "\n".join(screen.screens[-1:]))
            end = screen.quit()
            tap.check("the dashboard quits with status 0", "EXIT=0" in (end or ""), end)
            garbage = [s for s in screen.screens
                       if re.search(r"\x1b|[\x00-\x08\x0b-\x1f\x7f]|\[[0-9;?]+[A-Za-z]|\^\[", s)]
            tap.check("no escape sequence or control byte shown on %d screens" % len(screen.screens),
                      not garbage, (garbage or [""])[0])
    except Exception:
        import traceback

        tap.notok("driver killed and restarted", "%s\n%s" % (traceback.format_exc(), (k2 or k1).tail() if (k2 or k1) else ""))
    finally:
        if loop:
            loop.stop()
        if screen:
            screen.close()
        for k in (k1, k2):
            if k:
                k.stop()
        if hookd and hookd.poll() is None:
            hookd.terminate()
            hookd.wait(10)
        if os.environ.get("STREAMTOP_SPARK_KEEP"):
            tap.note("kept " + work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    tap.note("driver killed and restarted: %.0fs" % (time.time() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
