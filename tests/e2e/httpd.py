"""A loopback HTTP server for the end-to-end tests. Serves a PrometheusServlet page, an HTTP 500
and a slow answer; records request bodies. GET /ui/metrics/prometheus redirects to its path with
a trailing slash as Spark's UI (Jetty) does, GET /away redirects to another host, GET /loop to
itself. POST /redirect redirects to itself, /garbage answers
bytes that are not HTTP, /slowhook waits 5 s. As a broken S3 endpoint: bucket "notxml" answers
200 with HTML, "expired" an ExpiredToken error, "slowbkt" nothing for 5 s, "flaky" 503
SlowDown to its first request and an empty listing after. Bounded: exits
after --max-requests or --seconds.

usage: httpd.py PORTFILE [--max-requests N] [--seconds S] [--record FILE] [--port N]
                [--delay-ms N]
"""
import http.server
import sys
import threading
import time

PAGE = (
    "metrics_app_1_driver_BlockManager_memory_memUsed_MB_Value{type=\"gauges\"} 0\n"
    "metrics_app_1_driver_spark_streaming_orders_inputRate_total_Value{type=\"gauges\"} 12.5\n"
    "metrics_app_1_driver_spark_streaming_orders_processingRate_total_Value{type=\"gauges\"} 30\n"
    "metrics_app_1_driver_spark_streaming_orders_latency_Value{type=\"gauges\"} 1500\n"
)


def main():
    portfile = sys.argv[1]
    args = dict(zip(sys.argv[2::2], sys.argv[3::2]))
    max_requests = int(args.get("--max-requests", "50"))
    seconds = float(args.get("--seconds", "60"))
    record = args.get("--record")
    port = int(args.get("--port", "0"))
    delay = float(args.get("--delay-ms", "0")) / 1000
    count = {"n": 0}

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def answer(self, status, body, ctype="text/plain"):
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            count["n"] += 1
            if self.path in ("/metrics/prometheus", "/ui/metrics/prometheus/"):
                self.answer(200, PAGE)
            elif self.path in ("/ui/metrics/prometheus", "/away", "/loop"):
                port = self.server.server_address[1]
                self.send_response(302)
                self.send_header("Location", {
                    "/ui/metrics/prometheus": "http://127.0.0.1:%d/ui/metrics/prometheus/" % port,
                    "/away": "http://localhost:%d/metrics/prometheus" % port,
                    "/loop": "/loop"}[self.path])
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif self.path == "/500":
                self.answer(500, "boom")
            elif self.path == "/slow" or self.path.startswith("/slowbkt"):
                time.sleep(5)
                self.answer(200, PAGE)
            elif self.path.startswith("/flaky"):
                count["flaky"] = count.get("flaky", 0) + 1
                if count["flaky"] == 1:
                    self.answer(503, "<Error><Code>SlowDown</Code><Message>Please reduce your "
                                "request rate.</Message></Error>", "application/xml")
                else:
                    self.answer(200, "<ListBucketResult><Name>flaky</Name><KeyCount>0</KeyCount>"
                                "<IsTruncated>false</IsTruncated></ListBucketResult>",
                                "application/xml")
            elif self.path.startswith("/notxml"):
                self.answer(200, "<html><body>\x1b[31mproxy login</body></html>", "text/html")
            elif self.path.startswith("/expired"):
                self.answer(400, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>"
                            "ExpiredToken</Code><Message>The provided token has expired."
                            "</Message></Error>", "application/xml")
            else:
                self.answer(404, "no")

        def do_HEAD(self):
            count["n"] += 1
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_POST(self):
            count["n"] += 1
            n = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(n)
            if delay:
                time.sleep(delay)
            if self.path == "/redirect":  # a redirect loop
                self.send_response(302)
                self.send_header("Location", "/redirect")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if self.path == "/garbage":  # not HTTP at all
                self.wfile.write(b"\x00\x01garbage\r\n\r\n")
                self.close_connection = True
                return
            if self.path == "/slowhook":
                time.sleep(5)
            if record:
                with open(record, "ab") as f:
                    f.write(self.path.encode() + b" " + body + b"\n")
            self.answer(200, "ok")

    http.server.ThreadingHTTPServer.allow_reuse_address = True
    http.server.ThreadingHTTPServer.request_queue_size = 256
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    srv.daemon_threads = True
    with open(portfile + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(portfile + ".tmp", portfile)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    deadline = time.time() + seconds
    while time.time() < deadline and count["n"] < max_requests:
        time.sleep(0.05)
    srv.shutdown()


if __name__ == "__main__":
    main()
