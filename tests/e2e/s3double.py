"""A broken S3 endpoint on 127.0.0.1 for the paging and stop tests. ListObjectsV2 by bucket:
"loop" answers IsTruncated=true with the same continuation token on every page, "empty" a fresh
token and no keys forever, "endless" a fresh token and one fresh key forever, "stall" accepts
and never answers, "good" one key and the end. HEAD is 404 (no such object). Bounded: exits
after --seconds; writes each request's path to --record when given.

usage: s3double.py PORTFILE [--seconds S] [--record FILE]
"""
import http.server
import os
import sys
import threading
import time
import urllib.parse


def page(bucket, keys, token):
    body = ["<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
            "<ListBucketResult><Name>%s</Name><KeyCount>%d</KeyCount>" % (bucket, len(keys))]
    for k in keys:
        body.append("<Contents><Key>%s</Key><LastModified>2024-01-01T00:00:00.000Z"
                    "</LastModified><Size>3</Size></Contents>" % k)
    if token:
        body.append("<IsTruncated>true</IsTruncated>"
                    "<NextContinuationToken>%s</NextContinuationToken>" % token)
    else:
        body.append("<IsTruncated>false</IsTruncated>")
    body.append("</ListBucketResult>")
    return "".join(body)


def main():
    portfile = sys.argv[1]
    args = dict(zip(sys.argv[2::2], sys.argv[3::2]))
    seconds = float(args.get("--seconds", "60"))
    record = args.get("--record")
    lock = threading.Lock()
    serial = {"n": 0}

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def answer(self, status, text):
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            u = urllib.parse.urlsplit(self.path)
            q = urllib.parse.parse_qs(u.query)
            bucket = u.path.strip("/").split("/")[0]
            prefix = q.get("prefix", [""])[0]
            with lock:
                serial["n"] += 1
                n = serial["n"]
                if record:
                    with open(record, "a") as f:
                        f.write(self.path + "\n")
            if bucket == "stall":
                time.sleep(seconds)
                return
            if bucket == "loop":
                self.answer(200, page(bucket, [prefix + "a%d.json" % n], "the-same-token"))
            elif bucket == "empty":
                self.answer(200, page(bucket, [], "fresh-%d" % n))
            elif bucket == "endless":
                self.answer(200, page(bucket, [prefix + "k%08d.json" % n], "fresh-%d" % n))
            elif bucket == "good":
                self.answer(200, page(bucket, [prefix + "bad-1.json"], None))
            else:
                self.answer(404, "<Error><Code>NoSuchBucket</Code><Message>no</Message></Error>")

        def do_HEAD(self):
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

    http.server.ThreadingHTTPServer.allow_reuse_address = True
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    with open(portfile + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(portfile + ".tmp", portfile)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    time.sleep(seconds)
    srv.shutdown()


if __name__ == "__main__":
    main()
