"""`streamtop serve` against the alternatives, in one run (not CI):

1. /metrics latency under 100 concurrent scrapers (wrk, 2 threads, 100 connections, 10 s, each
   request with Accept-Encoding: gzip as Prometheus sends it), p50
   and p99, beside node_exporter's textfile collector serving the same `export -f prom` text;
   the daemon between passes and with passes running back to back (the worst case: every
   scrape competes with a pass for the 2 cores; that daemon is stopped with SIGSTOP while the
   others are measured, so its passes take no core from them); median of RUNS runs each,
   alternating. Two
   shapes of load: 100 scrapes started at the same moment (curl --parallel, 20 rounds), as 100
   Prometheus servers scraping on the same tick; and 100 connections scraping back to back
   without pause (wrk), a stress test whose latency is bound by the 2 cores wrk shares.
   BENCH_SERVE_PARTS=latency,cpu,memory picks parts.
2. CPU per pass: the daemon's user+system time per pass (from /proc, over 20 passes after the
   first) beside `export -f prom` run as cron runs it (a fresh process each time, the state DB
   kept between runs), median of RUNS runs.
3. Memory: the daemon's resident set (VmRSS) and peak (VmHWM) after PASSES back-to-back passes
   (a day of passes at a one-minute cadence, compressed into as fast as the passes run; the
   history store grows by a sample per stream and metric each pass, as it would over the day).
"""
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

from benchlib import timed

HZ = os.sysconf("SC_CLK_TCK")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_http(url, seconds=120):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except Exception:
            time.sleep(0.2)
    sys.exit(f"bench: no answer from {url}")


def wrk(url):
    # as Prometheus scrapes: it always asks for gzip
    out = subprocess.run(["wrk", "-t2", "-c100", "-d10s", "--timeout", "30s", "--latency", "-H",
                          "Accept-Encoding: gzip", url],
                         capture_output=True, text=True, check=True).stdout
    def ms(label):
        m = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        v = float(m.group(1))
        return v / 1000 if m.group(2) == "us" else v * 1000 if m.group(2) == "s" else v
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)", out)
    return ms("50%"), ms("99%"), rps, errors.group(0) if errors else ""


