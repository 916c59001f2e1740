"""Run each workload several times; print median wall time and peak RSS side by side.

Every run is a fresh process, so streamtop starts with no cache of its own ("cold"). Wall time
and peak RSS come from GNU time (`/usr/bin/time -f "%e %M"`), which measures the command itself
(a fork from Python would count the interpreter's pages). When the page cache can be dropped
(root, /proc/sys/vm/drop_caches writable) the cold table drops it before every run of every
workload; the warm table runs them again with the cache filled.
"""
import os
import statistics
import sys

from benchlib import drop_caches, timed


def table(title, workloads, runs, cold):
    results = {name: [] for name, _ in workloads}
    for _ in range(runs):
        for name, cmd in workloads:  # interleaved, so machine noise hits all alike
            results[name].append(timed(cmd, cold))
    print(title)
    print(f"  {'workload':30} {'median ms':>10} {'min':>7} {'max':>7} {'peak RSS MiB':>13}")
    for name, _ in workloads:
        walls = [w for w, _ in results[name]]
        rss = max(r for _, r in results[name])
        print(f"  {name:30} {statistics.median(walls):10.0f} {min(walls):7.0f} "
              f"{max(walls):7.0f} {rss:13.1f}")


def main():
    binary, tree, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    cfg = os.path.join(tree, "streamtop.ini")
    ckpts = os.path.join(tree, "checkpoints")
    nfiles = sum(len(files) for _, _, files in os.walk(ckpts))
    nbytes = sum(os.path.getsize(os.path.join(d, f))
                 for d, _, files in os.walk(ckpts) for f in files)
    streams = open(os.path.join(tree, ".streams")).read().strip()
    workloads = [
        ("baseline: cat every file", f"find '{ckpts}' -type f -exec cat {{}} + >/dev/null"),
        ("streamtop export -f json", f"'{binary}' --db :memory: -c '{cfg}' export -f json >/dev/null"),
        ("streamtop export -f prom", f"'{binary}' --db :memory: -c '{cfg}' export -f prom >/dev/null"),
    ]
    print(f"{streams} streams, {nfiles} checkpoint files ({nbytes / 1e6:.1f} MB), "
          f"median of {runs} runs each")
    if drop_caches():
        table("cold (page cache dropped before each run):", workloads, runs, True)
    else:
        print("cold: the page cache could not be dropped here (needs root); warm only")
    table("warm (page cache filled):", workloads, runs, False)


if __name__ == "__main__":
    main()
