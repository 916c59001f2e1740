"""A loopback webhook receiver whose behaviour the test changes while it runs. Each POST is
answered with the first line of CTLDIR/<name>.statuses (which it removes; a script of answers),
else the status in CTLDIR/<path-without-slash>.status (default 200), after the delay
in CTLDIR/<name>.delay seconds (default 0), and recorded as one JSON line in CTLDIR/log:
{"path", "status", "key" (the Idempotency-Key header), "body", "at"} once answered.
Bounded: exits after --seconds.

usage: hookd.py CTLDIR [--seconds S]
"""
import http.server
import json
import os
import sys
import threading
import time


def main():
    ctl = sys.argv[1]
    args = dict(zip(sys.argv[2::2], sys.argv[3::2]))
    seconds = float(args.get("--seconds", "120"))
    lock = threading.Lock()

    def setting(name, kind, default):
        try:
            with open(os.path.join(ctl, name + "." + kind)) as f:
                return type(default)(f.read().strip())
        except (OSError, ValueError):
            return default

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(min(n, 1 << 20)).decode("utf-8", "replace")
            name = self.path.strip("/").replace("/", "_") or "root"
            time.sleep(setting(name, "delay", 0.0))
            status = setting(name, "status", 200)
            with lock:
                script = os.path.join(ctl, name + ".statuses")
                try:
                    with open(script) as f:
                        lines = f.read().split()
                except OSError:
                    lines = []
                if lines:
                    status = int(lines[0])
                    with open(script, "w") as f:
                        f.write("\n".join(lines[1:]))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()
            with lock, open(os.path.join(ctl, "log"), "a") as f:
                f.write(json.dumps({"path": self.path, "status": status,
                                    "key": self.headers.get("Idempotency-Key"),
                                    "body": body, "at": time.time()}) + "\n")

    class Server(http.server.ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 64

    srv = Server(("127.0.0.1", 0), Handler)
    threading.Timer(seconds, srv.shutdown).start()
    with open(os.path.join(ctl, "port.tmp"), "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(os.path.join(ctl, "port.tmp"), os.path.join(ctl, "port"))
    srv.serve_forever()


if __name__ == "__main__":
    main()