def burst(url, rounds=20, n=100):
    """rounds of n scrapes started at the same moment (curl --parallel, one connection each):
    the median and 99th percentile of the answered scrapes' total times in ms, and how many
    were refused (node_exporter answers 503 past its --web.max-requests, 40 by default)."""
    times, refused = [], 0
    for _ in range(rounds):
        cmd = ["curl", "-s", "--parallel", "--parallel-immediate", "--parallel-max", str(n),
               "-H", "Accept-Encoding: gzip", "-w", "%{http_code} %{time_total}\n"]
        for _ in range(n):
            cmd += ["-o", "/dev/null", url]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.split("\n")
        for line in out:
            if line.strip():
                code, t = line.split()
                if code == "200":
                    times.append(float(t) * 1000)
                else:
                    refused += 1
        time.sleep(0.2)
    times.sort()
    if not times:
        return float("nan"), float("nan"), refused
    return times[len(times) // 2], times[max(int(len(times) * 0.99) - 1, 0)], refused


def cpu_s(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / HZ


def mem_mib(pid):
    st = open(f"/proc/{pid}/status").read()
    get = lambda k: int(re.search(rf"^{k}:\s+(\d+) kB", st, re.M).group(1)) / 1024
    return get("VmRSS"), get("VmHWM")


class Daemon:
    def __init__(self, binary, cfg, db, interval):
        self.port = free_port()
        self.log = tempfile.NamedTemporaryFile("w+")
        self.p = subprocess.Popen([binary, "-c", cfg, "--db", db, "serve", "--interval", interval,
                                   "--listen", f"127.0.0.1:{self.port}"],
                                  stdout=subprocess.DEVNULL, stderr=self.log)
        self.url = f"http://127.0.0.1:{self.port}"
        wait_http(self.url + "/readyz", 600)

    def passes(self):
        self.log.seek(0)
        return sum(1 for l in self.log if re.search(r"\bpass \d+:", l) or '"pass"' in l)

    def wait_passes(self, n, seconds=3600):
        deadline = time.time() + seconds
        while self.passes() < n:
            if self.p.poll() is not None or time.time() > deadline:
                sys.exit("bench: the daemon stopped or stalled")
            time.sleep(0.05)

    def stop(self):
        self.p.terminate()
        self.p.wait(60)


def main():
    binary, tree, runs, passes = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    parts = os.environ.get("BENCH_SERVE_PARTS", "latency,cpu,memory").split(",")
    cfg = os.path.join(tree, "streamtop.ini")
    nstreams = open(os.path.join(tree, ".streams")).read().strip()
    work = tempfile.mkdtemp(prefix="servebench.")
    print(f"{nstreams} simulated streams, median of {runs} runs")

    if "latency" in parts:
        latency(binary, cfg, work, runs)
    if "cpu" in parts:
        cpu(binary, cfg, work, runs, nstreams)
    if "memory" in parts:
        memory(binary, cfg, work, passes)
    subprocess.run(["rm", "-rf", work])


def latency(binary, cfg, work, runs):
    d = Daemon(binary, cfg, os.path.join(work, "lat.db"), "1h")
    tdir = os.path.join(work, "textfile")
    os.mkdir(tdir)
    prom = urllib.request.urlopen(d.url + "/metrics", timeout=30).read()
    text = subprocess.run([binary, "-c", cfg, "--db", ":memory:", "export", "-f", "prom"],
                          capture_output=True, check=True).stdout
    with open(os.path.join(tdir, "streamtop.prom"), "wb") as f:
        f.write(text)
    nport = free_port()
    ne = subprocess.Popen(["prometheus-node-exporter", "--collector.disable-defaults",
                           "--collector.textfile", f"--collector.textfile.directory={tdir}",
                           f"--web.listen-address=127.0.0.1:{nport}"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_http(f"http://127.0.0.1:{nport}/metrics")
    busy = Daemon(binary, cfg, os.path.join(work, "busy.db"), "100ms")
    # the busy daemon's passes would take a core from whatever else is measured: it is
    # stopped (SIGSTOP) but while it is measured itself
    busy.wait_passes(2)
    busy.p.send_signal(signal.SIGSTOP)
    res = {"serve": [], "busy": [], "node_exporter": []}
    bursts = {"serve": [], "busy": [], "node_exporter": []}
    urls = {"serve": d.url + "/metrics", "busy": busy.url + "/metrics",
            "node_exporter": f"http://127.0.0.1:{nport}/metrics"}
    for _ in range(runs):
        for k, u in urls.items():
            if k == "busy":
                busy.p.send_signal(signal.SIGCONT)
            res[k].append(wrk(u))
            bursts[k].append(burst(u, rounds=2 if k == "node_exporter" else 20))
            if k == "busy":
                busy.p.send_signal(signal.SIGSTOP)
    busy.p.send_signal(signal.SIGCONT)
    ne.terminate()
    ne.wait()
    d.stop()
    busy.stop()
    print(f"\n/metrics under 100 concurrent scrapers (wrk -t2 -c100 -d10s, Accept-Encoding: gzip as Prometheus "
          f"sends; {len(prom) / 1024:.0f} KiB of text from serve, {len(text) / 1024:.0f} KiB of export text for node_exporter):")
    print(f"  {'':40} {'100 at once (curl --parallel)':>30} {'100 back to back (wrk)':>30}")
    print(f"  {'server':40} {'p50 ms':>14} {'p99 ms':>15} {'p50 ms':>9} {'p99 ms':>9} {'req/s':>10}")
    for name, label in (("node_exporter", "baseline: node_exporter textfile"), ("serve", "streamtop serve, between passes"),
                        ("busy", "streamtop serve, passes back to back")):
        r, b = res[name], bursts[name]
        print(f"  {label:40} {statistics.median(x[0] for x in b):14.1f} {statistics.median(x[1] for x in b):15.1f} "
              f"{statistics.median(x[0] for x in r):9.1f} "
              f"{statistics.median(x[1] for x in r):9.1f} {statistics.median(x[2] for x in r):10.0f}"
              + (f"  refused at once: {b[-1][2]}" if b[-1][2] else "")
              + ("  " + r[-1][3] if r[-1][3] else ""))



def cpu(binary, cfg, work, runs, nstreams):
    cron_db = os.path.join(work, "cron.db")
    subprocess.run(f"'{binary}' -c '{cfg}' --db '{cron_db}' export -f prom >/dev/null", shell=True, check=True)
    cron = []
    for _ in range(max(runs, 5)):
        with tempfile.NamedTemporaryFile("r") as out:
            subprocess.run(["/usr/bin/time", "-f", "%U %S %e", "-o", out.name, "sh", "-c",
                            f"'{binary}' -c '{cfg}' --db '{cron_db}' export -f prom >/dev/null"], check=True)
            u, s, e = map(float, out.read().split()[-3:])
            cron.append((u + s, e))
    d = Daemon(binary, cfg, os.path.join(work, "cpu.db"), "100ms")
    d.wait_passes(1)
    c0, n0 = cpu_s(d.p.pid), d.passes()
    d.wait_passes(n0 + 20)
    c1, n1 = cpu_s(d.p.pid), d.passes()
    d.stop()
    per = (c1 - c0) / (n1 - n0)
    print(f"\nCPU per pass ({nstreams} streams):")
    print(f"  {'baseline: export -f prom from cron (new process, state DB kept)':66} "
          f"{statistics.median(c for c, _ in cron) * 1000:7.0f} ms CPU, {statistics.median(e for _, e in cron) * 1000:6.0f} ms wall")
    print(f"  {'streamtop serve, passes 2 onward':66} {per * 1000:7.0f} ms CPU")



def memory(binary, cfg, work, passes):
    d = Daemon(binary, cfg, os.path.join(work, "day.db"), "100ms")
    t0 = time.time()
    marks = []
    for n in sorted({10, 100, passes // 4, passes // 2, passes}):
        d.wait_passes(n, 7200)
        rss, hwm = mem_mib(d.p.pid)
        marks.append((n, rss, hwm))
    took = time.time() - t0
    d.stop()
    print(f"\nDaemon memory over {passes} passes ({took:.0f} s):")
    print(f"  {'after pass':>10} {'RSS MiB':>9} {'peak MiB':>9}")
    for n, rss, hwm in marks:
        print(f"  {n:10d} {rss:9.1f} {hwm:9.1f}")
    db = os.path.join(work, "day.db")
    print(f"  state DB after them: {os.path.getsize(db) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
