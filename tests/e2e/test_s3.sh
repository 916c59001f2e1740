#!/bin/sh
# s3:// paths against a real S3 server on 127.0.0.1 (@20minutes/s3rver, which checks SigV4
# signatures): the same simulated pipeline on local disk and on S3 gives identical exports
# (a feeder's landing zone with staging leftovers among them);
# dead-letter prefixes of 2,600 objects page through ListObjectsV2 (and fan out over dt=
# partitions); a wrong secret fails that stream only with SignatureDoesNotMatch and never shows
# the secret; a missing bucket, a non-XML answer, an expired token and a slow endpoint give
# clear errors on their stream only, within the timeout.
. tests/e2e/lib.sh
. tests/s3/s3lib.sh
trap 's3_stop; rm -rf "$T"' EXIT
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE AWS_REGION \
    AWS_DEFAULT_REGION AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3
export HOME="$T/home"
mkdir -p "$HOME"

if ! s3_start "$T/s3" lake; then
    notok "the local S3 server starts (node, npm and @20minutes/s3rver)"
    exit 0
fi
ok "the local S3 server starts"
EP="http://127.0.0.1:$S3_PORT"

"$BIN" simulate "$T/sim" --streams 3 --batches 40 >/dev/null
# Dead letters: a badRecordsPath layout of 2,600 files under three run folders (pagination with
# continuation tokens) and a dt= layout of 1,500 files in five partitions (fan-out).
python3 - "$T/sim/deadletter" <<'PY'
import json, os, sys
root = sys.argv[1]
t0 = 1795000000
for r in range(3):
    d = os.path.join(root, "orders", "2026112%dT101500" % r, "bad_records")
    os.makedirs(d, exist_ok=True)
    for i in range(867 if r < 2 else 866):
        p = os.path.join(d, "part-%05d-4f1c.json" % i)
        with open(p, "w") as f:
            f.write(json.dumps({"path": "s3://lake/in/%d-%d.json" % (r, i), "reason":
                                "MalformedJsonException: line %d" % i, "record": "{oops"}) + "\n")
        os.utime(p, (t0 + r * 1000 + i, t0 + r * 1000 + i))
for day in range(5):
    d = os.path.join(root, "clicks", "dt=2026-11-1%d" % day)
    os.makedirs(d, exist_ok=True)
    for i in range(300):
        p = os.path.join(d, "part-%04d.json" % i)
        with open(p, "w") as f:
            f.write('{"bad": %d}\n' % i)
        os.utime(p, (t0 + day * 500 + i, t0 + day * 500 + i))
PY
# A feeder's landing zone without a checkpoint: a file a minute for ten minutes, and two files
# left in _staging/ half an hour ago (counted from the same listing on S3, listed apart on disk).
python3 - "$T/sim/feed" <<'PY'
import os, sys
root, now = sys.argv[1], 1795440000
def put(rel, t):
    p = os.path.join(root, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "w") as f:
        f.write('{"id": 1}\n')
    os.utime(p, (t, t))
for k in range(10):
    put("2026/11/22/10/f%02d.json" % k, now - 600 + k * 60)
put("_staging/a.json", now - 1800)
put("_staging/b.json._COPYING_", now - 1800)
PY
printf '\n[stream feed]\nsource = %s\n' "$T/sim/feed" >>"$T/sim/streamtop.ini"
# S3 keeps whole seconds
find "$T/sim" -type f -exec python3 -c '
import os, sys
for p in sys.argv[1:]:
    m = int(os.stat(p).st_mtime)
    os.utime(p, (m, m))' {} +
n=$(python3 tests/s3/seed.py "$T/sim" "$T/s3" lake sim --replace "file://$T/sim" "s3://lake/sim" \
    --replace "$T/sim" "s3://lake/sim")
check "the pipeline is on the S3 server ($n objects)" test "$n" -gt 4000
# A real Delta log from the shared fixtures, when they are there (a fresh clone has none).
DELTA="$FIXTURES/delta-logs/delta-0.2.0"
sed "s#$T/sim#s3://lake/sim#g" "$T/sim/streamtop.ini" >"$T/s3.ini"
if [ -d "$DELTA/_delta_log" ]; then
    python3 tests/s3/seed.py "$DELTA" "$T/s3" lake tables/events >/dev/null
    for f in "$T/sim/streamtop.ini" "$T/s3.ini"; do
        printf '\n[stream table]\n' >>"$f"
    done
    printf 'sink = %s\n' "$DELTA" >>"$T/sim/streamtop.ini"
    printf 'sink = s3://lake/tables/events\n' >>"$T/s3.ini"
    TABLE=table
else
    skip "a real Delta log over S3 (shared fixtures not found at $FIXTURES)"
    TABLE=
