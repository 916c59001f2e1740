#!/usr/bin/env python3
"""Upload a local folder to the local Azure Blob server (Azurite), as blobs under PREFIX/ of
CONTAINER (created when missing), through the Blob REST API signed with the account's Shared
Key (python3's standard library only).

usage: seed.py SRC ENDPOINT CONTAINER PREFIX [--replace OLD NEW]... [--sync-mtime]

ENDPOINT is the account's blob URL (http://127.0.0.1:PORT/devstoreaccount1). --replace
rewrites text inside the files (a pipeline on Azure names abfss:// paths in its logs where the
local copy names local ones). Blob storage sets Last-Modified itself, at the upload:
--sync-mtime then sets each local file's mtime to its blob's, so that the local copy and the
blobs tell the same times. Prints the number of blobs written.
"""
import base64
import concurrent.futures
import email.utils
import hashlib
import hmac
import os
import sys
import urllib.parse
import urllib.request

ACCOUNT = "devstoreaccount1"
# Azurite's well-known development key (public, in every Azure storage emulator's docs)
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
VERSION = "2021-08-06"


def request(method, url, body=b"", headers=None, params=None):
    headers = dict(headers or {})
    headers["x-ms-date"] = email.utils.formatdate(usegmt=True)
    headers["x-ms-version"] = VERSION
    q = dict(params or {})
    full = url + ("?" + urllib.parse.urlencode(sorted(q.items())) if q else "")
    path = urllib.parse.urlsplit(full).path
    xms = "".join("%s:%s\n" % (k, headers[k]) for k in sorted(headers) if k.startswith("x-ms-"))
    res = "/%s%s" % (ACCOUNT, path) + "".join("\n%s:%s" % (k, q[k]) for k in sorted(q))
    length = str(len(body)) if body else ""
    sts = "\n".join([method, "", "", length, "", headers.get("Content-Type", ""), "", "", "", "",
                     "", ""]) + "\n" + xms + res
    sig = base64.b64encode(hmac.new(base64.b64decode(KEY), sts.encode(), hashlib.sha256).digest())
    headers["Authorization"] = "SharedKey %s:%s" % (ACCOUNT, sig.decode())
    req = urllib.request.Request(full, data=body if method == "PUT" else None, method=method,
                                 headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}


def main(argv):
    if len(argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    src, endpoint, container, prefix = argv[:4]
    rest = argv[4:]
    repl, sync = [], False
    while rest:
        if rest[0] == "--sync-mtime":
            sync, rest = True, rest[1:]
        elif rest[0] == "--replace" and len(rest) >= 3:
            repl.append((rest[1].encode(), rest[2].encode()))
            rest = rest[3:]
        else:
            print("seed.py: bad arguments", file=sys.stderr)
            return 2
    endpoint = endpoint.rstrip("/")
    st, _ = request("PUT", "%s/%s" % (endpoint, container), b"",
                    {"Content-Type": "application/octet-stream"}, {"restype": "container"})
    if st not in (201, 409):
        print("seed.py: cannot create container %s: HTTP %d" % (container, st), file=sys.stderr)
        return 1
    prefix = prefix.strip("/")
    files = []
    for dirpath, _dirs, names in os.walk(src):
        for name in names:
            files.append(os.path.join(dirpath, name))

    def put(path):
        rel = os.path.relpath(path, src)
        name = "%s/%s" % (prefix, rel) if prefix else rel
        with open(path, "rb") as f:
            data = f.read()
        for old, new in repl:
            data = data.replace(old, new)
        url = "%s/%s/%s" % (endpoint, container, urllib.parse.quote(name))
        st, hdrs = request("PUT", url, data, {"x-ms-blob-type": "BlockBlob",
                                              "Content-Type": "application/octet-stream"})
        if st != 201:
            raise SystemExit("seed.py: PUT %s: HTTP %d" % (name, st))
        if sync:
            t = email.utils.parsedate_to_datetime(hdrs["last-modified"]).timestamp()
            os.utime(path, (t, t))

    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        list(ex.map(put, files))
    print(len(files))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
