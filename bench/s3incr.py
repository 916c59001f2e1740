"""Incremental S3 landing listing benchmark: a landing zone of 100,000 objects in 100 hourly
dt=/hr= partitions on the local S3 server (tests/s3/landing.py), behind a file source that has
read half of them. Each run: a first pass (a new process, a new state DB: a full listing that
keeps the partitions in the DB; and one with `listing = full` on a DB of its own), 50 new objects (half in the open partition, half in a new
one), then, alternating, the second pass of a new process on that DB (incremental) and a pass
with `listing = full`. Prints the medians of the wall time and the LIST requests of both (counted
from the debug log), checks that both export the same figures, and what the requests cost a day
at one pass a minute at S3's LIST price.

usage: s3incr.py STREAMTOP ENDPOINT RUNS NOW_S STORE CKPT
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile

from benchlib import timed

LIST_PRICE = 0.005 / 1000  # dollars per LIST request (S3 Standard)


def main():
    streamtop, endpoint, runs, now, store, ckpt = sys.argv[1:7]
    runs, now = int(runs), int(now)
    here = os.path.dirname(os.path.abspath(__file__))
    landing = os.path.join(here, "..", "tests", "s3", "landing.py")
    os.environ.update(AWS_ACCESS_KEY_ID="S3RVER", AWS_SECRET_ACCESS_KEY="S3RVER",
                      AWS_EC2_METADATA_DISABLED="true")
    inc, full, first = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        def conf(name, listing):
            path = os.path.join(tmp, name + ".ini")
            with open(path, "w") as f:
                f.write(f"[global]\ntimeout = 60s\nlisting = {listing}\n[s3]\nendpoint = {endpoint}\n"
                        f"region = us-east-1\n[stream land]\ncheckpoint = {ckpt}\n"
                        "source = s3://lake/land\n")
            return path

        auto, whole = conf("auto", "auto"), conf("full", "full")

        def cmd(ini, db, at, out):
            return (f"STREAMTOP_NOW_MS={at}000 '{streamtop}' -vv -c '{ini}' --db '{db}' "
                    f"export -f json -o '{tmp}/{out}.json' 2>'{tmp}/{out}.err'")

        def lists(out):
            return sum(1 for line in open(f"{tmp}/{out}.err") if "s3: list s3://lake/land/" in line)

        def figures(out):
            s = json.load(open(f"{tmp}/{out}.json"))["streams"][0]
            if s["errors"]:
                sys.exit(f"bench: {out}: {s['errors']}")
            return {k: v for k, v in s["metrics"].items() if k != "drain_eta_seconds"}

        for r in range(runs):
            t0 = now + r * 3  # the same hour: the same open partition
            db = os.path.join(tmp, f"run{r}.db")
            fdb = os.path.join(tmp, f"full{r}.db")
            first.append(timed(cmd(auto, db, t0, "first")) + (lists("first"),))
            timed(cmd(whole, fdb, t0, "fullfirst"))  # the same history on both sides
            subprocess.check_call([sys.executable, landing, "add", store, str(t0 + 600), "50",
                                   f"run{r}"], stdout=subprocess.DEVNULL)
            at = t0 + 600
            inc.append(timed(cmd(auto, db, at, "inc")) + (lists("inc"),))
            full.append(timed(cmd(whole, fdb, at, "full"))
                        + (lists("full"),))
            if figures("inc") != figures("full"):
                a, b = figures("inc"), figures("full")
                sys.exit(f"bench: incremental and full differ: "
                         f"{ {k: (v, b[k]) for k, v in a.items() if v != b[k]} }")
            if "listed whole" in open(f"{tmp}/inc.err").read():
                sys.exit("bench: the second pass listed everything")
        files = figures("full")["backlog_files"]
    total = sum(1 for _, _, fs in os.walk(os.path.join(store, "lake", "land")) for f in fs
                if f.endswith("._S3rver_object")) - 50 * runs
    med = lambda xs, i: statistics.median(x[i] for x in xs)
    n_inc, n_full = med(inc, 2), med(full, 2)
    print(f"Incremental S3 landing listing: {total:,} objects (+50 a run) in 100 hourly partitions "
          f"on the local S3 server, median of {runs} runs; backlog {files:,.0f} files, the same "
          "figures both ways")
    print(f"  {'':44} {'wall':>9} {'LIST requests':>14} {'peak RSS':>10}")
    print(f"  {'first pass (no state DB: full listing)':44} {med(first, 0) / 1000:8.2f}s "
          f"{med(first, 2):14.0f} {med(first, 1):8.1f}MiB")
    print(f"  {'listing = full':44} {med(full, 0) / 1000:8.2f}s {n_full:14.0f} "
          f"{med(full, 1):8.1f}MiB")
    print(f"  {'second process, incremental (50 new)':44} {med(inc, 0) / 1000:8.2f}s "
          f"{n_inc:14.0f} {med(inc, 1):8.1f}MiB")
    print(f"  incremental: {100 * med(inc, 0) / med(full, 0):.1f}% of a full listing's time "
          "(target < 5%), LIST requests target <= 3")
    day_inc = (1440 - 24) * n_inc + 24 * n_full
    day_full = 1440 * n_full
    print(f"  a stream at one pass a minute: {day_inc:,.0f} LIST requests a day "
          f"(${day_inc * LIST_PRICE:.3f}) against {day_full:,.0f} (${day_full * LIST_PRICE:.2f})")


if __name__ == "__main__":
    main()
