#!/bin/sh
# Databricks workspaces against a local double of the documented endpoints (dbxdouble.py on
# 127.0.0.1), first proven honest by the official databricks-sdk (dbxsdk.py, from .venv/dbx that
# `make deps` installs; the test skips without it). Then the same simulated pipeline on local
# disk, in a Unity Catalog volume (Files API, a personal access token from the environment) and
# on DBFS (DBFS API, OAuth M2M from a ~/.databrickscfg profile) gives identical exports; folders
# page, reads use Range (and a bounded whole read where Range is ignored), DBFS reads stay
# within 1 MB; a wrong client secret, a 403, a missing path and a silent workspace fail their
# stream only, naming the path and the API's error code, never the secret; a 429 with
# Retry-After is asked again; job and feeder job state from the Jobs API; discover works there.
. tests/e2e/lib.sh
PY=.venv/dbx/bin/python
if [ ! -x "$PY" ] || ! "$PY" -c 'import databricks.sdk' 2>/dev/null; then
    skip "Databricks tests: no databricks-sdk virtualenv at .venv/dbx (run make deps)"
    exit 0
fi
pids=""
trap 'for p in $pids; do kill "$p" 2>/dev/null; done; rm -rf "$T"' EXIT
unset DATABRICKS_HOST DATABRICKS_TOKEN DATABRICKS_CLIENT_ID DATABRICKS_CLIENT_SECRET \
    DATABRICKS_CONFIG_PROFILE DATABRICKS_CONFIG_FILE
export HOME="$T/home"
mkdir -p "$HOME"
TOKEN=dapi-Tok3nNeverShown0123
SECRET=Sec4etNeverShownM2M
VOL=/Volumes/main/default/lake/sim

