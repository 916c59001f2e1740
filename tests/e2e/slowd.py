"""A loopback HTTP server that answers every GET after --delay-ms (a PrometheusServlet page
with one gauge), for passes that take a while. Bounded: exits after --seconds.

usage: slowd.py PORTFILE [--delay-ms N] [--seconds S]
"""
import http.server
import sys
import threading
import time


def main():
    portfile = sys.argv[1]
    args = dict(zip(sys.argv[2::2], sys.argv[3::2]))
    delay = float(args.get("--delay-ms", "1000")) / 1000
    seconds = float(args.get("--seconds", "60"))

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            time.sleep(delay)
            body = b"metrics_app_1_driver_BlockManager_memory_memUsed_MB_Value{type=\"gauges\"} 0\n"
            try:
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    with open(portfile + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(portfile + ".tmp", portfile)
    threading.Timer(seconds, srv.shutdown).start()
    srv.serve_forever()


main()
