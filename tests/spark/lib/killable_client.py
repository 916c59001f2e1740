"""A killable Spark driver (tests/spark/killable.py) in its own process group: started with the
virtualenv's python, its stdout JSON lines queued as they come, SIGKILLed as a whole group (the
python driver and the JVM it launched), or stopped. Used by tests/spark/restart.py and
bench/detect.py; tests/spark/rtm.py passes its own driver (tests/spark/rtm_driver.py), which
speaks the same stdout/stdin lines."""
import atexit
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time

SCRIPT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "killable.py")


def group_members(pgid):
    """Pids whose process group is pgid (from /proc), zombies left out."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                stat = f.read()
        except OSError:
            continue
        # pid (comm) state ppid pgrp ...: comm may hold spaces, so split after its ')'
        fields = stat[stat.rfind(")") + 2:].split()
        if len(fields) > 2 and int(fields[2]) == pgid and fields[0] != "Z":
            out.append(int(d))
    return out


class Killable:
    def __init__(self, args, log_path, start_timeout=120, script=SCRIPT):
        self.log_path = log_path
        self.logf = open(log_path, "ab")
        env = dict(os.environ, PYSPARK_PYTHON=sys.executable, PYSPARK_DRIVER_PYTHON=sys.executable)
        self.t0 = time.time()
        self.proc = subprocess.Popen([sys.executable, script, json.dumps(args)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.logf, env=env, text=True,
                                     start_new_session=True)
        self.pgid = self.proc.pid  # a new session: its leader's pid is the group's id
        atexit.register(self.kill)
        self.lines = queue.Queue()
        self.seen = []  # every JSON line so far, in order
        threading.Thread(target=self._read, daemon=True).start()
        self.started = self.wait_for(lambda d: "started" in d, start_timeout)
        if not self.started:
            raise RuntimeError("killable driver did not start within %ds\n%s" % (start_timeout, self.tail()))

    def _read(self):
        for line in self.proc.stdout:
            line = line.strip()
            if line.startswith("{"):
                try:
                    self.lines.put(json.loads(line))
                except ValueError:
                    pass
        self.lines.put(None)

    def wait_for(self, pred, timeout, start=0):
        """The first line from the start-th on (seen before or arriving within timeout s) for
        which pred holds."""
        for d in self.seen[start:]:
            if pred(d):
                return d
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                d = self.lines.get(timeout=max(0.05, deadline - time.time()))
            except queue.Empty:
                return None
            if d is None:
                self.lines.put(None)  # the process is gone: every later wait ends at once
                return None
            self.seen.append(d)
            if pred(d):
                return d
        return None

    def drain(self):
        """Take what arrived so far without waiting."""
        while True:
            try:
                d = self.lines.get_nowait()
            except queue.Empty:
                return
            if d is None:
                self.lines.put(None)
                return
            self.seen.append(d)

    def progress(self):
        """Batch ids of the progress events so far."""
        self.drain()
        return [d["progress"] for d in self.seen if isinstance(d.get("progress"), int)]

    def ask_truth(self, timeout=60):
        self.drain()
        n = len(self.seen)
        self.proc.stdin.write(json.dumps({"op": "truth"}) + "\n")
        self.proc.stdin.flush()
        return (self.wait_for(lambda d: "truth" in d, timeout, start=n) or {}).get("truth")

    def sigkill(self):
        """SIGKILL the whole process group at once; returns the time (epoch ms) it was sent."""
        at = int(time.time() * 1000)
        os.killpg(self.pgid, signal.SIGKILL)
        self.proc.wait(10)
        return at

    def tail(self, n=3000):
        try:
            with open(self.log_path, "rb") as f:
                text = f.read().decode(errors="replace")
        except OSError:
            return ""
        errs = [ln for ln in text.splitlines()
                if ("Error" in ln or "Exception" in ln) and not ln.lstrip().startswith("at ")]
        return "\n".join(errs[:12]) + "\n...\n" + text[-n:]

    def stop(self, timeout=60):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write(json.dumps({"op": "stop"}) + "\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout)
            except (OSError, ValueError, subprocess.TimeoutExpired):
                pass
        self.kill()

    def kill(self):
        if group_members(self.pgid):
            try:
                os.killpg(self.pgid, signal.SIGKILL)
            except OSError:
                pass
        if self.proc.poll() is None:
            self.proc.wait(10)
