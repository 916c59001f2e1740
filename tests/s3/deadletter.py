#!/usr/bin/env python3
"""Dead-letter prefixes of hourly partitions on the local S3 server, written straight into its
storage (tests/s3/seed.py's put_object). For the incremental dead-letter listing test.

usage: deadletter.py make STORE PREFIX LAYOUT PARTS FILES NOW_S
           PARTS hourly partitions under s3://lake/PREFIX/, the newest the hour of NOW_S,
           FILES objects each (named so that their order within a partition is not their time
           order). LAYOUT: firehose (processing-failed/YYYY/MM/DD/HH/) or dt (dt=/hr=).
       deadletter.py add STORE PREFIX LAYOUT NOW_S COUNT SALT
           COUNT new objects: half in the hour of NOW_S, half in the next hour's partition.
       deadletter.py unsorted STORE PREFIX NOW_S COUNT
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

BUCKET = "lake"


def part_key(layout, t):
    fmt = "processing-failed/%Y/%m/%d/%H" if layout == "firehose" else "dt=%Y-%m-%d/hr=%H"
    return time.strftime(fmt, time.gmtime(t))


def name(t, i, salt=""):
    h = hashlib.md5(f"{t}-{i}-{salt}".encode()).hexdigest()
    return f"{h[:8]}-failed-{i:05d}.json"


def data(key):
    rec = {"errorCode": "Lambda.FunctionError", "errorMessage": "bad record", "rawData": "eA==",
           "key": key}
    return json.dumps(rec).encode() + b"\n"


def put(store, prefix, layout, start, i, mtime, salt=""):
    key = f"{prefix}/{part_key(layout, start)}/{name(start, i, salt)}"
    put_object(store, BUCKET, key, data(key), mtime)


def make(store, prefix, layout, parts, files, now):
    hour = now - now % 3600
    for p in range(parts):
        start = hour - (parts - 1 - p) * 3600
        for i in range(files):
            put(store, prefix, layout, start, i, min(start + (i * 3000) // files, now - 1))
    return parts * files


def add(store, prefix, layout, now, count, salt):
    hour = now - now % 3600
    for i in range(count):
        put(store, prefix, layout, hour if i < count // 2 else hour + 3600, i, now - 60 + i % 60,
            salt)
    return count


def unsorted(store, prefix, now, count):
    for i in range(count):
        key = f"{prefix}/zz/batch-{i}.json"
        put_object(store, BUCKET, key, data(key), now - 30)
    return count


def main(argv):
    if argv[:1] == ["make"] and len(argv) == 7:
        print(make(argv[1], argv[2], argv[3], int(argv[4]), int(argv[5]), int(argv[6])))
    elif argv[:1] == ["add"] and len(argv) == 7:
        print(add(argv[1], argv[2], argv[3], int(argv[4]), int(argv[5]), argv[6]))
    elif argv[:1] == ["unsorted"] and len(argv) == 5:
        print(unsorted(argv[1], argv[2], int(argv[3]), int(argv[4])))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
