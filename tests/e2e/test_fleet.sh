#!/bin/sh
# A fleet as the README describes it, against the real Prometheus and Alertmanager (Debian
# prometheus, prometheus-alertmanager) on 127.0.0.1: Prometheus scrapes two `streamtop serve`
# shards of one simulated pipeline and a PromQL query through its HTTP API returns every stream
# exactly once with the figures `export` gives; two daemons watching the same streams for
# redundancy push the same alert to Alertmanager, whose webhook receiver gets one notification.
. tests/e2e/lib.sh
PROM=$(command -v prometheus || true)
AM=$(command -v prometheus-alertmanager || command -v alertmanager || true)
if [ -z "$PROM" ] || [ -z "$AM" ]; then
    notok "Prometheus and Alertmanager are installed (make deps installs prometheus and prometheus-alertmanager)"
    exit 0
fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PIDS=
trap 'kill $PIDS 2>/dev/null; wait $PIDS 2>/dev/null; rm -rf "$T"' EXIT
# wait_http URL: until it answers 200 (20 s)
wait_http() {
    python3 - "$1" <<'PY'
import sys, time, urllib.request
deadline = time.time() + 20
while time.time() < deadline:
    try:
        urllib.request.urlopen(sys.argv[1], timeout=1)
        sys.exit(0)
    except Exception:
        time.sleep(0.1)
sys.exit("no answer from " + sys.argv[1])
PY
}

"$BIN" simulate "$T/sim" --streams 6 --batches 60 >/dev/null 2>&1
CFG="$T/sim/streamtop.ini"
"$BIN" -c "$CFG" --db "$T/ref.db" export -f json >"$T/ref.json"

S1=$(free_port)
S2=$(free_port)
"$BIN" -c "$CFG" --db "$T/s1.db" serve --interval 1 --listen "127.0.0.1:$S1" --shard 1/2 \
    >"$T/s1.log" 2>&1 &
PIDS="$PIDS $!"
"$BIN" -c "$CFG" --db "$T/s2.db" serve --interval 1 --listen "127.0.0.1:$S2" --shard 2/2 \
    >"$T/s2.log" 2>&1 &
PIDS="$PIDS $!"
for p in $S1 $S2; do
    if ! out=$(wait_http "http://127.0.0.1:$p/readyz" 2>&1); then
        notok "shard on port $p becomes ready" "$out$(tail -5 "$T/s1.log" "$T/s2.log")"
        exit 0
    fi
done
ok "both shards become ready"

PP=$(free_port)
cat >"$T/prom.yml" <<YML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: streamtop
    honor_labels: true
    static_configs:
      - targets: ["127.0.0.1:$S1", "127.0.0.1:$S2"]
YML
"$PROM" --config.file="$T/prom.yml" --storage.tsdb.path="$T/prom" \
    --web.listen-address="127.0.0.1:$PP" >"$T/prom.log" 2>&1 &
PIDS="$PIDS $!"
if ! out=$(wait_http "http://127.0.0.1:$PP/-/ready" 2>&1); then
    notok "Prometheus starts" "$out$(tail -5 "$T/prom.log")"
    exit 0
fi
ok "Prometheus starts"

check "PromQL over both shards: every stream exactly once, with export's status and figures" python3 - \
    "http://127.0.0.1:$PP" "$T/ref.json" <<'PY2'
import json, sys, time, urllib.parse, urllib.request
base, ref = sys.argv[1], json.load(open(sys.argv[2]))
levels = {"ok": 0, "warning": 1, "critical": 2, "unknown": 3}
want = {s["name"]: s for s in ref["streams"]}
def q(expr):
    u = base + "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    d = json.load(urllib.request.urlopen(u, timeout=5))
    assert d["status"] == "success", d
    return d["data"]["result"]
deadline = time.time() + 30
while True:
    up = q("up")
    res = q("streamtop_stream_status")
    if len(up) == 2 and all(r["value"][1] == "1" for r in up) and len(res) >= len(want):
        break
    if time.time() > deadline:
        sys.exit("Prometheus did not scrape both shards: up=%r status=%r" % (up, res))
    time.sleep(0.5)
