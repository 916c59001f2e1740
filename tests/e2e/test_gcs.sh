#!/bin/sh
# gs:// paths through Cloud Storage's XML API, which speaks S3's ListObjectsV2 and takes SigV4
# signatures made with its HMAC keys: against the local S3 server standing in for it (Cloud
# Storage itself is not reached from here), a gs:// configuration exercises the URL form, the
# [gcs] endpoint and the HMAC credentials ([gcs] or GCS_HMAC_ACCESS_ID / GCS_HMAC_SECRET, never
# the AWS ones): the same pipeline on local disk and behind gs:// gives identical exports; a
# wrong secret fails with SignatureDoesNotMatch and never shows; no credentials is a clear
# error; a bearer token (GOOGLE_OAUTH_ACCESS_TOKEN) is sent as such, without a signature.
. tests/e2e/lib.sh
. tests/s3/s3lib.sh
trap 's3_stop; [ -n "${bear:-}" ] && kill "$bear" 2>/dev/null; rm -rf "$T"' EXIT
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE AWS_REGION \
    AWS_DEFAULT_REGION AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 GCS_HMAC_ACCESS_ID GCS_HMAC_SECRET \
    GOOGLE_OAUTH_ACCESS_TOKEN
export HOME="$T/home"
mkdir -p "$HOME"

if ! s3_start "$T/s3" lake 2>"$T/s3start.err"; then
    if command -v npm >/dev/null 2>&1; then
        notok "the local S3 server starts" "$(cat "$T/s3start.err")"
    else
        skip "gs:// tests (node and npm are not installed; make deps installs them)"
    fi
    exit 0
fi
ok "the local S3 server starts"
EP="http://127.0.0.1:$S3_PORT"

"$BIN" simulate "$T/sim" --streams 2 --batches 20 >/dev/null
find "$T/sim" -type f -exec python3 -c '
import os, sys
for p in sys.argv[1:]:
    m = int(os.stat(p).st_mtime)
    os.utime(p, (m, m))' {} +
n=$(python3 tests/s3/seed.py "$T/sim" "$T/s3" lake sim --replace "file://$T/sim" "gs://lake/sim" \
    --replace "$T/sim" "gs://lake/sim")
check "the pipeline is on the server ($n objects)" test "$n" -gt 300
sed "s#$T/sim#gs://lake/sim#g" "$T/sim/streamtop.ini" >"$T/gs.ini"
printf '\n[gcs]\nendpoint = %s\naccess_id = S3RVER\nsecret = ${GCS_SECRET}\n' "$EP" >>"$T/gs.ini"
export STREAMTOP_NOW_MS=1795440000000
# AWS keys that do not work: gs:// must not use them
AWS_ACCESS_KEY_ID=AKIAWRONG AWS_SECRET_ACCESS_KEY=wrong GCS_SECRET=S3RVER \
    "$BIN" -vv -c "$T/gs.ini" --db :memory: export -f json >"$T/gs.json" 2>"$T/gs.err"
check "export over gs:// with [gcs] HMAC keys exits 0" test $? -eq 0
contains "gs:// listings go to the [gcs] endpoint" "$T/gs.err" "s3: list gs://lake/sim/"
"$BIN" -c "$T/sim/streamtop.ini" --db :memory: export -f json >"$T/local.json"
check "the same pipeline on local disk and behind gs:// gives identical exports" python3 -c '
import json, sys
a = json.load(open(sys.argv[1]))["streams"]
b = json.load(open(sys.argv[2]))["streams"]
assert [x["name"] for x in a] == [x["name"] for x in b]
for x, y in zip(a, b):
    assert x["errors"] == y["errors"] == [], (x["name"], x["errors"], y["errors"])
    assert x["metrics"] == y["metrics"], x["name"]
    for k in ("status", "query_id", "sources", "schema", "origins", "sink"):
        assert x.get(k) == y.get(k), (x["name"], k, x.get(k), y.get(k))
