"""A double of the `streamtop serve` daemon's HTTP API, for the end-to-end tests of --remote.
It serves files the real binary wrote into DIR:
  DIR/snapshot.json        `streamtop export -f json`          -> GET /api/v1/snapshot
  DIR/history/NAME.json    `streamtop history NAME -f json`    -> GET /api/v1/series?metric=M&since=S
  DIR/schemas.json         {"NAME": ["line", ...]} (optional)  -> GET /api/v1/streams/NAME
  DIR/alerts.json          {"alerts": [...], "notifications": [...]} (optional) -> /api/v1/alerts
and /healthz, /readyz. Errors are JSON {"error": "..."}. DIR/mode (read on every request)
makes it misbehave: "garbage" (200 with HTML), "truncated" (the snapshot cut in half), "oversize"
(a 20 MiB body), "500" (HTTP 500 with an error), "hang" (no answer for 30 s). DIR/auth holding
"user:password" requires that basic authentication (401 otherwise). Every request is appended
to DIR/requests.log as "PATH AUTH" (AUTH: "basic" when an Authorization header came, else "-").
Bounded: exits after --seconds.

usage: daemond.py PORTFILE DIR [--port N] [--seconds S]
"""
import base64
import http.server
import json
import os
import sys
import threading
import time
import urllib.parse
from datetime import datetime, timezone


def iso_ms(text):
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def since_ms(s):
    units = {"s": 1000, "m": 60000, "h": 3600000, "d": 86400000}
    if s and s[-1] in units and s[:-1].isdigit():
        return int(time.time() * 1000) - int(s[:-1]) * units[s[-1]]
    return iso_ms(s)


def main():
    portfile, root = sys.argv[1], sys.argv[2]
    args = dict(zip(sys.argv[3::2], sys.argv[4::2]))
    port = int(args.get("--port", "0"))
    seconds = float(args.get("--seconds", "120"))

    def read(name, default=None):
        try:
            with open(os.path.join(root, name), "rb") as f:
                return f.read()
        except OSError:
            return default

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def answer(self, status, body, ctype="application/json"):
            data = body if isinstance(body, bytes) else body.encode()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def error(self, status, msg):
            self.answer(status, json.dumps({"error": msg}))

        def do_GET(self):
            auth = self.headers.get("Authorization")
            with open(os.path.join(root, "requests.log"), "a") as log:
                log.write("%s %s\n" % (self.path, "basic" if auth else "-"))
            mode = (read("mode", b"ok") or b"ok").decode().strip()
            want = read("auth")
            if want is not None:
                token = "Basic " + base64.b64encode(want.strip()).decode()
                if auth != token:
                    return self.error(401, "authentication required")
            url = urllib.parse.urlsplit(self.path)
            query = urllib.parse.parse_qs(url.query)
            if url.path in ("/healthz", "/readyz"):
                return self.answer(200, "ok\n", "text/plain")
            if mode == "hang":
                time.sleep(30)
                return
            if mode == "500":
                return self.error(500, "collector crashed")
            if mode == "garbage":
                return self.answer(200, "<html>502 Bad Gateway</html>", "text/html")
            if mode == "oversize":
                try:
                    return self.answer(200, b"[" * (20 * 1024 * 1024))
                except OSError:
                    return  # the client hung up at its cap, as it should
            snap = read("snapshot.json")
            if url.path == "/api/v1/snapshot":
                if mode == "truncated":
                    return self.answer(200, snap[: len(snap) // 2])
                return self.answer(200, snap)
            if url.path.startswith("/api/v1/streams/"):
                name = urllib.parse.unquote(url.path[len("/api/v1/streams/"):])
                doc = json.loads(snap)
                for st in doc["streams"]:
                    if st["name"] == name:
                        schemas = json.loads(read("schemas.json", b"{}"))
                        return self.answer(200, json.dumps(
                            {"stream": st, "schema_versions": schemas.get(name, [])}))
                return self.error(404, "no stream named %s" % name)
            if url.path == "/api/v1/series":
                metric = query.get("metric", [""])[0]
                try:
                    since = since_ms(query.get("since", [""])[0])
                except ValueError:
                    return self.error(400, "since: not a duration or RFC 3339 time")
                out = []
                for st in json.loads(snap)["streams"]:
                    hist = read("history/%s.json" % st["name"])
                    if hist is None:
                        continue
                    h = json.loads(hist)["streams"][0]["history"].get(metric, [])
                    pts = [[iso_ms(t), v] for t, v in h if iso_ms(t) >= since][-1000:]
                    out.append({"name": st["name"], "points": pts})
                return self.answer(200, json.dumps(
                    {"metric": metric, "since_ms": since, "streams": out}))
            if url.path == "/api/v1/alerts":
                return self.answer(200, read("alerts.json", b'{"alerts":[],"notifications":[]}'))
            return self.error(404, "no such endpoint")

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    srv.daemon_threads = True
    with open(portfile + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(portfile + ".tmp", portfile)
    threading.Timer(seconds, srv.shutdown).start()
    srv.serve_forever()


if __name__ == "__main__":
    main()
