"""`streamtop check` the way cron runs it: a fresh process every PERIOD seconds, each with a
config and a state DB file, its JSON output and exit status recorded with when it ran."""
import json
import subprocess
import threading
import time

from . import env


def check_once(cfg, db, timeout=60):
    """One `streamtop -c cfg --db db check -f json` run: a dict with start_ms, end_ms, rc, the
    parsed JSON (doc, or None with the error in err) and stderr."""
    t = int(time.time() * 1000)
    try:
        r = subprocess.run([env.BIN, "-c", cfg, "--db", db, "check", "-f", "json"],
                           capture_output=True, text=True, timeout=timeout)
        out, rc, err = r.stdout, r.returncode, r.stderr
    except subprocess.TimeoutExpired:
        out, rc, err = "", None, "timed out after %ds" % timeout
    p = {"start_ms": t, "end_ms": int(time.time() * 1000), "rc": rc, "stderr": err[-2000:], "doc": None}
    try:
        p["doc"] = json.loads(out)
    except ValueError as e:
        p["err"] = "not JSON (%s): %r" % (e, out[:300])
    return p


def stream(p, name):
    """The stream called name in pass p's JSON, or None."""
    for s in (p.get("doc") or {}).get("streams", []):
        if s["name"] == name:
            return s
    return None


def firing(s, level=None):
    """The rules firing on stream s (at level, when given)."""
    return [a["rule"] for a in (s or {}).get("alerts", [])
            if a.get("state", "firing") == "firing" and (level is None or a["level"] == level)]


class CheckLoop(threading.Thread):
    """Every period seconds, one check per (label, cfg, db) of jobs; passes[label] collects them
    in order. stop() ends it after the tick under way."""

    def __init__(self, jobs, period):
        super().__init__(daemon=True)
        self.jobs, self.period = jobs, period
        self.passes = {label: [] for label, _, _ in jobs}
        self.stopped = threading.Event()
        self.lock = threading.Lock()

    def run(self):
        nxt = time.time()
        while not self.stopped.is_set():
            for label, cfg, db in self.jobs:
                p = check_once(cfg, db)
                with self.lock:
                    self.passes[label].append(p)
            nxt += self.period
            self.stopped.wait(max(0.0, nxt - time.time()))

    def snapshot(self, label):
        with self.lock:
            return list(self.passes[label])

    def stop(self):
        self.stopped.set()
        self.join(90)
