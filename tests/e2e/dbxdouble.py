"""A double of the Databricks workspace REST endpoints streamtop reads, on 127.0.0.1, serving
folders of the local disk. Only the documented endpoints, answering as the real service does
(tests/e2e/test_databricks.sh drives it first with the official databricks-sdk):

  GET  /.well-known/databricks-config                  host metadata (the SDK asks first)
  GET  /oidc/.well-known/oauth-authorization-server     OAuth metadata (then this)
  POST /oidc/v1/token                                   client_credentials, Basic auth
  GET|HEAD /api/2.0/fs/directories{path}                page_size, page_token
  GET|HEAD /api/2.0/fs/files{path}                      Range (206, Content-Range; 416)
  GET  /api/2.0/dbfs/list | get-status | read           read: offset, length <= 1 MiB, base64
  GET  /api/2.1/jobs/get | runs/list | runs/get         from a JSON file of jobs and runs
                                                        (also as /api/2.2/..., the SDK's)

Errors are JSON {"error_code", "message"} with the documented codes. /Volumes/... is served
from --volumes DIR (its top is /Volumes), DBFS paths from --dbfs DIR.

usage: dbxdouble.py PORTFILE --volumes DIR --dbfs DIR [--token T] [--client ID:SECRET]
       [--jobs FILE] [--page-size N] [--no-range] [--deny PREFIX] [--throttle SUBSTR:N]
       [--unavailable SUBSTR:N]
       [--stall SUBSTR] [--loop SUBSTR] [--record FILE] [--seconds S]
"""
import base64
import email.utils
import http.server
import json
import os
import secrets
import sys
import threading
import time
import urllib.parse

READ_MAX = 1024 * 1024