assert a[0]["metrics"]["last_batch_id"] is not None
' "$T/gs.json" "$T/local.json"
grep -v '^access_id\|^secret' "$T/gs.ini" >"$T/gsenv.ini"
GCS_HMAC_ACCESS_ID=S3RVER GCS_HMAC_SECRET=S3RVER "$BIN" -c "$T/gsenv.ini" --db :memory: \
    export -f json >"$T/gsenv.json" 2>&1
check "GCS_HMAC_ACCESS_ID and GCS_HMAC_SECRET work as well" python3 -c '
import json, sys
assert all(x["errors"] == [] for x in json.load(open(sys.argv[1]))["streams"])
' "$T/gsenv.json"
GCS_SECRET=Wr0ngGcsS3cretValue "$BIN" -vv -c "$T/gs.ini" --db "$T/wrong.db" export -f json \
    >"$T/wrong.json" 2>"$T/wrong.err"
GCS_SECRET=Wr0ngGcsS3cretValue "$BIN" -c "$T/gs.ini" config check >"$T/cc.out" 2>&1
check "a wrong secret: SignatureDoesNotMatch naming the gs:// path; the secret nowhere" \
    python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))["streams"]
for x in s:
    assert x["status"] == "unknown"
    assert any("gs://lake/sim/" in e and "SignatureDoesNotMatch" in e for e in x["errors"]), x["errors"]
for f in sys.argv[1:]:
    assert b"Wr0ngGcsS3cretValue" not in open(f, "rb").read(), f
' "$T/wrong.json" "$T/wrong.err" "$T/cc.out" "$T/wrong.db"
contains "config check accepts gs:// paths and hides the secret" "$T/cc.out" \
    "secret             = (set, hidden)"
"$BIN" -c "$T/gsenv.ini" --db :memory: export -f json >"$T/none.json" 2>&1
GCS_HMAC_ACCESS_ID=S3RVER GCS_HMAC_SECRET=S3RVER STORAGE_EMULATOR_HOST=$EP \
    "$BIN" discover gs://lake/sim/checkpoints >"$T/disc.ini" 2>&1
contains "discover finds checkpoints behind gs:// (STORAGE_EMULATOR_HOST)" "$T/disc.ini" \
    "checkpoint = gs://lake/sim/checkpoints/orders"
check "no Cloud Storage credentials: a clear error on the streams" python3 -c '
import json, sys
for x in json.load(open(sys.argv[1]))["streams"]:
    assert any("no Cloud Storage credentials" in e and "GCS_HMAC_ACCESS_ID" in e for e in x["errors"]), x["errors"]
' "$T/none.json"

# A bearer token: sent as "Authorization: Bearer", no SigV4
python3 - "$T/bear.port" "$T/bear.log" <<'PY' &
import http.server, os, sys, threading
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass
    def do_GET(self):
        with open(sys.argv[2], "a") as f:
            f.write(self.headers.get("Authorization", "-") + "\n")
        ok = self.headers.get("Authorization") == "Bearer ya29.test-token"
        body = (b"<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>" if ok
                else b"<Error><Code>AccessDenied</Code><Message>no</Message></Error>")
        self.send_response(200 if ok else 403)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
threading.Timer(30, srv.shutdown).start()
srv.serve_forever()
PY
bear=$!
i=0
while [ ! -s "$T/bear.port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
printf '[gcs]\nendpoint = http://127.0.0.1:%s\n[stream b]\ndeadletter = gs://lake/dlq/\n' \
    "$(cat "$T/bear.port")" >"$T/bear.ini"
GOOGLE_OAUTH_ACCESS_TOKEN=ya29.test-token "$BIN" -c "$T/bear.ini" --db :memory: export -f json \
    >"$T/bear.json" 2>&1
check "GOOGLE_OAUTH_ACCESS_TOKEN is sent as a bearer token, without a signature" python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))["streams"]
assert s[0]["errors"] == [], s[0]["errors"]
assert set(open(sys.argv[2]).read().split("\n")) == {"Bearer ya29.test-token", ""}, open(sys.argv[2]).read()
' "$T/bear.json" "$T/bear.log"
