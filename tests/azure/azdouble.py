#!/usr/bin/env python3
"""A broken Azure Blob endpoint and two token endpoints on 127.0.0.1, for the end-to-end tests.

Blob requests go to /ACCOUNT/CONTAINER[/BLOB]; by container, List Blobs answers:
  notxml     200 with text that is not XML
  truncated  200 with an EnumerationResults cut short
  loop       a page with one blob and NextMarker "m1", every time (a marker loop)
  stall      nothing (the connection stays open): the client's timeout must end it
  hns        an ADLS Gen2 (hierarchical namespace) listing: a folder blob (metadata
             hdi_isfolder=true) and one file below it; HEAD of the folder says it is one
  oauth      one blob, only for "Authorization: Bearer <a token this double issued>", else
             403 AuthenticationFailed / 403 AuthorizationPermissionMismatch for a token of the
             wrong identity
Token endpoints, as documented by Microsoft:
  POST /TENANT/oauth2/v2.0/token        client credentials (grant_type, client_id,
                                        client_secret, scope=https://storage.azure.com/.default):
                                        JSON {token_type, expires_in, access_token}; a wrong
                                        secret is 401 {"error": "invalid_client", ...}
  GET  /metadata/identity/oauth2/token  the instance metadata service: header "Metadata: true",
                                        api-version and resource=https://storage.azure.com/:
                                        JSON with expires_in as a string
Every token request is appended to --record (one line: "sp" or "mi"). Exits after --seconds.

usage: azdouble.py PORTFILE [--seconds S] [--record FILE] [--secret S]
"""
import http.server
import json
import sys
import threading
import time
import urllib.parse

BLOB = ("<Blob><Name>%s</Name><Properties><Last-Modified>Wed, 02 Dec 2026 03:00:00 GMT"
        "</Last-Modified><Content-Length>3</Content-Length></Properties></Blob>")


def page(prefix, names, marker):
    return ('<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="x" '
            'ContainerName="c"><Prefix>%s</Prefix><Blobs>%s</Blobs><NextMarker>%s</NextMarker>'
            '</EnumerationResults>' % (prefix, "".join(BLOB % n for n in names), marker or ""))


def main():
    portfile = sys.argv[1]
    args = dict(zip(sys.argv[2::2], sys.argv[3::2]))
    seconds = float(args.get("--seconds", "60"))
    record = args.get("--record")
    secret = args.get("--secret", "good-client-secret")
    lock = threading.Lock()
    issued = {}

    def note(kind):
        if record:
            with lock, open(record, "a") as f:
                f.write(kind + "\n")

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def send(self, status, body, ctype="application/xml", headers=()):
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            for k, v in headers:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def error(self, status, code, msg):
            self.send(status, '<?xml version="1.0" encoding="utf-8"?><Error><Code>%s</Code>'
                      '<Message>%s\nRequestId:1\nTime:x</Message></Error>' % (code, msg),
                      headers=[("x-ms-error-code", code)])

        def token(self, kind, who):
            tok = "tok-%s-%d" % (kind, len(issued) + 1)
            issued[tok] = who
            return tok

        def do_POST(self):
            u = urllib.parse.urlsplit(self.path)
            n = int(self.headers.get("Content-Length") or 0)
            form = dict(urllib.parse.parse_qsl(self.rfile.read(n).decode()))
            parts = u.path.strip("/").split("/")
            if len(parts) != 4 or parts[1:] != ["oauth2", "v2.0", "token"]:
                return self.send(404, "{}", "application/json")
            note("sp")
            if (form.get("grant_type") != "client_credentials" or
                    form.get("scope") != "https://storage.azure.com/.default"):
                return self.send(400, json.dumps({"error": "invalid_request"}), "application/json")
            if form.get("client_secret") != secret:
                return self.send(401, json.dumps({
                    "error": "invalid_client",
                    "error_description": "AADSTS7000215: Invalid client secret provided."}),
                    "application/json")
            who = "sp:" + form.get("client_id", "")
            self.send(200, json.dumps({"token_type": "Bearer", "expires_in": 3599,
                                       "ext_expires_in": 3599,
                                       "access_token": self.token("sp", who)}),
                      "application/json")

        def do_HEAD(self):
            if urllib.parse.urlsplit(self.path).path.endswith("/hns/dlq/dir"):
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.send_header("Last-Modified", "Wed, 02 Dec 2026 03:00:00 GMT")
                self.send_header("x-ms-meta-hdi_isfolder", "true")
                self.end_headers()
                return
            self.send_response(404)
            self.send_header("x-ms-error-code", "BlobNotFound")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self):
            u = urllib.parse.urlsplit(self.path)
            q = dict(urllib.parse.parse_qsl(u.query))
            if u.path == "/metadata/identity/oauth2/token":
                note("mi")
                if self.headers.get("Metadata") != "true":
                    return self.send(400, json.dumps({"error": "invalid_request"}),
                                     "application/json")
                if q.get("resource") != "https://storage.azure.com/" or "api-version" not in q:
                    return self.send(400, json.dumps({"error": "invalid_resource"}),
                                     "application/json")
                return self.send(200, json.dumps({
                    "access_token": self.token("mi", "mi"), "expires_in": "86399",
                    "expires_on": str(int(time.time()) + 86399),
                    "resource": "https://storage.azure.com/", "token_type": "Bearer"}),
                    "application/json")
            parts = u.path.strip("/").split("/")
            container = parts[1] if len(parts) > 1 else ""
            prefix = q.get("prefix", "")
            if container == "stall":
                time.sleep(seconds)
                return
            if container == "notxml":
                return self.send(200, "hello, this is not XML \x1b[31m", "text/plain")
            if container == "truncated":
                return self.send(200, page(prefix, [prefix + "a.json"], "")[:150])
            if container == "loop":
                return self.send(200, page(prefix, [prefix + "a.json"], "m1"))
            if container == "hns":
                folder = ("<Blob><Name>dlq/dir</Name><Properties><Content-Length>0"
                          "</Content-Length></Properties><Metadata><hdi_isfolder>true"
                          "</hdi_isfolder></Metadata></Blob>")
                return self.send(200, page(prefix, [], "").replace(
                    "<Blobs>", "<Blobs>" + folder + BLOB % "dlq/dir/bad-1.json"))
            if container == "oauth":
                auth = self.headers.get("Authorization", "")
                tok = auth[7:] if auth.startswith("Bearer ") else ""
                if tok not in issued:
                    return self.error(403, "AuthenticationFailed",
                                      "Server failed to authenticate the request.")
                if issued[tok] == "sp:wrong-app":
                    return self.error(403, "AuthorizationPermissionMismatch",
                                      "This request is not authorized to perform this "
                                      "operation using this permission.")
                return self.send(200, page(prefix, [prefix + "bad-1.json"], ""))
            self.error(404, "ContainerNotFound", "The specified container does not exist.")

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    with open(portfile + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(portfile + ".tmp", portfile)
    threading.Timer(seconds, srv.shutdown).start()
    srv.serve_forever()


if __name__ == "__main__":
    main()
