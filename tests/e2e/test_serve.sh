#!/bin/sh
# streamtop serve: every path's shape, /metrics against export -f prom and promtool, OpenMetrics,
# 404/405, history down-sampled to 1000 points, a hostile stream name, basic auth, TLS, the
# warning beyond loopback, SIGHUP (a new stream; a broken config kept out), SIGTERM in the middle
# of a pass, 200 scrapes at once during a pass, /readyz, a failing stream, --shard and --select.
. tests/e2e/lib.sh

SCHEMA=man/streamtop-export.schema.json
PIDS=""
cleanup() {
    for p in $PIDS; do kill "$p" 2>/dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT

# start NAME ARGS...: the daemon in the background, logging to $T/NAME.log; sets PID and PORT
# (the log's first line names the port it took)
start() {
    name=$1
    shift
    : >"$T/$name.log"
    "$BIN" "$@" >"$T/$name.out" 2>"$T/$name.log" &
    PID=$!
    PIDS="$PIDS $PID"
    i=0
    while ! grep -q '(port [0-9]*)' "$T/$name.log" && kill -0 "$PID" 2>/dev/null && [ $i -lt 100 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    PORT=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$T/$name.log" | head -n 1)
}
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
# ready: wait (at most 30 s) until /readyz answers 200
ready() {
    i=0
    while [ "$(code "http://127.0.0.1:$PORT/readyz")" != 200 ] && [ $i -lt 300 ]; do
        sleep 0.1
        i=$((i + 1))
    done
}
# stopped PID: SIGTERM, then its exit status in RC (at most 15 s; 124 when it did not end)
stopped() {
    kill -TERM "$1"
    i=0
    while kill -0 "$1" 2>/dev/null && [ $i -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
    if kill -0 "$1" 2>/dev/null; then
        kill -KILL "$1"
        wait "$1"
        RC=124
        return
    fi
    wait "$1"
    RC=$?
}

"$BIN" simulate "$T/sim" --streams 6 --batches 30 >/dev/null 2>&1
CFG="$T/c.ini"
cp "$T/sim/streamtop.ini" "$CFG"
printf '[stream broken]\ncheckpoint = %s/nowhere\n' "$T" >>"$CFG"
DB="$T/state.db"

# ---- a pass that cannot complete: /readyz 503, then SIGTERM in the middle of it ------------
python3 tests/e2e/slowd.py "$T/slowport" --delay-ms 30000 --seconds 60 &
PIDS="$PIDS $!"
i=0
while [ ! -s "$T/slowport" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
SLOW=$(cat "$T/slowport")
cat >"$T/slow.ini" <<INI
[global]
timeout = 50s
[stream orders]
checkpoint = $T/sim/checkpoints/orders
progress = http://127.0.0.1:$SLOW/metrics
INI
start slow -c "$T/slow.ini" --db "$T/slow.db" serve --listen 127.0.0.1:0 --interval 1s
check "the daemon starts and names its port" test -n "$PORT"
B="http://127.0.0.1:$PORT"
check "/healthz is 200 ok before any pass" sh -c "[ \"\$(curl -s $B/healthz)\" = ok ]"
curl -s -o "$T/r503" -w '%{http_code}' "$B/readyz" >"$T/r503.code"
check "/readyz is 503 with a JSON reason before the first pass" python3 -c '
import json, sys
assert open(sys.argv[2]).read() == "503"
d = json.loads(open(sys.argv[1]).read())
assert d["ready"] is False and "no pass" in d["reason"], d
' "$T/r503" "$T/r503.code"
check "/metrics is 503 before the first pass" test "$(code "$B/metrics")" = 503
stopped "$PID"
check "SIGTERM in the middle of a pass: the daemon exits 0 at once" test "$RC" = 0
contains "and logs why it stopped" "$T/slow.log" "stopped by SIGTERM"
check "the state database is intact" python3 -c '
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
' "$T/slow.db"

# ---- the main daemon ------------------------------------------------------------------------
# export's first pass on a DB of its own, the daemon's first pass on another: the same state
# (an hour's interval: only SIGHUP below makes it pass again)
"$BIN" -c "$CFG" --db "$T/e.db" export -f prom >"$T/export.prom" 2>/dev/null
"$BIN" -c "$CFG" --db "$T/e2.db" export -f json >"$T/export.json" 2>/dev/null
start main -c "$CFG" --db "$DB" serve --listen 127.0.0.1:0 --interval 1h
B="http://127.0.0.1:$PORT"
MAIN=$PID
ready
check "/readyz is 200 once a pass completed" test "$(code "$B/readyz")" = 200
# the frame's JSON is rendered by the first request that wants it: 16 at once, half gzipped,
# get the one document
racers=""
for i in $(seq 16); do
    if [ $((i % 2)) = 0 ]; then
        curl -s -m 30 -H 'Accept-Encoding: gzip' "$B/api/v1/snapshot" | gzip -dc >"$T/race.$i" &
    else
        curl -s -m 30 "$B/api/v1/snapshot" >"$T/race.$i" &
    fi
    racers="$racers $!"
done
for p in $racers; do wait "$p"; done
check "16 first requests of the snapshot at once get one document, gzipped or not" sh -c "
    test -s '$T/race.1' && for i in \$(seq 2 16); do cmp -s '$T/race.1' '$T/race.'\$i || exit 1; done"
curl -s -D "$T/m.h" "$B/metrics" >"$T/m.prom"
contains "/metrics is Prometheus text 0.0.4" "$T/m.h" "text/plain; version=0.0.4"
check "/metrics has export -f prom's series, plus exactly the three pass metrics" python3 -c '
import re, sys
def series(path):
    out = set()
    for line in open(path, encoding="utf-8"):
        if line.startswith("#") or not line.strip():
            continue
        out.add(re.sub(r" [^ ]*$", "", line.rstrip("\n")))
    return out
m, e = series(sys.argv[1]), series(sys.argv[2])
extra = {"streamtop_pass_duration_seconds", "streamtop_pass_errors_total",
         "streamtop_last_pass_timestamp_seconds"}
assert m - e == extra, (m - e, e - m)
assert e - m == set(), e - m
' "$T/m.prom" "$T/export.prom"
check "/metrics passes promtool check metrics" sh -c "promtool check metrics <'$T/m.prom'"
curl -s -D "$T/om.h" -H 'Accept: application/openmetrics-text;version=1.0.0,text/plain;q=0.5' \
    "$B/metrics" >"$T/m.om"
contains "OpenMetrics when Accept asks for it" "$T/om.h" \
    "Content-Type: application/openmetrics-text; version=1.0.0; charset=utf-8"
check "OpenMetrics ends with # EOF; the counter's family drops _total, its sample keeps it" python3 -c '
import sys
t = open(sys.argv[1]).read()
assert t.endswith("# EOF\n"), t[-50:]
assert "# TYPE streamtop_pass_errors counter\n" in t
assert "\nstreamtop_pass_errors_total " in t
assert "streamtop_pass_errors_total counter" not in t
' "$T/m.om"
# gzip, as Prometheus asks for it: compressed once a pass, the same bytes once decoded
curl -s -D "$T/gz.h" -H 'Accept-Encoding: gzip' "$B/metrics" >"$T/m.gz"
contains "/metrics is gzipped when Accept-Encoding takes gzip" "$T/gz.h" "Content-Encoding: gzip"
contains "and says it varies with Accept-Encoding" "$T/gz.h" "Vary: Accept-Encoding"
check "the gzipped body decodes to the plain one, and is smaller" python3 -c '
import gzip, sys
z, plain = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
assert gzip.decompress(z) == plain, "differs"
assert len(z) < len(plain) / 3, (len(z), len(plain))
' "$T/m.gz" "$T/m.prom"
curl -s -D "$T/nogz.h" -H 'Accept-Encoding: gzip;q=0, identity' "$B/metrics" >"$T/m.nogz"
check "gzip;q=0 gets the plain text" sh -c "! grep -qi 'Content-Encoding' '$T/nogz.h' && cmp -s '$T/m.nogz' '$T/m.prom'"
curl -s -H 'Accept-Encoding: gzip' "$B/api/v1/snapshot" | gzip -dc >"$T/snap.gz.json"
check "the snapshot gzipped decodes to the plain one" sh -c "curl -s '$B/api/v1/snapshot' | cmp -s - '$T/snap.gz.json'"
check "the plain text's counter keeps _total and has no # EOF" python3 -c '
import sys
t = open(sys.argv[1]).read()
assert "# TYPE streamtop_pass_errors_total counter\n" in t and "# EOF" not in t
' "$T/m.prom"

curl -s "$B/api/v1/snapshot" >"$T/snap.json"
check "/api/v1/snapshot is the export's document (the schema holds, the same streams)" sh -c "
python3 tests/e2e/jsonschema_lite.py '$SCHEMA' '$T/snap.json' && python3 -c '
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert [s[\"name\"] for s in a[\"streams\"]] == [s[\"name\"] for s in b[\"streams\"]]
assert sorted(a) == sorted(b)
' '$T/snap.json' '$T/export.json'"
check "a stream whose collector fails is served with its error" python3 -c '
import json, sys
s = {x["name"]: x for x in json.load(open(sys.argv[1]))["streams"]}
assert s["broken"]["status"] == "unknown" and s["broken"]["errors"], s["broken"]
assert s["orders"]["status"] == "ok"
' "$T/snap.json"
curl -s "$B/api/v1/streams/orders" >"$T/orders.json"
check "/api/v1/streams/NAME: the snapshot's stream object and its schema versions" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
snap = {x["name"]: x for x in json.load(open(sys.argv[2]))["streams"]}
assert sorted(d) == ["schema", "stream"] or sorted(d) == ["schema_versions", "stream"], sorted(d)
assert d["stream"]["name"] == "orders" and sorted(d["stream"]) == sorted(snap["orders"])
assert isinstance(d["schema_versions"], list) and all(isinstance(x, str) for x in d["schema_versions"])
assert d["schema_versions"], "the simulated schema has versions"
' "$T/orders.json" "$T/snap.json"
curl -s "$B/api/v1/streams/orders/history?metric=backlog_files&since=1h" >"$T/hist.json"
"$BIN" -c "$CFG" --db "$DB" history orders --metric backlog_files --since 1h -f json >"$T/hist_cli.json"
check "history: the shape of history -f json" python3 -c '
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert sorted(a) == sorted(b) and a["format_version"] == b["format_version"]
sa, sb = a["streams"][0], b["streams"][0]
assert sa["name"] == "orders" and sorted(sa) == sorted(sb)
pts = sa["history"]["backlog_files"]
assert pts and all(len(p) == 2 and p[0].endswith("Z") for p in pts), pts
' "$T/hist.json" "$T/hist_cli.json"
check "history without a metric lists every recorded one" python3 -c '
import json, sys, urllib.request
d = json.load(urllib.request.urlopen(sys.argv[1]))
assert "backlog_files" in d["streams"][0]["history"] and len(d["streams"][0]["history"]) > 3
' "$B/api/v1/streams/orders/history"
check "history: a bad since is 400 with a JSON error" sh -c "
[ \"\$(curl -s -o '$T/bad' -w '%{http_code}' '$B/api/v1/streams/orders/history?since=yesterday')\" = 400 ] &&
python3 -c 'import json,sys; assert \"since\" in json.load(open(sys.argv[1]))[\"error\"]' '$T/bad'"
curl -s "$B/api/v1/series?metric=backlog_files&since=30m" >"$T/series.json"
check "/api/v1/series: every stream's points of one metric" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["metric"] == "backlog_files" and isinstance(d["since_ms"], int)
names = [s["name"] for s in d["streams"]]
assert "orders" in names and "broken" in names, names
for s in d["streams"]:
    assert sorted(s) == ["name", "points"]
    for t, v in s["points"]:
        assert isinstance(t, int) and t >= d["since_ms"] and (v is None or isinstance(v, (int, float)))
assert any(s["points"] for s in d["streams"])
' "$T/series.json"
check "/api/v1/series without a metric is 400" test "$(code "$B/api/v1/series")" = 400
curl -s "$B/api/v1/alerts" >"$T/alerts.json"
check "/api/v1/alerts: the snapshot's alerts with their stream, and notifications" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert sorted(d) == ["alerts", "notifications"]
assert d["alerts"], "the stalled stream alerts"
for a in d["alerts"]:
    assert list(a)[0] == "stream"
    for k in ("rule", "level", "since", "value", "silenced"):
        assert k in a, a
    assert isinstance(a["silenced"], bool)
assert isinstance(d["notifications"], list)
' "$T/alerts.json"

curl -s -o "$T/404" -w '%{http_code}' "$B/nope" >"$T/404.code"
check "an unknown path is 404 with a JSON error" python3 -c '
import json, sys
assert open(sys.argv[2]).read() == "404"
assert "nope" in json.load(open(sys.argv[1]))["error"]
' "$T/404" "$T/404.code"
check "an unknown stream is 404" test "$(code "$B/api/v1/streams/nobody")" = 404
check "a path under a stream other than history is 404" test "$(code "$B/api/v1/streams/orders/x")" = 404
check "POST is 405" test "$(code -X POST -d x "$B/metrics")" = 405
check "DELETE is 405" test "$(code -X DELETE "$B/api/v1/snapshot")" = 405
curl -s -D "$T/405.h" -o /dev/null -X PUT "$B/metrics"
contains "with an Allow header" "$T/405.h" "Allow: GET, HEAD"
check "HEAD is answered" test "$(code -I "$B/api/v1/snapshot")" = 200

# ---- 200 scrapes at once while a pass runs ---------------------------------------------------
cat >"$T/busy.ini" <<INI
[global]
timeout = 20s
[stream orders]
checkpoint = $T/sim/checkpoints/orders
progress = http://127.0.0.1:$SLOW_BUSY/metrics
INI
python3 tests/e2e/slowd.py "$T/busyport" --delay-ms 1500 --seconds 90 &
PIDS="$PIDS $!"
i=0
while [ ! -s "$T/busyport" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
sed -i "s/:\/metrics/:$(cat "$T/busyport")\/metrics/" "$T/busy.ini"
start busy -c "$T/busy.ini" --db "$T/busy.db" serve --listen 127.0.0.1:0 --interval 100ms
BUSY=$PID
ready
check "200 concurrent /metrics scrapes during a pass are all answered 200, whole" python3 -c '
import sys, threading, urllib.request
url = sys.argv[1]
res = []
def get():
    try:
        r = urllib.request.urlopen(url, timeout=30)
        res.append((r.status, r.read().decode()))
    except Exception as e:
        res.append((0, repr(e)))
ts = [threading.Thread(target=get) for _ in range(200)]
for t in ts: t.start()
for t in ts: t.join()
bad = [r for r in res if r[0] != 200 or "streamtop_last_pass_timestamp_seconds " not in r[1]
       or not r[1].endswith("\n")]
assert len(res) == 200 and not bad, (len(res), bad[:3])
' "http://127.0.0.1:$PORT/metrics"
i=0
while ! grep -q "pass 2:" "$T/busy.log" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check "the passes went on meanwhile (one at a time, each logged)" grep -q "pass 2:" "$T/busy.log"
stopped "$BUSY"
check "and SIGTERM ends it with 0" test "$RC" = 0

# ---- SIGHUP ------------------------------------------------------------------------------------
printf '[stream added]\ncheckpoint = %s/sim/checkpoints/orders\n' "$T" >>"$CFG"
kill -HUP "$MAIN"
i=0
while ! curl -s "$B/api/v1/snapshot" | grep -q '"added"' && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check "SIGHUP reloads the config: a stream added shows up" sh -c "curl -s '$B/api/v1/snapshot' | grep -q '\"added\"'"
contains "and the reload is logged" "$T/main.log" "config reloaded: 8 streams"
cp "$CFG" "$T/good.ini"
printf '[stream half\nbogus\n' >>"$CFG"
kill -HUP "$MAIN"
i=0
while ! grep -q "config not reloaded" "$T/main.log" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check "a broken config is not loaded: the error names file and line" grep -q "config not reloaded, the running one stays: $CFG:[0-9]" "$T/main.log"
check "and the daemon goes on with the old one" sh -c "kill -0 $MAIN && curl -s '$B/api/v1/snapshot' | grep -q '\"added\"'"
stopped "$MAIN"
check "SIGTERM: exit 0" test "$RC" = 0
cp "$T/good.ini" "$CFG"

# ---- JSON log lines ------------------------------------------------------------------------------
start jlog -c "$CFG" --db "$DB" serve --listen 127.0.0.1:0 --interval 1s --log-format json
ready
check "--log-format json: every line is a JSON object" python3 -c '
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert lines and all({"time", "level", "msg"} <= set(l) for l in lines), lines
assert any(l["msg"].startswith("pass 1:") for l in lines)
' "$T/jlog.log"
stopped "$PID"

# ---- history down-sampled to 1000 points ---------------------------------------------------
H="$(dirname "$BIN")/bench/histdrive"
if [ -x "$H" ]; then
    "$H" "$T/long.db" 1 0 1500 1500 >/dev/null 2>&1
    printf '[stream stream-000]\ncheckpoint = %s/nowhere\n' "$T" >"$T/long.ini"
    NOW=$((1793491200000 + 1500 * 60000))
    STREAMTOP_NOW_MS=$NOW "$BIN" -c "$T/long.ini" --db "$T/long.db" history stream-000 --metric backlog_files --since 2d \
        -f json >"$T/long_cli.json" 2>/dev/null
    check "the long history has more than 1000 points recorded" python3 -c '
import json, sys
assert len(json.load(open(sys.argv[1]))["streams"][0]["history"]["backlog_files"]) > 1000
' "$T/long_cli.json"
    export STREAMTOP_NOW_MS=$NOW
    start long -c "$T/long.ini" --db "$T/long.db" serve --listen 127.0.0.1:0 --interval 1s
    unset STREAMTOP_NOW_MS
    ready
    curl -s "http://127.0.0.1:$PORT/api/v1/streams/stream-000/history?metric=backlog_files&since=2026-10-31T00:00:00Z" \
        >"$T/long.json"
    curl -s "http://127.0.0.1:$PORT/api/v1/series?metric=backlog_files&since=2d" >"$T/long_series.json"
    check "history over a long range is down-sampled to 1000 points: [start, mean, min, max]" python3 -c '
import json, sys
pts = json.load(open(sys.argv[1]))["streams"][0]["history"]["backlog_files"]
assert len(pts) == 1000, len(pts)
assert all(len(p) == 4 for p in pts), pts[:3]
assert all(p[2] <= p[1] <= p[3] for p in pts), [p for p in pts if not p[2] <= p[1] <= p[3]][:3]
ts = [p[0] for p in pts]
assert ts == sorted(ts)
' "$T/long.json"
    check "and series too, at most 1000 points a stream" python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))["streams"]
assert s[0]["name"] == "stream-000" and len(s[0]["points"]) == 1000, len(s[0]["points"])
' "$T/long_series.json"
    stopped "$PID"
else
    notok "bench/histdrive is built with the tests"
fi

# ---- a hostile stream name -------------------------------------------------------------------
HOSTILE=$(printf 'q"uo\\te\001\033[31m ü/x%%2F\nline')
start hostile --db "$T/h.db" serve --listen 127.0.0.1:0 --interval 1s \
    --checkpoint "$T/sim/checkpoints/orders" --name "$HOSTILE"
ready
B="http://127.0.0.1:$PORT"
curl -s "$B/metrics" >"$T/h.prom"
check "a hostile stream name: /metrics passes promtool" sh -c "promtool check metrics <'$T/h.prom'"
check "the snapshot is valid JSON; the stream is found by its name there or as configured" python3 -c '
import json, sys, urllib.request, urllib.parse
raw = sys.argv[2]
d = json.loads(urllib.request.urlopen(sys.argv[1] + "/api/v1/snapshot").read())
name = d["streams"][0]["name"]
assert "\n" not in name and "\x1b" not in name and "\"" in name and "\u00fc" in name, name
for n in (name, raw):
    enc = urllib.parse.quote(n, safe="")
    one = json.loads(urllib.request.urlopen(sys.argv[1] + "/api/v1/streams/" + enc).read())
    assert one["stream"]["name"] == name
    h = json.loads(urllib.request.urlopen(sys.argv[1] + "/api/v1/streams/" + enc + "/history").read())
    assert h["streams"][0]["name"] == name and h["streams"][0]["history"], h
s = json.loads(urllib.request.urlopen(sys.argv[1] + "/api/v1/series?metric=last_batch_id").read())
assert s["streams"][0]["name"] == name and s["streams"][0]["points"]
try:
    urllib.request.urlopen(sys.argv[1] + "/api/v1/streams/" + enc + "%22%0A%01")
    assert False, "unknown"
except urllib.error.HTTPError as e:
    assert e.code == 404 and json.loads(e.read())["error"].startswith("no such stream")
' "$B" "$HOSTILE"
check "a 404 for a name of invalid UTF-8 and control bytes is still valid JSON" python3 -c '
import json, sys, urllib.request
try:
    urllib.request.urlopen(sys.argv[1] + "/api/v1/streams/%FF%FE%01x")
    assert False
except urllib.error.HTTPError as e:
    body = e.read()
    assert e.code == 404 and "x" in json.loads(body.decode("utf-8"))["error"], body
' "$B"
check "a bad percent-encoding is 400" test "$(code "$B/api/v1/streams/a%zz")" = 400
check "a %00 in a name is 400" test "$(code "$B/api/v1/streams/a%00b")" = 400
stopped "$PID"

# ---- basic auth, beyond loopback -----------------------------------------------------------
printf '# users\nalice:s3cret-pw\nbob:other\n' >"$T/users"
start auth -c "$CFG" --db "$DB" serve --listen 0.0.0.0:0 --interval 1s --basic-auth-file "$T/users"
ready
B="http://127.0.0.1:$PORT"
check "basic auth: 401 without credentials" test "$(code "$B/metrics")" = 401
check "basic auth: 401 with a wrong password" test "$(code -u alice:wrong "$B/metrics")" = 401
check "basic auth: 401 for an unknown user" test "$(code -u carol:s3cret-pw "$B/metrics")" = 401
check "basic auth: 200 with the right ones" test "$(code -u alice:s3cret-pw "$B/api/v1/snapshot")" = 200
check "the probes need none" test "$(code "$B/healthz")" = 200
check "no warning when basic auth guards a non-loopback address" sh -c "! grep -q 'without TLS or basic auth' '$T/auth.log'"
check "the password is never printed" sh -c "! grep -q s3cret '$T/auth.log'"
stopped "$PID"
start open -c "$CFG" --db "$DB" serve --listen 0.0.0.0:0 --interval 1s
contains "a warning on a non-loopback address without TLS or basic auth" "$T/open.log" \
    "without TLS or basic auth"
stopped "$PID"
start lo6 -c "$CFG" --db "$DB" serve --listen '[::1]:0' --interval 1s
if [ -n "$PORT" ]; then
    ready6() { curl -s -o /dev/null -w '%{http_code}' "http://[::1]:$PORT/healthz"; }
    check "an IPv6 address in brackets" test "$(ready6)" = 200
    check "and loopback gives no warning" sh -c "! grep -q 'without TLS' '$T/lo6.log'"
    stopped "$PID"
else
    skip "no IPv6 loopback here"
fi
"$BIN" -c "$CFG" serve --listen 'nowhere:80' 2>"$T/badl.log"
check "a bad --listen exits 3 naming it" sh -c "[ $? = 3 ] && grep -q nowhere '$T/badl.log'"

# ---- TLS ---------------------------------------------------------------------------------------
if openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 1 \
    -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1; then
    start tls -c "$CFG" --db "$DB" serve --listen 127.0.0.1:0 --interval 1s \
        --tls-cert "$T/cert.pem" --tls-key "$T/key.pem"
    contains "TLS: the log says https" "$T/tls.log" "https://"
    i=0
    while [ "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$T/cert.pem" "https://127.0.0.1:$PORT/readyz")" != 200 ] && [ $i -lt 300 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    check "TLS: /metrics over https with a self-signed certificate" sh -c \
        "curl -sf --cacert '$T/cert.pem' 'https://127.0.0.1:$PORT/metrics' | grep -q streamtop_stream_status"
    check "TLS: plain http is not answered" sh -c "[ \"\$(code http://127.0.0.1:$PORT/metrics)\" != 200 ]"
    stopped "$PID"
else
    notok "openssl makes a self-signed certificate"
fi

# ---- --shard and --select --------------------------------------------------------------------
"$BIN" -c "$CFG" --db "$DB" export -f json >"$T/all.json" 2>/dev/null
for k in 1 2; do
    "$BIN" -c "$CFG" --db "$DB" export -f json --shard "$k/2" >"$T/shard$k.json" 2>/dev/null
done
check "export --shard 1/2 and 2/2 cover every stream exactly once" python3 -c '
import json, sys
names = lambda p: [s["name"] for s in json.load(open(p))["streams"]]
a, b, all_ = names(sys.argv[1]), names(sys.argv[2]), names(sys.argv[3])
assert a and b and sorted(a + b) == sorted(all_), (a, b, all_)
' "$T/shard1.json" "$T/shard2.json" "$T/all.json"
start shard -c "$CFG" --db "$DB" serve --listen 127.0.0.1:0 --interval 1s --shard 2/2
ready
check "serve --shard 2/2 serves the streams export --shard 2/2 has" python3 -c '
import json, sys, urllib.request
d = json.loads(urllib.request.urlopen(sys.argv[1]).read())
want = [s["name"] for s in json.load(open(sys.argv[2]))["streams"]]
assert [s["name"] for s in d["streams"]] == want, (d["streams"], want)
' "http://127.0.0.1:$PORT/api/v1/snapshot" "$T/shard2.json"
stopped "$PID"
start sel -c "$CFG" --db "$DB" serve --listen 127.0.0.1:0 --interval 1s --select team=payments \
    --select scenario=healthy
ready
check "--select keeps the streams with every label given" python3 -c '
import json, sys, urllib.request
d = json.loads(urllib.request.urlopen(sys.argv[1]).read())
want = [s["name"] for s in json.load(open(sys.argv[2]))["streams"]
        if s["labels"].get("team") == "payments" and s["labels"].get("scenario") == "healthy"]
got = [s["name"] for s in d["streams"]]
assert got == want and 0 < len(want) < len(json.load(open(sys.argv[2]))["streams"]), (got, want)
' "http://127.0.0.1:$PORT/api/v1/snapshot" "$T/all.json"
stopped "$PID"
"$BIN" -c "$CFG" export --shard 3/2 2>"$T/badshard.log"
check "a bad --shard exits 3 naming it" sh -c "[ $? = 3 ] && grep -q '3/2' '$T/badshard.log'"
