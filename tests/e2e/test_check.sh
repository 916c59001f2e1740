#!/bin/sh
# check from cron, against a loopback webhook receiver that records bodies: a value crosses the
# threshold -> one notification; three more runs -> none; it goes back -> one resolve; the
# receiver down for two runs -> delivered on the third, exactly once; two checks started
# together -> one notification; exit statuses and output; silences; a state DB that cannot be
# written exits 3.
. tests/e2e/lib.sh

start_receiver() { # start_receiver PORT: on that port (0: any), recording into $T/rec
    rm -f "$T/port"
    python3 tests/e2e/httpd.py "$T/port" --max-requests 200 --seconds 120 --record "$T/rec" \
        --port "$1" &
    RECV=$!
    i=0
    while [ ! -s "$T/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    PORT=$(cat "$T/port")
}
stop_receiver() { kill "$RECV" 2>/dev/null; wait "$RECV" 2>/dev/null || true; }
trap 'stop_receiver; rm -rf "$T"' EXIT
posts() { [ -f "$T/rec" ] && grep -c '^/hook ' "$T/rec" || echo 0; }

start_receiver 0
mkdir -p "$T/dlq"
cat >"$T/c.ini" <<INI
[stream orders]
deadletter = $T/dlq
labels = team=payments
[rule dlq-full]
streams = team=payments
metric = deadletter_files
warn = > 1
crit = > 2
notify = hook
summary = {stream} has {value} dead letters ({threshold})
[webhook hook]
format = json
url = http://127.0.0.1:$PORT/hook
timeout = 2s
[builtin]
deadletter_growing = off
INI
NOW=1795440000000
run() { # run MINUTE: check at NOW + MINUTE minutes
    STREAMTOP_NOW_MS=$((NOW + $1 * 60000)) "$BIN" -c "$T/c.ini" --db "$T/s.db" check \
        >"$T/out" 2>"$T/err"
    echo $? >"$T/rc"
}

run 0
check "all OK exits 0" test "$(cat "$T/rc")" -eq 0
contains "the summary line says OK with performance data" "$T/out" "OK - 1 stream OK | streams=1"
for i in 1 2 3; do : >"$T/dlq/bad-$i.json"; done
run 1
check "crossing the critical threshold exits 2" test "$(cat "$T/rc")" -eq 2
contains "the stream's line names rule, value and threshold" "$T/out" \
    "CRITICAL orders: dlq-full critical value=3 (> 2)"
check "one notification" test "$(posts)" -eq 1
check "its payload is the documented JSON" python3 -c '
import json, sys
line = [l for l in open(sys.argv[1]) if l.startswith("/hook ")][0]
d = json.loads(line[len("/hook "):])
assert d["event"] == "firing" and d["alert"] == "dlq-full" and d["stream"] == "orders", d
assert d["level"] == "critical" and d["value"] == 3 and d["threshold"] == "> 2", d
assert d["labels"] == {"team": "payments"} and d["dedup_key"] == "streamtop/orders/dlq-full"
assert d["summary"] == "orders has 3 dead letters (> 2)", d["summary"]
assert d["started_at"].endswith("Z") and d["resolved_at"] is None
' "$T/rec"
run 2
run 3
run 4
check "three more runs send nothing" test "$(posts)" -eq 1
rm "$T/dlq/bad-3.json"
run 5
check "critical -> warning is one more notification" test "$(posts)" -eq 2
check "and exits 1" test "$(cat "$T/rc")" -eq 1
rm "$T/dlq"/*.json
run 6
check "back to normal: one resolve" test "$(posts)" -eq 3
check "the resolve says so" sh -c "tail -1 '$T/rec' | grep -q '\"event\":\"resolved\"'"
check "and exits 0" test "$(cat "$T/rc")" -eq 0

# The receiver is down for two runs: the notification waits in the outbox, with backoff, and
# goes out on the third run, exactly once.
stop_receiver
for i in 1 2 3; do : >"$T/dlq/bad-$i.json"; done
run 10
contains "a down webhook is reported by name, without its URL path" "$T/err" \
    "webhook hook (http://127.0.0.1:$PORT)"
check "the run still exits with the streams' status" test "$(cat "$T/rc")" -eq 2
contains "the notification is pending" "$T/out" "notifications_pending=1"
run 11
start_receiver "$PORT"
run 12
check "delivered on the third run, exactly once" test "$(posts)" -eq 4
run 13
check "and never again" test "$(posts)" -eq 4

# Two checks at once: one notification.
rm "$T/dlq"/*.json
run 20
check "resolve delivered" test "$(posts)" -eq 5
for i in 1 2 3; do : >"$T/dlq/bad-$i.json"; done
STREAMTOP_NOW_MS=$((NOW + 21 * 60000)) "$BIN" -c "$T/c.ini" --db "$T/s.db" check >/dev/null 2>&1 &
a=$!
STREAMTOP_NOW_MS=$((NOW + 21 * 60000)) "$BIN" -c "$T/c.ini" --db "$T/s.db" check >/dev/null 2>&1 &
b=$!
wait $a
wait $b
check "two checks started together send one notification" test "$(posts)" -eq 6

# Silences: state kept, shown, nothing sent; after the silence one notification.
STREAMTOP_NOW_MS=$((NOW + 22 * 60000)) "$BIN" -c "$T/c.ini" --db "$T/s.db" \
    silence add 'ord*' --for 30m --comment "maintenance" >"$T/sil" 2>&1
contains "silence add prints the silence" "$T/sil" "silence 1: ord* until"
rm "$T/dlq/bad-3.json"
run 23
check "a silenced level change sends nothing" test "$(posts)" -eq 6
contains "and is shown as silenced" "$T/out" "[silenced]"
STREAMTOP_NOW_MS=$((NOW + 24 * 60000)) "$BIN" -c "$T/c.ini" --db "$T/s.db" silence list >"$T/sil"
contains "silence list shows it" "$T/sil" "maintenance"
run 60
check "after the silence, one notification" test "$(posts)" -eq 7

# --no-notify, -q, -f json
run 61
STREAMTOP_NOW_MS=$((NOW + 62 * 60000)) "$BIN" -c "$T/c.ini" --db "$T/s.db" check -f json \
    --no-notify >"$T/j.json"
check "check -f json carries the alert states" python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))["streams"][0]
a = [x for x in s["alerts"] if x["rule"] == "dlq-full"][0]
assert s["status"] == "warning" and a["level"] == "warning" and a["state"] == "firing", s
' "$T/j.json"
rm "$T/dlq"/*.json
STREAMTOP_NOW_MS=$((NOW + 63 * 60000)) "$BIN" -c "$T/c.ini" --db "$T/s.db" check -q --no-notify \
    >"$T/q.out"
check "-q prints nothing when all is OK" test ! -s "$T/q.out"
check "--no-notify sent nothing" test "$(posts)" -eq 7

# notify test: one test notification, its status printed.
"$BIN" -c "$T/c.ini" --db "$T/s.db" notify test hook >"$T/nt" 2>&1
check "notify test exits 0 on 2xx" test $? -eq 0
contains "and prints the status" "$T/nt" "webhook hook: HTTP 200"
check "the receiver got the test notification" test "$(posts)" -eq 8

# Webhooks that redirect in a loop, answer garbage or are too slow: each reported on its own,
# within its timeout, the notifications kept for later runs; the good webhook still delivers.
cat >"$T/bad-hooks.ini" <<INI
[stream orders]
deadletter = $T/dlq
[rule dlq-full]
metric = deadletter_files
crit = > 2
notify = hook, loop, junk, slow
[webhook hook]
url = http://127.0.0.1:$PORT/hook
[webhook loop]
url = http://127.0.0.1:$PORT/redirect
[webhook junk]
url = http://127.0.0.1:$PORT/garbage
[webhook slow]
url = http://127.0.0.1:$PORT/slowhook
timeout = 1s
[builtin]
deadletter_growing = off
INI
for i in 1 2 3; do : >"$T/dlq/bad-$i.json"; done
STREAMTOP_NOW_MS=$((NOW + 70 * 60000)) "$BIN" -c "$T/bad-hooks.ini" --db "$T/b.db" check \
    >"$T/o" 2>"$T/e"
check "broken webhooks do not change the exit status" test $? -eq 2
check "the good webhook delivered" test "$(posts)" -eq 9
contains "a redirect loop is reported on its webhook" "$T/e" "webhook loop (http://127.0.0.1:$PORT): HTTP 302"
contains "garbage is reported on its webhook" "$T/e" "webhook junk (http://127.0.0.1:$PORT):"
contains "a slow webhook times out" "$T/e" "webhook slow (http://127.0.0.1:$PORT): timed out after 1000 ms"
contains "their three notifications wait for later runs" "$T/o" "notifications_pending=3"
check "no URL path is printed" sh -c "! grep -q '/redirect\|/garbage\|/slowhook' '$T/e'"

# Problems: a state DB that cannot be written, a bad rule.
mkdir -p "$T/ro"
chmod 500 "$T/ro"
if [ "$(id -u)" != 0 ]; then
    "$BIN" -c "$T/c.ini" --db "$T/ro/x.db" check >"$T/o" 2>"$T/e"
    check "an unwritable state DB exits 3" test $? -eq 3
else
    : >"$T/notadb"
    printf 'garbage that is not sqlite at all, not at all, no' >"$T/notadb"
    "$BIN" -c "$T/c.ini" --db "$T/notadb" check >"$T/o" 2>"$T/e"
    check "a state DB that cannot be used exits 3" test $? -eq 3
fi
contains "and says why" "$T/e" "check: state DB:"
printf '[stream a]\ncheckpoint = /x\n[rule r]\nmetric = nope\nwarn = > 1\n' >"$T/bad.ini"
"$BIN" -c "$T/bad.ini" check >"$T/o" 2>"$T/e"
check "an unknown metric in a rule exits 3" test $? -eq 3
contains "naming file and line" "$T/e" "bad.ini:4: [rule r]: metric: unknown metric 'nope'"

# --shard and --select, as `serve` takes them: two shards check every stream exactly once
"$BIN" simulate "$T/shsim" --streams 7 --batches 20 >/dev/null 2>&1
for k in 1 2; do
    "$BIN" -c "$T/shsim/streamtop.ini" --db :memory: check --no-notify -f json --shard "$k/2" \
        >"$T/shard$k.json" 2>/dev/null
done
check "check --shard 1/2 and 2/2 together check every stream exactly once" python3 -c '
import json, sys
a = [s["name"] for s in json.load(open(sys.argv[1]))["streams"]]
b = [s["name"] for s in json.load(open(sys.argv[2]))["streams"]]
assert a and b and not set(a) & set(b) and len(a) + len(b) == 7, (a, b)
' "$T/shard1.json" "$T/shard2.json"
"$BIN" -c "$T/shsim/streamtop.ini" --db :memory: check --no-notify -f json --select team=payments \
    >"$T/sel.json" 2>/dev/null
check "check --select team=payments checks only those streams" python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))["streams"]
assert s and all(x["labels"]["team"] == "payments" for x in s), s
' "$T/sel.json"

# SIGTERM while a notification is on its way: the request is cut, it is not counted as an
# attempt, and its lease ends at once (the next run delivers it without waiting for the lease
# or a back-off).
mkdir -p "$T/sdlq"
for i in 1 2 3; do : >"$T/sdlq/bad-$i.json"; done
cat >"$T/stop.ini" <<INI
[stream orders]
deadletter = $T/sdlq
[rule dlq-full]
metric = deadletter_files
crit = > 2
notify = slow
[webhook slow]
url = http://127.0.0.1:$PORT/slowhook
timeout = 20s
[builtin]
deadletter_growing = off
INI
"$BIN" -c "$T/stop.ini" --db "$T/stop.db" check >/dev/null 2>&1 &
cpid=$!
sleep 1.5
kill -TERM $cpid
wait $cpid
check "the stopped delivery is no attempt and holds no lease" python3 -c '
import sqlite3, sys
rows = sqlite3.connect(sys.argv[1]).execute(
    "SELECT attempts, lease_ms, done_ms FROM outbox").fetchall()
assert rows and all(r == (0, 0, None) for r in rows), rows
' "$T/stop.db"