def main():
    portfile = sys.argv[1]
    args = {}
    flags = set()
    i = 2
    while i < len(sys.argv):
        a = sys.argv[i]
        if a in ("--no-range",):
            flags.add(a)
            i += 1
        else:
            args.setdefault(a, []).append(sys.argv[i + 1])
            i += 2
    one = lambda k, d=None: args.get(k, [d])[-1]
    volumes = os.path.abspath(one("--volumes", "."))
    dbfs = os.path.abspath(one("--dbfs", "."))
    pat = one("--token", "dapi-double-token")
    clients = dict(c.split(":", 1) for c in args.get("--client", []))
    jobs = json.load(open(one("--jobs"))) if one("--jobs") else {"jobs": {}}
    page_size_cap = int(one("--page-size", "1000"))
    deny = args.get("--deny", [])
    throttle = {}
    for t in args.get("--throttle", []):
        s, n = t.rsplit(":", 1)
        throttle[s] = int(n)
    unavailable = {}  # the first N requests of a path answer 503 without Retry-After
    for t in args.get("--unavailable", []):
        s, n = t.rsplit(":", 1)
        unavailable[s] = int(n)
    stall = args.get("--stall", [])
    loop = args.get("--loop", [])  # folders whose every page says "more follows", same token
    record = one("--record")
    seconds = float(one("--seconds", "120"))
    lock = threading.Lock()
    issued = {}  # OAuth access token -> expiry (epoch seconds)
    counts = {"requests": 0}

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def send_json(self, status, obj, extra=None):
            body = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def error(self, status, code, message, extra=None):
            self.send_json(status, {"error_code": code, "message": message}, extra)

        def authorized(self):
            h = self.headers.get("Authorization", "")
            if not h.startswith("Bearer "):
                self.error(401, "UNAUTHENTICATED", "Credential was not sent or was of an "
                           "unsupported type for this API.")
                return False
            tok = h[7:]
            with lock:
                ok = tok == pat or issued.get(tok, 0) > time.time()
            if not ok:
                self.error(401, "UNAUTHENTICATED", "Invalid access token.")
            return ok

        def body(self):
            n = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(n) if n else b""

        def do_POST(self):
            self.handle_any()

        def do_GET(self):
            self.handle_any()

        def do_HEAD(self):
            self.handle_any()

        def handle_any(self):
            u = urllib.parse.urlsplit(self.path)
            path = urllib.parse.unquote(u.path)
            q = dict(urllib.parse.parse_qsl(u.query, keep_blank_values=True))
            raw = self.body() if self.command == "POST" else b""
            if record:
                with lock, open(record, "a") as f:
                    f.write("%s %s %s\n" % (self.command, self.path,
                                            self.headers.get("Range", "-")))
            for s in stall:
                if s in self.path:
                    time.sleep(seconds)
                    return
            with lock:
                down = False
                for s in unavailable:
                    if s in self.path and unavailable[s] > 0:
                        unavailable[s] -= 1
                        down = True
                        break
                for s in throttle:
                    if s in self.path and throttle[s] > 0:
                        throttle[s] -= 1
                        hit = True
                        break
                else:
                    hit = False
            if down:
                return self.error(503, "TEMPORARILY_UNAVAILABLE", "The service is unavailable.")
            if hit:
                return self.error(429, "REQUEST_LIMIT_EXCEEDED", "Too many requests.",
                                  {"Retry-After": "1"})
            if path == "/.well-known/databricks-config":
                host = "http://%s" % self.headers.get("Host")
                return self.send_json(200, {"oidc_endpoint": host + "/oidc",
                                            "workspace_id": "1234567890123456"})
            if path == "/oidc/.well-known/oauth-authorization-server":
                host = "http://%s" % self.headers.get("Host")
                return self.send_json(200, {"authorization_endpoint": host + "/oidc/v1/authorize",
                                            "token_endpoint": host + "/oidc/v1/token"})
            if path == "/oidc/v1/token" and self.command == "POST":
                return self.token(raw)
            if not self.authorized():
                return
            for d in deny:
                p = q.get("path", path)
                if p.startswith(d) or path.startswith("/api/2.0/fs/files" + d) or \
                        path.startswith("/api/2.0/fs/directories" + d):
                    return self.error(403, "PERMISSION_DENIED",
                                      "User does not have READ VOLUME on Volume '%s'." % d)
            if path.startswith("/api/2.0/fs/directories/"):
                return self.directories(path[len("/api/2.0/fs/directories"):], q)
            if path.startswith("/api/2.0/fs/files/"):
                return self.files(path[len("/api/2.0/fs/files"):])
            if path == "/api/2.0/dbfs/list":
                return self.dbfs_list(q)
            if path == "/api/2.0/dbfs/get-status":
                return self.dbfs_status(q)
            if path == "/api/2.0/dbfs/read":
                return self.dbfs_read(q)
            # 2.1 is what streamtop asks; the SDK asks 2.2, whose answers to these three
            # calls have the same fields (2.2 pages a job's tasks, which nothing here reads)
            if path in ("/api/2.1/jobs/get", "/api/2.2/jobs/get"):
                return self.job_get(q)
            if path in ("/api/2.1/jobs/runs/list", "/api/2.2/jobs/runs/list"):
                return self.runs_list(q)
            if path in ("/api/2.1/jobs/runs/get", "/api/2.2/jobs/runs/get"):
                return self.run_get(q)
            return self.error(404, "ENDPOINT_NOT_FOUND", "No API found for '%s %s'"
                              % (self.command, path))

        def token(self, raw):
            h = self.headers.get("Authorization", "")
            form = dict(urllib.parse.parse_qsl(raw.decode()))
            cid = sec = None
            if h.startswith("Basic "):
                cid, _, sec = base64.b64decode(h[6:]).decode().partition(":")
            else:
                cid, sec = form.get("client_id"), form.get("client_secret")
            if form.get("grant_type") != "client_credentials":
                return self.send_json(400, {"error": "unsupported_grant_type",
                                            "error_description": "grant_type"})
            if cid not in clients or clients[cid] != sec:
                return self.send_json(401, {"error": "invalid_client",
                                            "error_description": "Client authentication failed"})
            tok = "oauth-" + secrets.token_hex(16)
            with lock:
                issued[tok] = time.time() + 3600
            return self.send_json(200, {"access_token": tok, "token_type": "Bearer",
                                        "scope": form.get("scope", "all-apis"),
                                        "expires_in": 3600})

        # ---- Files API -------------------------------------------------------------
        def vol_local(self, p):
            if not (p == "/Volumes" or p.startswith("/Volumes/")) or "/../" in p + "/":
                return None
            return os.path.join(volumes, p[len("/Volumes/"):]) if p != "/Volumes" else volumes

        def directories(self, p, q):
            p = p.rstrip("/") or "/"
            local = self.vol_local(p)
            if local is None or not os.path.isdir(local):
                return self.error(404, "NOT_FOUND", "The directory being accessed is not found.")
            if self.command == "HEAD":
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            names = sorted(os.listdir(local))
            size = min(int(q.get("page_size") or 1000), page_size_cap)
            if any(s in self.path for s in loop):
                return self.send_json(200, {"contents": [], "next_page_token": "bG9vcA=="})
            start = 0
            if q.get("page_token"):
                try:
                    start = int(base64.b64decode(q["page_token"]).decode())
                except Exception:
                    return self.error(400, "INVALID_PARAMETER_VALUE", "Invalid page token.")
            page = names[start:start + size]
            contents = []
            for n in page:
                full = os.path.join(local, n)
                st = os.stat(full)
                e = {"path": p.rstrip("/") + "/" + n, "is_directory": os.path.isdir(full),
                     "name": n}
                if not e["is_directory"]:
                    e["file_size"] = st.st_size
                    e["last_modified"] = st.st_mtime_ns // 1000000
                contents.append(e)
            out = {"contents": contents}
            if start + size < len(names):
                out["next_page_token"] = base64.b64encode(str(start + size).encode()).decode()
            return self.send_json(200, out)

        def files(self, p):
            local = self.vol_local(p)
            if local is None or not os.path.isfile(local):
                return self.error(404, "NOT_FOUND", "The file being accessed is not found.")
            st = os.stat(local)
            size = st.st_size
            lm = email.utils.formatdate(st.st_mtime, usegmt=True)
            rng = self.headers.get("Range")
            start, end, status = 0, size - 1, 200
            if rng and "--no-range" not in flags and rng.startswith("bytes="):
                a, _, b = rng[6:].partition("-")
                start = int(a) if a else max(0, size - int(b))
                end = min(int(b), size - 1) if a and b else size - 1
                if start >= size:
                    self.send_response(416)
                    self.send_header("Content-Range", "bytes */%d" % size)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                status = 206
            with open(local, "rb") as f:
                f.seek(start)
                data = f.read(end - start + 1) if end >= start else b""
            self.send_response(status)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(data) if status == 206 else size))
            self.send_header("Last-Modified", lm)
            if status == 206:
                self.send_header("Content-Range", "bytes %d-%d/%d" % (start, end, size))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        # ---- DBFS API --------------------------------------------------------------
        def dbfs_local(self, p):
            if not p or not p.startswith("/") or "/../" in p + "/":
                return None
            return os.path.join(dbfs, p.lstrip("/"))

        def info(self, p, local):
            st = os.stat(local)
            d = os.path.isdir(local)
            return {"path": p, "is_dir": d, "file_size": 0 if d else st.st_size,
                    "modification_time": st.st_mtime_ns // 1000000}

        def dbfs_list(self, q):
            p = q.get("path", "")
            local = self.dbfs_local(p)
            if local is None or not os.path.exists(local):
                return self.error(404, "RESOURCE_DOES_NOT_EXIST",
                                  "No file or directory exists on path %s." % p)
            if not os.path.isdir(local):
                return self.send_json(200, {"files": [self.info(p, local)]})
            base = p.rstrip("/")
            files = [self.info(base + "/" + n, os.path.join(local, n))
                     for n in sorted(os.listdir(local))]
            return self.send_json(200, {"files": files} if files else {})

        def dbfs_status(self, q):
            p = q.get("path", "")
            local = self.dbfs_local(p)
            if local is None or not os.path.exists(local):
                return self.error(404, "RESOURCE_DOES_NOT_EXIST",
                                  "No file or directory exists on path %s." % p)
            return self.send_json(200, self.info(p.rstrip("/") or "/", local))

        def dbfs_read(self, q):
            p = q.get("path", "")
            local = self.dbfs_local(p)
            off = int(q.get("offset") or 0)
            length = int(q.get("length") or 512 * 1024)
            if length > READ_MAX:
                return self.error(400, "MAX_READ_SIZE_EXCEEDED",
                                  "Cannot read more than 1.0MiB of data.")
            if off < 0 or length < 0:
                return self.error(400, "INVALID_PARAMETER_VALUE", "Negative offset or length.")
            if local is None or not os.path.exists(local):
                return self.error(404, "RESOURCE_DOES_NOT_EXIST",
                                  "No file or directory exists on path %s." % p)
            if os.path.isdir(local):
                return self.error(400, "NOT_A_FILE", "%s is a directory." % p)
            with open(local, "rb") as f:
                f.seek(off)
                data = f.read(length)
            return self.send_json(200, {"bytes_read": len(data),
                                        "data": base64.b64encode(data).decode()})

        # ---- Jobs API --------------------------------------------------------------
        def job(self, q):
            j = jobs["jobs"].get(str(q.get("job_id", "")))
            if j is None:
                self.error(400, "INVALID_PARAMETER_VALUE",
                           "Job %s does not exist." % q.get("job_id"))
            return j

        def job_get(self, q):
            j = self.job(q)
            if j is not None:
                self.send_json(200, {"job_id": int(q["job_id"]), "settings": j["settings"]})

        def runs_list(self, q):
            j = self.job(q)
            if j is None:
                return
            runs = j.get("runs", [])
            limit = int(q.get("limit") or 20)
            if limit > 25 or limit < 1:
                return self.error(400, "INVALID_PARAMETER_VALUE",
                                  "limit must be between 1 and 25")
            if q.get("active_only") == "true":
                runs = [r for r in runs if r["state"]["life_cycle_state"]
                        in ("PENDING", "QUEUED", "RUNNING", "TERMINATING", "BLOCKED")]
            start = int(q.get("page_token") or 0)
            page = runs[start:start + limit]
            out = {"runs": page, "has_more": start + limit < len(runs)} if page else \
                {"has_more": False}
            if out["has_more"]:
                out["next_page_token"] = str(start + limit)
            self.send_json(200, out)

        def run_get(self, q):
            for j in jobs["jobs"].values():
                for r in j.get("runs", []):
                    if str(r["run_id"]) == q.get("run_id"):
                        return self.send_json(200, r)
            self.error(400, "INVALID_PARAMETER_VALUE", "Run %s does not exist." % q.get("run_id"))

    class Server(http.server.ThreadingHTTPServer):
        def handle_error(self, request, client_address):
            pass  # a client that gave up (a timeout under test) is not news

    srv = Server(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    with open(portfile + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(portfile + ".tmp", portfile)
    threading.Timer(seconds, srv.shutdown).start()
    srv.serve_forever()


if __name__ == "__main__":
    main()
