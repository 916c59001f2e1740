#!/usr/bin/env python3
"""Put a local folder into the local S3 server's storage, as objects under s3://BUCKET/PREFIX/.

usage: seed.py SRC STORE BUCKET PREFIX [--replace OLD NEW]...

STORE is the folder the server (tests/s3/server.js) serves. Objects are written in its
file-system layout (KEY._S3rver_object plus its .md5), with each object's LastModified equal
to the source file's mtime (whole seconds, as S3 keeps it). --replace rewrites text inside the
files (a pipeline on S3 names s3:// paths in its logs where the local copy names local ones).
Prints the number of objects written.
"""
import hashlib
import os
import sys


def put_object(store, bucket, key, data, mtime, ctype="binary/octet-stream"):
    """Write one object in the server's layout, as a PUT leaves it, with LastModified mtime."""
    keydir, keyname = os.path.split(key)
    dest_dir = os.path.join(store, bucket, keydir)
    os.makedirs(dest_dir, exist_ok=True)
    dest = os.path.join(dest_dir, keyname + "._S3rver_object")
    with open(dest, "wb") as f:
        f.write(data)
    with open(dest + ".md5", "w") as f:
        f.write(hashlib.md5(data).hexdigest())
    with open(dest[: -len("object")] + "metadata.json", "w") as f:
        f.write('{\n  "content-type": "%s"\n}' % ctype)
    os.utime(dest, (mtime, mtime))


def main(argv):
    if len(argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    src, store, bucket, prefix = argv[:4]
    rest = argv[4:]
    repl = []
    while rest:
        if rest[0] != "--replace" or len(rest) < 3:
            print("seed.py: bad arguments", file=sys.stderr)
            return 2
        repl.append((rest[1].encode(), rest[2].encode()))
        rest = rest[3:]
    prefix = prefix.strip("/")
    n = 0
    for dirpath, _dirs, files in os.walk(src):
        for name in files:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, src)
            key = f"{prefix}/{rel}" if prefix else rel
            with open(path, "rb") as f:
                data = f.read()
            for old, new in repl:
                data = data.replace(old, new)
            put_object(store, bucket, key, data, int(os.stat(path).st_mtime))
            n += 1
    print(n)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
