"""Cron benchmark: `streamtop check` (as cron runs it, and with --no-notify) and `streamtop
export -f json` over a simulated tree of many streams on local disk, each pass a new process
with the state DB. Each run, for each command: a cold pass (no state DB: every checkpoint, log
and landing folder read), then 1% of the landing folders get a new file, then a second pass on
that DB. All with the page cache filled (a warm-up pass first), so the figures compare the work
done, not the disk. Prints the medians side by side, their ratio, and the files the export's
passes open and stat (from strace, when it is installed), by folder kind.

usage: cron.py STREAMTOP TREE RUNS
"""
import collections
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from benchlib import timed


def landing_folders(tree):
    out = []
    for d, subdirs, _ in os.walk(os.path.join(tree, "landing")):
        if not subdirs and "_staging" not in d:
            out.append(d)
    return sorted(out)


def touch_some(folders, share, tag):
    """A new file in `share` of the folders (a name no earlier run used: a folder's mtime moves)."""
    rng = random.Random(tag)
    pick = rng.sample(folders, max(1, int(len(folders) * share)))
    stamp = f"{os.getpid()}-{time.time_ns()}"
    for d in pick:
        with open(os.path.join(d, f"cron-{tag}-{stamp}.json"), "w") as f:
            f.write('{"id": 1}\n')
    return len(pick)


def syscalls(cmd, tree):
    """Files opened and stat'ed by one pass, by the kind of folder (checkpoints/offsets, ...)."""
    if not shutil.which("strace"):
        return None
    with tempfile.NamedTemporaryFile("r") as log:
        subprocess.check_call(f"strace -f -e trace=openat,newfstatat -o {log.name} {cmd}",
                              shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        counts = collections.Counter()
        for line in log:
            if tree not in line or ("openat" not in line and "newfstatat" not in line):
                continue
            rel = line.split(tree, 1)[1].strip('/"').split("/")
            kind = rel[0] + ("/" + rel[2] if len(rel) > 3 else "")
            counts[("open" if "openat" in line else "stat", kind)] += 1
    return counts


def main():
    binary, tree, runs = sys.argv[1], os.path.abspath(sys.argv[2]), int(sys.argv[3])
    cfg = os.path.join(tree, "streamtop.ini")
    folders = landing_folders(tree)
    streams = open(os.path.join(tree, ".streams")).read().strip()
    shape = ""
    if os.path.exists(os.path.join(tree, ".shape")):
        _, batches, files = open(os.path.join(tree, ".shape")).read().split()
        shape = f", {batches} batches of {files} files each"
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "state.db")
        # `check` as cron runs it keeps its alert states in the DB (the simulated config has
        # no webhook: nothing is sent); with --no-notify it is a dry run that keeps none
        cmds = {"check": (f"'{binary}' -c '{cfg}' --db '{db}' check", (0, 1, 2)),
                "check --no-notify": (f"'{binary}' -c '{cfg}' --db '{db}' check --no-notify",
                                      (0, 1, 2)),
                "export -f json": (f"'{binary}' -c '{cfg}' --db '{db}' export -f json "
                                   f"-o '{tmp}/out.json'", (0,))}

        def fresh():
            for ext in ("", "-wal", "-shm"):
                if os.path.exists(db + ext):
                    os.unlink(db + ext)

        res = {name: ([], []) for name in cmds}
        changed = 0
        for name, (cmd, ok) in cmds.items():
            timed(cmd, ok=ok)  # warm the page cache
        for r in range(runs):
            for name, (cmd, ok) in cmds.items():
                cold, second = res[name]
                fresh()
                cold.append(timed(cmd, ok=ok))
                changed = touch_some(folders, 0.01, f"run{r}-{name}")
                second.append(timed(cmd, ok=ok))
        cmd = cmds["export -f json"][0]
        fresh()
        before = syscalls(cmd, tree)
        touch_some(folders, 0.01, "strace")
        after = syscalls(cmd, tree)
    med = lambda xs, i: statistics.median(x[i] for x in xs)
    print(f"Cron, {streams} simulated streams{shape} on local disk ({len(folders):,} landing "
          f"folders), "
          f"median of {runs} runs, page cache filled")
    print(f"  {'':58} {'wall':>8} {'peak RSS':>10}")
    for name, (cold, second) in res.items():
        print(f"  {name + ', cold: a new state DB':58} {med(cold, 0) / 1000:7.2f}s "
              f"{med(cold, 1):8.1f}MiB")
        print(f"  {f'{name}, second run, {changed} landing folders (1%) changed':58} "
              f"{med(second, 0) / 1000:7.2f}s {med(second, 1):8.1f}MiB")
        print(f"  {name}: second run {100 * med(second, 0) / med(cold, 0):.1f}% of cold "
              f"(target < 10%)")
    if before and after:
        print("  files opened / stat'ed, by folder (cold | second):")
        kinds = sorted({k for _, k in before} | {k for _, k in after},
                       key=lambda k: -(before[("open", k)] + before[("stat", k)]))
        for k in kinds[:12]:
            print(f"    {k:34} {before[('open', k)]:8,} / {before[('stat', k)]:8,} | "
                  f"{after[('open', k)]:8,} / {after[('stat', k)]:8,}")


if __name__ == "__main__":
    main()