names = [r["metric"]["stream"] for r in res]
assert sorted(names) == sorted(want), (names, list(want))
# each stream from exactly one shard (instance)
inst = {r["metric"]["stream"]: r["metric"]["instance"] for r in res}
assert len(set(inst.values())) == 2, inst
for r in res:
    s = want[r["metric"]["stream"]]
    assert int(float(r["value"][1])) == levels[s["status"]], (r, s["status"])
one = q("count by (stream) (streamtop_stream_status)")
assert all(r["value"][1] == "1" for r in one) and len(one) == len(want), one
for r in q("streamtop_last_batch_id"):
    s = want[r["metric"]["stream"]]
    assert float(r["value"][1]) == s["metrics"]["last_batch_id"], (r, s["metrics"]["last_batch_id"])
assert len(q("streamtop_pass_duration_seconds")) == 2
PY2

# Redundancy: two daemons watching the same streams, both delivering to one Alertmanager.
python3 tests/e2e/httpd.py "$T/port" --max-requests 50 --seconds 90 --record "$T/rec" &
PIDS="$PIDS $!"
i=0
while [ ! -s "$T/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
RPORT=$(cat "$T/port")
APORT=$(free_port)
cat >"$T/am.yml" <<YML
route:
  receiver: hook
  group_by: [alertname, stream]
  group_wait: 2s
  group_interval: 2s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: http://127.0.0.1:$RPORT/am
YML
"$AM" --config.file="$T/am.yml" --storage.path="$T/am" --web.listen-address="127.0.0.1:$APORT" \
    --cluster.listen-address= >"$T/am.log" 2>&1 &
PIDS="$PIDS $!"
if ! out=$(wait_http "http://127.0.0.1:$APORT/-/ready" 2>&1); then
    notok "Alertmanager starts" "$out$(tail -5 "$T/am.log")"
    exit 0
fi
ok "Alertmanager starts"
mkdir -p "$T/dlq"
for i in 1 2 3; do : >"$T/dlq/bad-$i.json"; done
cat >"$T/red.ini" <<INI
[stream orders]
deadletter = $T/dlq
labels = team=payments
[rule dlq-full]
metric = deadletter_files
crit = > 2
notify = am
[webhook am]
format = alertmanager
url = http://127.0.0.1:$APORT
INI
A1=$(free_port)
A2=$(free_port)
"$BIN" -c "$T/red.ini" --db "$T/a1.db" serve --alerts --interval 1 --listen "127.0.0.1:$A1" \
    >"$T/a1.log" 2>&1 &
PIDS="$PIDS $!"
"$BIN" -c "$T/red.ini" --db "$T/a2.db" serve --alerts --interval 1 --listen "127.0.0.1:$A2" \
    >"$T/a2.log" 2>&1 &
PIDS="$PIDS $!"
check "both daemons deliver the alert and Alertmanager's receiver gets one notification" python3 - \
    "http://127.0.0.1:$A1" "http://127.0.0.1:$A2" "$T/rec" <<'PY3'
import json, sys, time, urllib.request
d1, d2, rec = sys.argv[1:4]
def delivered(base):
    try:
        d = json.load(urllib.request.urlopen(base + "/api/v1/alerts", timeout=2))
    except Exception:
        return False
    return any(n.get("rule") == "dlq-full" and n.get("done_ms", -1) > 0 and n.get("error") is None
               for n in d.get("notifications", []))
deadline = time.time() + 30
while not (delivered(d1) and delivered(d2)):
    if time.time() > deadline:
        sys.exit("the two daemons did not both deliver within 30 s")
    time.sleep(0.2)
time.sleep(6)  # three group intervals after the second delivery
try:
    lines = [l for l in open(rec) if l.startswith("/am ")]
except FileNotFoundError:
    lines = []
assert len(lines) == 1, "%d notifications: %r" % (len(lines), lines)
d = json.loads(lines[0][4:])
assert [a["labels"]["alertname"] for a in d["alerts"]] == ["dlq-full"], d["alerts"]
assert d["alerts"][0]["labels"]["stream"] == "orders" and d["alerts"][0]["status"] == "firing"
PY3
