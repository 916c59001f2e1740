"""Write the object store of the S3 listing benchmark straight into the local S3 server's
folder: PARTS partitions (dt=...-HH/) of FILES dead-letter files each, under bench/dlq/.

usage: gen_s3.py STORE [PARTS] [FILES]
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "s3"))
from seed import put_object  # noqa: E402


def main():
    store = sys.argv[1]
    parts = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    files = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
    t0 = 1795000000
    for p in range(parts):
        for i in range(files):
            data = b'{"path":"s3://lake/in/%d-%d.json","reason":"MalformedJson","record":"x"}\n' % (p, i)
            key = "dlq/dt=2026-11-%02d-%02d/part-%05d-7d1e9c40-bad.json" % (1 + p // 24, p % 24, i)
            put_object(store, "bench", key, data, t0 + p * 3600 + i, "application/json")
    print(parts * files)


if __name__ == "__main__":
    main()