fi
# A Delta log cleaned past its checkpoint (written by Delta 4.0.0, tests/fixtures/live/): the
# schema from its version checksum; a copy without the checksums: a warning naming the folder.
CLEANED=tests/fixtures/live/spark-4.0.0/cleaned
mkdir -p "$T/nocrc/_delta_log"
for f in "$CLEANED"/_delta_log/*; do
    case $f in *.crc) ;; *) [ -f "$f" ] && cp "$f" "$T/nocrc/_delta_log/" ;; esac
done
python3 tests/s3/seed.py "$CLEANED" "$T/s3" lake tables/cleaned >/dev/null
python3 tests/s3/seed.py "$T/nocrc" "$T/s3" lake tables/nocrc >/dev/null
printf '\n[stream cleaned]\nsink = %s\n\n[stream nocrc]\nsink = %s\n' \
    "$(pwd)/$CLEANED" "$T/nocrc" >>"$T/sim/streamtop.ini"
printf '\n[stream cleaned]\nsink = s3://lake/tables/cleaned\n\n[stream nocrc]\nsink = %s\n' \
    s3://lake/tables/nocrc >>"$T/s3.ini"
printf '\n[s3]\nendpoint = %s\nregion = us-east-1\n' "$EP" >>"$T/s3.ini"

export STREAMTOP_NOW_MS=1795440000000
AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER \
    "$BIN" -vv -c "$T/s3.ini" --db "$T/s3.db" export -f json >"$T/s3.json" 2>"$T/s3.err"
check "export from S3 exits 0" test $? -eq 0
contains "2,600 dead letters take several ListObjectsV2 pages" "$T/s3.err" \
    "s3: list s3://lake/sim/deadletter/orders/ (next page)"
contains "a large listing fans out over its dt= partitions" "$T/s3.err" \
    "s3: s3://lake/sim/deadletter/clicks/: fan out over 5 prefixes"
"$BIN" -c "$T/sim/streamtop.ini" --db "$T/local.db" export -f json >"$T/local.json"
check "the same pipeline on local disk and on S3 gives identical exports" python3 -c '
import json, sys
a = json.load(open(sys.argv[1]))["streams"]
b = json.load(open(sys.argv[2]))["streams"]
assert [x["name"] for x in a] == [x["name"] for x in b]
for x, y in zip(a, b):
    assert x["status"] == "ok" or x["name"] == "feed", (x["name"], x["errors"])
    assert x["errors"] == y["errors"] == [], (x["errors"], y["errors"])
    assert x["metrics"] == y["metrics"], (x["name"], {k: (v, y["metrics"][k]) for k, v in x["metrics"].items() if v != y["metrics"][k]})
    for k in ("status", "query_id", "sources", "schema", "origins", "sink"):
        assert x.get(k) == y.get(k), (x["name"], k, x.get(k), y.get(k))
    for d, e in zip(x["deadletter"], y["deadletter"]):
        for k in ("files", "bytes", "layout", "newest_at"):
            assert d.get(k) == e.get(k), (x["name"], k, d.get(k), e.get(k))
        ds, es = d.get("sample") or {}, e.get("sample") or {}
        assert {k: v for k, v in ds.items() if k != "file"} == {k: v for k, v in es.items() if k != "file"}, (ds, es)
s = {x["name"]: x for x in a}
assert s["orders"]["metrics"]["deadletter_files"] == 2600, s["orders"]["metrics"]
assert s["orders"]["deadletter"][0]["layout"] == "badRecordsPath"
assert s["orders"]["deadletter"][0]["sample"]["reason"].startswith("MalformedJsonException")
assert s["clicks"]["metrics"]["deadletter_files"] == 1500
assert s["clicks"]["metrics"]["backlog_files"] > 0
f = s["feed"]["metrics"]
assert (f["staging_stale_files"], f["landing_newest_age_seconds"], f["landing_arrival_gap_seconds"]) == (2, 60, 60), f
assert [a["rule"] for a in s["feed"]["alerts"]] == ["builtin:staging-stale"], s["feed"]["alerts"]
if sys.argv[3]:
    assert s["table"]["metrics"]["schema_version"] is not None, s["table"]
' "$T/s3.json" "$T/local.json" "$TABLE"
check "a cleaned Delta log on S3: the schema Delta read, from its checksum; without checksums a warning naming the folder" python3 -c '
import json, sys
s = {x["name"]: x for x in json.load(open(sys.argv[1]))["streams"]}
want = json.load(open(sys.argv[2]))["delta"]["fields"]
def lines(fields, prefix=""):
    for f in fields:
        p = prefix + f["name"]
        t = f["type"] if isinstance(f["type"], str) else "struct"
        yield "%s: %s%s" % (p, t, "" if f["nullable"] else " not null")
        if not isinstance(f["type"], str):
            yield from lines(f["type"]["fields"], p + ".")
c = s["cleaned"]
assert c["schema"]["sink"]["fields"] == list(lines(want)), c["schema"]
assert c["warnings"] == [], c["warnings"]
n = s["nocrc"]
assert n["schema"] is None, n["schema"]  # neither the location nor the sink
assert any("s3://lake/tables/nocrc/_delta_log" in w and "schema is unknown" in w
           for w in n["warnings"]), n["warnings"]
' "$T/s3.json" "$CLEANED/expected.json"

AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_ENDPOINT_URL="$EP" \
    "$BIN" discover s3://lake/sim/checkpoints >"$T/disc.ini" 2>&1
contains "discover finds checkpoints on S3" "$T/disc.ini" "checkpoint = s3://lake/sim/checkpoints/orders"
contains "and their landing folders" "$T/disc.ini" "source     = s3://lake/sim/landing/orders"

# A wrong secret on one stream (its own profile), the right one on the others.
mkdir -p "$HOME/.aws"
cat >"$HOME/.aws/credentials" <<'CRED'
[default]
aws_access_key_id = S3RVER
aws_secret_access_key = S3RVER

[wrong]
aws_access_key_id = S3RVER
aws_secret_access_key = Sup3rS3cretWr0ngValue
CRED
sed "s#^\[stream clicks\]#[stream clicks]\ns3_profile = wrong#" "$T/s3.ini" >"$T/wrong.ini"
"$BIN" -v -c "$T/wrong.ini" --db :memory: export -f json >"$T/wrong.json" 2>"$T/wrong.err"
check "export exits 0 with one stream's secret wrong" test $? -eq 0
check "a wrong secret gives SignatureDoesNotMatch on that stream only" python3 -c '
import json, sys
s = {x["name"]: x for x in json.load(open(sys.argv[1]))["streams"]}
c = s["clicks"]
assert c["status"] == "unknown", c
assert any("SignatureDoesNotMatch" in e and "s3://lake/sim/" in e for e in c["errors"]), c["errors"]
for name in ("orders", "payments", sys.argv[2]):
    assert not name or s[name]["status"] == "ok", (name, s[name]["errors"])
' "$T/wrong.json" "$TABLE"
if grep -q "Sup3rS3cretWr0ngValue" "$T/wrong.json" "$T/wrong.err"; then
    notok "the secret never appears in output or logs"
else
    ok "the secret never appears in output or logs"
fi
"$BIN" -c "$T/wrong.ini" --db :memory: export -f prom >"$T/wrong.prom" 2>&1
if grep -q "Sup3rS3cretWr0ngValue" "$T/wrong.prom"; then
    notok "the secret never appears in the Prometheus export"
else
    ok "the secret never appears in the Prometheus export"
fi

# Broken endpoints: a missing bucket on the real server; a non-XML answer, an expired token and
# a silent endpoint on a fake one; each fails its own stream, within the 1 s timeout. A 503
# SlowDown is asked again.
python3 tests/e2e/httpd.py "$T/fake.port" --max-requests 40 --seconds 60 &
fake=$!
i=0
while [ ! -s "$T/fake.port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
FAKE=$(cat "$T/fake.port")
cat >"$T/bad.ini" <<INI
[global]
timeout = 1s
[s3]
endpoint = $EP
[stream good]
checkpoint = s3://lake/sim/checkpoints/orders
[stream nobucket]
checkpoint = s3://no-such-bucket/checkpoints/orders
INI
AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER \
    "$BIN" -c "$T/bad.ini" --db :memory: export -f json >"$T/bad.json"
check "a missing bucket is NoSuchBucket on its stream only" python3 -c '
import json, sys
s = {x["name"]: x for x in json.load(open(sys.argv[1]))["streams"]}
assert s["good"]["status"] == "ok", s["good"]["errors"]
e = s["nobucket"]["errors"]
assert s["nobucket"]["status"] == "unknown" and "s3://no-such-bucket/checkpoints/orders: NoSuchBucket" in e[0], e
' "$T/bad.json"
cat >"$T/fake.ini" <<INI
[global]
timeout = 1s
[s3]
endpoint = http://127.0.0.1:$FAKE
[stream notxml]
deadletter = s3://notxml/dlq
[stream expired]
deadletter = s3://expired/dlq
[stream slow]
deadletter = s3://slowbkt/dlq
[stream flaky]
deadletter = s3://flaky/dlq
INI
AWS_ACCESS_KEY_ID=AKIAFAKE AWS_SECRET_ACCESS_KEY=fake AWS_SESSION_TOKEN=tok \
    "$BIN" -c "$T/fake.ini" --db :memory: export -f json >"$T/fake.json"
check "export exits 0 with broken endpoints" test $? -eq 0
check "non-XML, ExpiredToken and a silent endpoint: clear errors naming the URL" python3 -c '
import json, sys
s = {x["name"]: x for x in json.load(open(sys.argv[1]))["streams"]}
e = s["notxml"]["errors"][0]
assert "s3://notxml/dlq" in e and "not a ListBucketResult" in e and "\x1b" not in e, e
e = s["expired"]["errors"][0]
assert "s3://expired/dlq: ExpiredToken (HTTP 400" in e and "token has expired" in e, e
e = s["slow"]["errors"][0]
assert "s3://slowbkt/dlq" in e and "timed out after 1000 ms" in e, e
f = s["flaky"]
assert f["status"] == "ok" and f["metrics"]["deadletter_files"] == 0, f  # 503 SlowDown, retried
' "$T/fake.json"
kill "$fake" 2>/dev/null
wait "$fake" 2>/dev/null || true
