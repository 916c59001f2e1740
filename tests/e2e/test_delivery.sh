#!/bin/sh
# Delivery in order and once, with the clock fixed through STREAMTOP_NOW_MS: a receiver failing
# for three passes and recovering after the alert resolved ends on the resolve; a SIGKILL while
# a slow webhook is pending re-sends nothing a fast one acknowledged; every notification carries
# a stable id; the clock stepping back an hour sends nothing.
. tests/e2e/lib.sh

C="$T/hook"
mkdir -p "$C"
python3 tests/e2e/hookd.py "$C" --seconds 240 &
HOOKD=$!
CHECK=
trap 'kill $HOOKD $CHECK 2>/dev/null; wait $HOOKD 2>/dev/null; rm -rf "$T"' EXIT
i=0
while [ ! -s "$C/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
PORT=$(cat "$C/port")

# events PATH: the accepted (2xx) events of one webhook path, in the order they arrived
events() {
    python3 -c '
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["path"] == sys.argv[2] and 200 <= r["status"] < 300:
        print(json.loads(r["body"])["event"])
' "$C/log" "$1" 2>/dev/null
}
accepted() { events "$1" | wc -l; }

NOW=1795440000000
STREAMS="s1 s2 s3 s4 s5"
{
    for s in $STREAMS; do
        mkdir -p "$T/dlq/$s"
        printf '[stream %s]\ndeadletter = %s\n' "$s" "$T/dlq/$s"
    done
    cat <<INI
[rule dlq]
metric = deadletter_files
warn = > 0
notify = fast
[webhook fast]
url = http://127.0.0.1:$PORT/fast
timeout = 2s
[builtin]
deadletter_growing = off
INI
} >"$T/c.ini"
run() { # run MINUTE [CONFIG]: check at NOW + MINUTE minutes
    STREAMTOP_NOW_MS=$((NOW + $1 * 60000)) "$BIN" -c "${2:-$T/c.ini}" --db "$T/s.db" check \
        >"$T/out" 2>"$T/err"
    echo $? >"$T/rc"
}

# --- a receiver down for three passes, back after the alert resolved ------------------------
: >"$T/dlq/s1/part-0.json"
echo 503 >"$C/fast.status"
run 0
run 1
run 3
rm "$T/dlq/s1/part-0.json"
run 7 # resolves; the receiver still fails
echo 200 >"$C/fast.status"
run 12
run 30
run 90
got=$(events /fast | tr '\n' ' ')
if [ "$got" = "resolved " ]; then
    ok "the receiver ends on the resolve (the undelivered firing was superseded, not sent after it)"
else
    notok "the receiver ends on the resolve (the undelivered firing was superseded, not sent after it)" "accepted: $got"
fi
check "nothing is left to deliver" grep -q "notifications_pending=0" "$T/out"

# --- every notification has a stable id: the header and the body's field agree --------------
check "an Idempotency-Key header equal to the body's id" python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert rows, "nothing received"
for r in rows:
    assert r["key"] and len(r["key"]) == 32, r
    assert json.loads(r["body"])["id"] == r["key"], r
# retries of one notification keep its id; different notifications differ
by_event = {}
for r in rows:
    by_event.setdefault(json.loads(r["body"])["event"], set()).add(r["key"])
assert len(by_event["firing"]) == 1 and len(by_event["resolved"]) == 1, by_event
assert by_event["firing"] != by_event["resolved"]
' "$C/log"

# --- SIGKILL while a slow webhook is pending ---------------------------------------------------
rm -f "$C/log" "$T/s.db"*
sed 's/^notify = fast$/notify = fast, slow/' "$T/c.ini" >"$T/two.ini"
cat >>"$T/two.ini" <<INI
[webhook slow]
url = http://127.0.0.1:$PORT/slow
timeout = 30s
INI
for s in $STREAMS; do : >"$T/dlq/$s/part-0.json"; done
echo 20 >"$C/slow.delay"
STREAMTOP_NOW_MS=$((NOW + 200 * 60000)) "$BIN" -c "$T/two.ini" --db "$T/s.db" check \
    >"$T/out" 2>"$T/err" &
CHECK=$!
i=0
while [ "$(accepted /fast)" -lt 5 ] && [ $i -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
kill -9 $CHECK 2>/dev/null
wait $CHECK 2>/dev/null
CHECK=
fast=$(accepted /fast)
check "the fast webhook got its five before the kill" test "$fast" -eq 5
echo 0 >"$C/slow.delay"
run 210 "$T/two.ini" # past the killed run's leases
run 211 "$T/two.ini"
if [ "$(accepted /fast)" -eq 5 ]; then
    ok "after the SIGKILL nothing the fast webhook acknowledged is sent again"
else
    notok "after the SIGKILL nothing the fast webhook acknowledged is sent again" "$(accepted /fast) fast posts"
fi
slow=$(python3 -c '
import json, sys
print(sum(1 for l in open(sys.argv[1]) if json.loads(l)["path"] == "/slow" and json.loads(l)["status"] == 200))
' "$C/log")
check "the slow webhook gets its five once the leases end (at least once: the killed posts may have landed)" test "$slow" -ge 5

# --- the clock steps back an hour -----------------------------------------------------------
n0=$(accepted /fast)
run 300 "$T/two.ini"
rc_then=$(cat "$T/rc")
run 240 "$T/two.ini"
check "an hour back: the same exit status (the alerts hold)" test "$(cat "$T/rc")" -eq "$rc_then"
contains "and it says the clock is behind" "$T/err" "the clock is behind the last evaluation"
for s in $STREAMS; do rm -f "$T/dlq/$s/part-0.json"; done
run 241 "$T/two.ini" # the dead letters are gone, but the clock is still behind: nothing resolves
if [ "$(accepted /fast)" -eq "$n0" ]; then
    ok "nothing is sent while the clock is behind"
else
    notok "nothing is sent while the clock is behind" "$(events /fast | tail -5)"
fi
run 301 "$T/two.ini" # past the last evaluation again: now it resolves
check "once the clock is past it again, the alerts resolve" test "$(events /fast | tail -n 1)" = resolved
