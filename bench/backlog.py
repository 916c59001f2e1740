"""The file-source backlog benchmark (issue workload): one stream, a 1.5M-entry .compact (~230 MB)
plus 50 deltas, 200,000 landing files of which 5,000 wait.

Prints, side by side and as medians of several runs:
  baseline   wc -l over the source-log files + find LANDING -type f -printf '%s %T@\\n'
  cold       streamtop export (a fresh process, no state DB: --db :memory:)
  second     the next pass of the same process after one new delta and ten new files
             (timed by streamtop itself: watch -v logs each pass)
  restart    a new process with the cursors of the previous one (state DB on disk)
and the ratios: cold / baseline (target <= 2.5), second / cold (target < 5%), peak RSS (< 64 MB).
"""
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

from benchlib import drop_caches, timed


def second_pass(binary, root):
    """Run watch -v for two passes; between them add one delta and ten landing files."""
    cfg = os.path.join(root, "streamtop.ini")
    src = os.path.join(root, "ckpt", "sources", "0")
    last = max(int(n) for n in os.listdir(src) if n.isdigit())
    newdir = os.path.join(root, "landing", "dt=2026-11-30", "hr=00")
    proc = subprocess.Popen([binary, "-v", "--db", ":memory:", "-c", cfg, "watch", "-n", "2"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    passes = []
    added = []
    for line in proc.stderr:
        m = re.search(r"pass (\d+): \d+ streams collected in (\d+) ms", line)
        if not m:
            continue
        passes.append(int(m.group(2)))
        if m.group(1) == "1":
            os.makedirs(newdir, exist_ok=True)
            for i in range(10):
                p = os.path.join(newdir, f"new-{time.time_ns()}-{i}.json")
                with open(p, "w") as f:
                    f.write("{}\n")
                added.append(p)
            delta = os.path.join(src, str(last + 1))
            with open(delta, "w") as f:
                f.write('v1\n{"path":"file://%s","timestamp":1,"batchId":%d}' % (added[0], last + 1))
            added.append(delta)
    proc.wait()
    for p in added:
        os.unlink(p)
    shutil.rmtree(os.path.dirname(newdir), ignore_errors=True)
    if len(passes) != 2:
        sys.exit("bench: watch did not report two passes")
    return passes[1]


def main():
    binary, root, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    cfg = os.path.join(root, "streamtop.ini")
    src = os.path.join(root, "ckpt", "sources", "0")
    landing = os.path.join(root, "landing")
    baseline = f"wc -l {src}/* >/dev/null; find {landing} -type f -printf '%s %T@\\n' >/dev/null"
    export = f"'{binary}' --db :memory: -c '{cfg}' export >/dev/null"
    db = os.path.join(root, "bench.db")
    restart = f"'{binary}' --db '{db}' -c '{cfg}' export >/dev/null"
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.unlink(db + suffix)
    subprocess.check_call(restart, shell=True)  # leaves cursors for the restart runs
    cold_ok = drop_caches()
    rows = {}
    for label, cmd in (("baseline: wc -l + find", baseline), ("streamtop export", export),
                       ("restart with cursors", restart)):
        rows[label] = {"cold": [], "warm": [], "rss": 0.0}
    for _ in range(runs):
        for label, cmd in (("baseline: wc -l + find", baseline), ("streamtop export", export),
                           ("restart with cursors", restart)):
            for mode in (("cold", "warm") if cold_ok else ("warm",)):
                wall, rss = timed(cmd, mode == "cold")
                rows[label][mode].append(wall)
                rows[label]["rss"] = max(rows[label]["rss"], rss)
    seconds = [second_pass(binary, root) for _ in range(runs)]
    med = {k: {m: statistics.median(v[m]) if v[m] else float("nan") for m in ("cold", "warm")}
           for k, v in rows.items()}
    print(f"1 stream: {len(os.listdir(src))} source-log files "
          f"({sum(os.path.getsize(os.path.join(src, f)) for f in os.listdir(src)) / 1e6:.0f} MB), "
          f"200,000 landing files; median of {runs} runs")
    print(f"  {'workload':34} {'cold ms':>9} {'warm ms':>9} {'peak RSS MiB':>13}")
    for label, v in rows.items():
        print(f"  {label:34} {med[label]['cold']:9.0f} {med[label]['warm']:9.0f} {v['rss']:13.1f}")
    print(f"  {'second pass (same process)':34} {'':>9} {statistics.median(seconds):9.0f}")
    base, cold = med["baseline: wc -l + find"], med["streamtop export"]
    for mode in ("cold", "warm"):
        if base[mode] == base[mode]:
            print(f"  export / baseline ({mode}): {cold[mode] / base[mode]:.2f}x (target <= 2.5x)")
    print(f"  second pass / cold export: {100 * statistics.median(seconds) / cold['cold' if cold_ok else 'warm']:.1f}%"
          f" (target < 5%)")


if __name__ == "__main__":
    main()
