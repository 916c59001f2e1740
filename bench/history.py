"""History benchmark: N simulated days of S streams at one pass a minute, written straight
   through the store by bench/histdrive.c (the clock stepped; passes before the measured hour
   are written an hour per transaction), with this tree's store (schema 5) and with the old one
   (schema 4) side by side. At day 1 and day N: the DB's size (with its WAL), bytes written per
   pass (mean, and the largest) and the slowest write transaction over the last hour of real
   passes, and the medians of RUNS runs of `check` (3 simulated streams, on a copy of the DB)
   and `history STREAM --since 10m|24h|7d` (every metric). Targets: under 200 MB at 200 streams x 30 days,
   under 1 MB written per pass, no transaction over 1 s, history proportional to its range."""
import os, shutil, statistics, subprocess, sys, time

new_build, old_build, out, streams, days, runs = sys.argv[1:4] + [int(a) for a in sys.argv[4:7]]
T0 = 1793491200000
os.makedirs(out, exist_ok=True)
sim = os.path.join(out, "sim")
if not os.path.exists(os.path.join(sim, "streamtop.ini")):
    subprocess.run([f"{new_build}/streamtop", "simulate", sim, "--streams", "3", "--batches", "20"],
                   check=True, stdout=subprocess.DEVNULL)
cfg = os.path.join(sim, "streamtop.ini")


def drive(build, db, start, end):
    exe = f"{build}/bench/histdrive" if os.path.exists(f"{build}/bench/histdrive") else f"{build}/histdrive"
    r = subprocess.run([exe, db, str(streams), str(start), str(end), str(end - 60)],
                       check=True, capture_output=True, text=True)
    return {k: float(v) for k, v in (line.split() for line in r.stdout.split("\n") if line)}


def size(db):
    return sum(os.path.getsize(p) for p in (db, db + "-wal") if os.path.exists(p))


def timed(cmd, env):
    t = time.monotonic()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (time.monotonic() - t) * 1000


def measure(build, db, minute):
    env = dict(os.environ, STREAMTOP_NOW_MS=str(T0 + minute * 60000), STREAMTOP_CONFIG="")
    res = {}
    for since in ("10m", "24h", "7d"):
        res[f"history --since {since}"] = statistics.median(
            timed([f"{build}/streamtop", "--db", db, "history", "stream-007", "--since",
                   since], env) for _ in range(runs))
    checks = []
    for _ in range(runs):
        shutil.copy(db, db + ".copy")
        checks.append(timed([f"{build}/streamtop", "--db", db + ".copy", "-c", cfg, "check"], env))
        for p in (db + ".copy", db + ".copy-wal", db + ".copy-shm"):
            if os.path.exists(p):
                os.remove(p)
    res["check"] = statistics.median(checks)
    return res


rows = {}
# BENCH_NEW_ONLY=1 measures this store alone (the old one at 200 streams x 30 days takes over
# half an hour on two cores)
kinds = [("schema 4 (old)", old_build), ("schema 5", new_build)]
if os.environ.get("BENCH_NEW_ONLY"):
    kinds = kinds[1:]
for name, build in kinds:
    db = os.path.join(out, name.split()[1] + ".db")
    for p in (db, db + "-wal", db + "-shm"):
        if os.path.exists(p):
            os.remove(p)
    t = time.monotonic()
    d1 = drive(build, db, 0, 1440)
    m1 = measure(build, db, 1440)
    s1 = size(db)
    dn = drive(build, db, 1440, days * 1440)
    mn = measure(build, db, days * 1440)
    sn = size(db)
    rows[name] = (d1, m1, s1, dn, mn, sn, time.monotonic() - t)
    print(f"{name}: {rows[name]}", file=sys.stderr, flush=True)

print(f"history: {streams} streams, one pass a minute, {days} days (retention 14d); medians of {runs}")
names = list(rows)
print(f"{'':34}" + "".join(f"{n:>20}" for n in names))
for label, day in (("day 1", 0), (f"day {days}", 3)):
    def line(what, f):
        print(f"{label + ' ' + what:34}" + "".join(f"{f(rows[n]):>20}" for n in names))
    line("DB size (MB)", lambda r: f"{r[day + 2] / 1e6:.1f}")
    line("written per pass, mean (KB)", lambda r: f"{r[day]['bytes_per_pass_mean'] / 1e3:.0f}")
    line("written per pass, max (KB)", lambda r: f"{r[day]['bytes_per_pass_max'] / 1e3:.0f}")
    line("slowest write tx (ms)", lambda r: f"{r[day]['slowest_tx_ms']:.0f}")
    for k in ("check", "history --since 10m", "history --since 24h", "history --since 7d"):
        line(k + " (ms)", lambda r, k=k: f"{r[day + 1][k]:.0f}")
print(f"{'simulation time (s)':34}" + "".join(f"{rows[n][6]:>20.0f}" for n in names))
