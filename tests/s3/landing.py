#!/usr/bin/env python3
"""A landing zone of hourly partitions on the local S3 server, written straight into its storage
(tests/s3/seed.py's put_object), with a file source's checkpoint on local disk that has read the
older half of them. For the incremental listing test and bench.

usage: landing.py make STORE CKPT PARTS FILES NOW_S
           PARTS partitions dt=YYYY-MM-DD/hr=HH/ under s3://lake/land/ ($LANDING_PREFIX
           for another than land), the newest the hour
           of NOW_S; FILES objects each, named so that their order within a partition is not
           their time order; the checkpoint's file-source log lists the older half's files.
       landing.py add STORE NOW_S COUNT [SALT]
           COUNT new objects: half in the hour of NOW_S, half in the next hour's partition
           (SALT makes their names differ from another call's).
       landing.py relayout STORE NOW_S COUNT
           COUNT objects under 2026/12/01/07/-style keys (another layout, sorting before dt=).
       landing.py unsorted STORE NOW_S COUNT
           COUNT objects whose keys do not sort by time (zz/batch-N.json).
Prints the number of objects written.
"""
import hashlib
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from seed import put_object  # noqa: E402

BUCKET, PREFIX = "lake", os.environ.get("LANDING_PREFIX", "land")


def part_key(t):
    return time.strftime("dt=%Y-%m-%d/hr=%H", time.gmtime(t))


def name(t, i, salt=""):
    h = hashlib.md5(f"{t}-{i}-{salt}".encode()).hexdigest()
    return f"{h[:8]}-part-{i:05d}.json"


def data(key):
    return b'{"id": "%s", "v": 1}\n' % key.encode()


def make(store, ckpt, parts, files, now):
    hour = now - now % 3600
    done = []
    n = 0
    for p in range(parts):
        start = hour - (parts - 1 - p) * 3600
        for i in range(files):
            key = f"{PREFIX}/{part_key(start)}/{name(start, i)}"
            mtime = start + (i * 1800) // files
            put_object(store, BUCKET, key, data(key), mtime)
            n += 1
            if p < parts // 2:
                done.append((f"s3://{BUCKET}/{key}", mtime * 1000))
    for d in ("offsets", "commits", "sources/0"):
        os.makedirs(os.path.join(ckpt, d), exist_ok=True)
    with open(os.path.join(ckpt, "metadata"), "w") as f:
        f.write('{"id":"5f0e3b52-7c1d-4f59-9d8e-2b1c7e9a0f11"}\n')
    with open(os.path.join(ckpt, "offsets", "0"), "w") as f:
        f.write('v1\n{"batchWatermarkMs":0,"batchTimestampMs":%d,"conf":{}}\n{"logOffset":0}\n'
                % ((hour - 3600) * 1000))
    with open(os.path.join(ckpt, "commits", "0"), "w") as f:
        f.write('v1\n{"nextBatchWatermarkMs":0}\n')
    with open(os.path.join(ckpt, "sources", "0", "0"), "w") as f:
        f.write("v1\n")
        for path, ts in done:
            f.write(json.dumps({"path": path, "timestamp": ts, "batchId": 0}) + "\n")
    return n


def add(store, now, count, salt="new"):
    hour = now - now % 3600
    for i in range(count):
        start = hour if i < count // 2 else hour + 3600
        key = f"{PREFIX}/{part_key(start)}/{name(start, i, salt)}"
        put_object(store, BUCKET, key, data(key), now - 60 + i % 60)
    return count


def relayout(store, now, count):
    for i in range(count):
        t = now - 7200 + i
        key = f"{PREFIX}/{time.strftime('%Y/%m/%d/%H', time.gmtime(t))}/{name(t, i, 'r')}"
        put_object(store, BUCKET, key, data(key), now - 120)
    return count


def unsorted(store, now, count):
    for i in range(count):
        key = f"{PREFIX}/zz/batch-{i}.json"
        put_object(store, BUCKET, key, data(key), now - 30)
    return count


def main(argv):
    if len(argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, store = argv[0], argv[1]
    if cmd == "make" and len(argv) == 6:
        print(make(store, argv[2], int(argv[3]), int(argv[4]), int(argv[5])))
    elif cmd == "add" and len(argv) in (4, 5):
        print(add(store, int(argv[2]), int(argv[3]), *argv[4:]))
    elif cmd in ("relayout", "unsorted") and len(argv) == 4:
        print(globals()[cmd](store, int(argv[2]), int(argv[3])))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