# start NAME ARGS...: a double in the background; its port in $PORT
start() {
    name=$1
    shift
    python3 tests/e2e/dbxdouble.py "$T/$name.port" --volumes "$T/ws/Volumes" --dbfs "$T/ws/dbfs" \
        --token "$TOKEN" --client "m2m-client:$SECRET" --jobs "$T/jobs.json" --seconds 300 \
        --record "$T/$name.log" "$@" &
    pids="$pids $!"
    i=0
    while [ ! -s "$T/$name.port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    PORT=$(cat "$T/$name.port")
}

"$BIN" simulate "$T/sim" --streams 3 --batches 40 >/dev/null
# 1,200 dead letters in one folder (pages of 500), and a progress log of more than 2 MB (read in
# 1 MB pieces: DBFS's limit for one read)
python3 - "$T/sim" <<'PY'
import json, os, sys
root = sys.argv[1]
d = os.path.join(root, "deadletter", "orders", "20261121T101500", "bad_records")
os.makedirs(d, exist_ok=True)
t0 = 1795000000
for i in range(1200):
    p = os.path.join(d, "part-%05d-4f1c.json" % i)
    with open(p, "w") as f:
        f.write(json.dumps({"path": "/in/%d.json" % i, "reason": "MalformedJsonException: line %d"
                            % i, "record": "{oops"}) + "\n")
    os.utime(p, (t0 + i, t0 + i))
prog = os.path.join(root, "progress", "orders.jsonl")
lines = open(prog).read().splitlines(True)
with open(prog, "w") as f:
    n = 0
    while n < 2500000:
        f.write(lines[0])
        n += len(lines[0])
    f.writelines(lines)
PY
# the APIs give whole seconds for Last-Modified
find "$T/sim" -type f -exec python3 -c '
import os, sys
for p in sys.argv[1:]:
    m = int(os.stat(p).st_mtime)
    os.utime(p, (m, m))' {} +
# copy the tree into the workspace with its paths as Spark on Databricks writes them
copy() { # DEST URI-PREFIX PATH-PREFIX
    python3 - "$T/sim" "$1" "$2" "$3" <<'PY'
import os, shutil, sys
src, dest, uri, path = sys.argv[1:5]
for d, _, files in os.walk(src):
    out = os.path.join(dest, os.path.relpath(d, src))
    os.makedirs(out, exist_ok=True)
    for f in files:
        data = open(os.path.join(d, f), "rb").read()
        data = data.replace(b"file://" + src.encode(), uri.encode()).replace(src.encode(), path.encode())
        open(os.path.join(out, f), "wb").write(data)
        shutil.copystat(os.path.join(d, f), os.path.join(out, f))
PY
}
copy "$T/ws/Volumes/main/default/lake/sim" "dbfs:$VOL" "$VOL"
copy "$T/ws/dbfs/sim" "dbfs:/sim" "/dbfs/sim"
python3 - "$T/jobs.json" <<'PY'
import json, sys
now = 1795440000000
def run(i, start, life, result=None, msg="", end=True):
    st = {"life_cycle_state": life, "state_message": msg}
    if result:
        st["result_state"] = result
    r = {"run_id": i, "start_time": start, "state": st}
    if end:
        r["end_time"] = start + 50000
    return r
jobs = {
    # the stream's continuous job: its run failed an hour ago and nothing runs now
    "101": {"settings": {"name": "orders-stream", "continuous": {"pause_status": "UNPAUSED"}},
            "runs": [run(9001, now - 3600000, "INTERNAL_ERROR", "FAILED",
                         "Task orders failed: \x1b[31mOOM\x1b[0m in stage 7")]},
    # its feeder, every 10 minutes: its last success is 27 runs back (on the second page)
    "102": {"settings": {"name": "orders-feeder", "schedule": {
                "quartz_cron_expression": "0 0/10 * * * ?", "timezone_id": "UTC",
                "pause_status": "UNPAUSED"}},
            "runs": [run(8000 - i, now - 600000 * (i + 1), "TERMINATED",
                         "FAILED" if i < 27 else "SUCCESS", "boom" if i < 27 else "")
                     for i in range(30)]},
    # a running continuous job and a healthy feeder
    "201": {"settings": {"name": "clicks-stream", "continuous": {"pause_status": "UNPAUSED"}},
            "runs": [run(7001, now - 7200000, "RUNNING", end=False)]},
    "202": {"settings": {"name": "clicks-feeder", "schedule": {
                "quartz_cron_expression": "0 * * * * ?", "timezone_id": "UTC"}},
            "runs": [run(6001, now - 120000, "TERMINATED", "SUCCESS")]},
}
json.dump({"jobs": jobs}, open(sys.argv[1], "w"))
PY

start main --page-size 500 --throttle "deadletter/payments:2"
HOST="http://127.0.0.1:$PORT"

# 1. the double answers the SDK as the service does
"$PY" tests/e2e/dbxsdk.py "$HOST" "$TOKEN" m2m-client "$SECRET" \
    "$VOL/deadletter/orders/20261121T101500/bad_records" \
    "$T/ws/Volumes/main/default/lake/sim/deadletter/orders/20261121T101500/bad_records" \
    /sim/progress "$T/ws/dbfs/sim/progress" 102 8000 >"$T/sdk.out" 2>&1
cat "$T/sdk.out" | grep -E '^(ok|not ok) - '
grep -q '^not ok' "$T/sdk.out" && notok "the SDK run" "$(tail -20 "$T/sdk.out")"
: >"$T/main.log" # what follows is streamtop's

# 2. the same pipeline: local, a volume (token from the environment), DBFS (OAuth M2M profile)
export STREAMTOP_NOW_MS=1795440000000
"$BIN" -c "$T/sim/streamtop.ini" --db "$T/local.db" export -f json >"$T/local.json"
sed "s#$T/sim#$VOL#g" "$T/sim/streamtop.ini" >"$T/vol.ini"
DATABRICKS_HOST=$HOST DATABRICKS_TOKEN=$TOKEN "$BIN" -vv -c "$T/vol.ini" --db "$T/vol.db" \
    export -f json >"$T/vol.json" 2>"$T/vol.err"
check "export through the Files API exits 0" test $? -eq 0
cat >"$HOME/.databrickscfg" <<CFG
[DEFAULT]
host = $HOST
token = $TOKEN

[m2m]
host = $HOST
client_id = m2m-client
client_secret = $SECRET

[badm2m]
host = $HOST
client_id = m2m-client
client_secret = wrong-$SECRET
CFG
{
    sed "s#$T/sim#dbfs:/sim#g" "$T/sim/streamtop.ini"
    printf '\n[databricks]\nprofile = m2m\n'
} >"$T/dbfs.ini"
"$BIN" -vv -c "$T/dbfs.ini" --db "$T/dbfs.db" export -f json >"$T/dbfs.json" 2>"$T/dbfs.err"
check "export through the DBFS API with OAuth M2M exits 0" test $? -eq 0
same() { # same JSON-A JSON-B
    python3 -c '
import json, re, sys
a = json.load(open(sys.argv[1]))["streams"]
b = json.load(open(sys.argv[2]))["streams"]
assert [x["name"] for x in a] == [x["name"] for x in b]
for x, y in zip(a, b):
    assert x["errors"] == y["errors"] == [], (x["name"], x["errors"], y["errors"])
    assert x["metrics"] == y["metrics"], (x["name"], {k: (v, y["metrics"][k]) for k, v in x["metrics"].items() if v != y["metrics"][k]})
    # a warning names its path as configured: the rest of it is the same
    w = lambda s: [re.sub(r"^(\w+) \S+: ", r"\1 PATH: ", v) for v in s["warnings"]]
    assert w(x) == w(y), (x["name"], x["warnings"], y["warnings"])
    for k in ("status", "query_id", "sources", "schema", "origins", "sink"):
        assert x.get(k) == y.get(k), (x["name"], k, x.get(k), y.get(k))
    for d, e in zip(x["deadletter"], y["deadletter"]):
        for k in ("files", "bytes", "layout", "newest_at"):
            assert d.get(k) == e.get(k), (x["name"], k, d.get(k), e.get(k))
s = {x["name"]: x for x in b}
assert s["orders"]["metrics"]["deadletter_files"] >= 1200, s["orders"]["metrics"]
assert s["clicks"]["metrics"]["backlog_files"] > 0
' "$1" "$2"
}
check "the same pipeline on local disk and in a volume gives identical exports" \
    same "$T/local.json" "$T/vol.json"
check "and on DBFS (OAuth M2M) too" same "$T/local.json" "$T/dbfs.json"
contains "1,200 entries of one folder take several pages (page_token)" "$T/main.log" "page_token="
contains "reads ask for a byte range" "$T/main.log" " bytes=0-"
check "DBFS reads ask 1 MB at most, in pieces (offset 1048576 and on)" python3 -c '
import re, sys
reads = [l for l in open(sys.argv[1]) if "/api/2.0/dbfs/read?" in l]
lens = [int(m.group(1)) for l in reads for m in [re.search(r"length=(\d+)", l)] if m]
assert lens and max(lens) <= 1048576, max(lens or [0])
assert any("offset=2097152" in l and "orders.jsonl" in l for l in reads), reads[:5]
' "$T/main.log"
contains "the OAuth token is fetched once and kept" "$T/dbfs.err" "databricks: OAuth token for profile 'm2m'"
check "one token exchange for the whole pass" test "$(grep -c 'POST /oidc/v1/token' "$T/main.log")" -eq 1
contains "a 429 is asked again after its Retry-After" "$T/vol.err" \
    "databricks: HTTP 429, asking again in 1000 ms"

# 3. a server that ignores Range: the whole file, bounded
# (and answers the first two listings of the landing folders 503: asked again with backoff)
start norange --no-range --unavailable "landing/orders:2"
DATABRICKS_HOST="http://127.0.0.1:$PORT" DATABRICKS_TOKEN=$TOKEN "$BIN" -vv -c "$T/vol.ini" \
    --db "$T/nr.db" export -f json >"$T/nr.json" 2>"$T/nr.err"
check "a server that ignores Range gives the same export (bounded whole reads)" \
    same "$T/local.json" "$T/nr.json"
contains "a 503 is asked again, with backoff, within the timeout" "$T/nr.err" \
    "databricks: HTTP 503, asking again in"

# 4. errors on one stream only: a wrong client secret, a 403 (of a whole path, and of a folder
# a listing meets on its way), a missing path, a silent server
start bad --deny "$VOL/deadletter/clicks" --deny "$VOL/deadletter/orders/20261121T101500" \
    --stall "landing/payments" --loop "deadletter/payments"
cat >"$T/bad.ini" <<INI
[global]
timeout = 2s
[databricks]
host = http://127.0.0.1:$PORT
profile = DEFAULT
[stream good]
checkpoint = $VOL/checkpoints/orders
[stream wrongsecret]
checkpoint = dbfs:/sim/checkpoints/orders
databricks_profile = badm2m
[stream denied]
checkpoint = $VOL/checkpoints/clicks
deadletter = $VOL/deadletter/clicks
[stream missing]
checkpoint = $VOL/checkpoints/nothing-here
[stream silent]
source = $VOL/landing/payments
[stream partial]
deadletter = $VOL/deadletter/orders
[stream looping]
deadletter = $VOL/deadletter/payments
INI
sed -i "s#^host = http.*#host = http://127.0.0.1:$PORT#" "$HOME/.databrickscfg"
"$BIN" -c "$T/bad.ini" --db :memory: export -f json >"$T/bad.json" 2>"$T/bad.err"
check "export exits 0 with broken streams" test $? -eq 0
check "each failure on its own stream, naming the path and the API's error code" python3 -c '
import json, sys
s = {x["name"]: x for x in json.load(open(sys.argv[1]))["streams"]}
vol = sys.argv[2]
assert s["good"]["status"] == "ok", s["good"]["errors"]
e = " ".join(s["wrongsecret"]["errors"])
assert s["wrongsecret"]["status"] == "unknown" and "invalid_client" in e and "HTTP 401" in e, e
e = " ".join(s["denied"]["errors"])
assert vol + "/deadletter/clicks" in e and "PERMISSION_DENIED (HTTP 403" in e, e
e = " ".join(s["missing"]["errors"])
assert vol + "/checkpoints/nothing-here" in e and "not found" in e, e
e = " ".join(s["silent"]["errors"])
assert vol + "/landing/payments" in e and "timed out" in e, e
p = s["partial"]  # a subfolder refused: the listing is incomplete, not smaller
e = " ".join(p["errors"])
assert "listing incomplete" in e and "20261121T101500: PERMISSION_DENIED" in e, e
assert p["metrics"]["deadletter_files"] is None, p["metrics"]
e = " ".join(s["looping"]["errors"])  # a server that pages forever
assert vol + "/deadletter/payments" in e and "repeated continuation token" in e, e
' "$T/bad.json" "$VOL"
if grep -qE "$SECRET|$TOKEN" "$T"/*.json "$T"/*.err; then
    notok "tokens and secrets never appear in output or logs" "$(grep -lE "$SECRET|$TOKEN" "$T"/*.json "$T"/*.err)"
else
    ok "tokens and secrets never appear in output or logs"
fi
"$BIN" -c "$T/bad.ini" --db "$T/bad.db" export -f prom >"$T/bad.prom" 2>&1
if grep -qE "$SECRET|$TOKEN" "$T/bad.prom" "$T/bad.db"*; then
    notok "nor in the Prometheus export or the state DB"
else
    ok "nor in the Prometheus export or the state DB"
fi

# 5. discover finds checkpoints in a volume and on DBFS
DATABRICKS_HOST=$HOST DATABRICKS_TOKEN=$TOKEN "$BIN" discover "$VOL/checkpoints" >"$T/disc.ini" 2>&1
contains "discover finds checkpoints in a volume" "$T/disc.ini" "checkpoint = $VOL/checkpoints/orders"
contains "and their landing folders" "$T/disc.ini" "source     = $VOL/landing/orders"
DATABRICKS_CONFIG_PROFILE=m2m "$BIN" discover dbfs:/sim/checkpoints >"$T/disc2.ini" 2>&1
contains "discover finds checkpoints on DBFS" "$T/disc2.ini" "checkpoint = /dbfs/sim/checkpoints/orders"

# 6. jobs: the stream's continuous job and its feeder, through the Jobs API
cat >"$T/jobs.ini" <<INI
[databricks]
host = $HOST
[stream orders]
checkpoint = $T/sim/checkpoints/orders
job = 101
feeder_job = 102
[stream clicks]
checkpoint = $T/sim/checkpoints/clicks
job = 201
feeder_job = 202
feeder_late = 1m
INI
DATABRICKS_TOKEN=$TOKEN "$BIN" -c "$T/jobs.ini" --db "$T/jobs.db" export -f json >"$T/jobs.json" 2>"$T/jobs.err"
check "job metrics: running, and the age of the last success of the job and its feeder" python3 -c '
import json, sys
s = {x["name"]: x for x in json.load(open(sys.argv[1]))["streams"]}
o, c = s["orders"]["metrics"], s["clicks"]["metrics"]
assert s["orders"]["errors"] == [] and s["clicks"]["errors"] == [], (s["orders"]["errors"], s["clicks"]["errors"])
assert o["job_running"] == 0 and c["job_running"] == 1, (o, c)
assert o["job_last_success_age_seconds"] is None, o  # never succeeded
assert c["job_last_success_age_seconds"] is None, c  # still running
assert o["feeder_last_success_age_seconds"] == 28 * 600 - 50, o
assert c["feeder_last_success_age_seconds"] == 120 - 50, c
' "$T/jobs.json"
check "the jobs in the JSON export, valid against the schema" python3 -c '
import json, sys
s = {x["name"]: x for x in json.load(open(sys.argv[1]))["streams"]}
j = {x["role"]: x for x in s["orders"]["jobs"]}
assert j["job"]["job_id"] == 101 and j["job"]["running"] is False and j["job"]["continuous"], j
assert j["job"]["last_result"] == "FAILED" and j["job"]["last_run_id"] == 9001, j
assert "\x1b" not in j["job"]["last_message"] and "OOM" in j["job"]["last_message"], j
assert j["feeder"]["interval_seconds"] == 600 and j["feeder"]["last_result"] == "FAILED", j
assert "jobs" not in json.load(open(sys.argv[2]))["streams"][0]
' "$T/jobs.json" "$T/local.json"
check "and the document validates against the schema" \
    python3 tests/e2e/jsonschema_lite.py man/streamtop-export.schema.json "$T/jobs.json" "$T/vol.json"
DATABRICKS_TOKEN=$TOKEN "$BIN" -c "$T/jobs.ini" --db "$T/jobs.db" check --no-notify >"$T/check.out" 2>&1
cat "$T/check.out" >>"$T/jobs.err"
check "check: the continuous job down (critical), the feeder late and the failed run (warnings); feeder_late set by hand" python3 -c '
import sys
out = open(sys.argv[1]).read()
assert "job-down" in out and "feeder-late" in out and "job-failed" in out, out
assert "Task orders failed:" in out and "OOM in stage 7" in out or "OOM" in out, out
assert "\x1b" not in out, repr(out)
assert "job-down critical value=0 (continuous job 101 without an active run)" in out, out
assert "feeder-late warning value=4h39m (> 30m)" in out, out  # 16,750 s; 3 x 10 minutes
clicks = [l for l in out.splitlines() if "clicks:" in l]
assert clicks and "feeder-late warning value=1m10s (> 1m)" in clicks[0], clicks
assert "job-down" not in clicks[0] and "job-failed" not in clicks[0], clicks
' "$T/check.out"
DATABRICKS_TOKEN=$TOKEN "$BIN" -c "$T/jobs.ini" --db "$T/jobs.db" export -f prom >"$T/jobs.prom" 2>&1
contains "the job metrics in the Prometheus export" "$T/jobs.prom" 'streamtop_job_running{stream="clicks"} 1'

# 7. config check: volume paths are not local files when a workspace is configured
DATABRICKS_HOST=$HOST "$BIN" -c "$T/vol.ini" config check >/dev/null 2>"$T/cc.err"
check "config check does not call a volume path missing when a workspace is configured" \
    test ! -s "$T/cc.err"
"$BIN" -c "$T/vol.ini" config check >/dev/null 2>"$T/cc2.err"
contains "without one it is a local path, and missing" "$T/cc2.err" "$VOL/checkpoints/orders: no such file"
