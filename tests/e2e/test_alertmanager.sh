#!/bin/sh
# Against a real Alertmanager (Debian prometheus-alertmanager) on 127.0.0.1: an alert pushed by
# streamtop check shows up in GET /api/v2/alerts and reaches Alertmanager's own webhook receiver.
. tests/e2e/lib.sh
AM=$(command -v prometheus-alertmanager || command -v alertmanager || true)
if [ -z "$AM" ]; then
    notok "Alertmanager is installed (make deps installs prometheus-alertmanager)"
    exit 0
fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
python3 tests/e2e/httpd.py "$T/port" --max-requests 50 --seconds 60 --record "$T/rec" &
recv=$!
i=0
while [ ! -s "$T/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
RPORT=$(cat "$T/port")
APORT=$(free_port)
cat >"$T/am.yml" <<YML
route:
  receiver: hook
  group_by: [alertname, stream]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: http://127.0.0.1:$RPORT/am
        send_resolved: true
YML
"$AM" --config.file="$T/am.yml" --storage.path="$T/am" --web.listen-address="127.0.0.1:$APORT" \
    --cluster.listen-address= >"$T/am.log" 2>&1 &
am=$!
trap 'kill $am $recv 2>/dev/null; wait $am $recv 2>/dev/null; rm -rf "$T"' EXIT
i=0
until python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' \
    "http://127.0.0.1:$APORT/-/ready" 2>/dev/null; do
    i=$((i + 1))
    if [ $i -gt 100 ]; then
        notok "Alertmanager starts" "$(tail -5 "$T/am.log")"
        exit 0
    fi
    sleep 0.1
done
ok "Alertmanager starts"

mkdir -p "$T/dlq"
for i in 1 2 3; do : >"$T/dlq/bad-$i.json"; done
cat >"$T/c.ini" <<INI
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
"$BIN" -c "$T/c.ini" --db "$T/s.db" check >"$T/out" 2>"$T/err"
check "check exits 2 (critical)" test $? -eq 2
check "no delivery problem reported" test ! -s "$T/err"
check "the alert is in Alertmanager's GET /api/v2/alerts" python3 -c '
import json, sys, urllib.request
alerts = json.load(urllib.request.urlopen(sys.argv[1], timeout=5))
mine = [a for a in alerts if a["labels"].get("alertname") == "dlq-full"]
assert mine, alerts
l = mine[0]["labels"]
assert l["stream"] == "orders" and l["severity"] == "critical" and l["team"] == "payments", l
assert mine[0]["status"]["state"] == "active", mine[0]["status"]
' "http://127.0.0.1:$APORT/api/v2/alerts"
check "Alertmanager's webhook receiver gets it (version 4 payload)" python3 -c '
import json, sys, time
deadline = time.time() + 20
while time.time() < deadline:
    try:
        for line in open(sys.argv[1]):
            if line.startswith("/am "):
                d = json.loads(line[4:])
                assert d["version"] == "4", d
                a = d["alerts"][0]
                assert a["labels"]["alertname"] == "dlq-full" and a["status"] == "firing", a
                sys.exit(0)
    except FileNotFoundError:
        pass
    time.sleep(0.2)
sys.exit("no webhook from Alertmanager within 20 s")
' "$T/rec"

# The context reaches Alertmanager: runbook_url and the owner label.
sed -i -e 's|^notify = am$|notify = am\nrunbook = https://wiki.example/runbooks/{rule}|' \
    -e 's/^labels = team=payments$/labels = team=payments\nowner = payments-oncall/' "$T/c.ini"
: >"$T/dlq/bad-4.json"
"$BIN" -c "$T/c.ini" --db "$T/s.db" check >"$T/out" 2>"$T/err"
check "Alertmanager keeps the runbook_url annotation and the owner label" python3 -c '
import json, sys, urllib.request
alerts = json.load(urllib.request.urlopen(sys.argv[1], timeout=5))
a = [a for a in alerts if a["labels"].get("alertname") == "dlq-full"][0]
assert a["annotations"]["runbook_url"] == "https://wiki.example/runbooks/dlq-full", a
assert a["labels"]["owner"] == "payments-oncall", a["labels"]
' "http://127.0.0.1:$APORT/api/v2/alerts"

# notify test: accepted, never active, and Alertmanager notifies no one about it.
"$BIN" -c "$T/c.ini" --db "$T/s.db" notify test am >"$T/nt" 2>&1
check "notify test through Alertmanager exits 0" test $? -eq 0
contains "and says the alert ended when it started" "$T/nt" "the alert ended when it started"
check "the test alert is not active in Alertmanager" python3 -c '
import json, sys, urllib.request
alerts = json.load(urllib.request.urlopen(sys.argv[1], timeout=5))
assert not [a for a in alerts if a["labels"].get("alertname") == "streamtop-test"], alerts
' "http://127.0.0.1:$APORT/api/v2/alerts?active=true"
sleep 3 # group_wait and group_interval are 1 s: time enough to send one
check "Alertmanager's receiver got no notification of the test" sh -c \
    "! grep -q streamtop-test '$T/rec'"
