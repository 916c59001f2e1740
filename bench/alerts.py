"""Alerting benchmark.

1. `check` over 500 simulated streams with 10 rules (and the built-in ones), from process start
   to exit with a warm state DB, against `export` of the same streams and DB: the alerting
   overhead. Target: under 1.3x.
2. Delivery of 1,000 queued notifications to a loopback receiver that takes 50 ms per request:
   `check` (32 requests at once) against a sequential client posting the same 1,000 bodies.
   Target: under 5 s.

usage: alerts.py STREAMTOP TREE RUNS
"""
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

from benchlib import timed

HERE = os.path.dirname(os.path.abspath(__file__))
RULES = [("backlog_files", "> 100", "> 1000"), ("backlog_age_seconds", "> 600", "> 1800"),
         ("commit_age_seconds", "> 300", "> 900"), ("inflight_seconds", "> 300", "> 900"),
         ("batch_duration_seconds", "> 30", "> 120"), ("deadletter_files", "> 10", "> 100"),
         ("schema_age_seconds", "< 60", "< 10"), ("sink_lag_batches", "> 5", "> 20"),
         ("input_rows_per_second", "< 0.1", "< 0.01"), ("state_bytes", "> 1e9", "> 1e10")]


def start_receiver(tmp, delay_ms):
    portfile = os.path.join(tmp, f"recv{delay_ms}.port")
    p = subprocess.Popen([sys.executable, os.path.join(HERE, "..", "tests", "e2e", "httpd.py"),
                          portfile, "--max-requests", "100000", "--seconds", "900",
                          "--delay-ms", str(delay_ms)])
    for _ in range(100):
        if os.path.exists(portfile) and open(portfile).read():
            return p, int(open(portfile).read())
        time.sleep(0.1)
    sys.exit("bench: the receiver did not start")


def overhead(streamtop, tree, runs, tmp):
    ini = os.path.join(tmp, "rules.ini")
    with open(os.path.join(tree, "streamtop.ini")) as f:
        base = f.read()
    with open(ini, "w") as f:
        f.write(base)
        for i, (m, w, c) in enumerate(RULES):
            f.write(f"\n[rule r{i}]\nstreams = *\nmetric = {m}\nwarn = {w}\ncrit = {c}\n")
    db = os.path.join(tmp, "warm.db")
    env = f"STREAMTOP_CONFIG={ini}"
    subprocess.call(f"{env} {streamtop} --db {db} check -q >/dev/null", shell=True)
    ex, ck = [], []
    for _ in range(runs):
        ex.append(timed(f"{env} {streamtop} --db {db} export -f json >/dev/null"))
        ck.append(timed(f"{env} {streamtop} --db {db} check -q >/dev/null; true"))
    return ex, ck


def delivery(streamtop, runs, tmp):
    dl = os.path.join(tmp, "dlq")
    os.makedirs(dl, exist_ok=True)
    for i in range(3):
        open(os.path.join(dl, f"bad-{i}.json"), "w").close()
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    dead = s.getsockname()[1]
    s.close()
    recv, port = start_receiver(tmp, 50)

    def config(url):
        path = os.path.join(tmp, "deliver.ini")
        with open(path, "w") as f:
            for i in range(1000):
                f.write(f"[stream s{i:04d}]\ndeadletter = {dl}\n")
            f.write("[rule full]\nmetric = deadletter_files\ncrit = > 2\nnotify = hook\n")
            f.write(f"[webhook hook]\nurl = {url}\ntimeout = 5s\n")
            f.write("[builtin]\ndeadletter_growing = off\n")
        return path

    # queue 1,000 notifications: the first run finds the webhook down
    template = os.path.join(tmp, "queued.db")
    now = 1795440000000
    cfg = config(f"http://127.0.0.1:{dead}/hook")
    subprocess.call(f"STREAMTOP_NOW_MS={now} {streamtop} -c {cfg} --db {template} check -q "
                    ">/dev/null 2>&1", shell=True)
    cfg = config(f"http://127.0.0.1:{port}/hook")
    runs_st = []
    for _ in range(runs):
        db = os.path.join(tmp, "run.db")
        for ext in ("", "-wal", "-shm"):
            if os.path.exists(template + ext):
                shutil.copy(template + ext, db + ext)
            elif os.path.exists(db + ext):
                os.remove(db + ext)
        cmd = (f"STREAMTOP_NOW_MS={now + 120000} {streamtop} -c {cfg} --db {db} check -f json "
               f"> {tmp}/deliver.json; true")
        runs_st.append(timed(cmd))
        out = subprocess.run(["sqlite3", db, "SELECT COUNT(*) FROM outbox WHERE done_ms IS NOT "
                              "NULL AND status = 200"], capture_output=True, text=True).stdout
        if out.strip() and int(out) != 1000:
            sys.exit(f"bench: {out.strip()} of 1000 delivered")
    # the baseline: one client posting the same bodies one after another
    body = b'{"version":1,"event":"firing","alert":"full"}'
    import http.client
    t0 = time.time()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    for _ in range(1000):
        conn.request("POST", "/hook", body, {"Content-Type": "application/json"})
        conn.getresponse().read()
    seq = time.time() - t0
    recv.terminate()
    return runs_st, seq


def main():
    streamtop, tree, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with tempfile.TemporaryDirectory() as tmp:
        ex, ck = overhead(streamtop, tree, runs, tmp)
        dv, seq = delivery(streamtop, runs, tmp)
    med = lambda xs, i: statistics.median(x[i] for x in xs)
    print(f"check over 500 streams with 10 rules, warm state DB, median of {runs} runs")
    print(f"  {'':34} {'wall':>8} {'peak RSS':>10}")
    print(f"  {'export -f json (baseline)':34} {med(ex, 0) / 1000:7.2f}s {med(ex, 1):8.1f}MiB")
    print(f"  {'check -q':34} {med(ck, 0) / 1000:7.2f}s {med(ck, 1):8.1f}MiB")
    print(f"  check / export = {med(ck, 0) / med(ex, 0):.2f}x (target < 1.3x)")
    print(f"delivery of 1,000 queued notifications to a receiver taking 50 ms per request")
    print(f"  {'sequential client (baseline)':34} {seq:7.2f}s")
    print(f"  {'check (delivering)':34} {med(dv, 0) / 1000:7.2f}s {med(dv, 1):8.1f}MiB")
    print(f"  {seq / (med(dv, 0) / 1000):.1f}x faster (target < 5 s)")


if __name__ == "__main__":
    main()
