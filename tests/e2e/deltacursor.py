"""Helpers of test_deltacursor.sh.
  same A B [KEY...]: the figures of two `export -f json` outputs are the same (bytes_read aside,
    deadletter_new_files, which counts files new since the previous pass: a cold pass has none,
    and the KEYs given)
  commit LOGDIR: add the next commit to a simulated sink's log (one STREAMING UPDATE of its
    query, a txn, the next epoch), as the query's next batch would
  garble LOGDIR: overwrite every commit and checksum with bytes of the same size and put back
    its mtime, so only a pass that reads them sees a difference"""
import json
import os
import re
import sys

SKIP = {"bytes_read", "deadletter_new_files"}


def strip(o, skip=SKIP):
    if isinstance(o, dict):
        return {k: strip(v, skip) for k, v in o.items() if k not in skip}
    if isinstance(o, list):
        return [strip(x, skip) for x in o]
    return o


def same(a, b, extra=()):
    x, y = (strip(json.load(open(p)), SKIP | set(extra)) for p in (a, b))
    if x == y:
        return 0
    xs = json.dumps(x, indent=1, sort_keys=True).splitlines()
    ys = json.dumps(y, indent=1, sort_keys=True).splitlines()
    import difflib
    print("\n".join(list(difflib.unified_diff(xs, ys, a, b, lineterm=""))[:40]))
    return 1


def commits(logdir):
    return sorted(int(n[:20]) for n in os.listdir(logdir) if re.fullmatch(r"\d{20}\.json", n))


def commit(logdir):
    n = commits(logdir)[-1]
    lines = open(os.path.join(logdir, "%020d.json" % n)).read().splitlines()
    out = []
    for line in lines:
        o = json.loads(line)
        if "commitInfo" in o:
            ci = o["commitInfo"]
            ci["timestamp"] = ci.get("timestamp", 0) + 1000
            p = ci.get("operationParameters", {})
            if "epochId" in p:
                p["epochId"] = str(int(p["epochId"]) + 1)
            ci.get("operationMetrics", {})["numOutputRows"] = "7"
            ci["readVersion"] = n
        elif "txn" in o:
            o["txn"]["version"] += 1
        elif "add" not in o:
            continue
        out.append(json.dumps(o, separators=(",", ":")))
    with open(os.path.join(logdir, "%020d.json" % (n + 1)), "w") as f:
        f.write("\n".join(out) + "\n")
    return 0


def garble(logdir):
    for name in os.listdir(logdir):
        if not re.fullmatch(r"\d{20}\.(json|crc)", name):
            continue
        path = os.path.join(logdir, name)
        st = os.stat(path)
        with open(path, "r+b") as f:
            f.write(b"x" * st.st_size)
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    return 0


if __name__ == "__main__":
    cmd = sys.argv[1]
    sys.exit({"same": lambda: same(sys.argv[2], sys.argv[3], sys.argv[4:]),
              "commit": lambda: commit(sys.argv[2]),
              "garble": lambda: garble(sys.argv[2])}[cmd]())
