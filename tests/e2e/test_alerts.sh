#!/bin/sh
# Alerts people can act on, against the loopback webhook double (hookd.py): built-in alerts
# routed by label to each team's webhooks (first route wins, else [builtin] notify); owner,
# labels, runbook and links in the payload; readable values and a resolve that says what it
# resolved from; a summary placeholder that does not exist is a config error naming the line;
# `notify test` resolves a PagerDuty test at once and hides the routing key; silences keep
# check's exit status and -q quiet, `silence add` says what it covers and warns when nothing,
# `silence list` shows local and relative times.
. tests/e2e/lib.sh

mkdir -p "$T/hook"
python3 tests/e2e/hookd.py "$T/hook" --seconds 120 &
HOOKD=$!
trap 'kill $HOOKD 2>/dev/null; wait $HOOKD 2>/dev/null; rm -rf "$T"' EXIT
i=0
while [ ! -s "$T/hook/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
PORT=$(cat "$T/hook/port")
# posts PATH: the bodies posted to PATH, one JSON a line
posts() { [ -f "$T/hook/log" ] && python3 -c '
import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line)
    if d["path"] == sys.argv[2]:
        print(d["body"])
' "$T/hook/log" "$1"; }
nposts() { posts "$1" | grep -c . || true; }

for s in orders clicks misc; do mkdir -p "$T/dlq-$s" && : >"$T/dlq-$s/bad-1.json"; done
cat >"$T/c.ini" <<INI
[stream orders]
deadletter = $T/dlq-orders
labels = team=payments, tier=1
owner = payments-oncall
link.dashboard = https://grafana.example/d/st?var-stream={stream}
[stream clicks]
deadletter = $T/dlq-clicks
labels = team=growth, owner=growth-oncall
runbook = https://wiki.example/growth/{stream}#{rule}
[stream misc]
deadletter = $T/dlq-misc
[webhook pay-pager]
format = pagerduty
url = http://127.0.0.1:$PORT/pay-pager
routing_key = S3CRETR0UTINGKEY
[webhook pay-chat]
url = http://127.0.0.1:$PORT/pay-chat
[webhook growth-chat]
format = slack
url = http://127.0.0.1:$PORT/growth-chat
[webhook oncall]
format = alertmanager
url = http://127.0.0.1:$PORT/oncall
[builtin]
route  = team=payments -> pay-pager, pay-chat
route  = team=growth -> growth-chat
route  = tier=1 -> oncall
notify = oncall
runbook = https://wiki.example/streamtop/{rule}
[rule dlq-bytes]
metric = deadletter_files
warn = > 0
route = team=growth -> growth-chat
notify = pay-chat
summary = {stream}: {value} dead letters ({deadletter_bytes}, team {label.team})
INI
"$BIN" -c "$T/c.ini" --db "$T/s.db" check >"$T/out" 2>"$T/err"
check "check exits 1 (dead letters are a warning)" test $? -eq 1
check "payments' built-in alert goes to its two webhooks (the first route that matches)" \
    sh -c "test $(posts /pay-pager | grep -c '"component":"orders"') -eq 1 && \
           test $(posts /pay-chat | grep -c '"alert":"builtin:deadletter-growing"') -eq 1"
check "growth's goes to growth's webhook only" \
    sh -c "test $(posts /growth-chat | grep -c 'builtin:deadletter-growing') -eq 1"
check "a stream no route matches goes to [builtin] notify" python3 -c '
import json, sys
alerts = [a for l in sys.stdin for a in json.loads(l)]
names = {(a["labels"]["stream"], a["labels"]["alertname"]) for a in alerts}
assert ("misc", "builtin:deadletter-growing") in names, names
assert not any(s in ("orders", "clicks") for s, _ in names), names
' <<EOF2
$(posts /oncall/api/v2/alerts)
EOF2
check "a rule's route sends growth's to growth, the rest to its notify" \
    sh -c "test $(posts /growth-chat | grep -c 'dlq-bytes') -eq 1 && \
           test $(posts /pay-chat | grep -c '\"alert\":\"dlq-bytes\"') -eq 2"
check "the payload carries owner, labels, runbook, links and the summary template" python3 -c '
import json, sys
ds = [json.loads(l) for l in sys.stdin if l.strip()]
d = [x for x in ds if x["alert"] == "builtin:deadletter-growing"][0]
assert d["owner"] == "payments-oncall" and d["labels"] == {"team": "payments", "tier": "1"}, d
assert d["runbook"] == "https://wiki.example/streamtop/builtin:deadletter-growing", d
assert d["links"] == [{"name": "dashboard", "url": "https://grafana.example/d/st?var-stream=orders"}], d
r = [x for x in ds if x["alert"] == "dlq-bytes" and x["stream"] == "orders"][0]
assert r["summary"] == "orders: 1 dead letters (0 B, team payments)", r["summary"]
assert r["threshold"] == "> 0", r
' <<EOF2
$(posts /pay-chat)
EOF2
check "PagerDuty gets the runbook and the links as Events v2 links" python3 -c '
import json, sys
d = json.loads(sys.stdin.readline())
hrefs = [l["href"] for l in d["links"]]
assert hrefs == ["https://wiki.example/streamtop/builtin:deadletter-growing",
                 "https://grafana.example/d/st?var-stream=orders"], hrefs
assert d["payload"]["custom_details"]["owner"] == "payments-oncall", d
' <<EOF2
$(posts /pay-pager)
EOF2
check "Slack gets the stream's runbook (it overrides [builtin]'s) as a button, the owner from the label" python3 -c '
import json, sys
d = [json.loads(l) for l in sys.stdin if "builtin:deadletter-growing" in l][0]
btn = [e for b in d["blocks"] if b["type"] == "actions" for e in b["elements"]][0]
assert btn["url"] == "https://wiki.example/growth/clicks#builtin:deadletter-growing", btn
fields = [f["text"] for b in d["blocks"] if "fields" in b for f in b["fields"]]
assert "*Owner*\ngrowth-oncall" in fields, fields
' <<EOF2
$(posts /growth-chat)
EOF2

rm "$T/dlq-orders/bad-1.json"
"$BIN" -c "$T/c.ini" --db "$T/s.db" check >"$T/out" 2>"$T/err"
check "the resolve says what it resolved from" python3 -c '
import json, sys
ds = [json.loads(l) for l in sys.stdin if l.strip()]
r = [x for x in ds if x["alert"] == "dlq-bytes" and x["event"] == "resolved"][0]
assert r["summary"].startswith("Resolved: orders: 1 dead letters (0 B, team payments); now 0, after "), r["summary"]
assert r["resolved_from"] == {"level": "warning", "value": 1, "value_text": "1", "threshold": "> 0"}, r
' <<EOF2
$(posts /pay-chat)
EOF2

# Routes changed while an alert fires: its resolve goes where its notifications went.
: >"$T/dlq-orders/bad-3.json"
"$BIN" -c "$T/c.ini" --db "$T/s.db" check >/dev/null 2>&1
sed 's/^route  = team=payments -> pay-pager, pay-chat$/route  = team=payments -> growth-chat/' \
    "$T/c.ini" >"$T/moved.ini"
rm "$T/dlq-orders/bad-3.json"
pager=$(nposts /pay-pager)
growth=$(posts /growth-chat | grep -c orders || true)
"$BIN" -c "$T/moved.ini" --db "$T/s.db" check >/dev/null 2>&1
check "a resolve goes to the webhooks that got the firing, though the route moved" python3 -c '
import json, sys
ds = [json.loads(l) for l in sys.stdin if l.strip()][int(sys.argv[1]):]
assert [(d["event_action"], d["component"] if "component" in d else d["payload"]["component"])
        for d in ds] == [("resolve", "orders")], ds
' "$pager" <<EOF2
$(posts /pay-pager)
EOF2
check "and not to the new route's" test "$(posts /growth-chat | grep -c orders || true)" -eq "$growth"

# config check: every route matches a stream here; a misspelt label is a warning.
"$BIN" -c "$T/c.ini" config check >"$T/o" 2>"$T/e"
check "config check of the routed config exits 0" test $? -eq 0
contains "and shows the runbook templates as written" "$T/o" "runbook            = https://wiki.example/growth/{stream}#{rule}"
contains "and where each stream's alerts go" "$T/o" \
    "(alerts go to)     = built-in: pay-pager, pay-chat; dlq-bytes: pay-chat"
contains "for each stream" "$T/o" "(alerts go to)     = built-in: growth-chat; dlq-bytes: growth-chat"
contains "and shows the routes" "$T/o" "route              = team=payments -> pay-pager, pay-chat; team=growth -> growth-chat; tier=1 -> oncall"
sed 's/^route  = team=growth -> growth-chat$/route  = team=grwoth -> growth-chat/' "$T/c.ini" >"$T/typo.ini"
"$BIN" -c "$T/typo.ini" config check >"$T/o" 2>"$T/e"
check "a route that matches no stream exits 1" test $? -eq 1
contains "with a warning naming its line" "$T/e" "[builtin] route (line 26) matches no stream"

# A placeholder that does not exist: a config error naming file and line.
sed 's/{deadletter_bytes}/{deadletter_byte}/' "$T/c.ini" >"$T/bad.ini"
"$BIN" -c "$T/bad.ini" config check >"$T/o" 2>"$T/e"
check "config check exits 3 on an unknown placeholder" test $? -eq 3
contains "naming file, line and placeholder" "$T/e" \
    "bad.ini:35: [rule dlq-bytes]: summary: unknown placeholder {deadletter_byte}"

# notify test: a PagerDuty test is a trigger and its resolve at once; the key never printed.
before=$(nposts /pay-pager)
"$BIN" -c "$T/c.ini" --db "$T/s.db" notify test pay-pager >"$T/nt" 2>&1
check "notify test exits 0" test $? -eq 0
check "PagerDuty got a trigger then its resolve, same dedup_key, marked as a test" python3 -c '
import json, sys
ds = [json.loads(l) for l in sys.stdin if l.strip()][int(sys.argv[1]):]
assert [d["event_action"] for d in ds] == ["trigger", "resolve"], ds
assert ds[0]["dedup_key"] == ds[1]["dedup_key"], ds
assert ds[0]["payload"]["summary"].startswith("[TEST] "), ds[0]
assert ds[0]["payload"]["severity"] == "info", ds[0]
' "$before" <<EOF2
$(posts /pay-pager)
EOF2
contains "the output says what went where" "$T/nt" \
    "webhook pay-pager: HTTP 200 (trigger), HTTP 200 (resolve): no incident stays open"
contains "and shows the bodies with the routing key hidden" "$T/nt" '"routing_key":"(hidden)"'
check "the routing key is never printed" sh -c "! grep -q S3CRETR0UTINGKEY '$T/nt'"
printf '202\n500\n' >"$T/hook/pay-pager.statuses"
"$BIN" -c "$T/c.ini" --db "$T/s.db" notify test pay-pager >"$T/nt" 2>&1
check "a test whose resolve fails exits 1" test $? -eq 1
contains "and says which dedup_key to resolve by hand" "$T/nt" \
    "the test trigger was sent but its resolve was not: resolve dedup_key streamtop/test/streamtop-test in PagerDuty"
"$BIN" -c "$T/c.ini" --db "$T/s.db" notify test oncall >"$T/nt" 2>&1
check "an Alertmanager test ends when it starts" python3 -c '
import json, sys
a = json.loads([l for l in sys.stdin if l.strip()][-1])[0]
assert a["labels"]["alertname"] == "streamtop-test" and a["endsAt"] > a["startsAt"], a
' <<EOF2
$(posts /oncall/api/v2/alerts)
EOF2

# notify test --stream: the test carries that stream's context.
"$BIN" -c "$T/c.ini" --db "$T/s.db" notify test pay-chat --stream orders >"$T/nt" 2>&1
check "notify test --stream exits 0" test $? -eq 0
check "and the test carries the stream's labels, owner, runbook and links" python3 -c '
import json, sys
d = json.loads([l for l in sys.stdin if l.strip()][-1])
assert d["test"] is True and d["stream"] == "orders", d
assert d["labels"] == {"team": "payments", "tier": "1"} and d["owner"] == "payments-oncall", d
assert d["runbook"] == "https://wiki.example/streamtop/streamtop-test", d
assert d["links"] == [{"name": "dashboard", "url": "https://grafana.example/d/st?var-stream=orders"}], d
assert d["summary"].startswith("streamtop test notification for orders from "), d
' <<EOF2
$(posts /pay-chat)
EOF2
"$BIN" -c "$T/c.ini" --db "$T/s.db" notify test pay-chat --stream nope >"$T/nt" 2>&1
check "an unknown --stream exits 3" test $? -eq 3
contains "naming it" "$T/nt" "notify: --stream: no [stream nope] in the config"

# Silences: quiet for cron.
for s in orders clicks misc; do : >"$T/dlq-$s/bad-2.json"; done
"$BIN" -c "$T/c.ini" --db "$T/s.db" silence add '*' --for 2h --comment "backfill" >"$T/sil" 2>&1
check "a silence that covers something exits 0" test $? -eq 0
contains "silence add says what it covers now" "$T/sil" \
    "covers now: 3 streams: orders (4 rules), clicks (4 rules), misc (4 rules)"
contains "and the alerts it mutes" "$T/sil" "clicks/dlq-bytes (firing warning)"
"$BIN" -c "$T/c.ini" --db "$T/s.db" check -q >"$T/q" 2>&1
check "a silenced alert does not change check's exit status" test $? -eq 0
check "nor its -q output" test ! -s "$T/q"
"$BIN" -c "$T/c.ini" --db "$T/s.db" check >"$T/out" 2>&1
contains "a full check still names it" "$T/out" "[silenced]"
contains "and says all is OK" "$T/out" "OK - 3 streams OK"
"$BIN" -c "$T/c.ini" --db "$T/s.db" silence add 'ordres' --for 1h >"$T/sil" 2>&1
check "a silence that covers nothing exits 1" test $? -eq 1
contains "with a warning" "$T/sil" "'ordres' covers no stream or rule of the config now"
"$BIN" -c "$T/c.ini" --db "$T/s.db" silence add 'orders/nope' --for 1h >"$T/sil" 2>&1
check "nor a rule that no stream has" test $? -eq 1
"$BIN" -c "$T/c.ini" --db "$T/s.db" silence add 'team=growth/dlq-*' --for 1h >"$T/sil" 2>&1
check "a silence by label, as Alertmanager's matchers" test $? -eq 0
contains "covers the streams with that label" "$T/sil" "covers now: 1 stream: clicks (1 rule)"
contains "and mutes their alerts" "$T/sil" "mutes now: clicks/dlq-bytes (firing warning)"

# Times in local time with the UTC offset, and relative to now.
NOW=1795440000000 # 2026-11-23 13:20 UTC, 14:20 at UTC+1
TZ=XYZ-1 STREAMTOP_NOW_MS=$NOW "$BIN" -c "$T/c.ini" --db "$T/t.db" \
    silence add 'orders' --for 2h --comment "backfill" >"$T/sil" 2>&1
contains "silence add says when it ends, in local time and from now" "$T/sil" \
    "silence 1: orders until 2026-11-23 16:20 UTC+1 (in 2h)"
TZ=XYZ-1 STREAMTOP_NOW_MS=$((NOW + 1800000)) "$BIN" -c "$T/c.ini" --db "$T/t.db" \
    silence list >"$T/sil" 2>&1
contains "silence list shows the end in local and relative time" "$T/sil" \
    "ends 2026-11-23 16:20 UTC+1 (in 1h30m)  backfill"
TZ=XYZ-5:30 STREAMTOP_NOW_MS=$((NOW + 1800000)) "$BIN" -c "$T/c.ini" --db "$T/t.db" \
    silence list >"$T/sil" 2>&1
contains "an offset of hours and minutes" "$T/sil" "ends 2026-11-23 20:50 UTC+5:30 (in 1h30m)"
