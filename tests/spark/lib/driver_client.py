"""The Spark driver (tests/spark/driver.py) in a subprocess of the harness: started with the
virtualenv's python, asked for ground truth over its stdin/stdout, stopped (or killed) at exit."""
import atexit
import json
import os
import queue
import subprocess
import sys
import threading
import time


class Driver:
    def __init__(self, args, log_path, start_timeout=180):
        here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        self.log_path = log_path
        self.logf = open(log_path, "ab")
        env = dict(os.environ, PYSPARK_PYTHON=sys.executable, PYSPARK_DRIVER_PYTHON=sys.executable,
                   SPARK_LOCAL_IP="127.0.0.1")
        self.proc = subprocess.Popen([sys.executable, os.path.join(here, "driver.py"), json.dumps(args)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.logf,
                                     env=env, text=True, start_new_session=True)
        atexit.register(self.kill)
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.started = self._next(start_timeout)
        if not self.started or "started" not in self.started:
            raise RuntimeError("driver did not start: %s\n%s" % (self.started, self.tail()))

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def _next(self, timeout):
        deadline = time.time() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.1, deadline - time.time()))
            except queue.Empty:
                return None
            if line is None:
                return None
            line = line.strip()
            if line.startswith("{"):
                return json.loads(line)
            if time.time() > deadline:
                return None

    def ask(self, op, timeout=60, **kw):
        self.proc.stdin.write(json.dumps(dict(kw, op=op)) + "\n")
        self.proc.stdin.flush()
        r = self._next(timeout)
        if r is None:
            raise RuntimeError("driver gave no answer to %s within %ds\n%s" % (op, timeout, self.tail()))
        if "error" in r:
            raise RuntimeError("driver: %s" % r["error"])
        return r

    def tail(self, n=3000):
        """The driver log's Python and Java error lines (without stack frames), then its end."""
        try:
            with open(self.log_path, "rb") as f:
                text = f.read().decode(errors="replace")
        except OSError:
            return ""
        errs = [ln for ln in text.splitlines()
                if ("Error" in ln or "Exception" in ln or "Caused by" in ln) and not ln.lstrip().startswith("at ")]
        return "\n".join(errs[:12]) + "\n...\n" + text[-n:]

    def stop(self, timeout=60):
        if self.proc.poll() is None:
            try:
                self.ask("stop", timeout)
            except (RuntimeError, OSError, ValueError):
                pass
        self.kill()

    def kill(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, 9)  # its own session: the JVM it started goes too
            except OSError:
                pass
            self.proc.wait(10)
