#!/bin/sh
# A webhook whose secret is missing (a ${VAR} unset, a url_file not there) stops only what needs
# it: export, watch, history and the dashboard warn once, one line per webhook naming it and
# the variable or file, never the secret, and carry on; check reports it, still evaluates and
# exits by the streams' state, delivers through the other webhooks and keeps the unusable
# one's notifications queued; config check warns (exit 1); notify test of that webhook exits 3.
. tests/e2e/lib.sh
unset ST_MISSING_URL ST_MISSING_TOKEN ST_MISSING_KEY
start_receiver() {
    rm -f "$T/port"
    python3 tests/e2e/httpd.py "$T/port" --max-requests 50 --seconds 90 --record "$T/rec" &
    RECV=$!
    i=0
    while [ ! -s "$T/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    PORT=$(cat "$T/port")
}
SOCK="sec$$"
trap 'kill "$RECV" 2>/dev/null; tmux -L "$SOCK" kill-server 2>/dev/null; rm -rf "$T"' EXIT
posts() { n=0; [ -f "$T/rec" ] && n=$(grep -c "^$1 " "$T/rec"); echo "$n"; }
start_receiver
mkdir -p "$T/dlq"
cat >"$T/c.ini" <<INI
[stream orders]
deadletter = $T/dlq
[rule dlq-full]
metric = deadletter_files
crit = > 2
notify = good, slack, pager, partial
[webhook good]
url = http://127.0.0.1:$PORT/good
[webhook slack]
format = slack
url = \${ST_MISSING_URL}
[webhook pager]
format = pagerduty
url_file = $T/missing.url
routing_key = \${ST_MISSING_KEY}
[webhook partial]
url = http://127.0.0.1:$PORT/SECRETPATH/\${ST_MISSING_TOKEN}
[builtin]
deadletter_growing = off
INI
run() { # run NAME ARGS...: streamtop -c c.ini --db db ARGS, stdout NAME.out, stderr NAME.err
    name=$1
    shift
    "$BIN" -c "$T/c.ini" --db "$T/db" "$@" >"$T/$name.out" 2>"$T/$name.err"
    echo $? >"$T/$name.rc"
}
warned() { # warned NAME: the three unusable webhooks, one line each, and nothing else
    contains "$1: names slack and its variable" "$T/$1.err" \
        "streamtop: warning: [webhook slack] (line 9) is unusable, nothing is sent through it: url: environment variable ST_MISSING_URL is not set"
    contains "$1: names pager and its file" "$T/$1.err" \
        "streamtop: warning: [webhook pager] (line 12) is unusable, nothing is sent through it: routing_key: environment variable ST_MISSING_KEY is not set; url_file: $T/missing.url: No such file or directory"
    contains "$1: names partial and its variable" "$T/$1.err" \
        "[webhook partial] (line 16) is unusable, nothing is sent through it: url: environment variable ST_MISSING_TOKEN is not set"
    check "$1: once each (three lines)" test "$(grep -c 'is unusable' "$T/$1.err")" -eq 3
    check "$1: never the secret's neighbourhood (the URL's path)" sh -c "! grep -q SECRETPATH '$T/$1.out' '$T/$1.err'"
}

run export export -f json
check "export exits 0" test "$(cat "$T/export.rc")" -eq 0
check "and writes its JSON" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/export.out"
warned export
run watch watch -n 3
check "watch exits 0" test "$(cat "$T/watch.rc")" -eq 0
check "and prints its table three times" test "$(grep -c '^ *STATUS' "$T/watch.out")" -eq 3
warned watch
run history history orders
check "history exits 0" test "$(cat "$T/history.rc")" -eq 0
contains "and prints the recorded series" "$T/history.out" "deadletter_files"
warned history

run ok check
check "check with the streams OK exits 0 (an unusable webhook alone does not raise it)" \
    test "$(cat "$T/ok.rc")" -eq 0
contains "check prints the status" "$T/ok.out" "OK - 1 stream OK"
warned ok
run okq check -q
check "check -q: the warnings only (cron mails them)" test ! -s "$T/okq.out"
warned okq
for i in 1 2 3; do : >"$T/dlq/bad-$i.json"; done
run crit check
check "check with a critical stream exits 2" test "$(cat "$T/crit.rc")" -eq 2
contains "and reports it" "$T/crit.out" "CRITICAL orders: dlq-full critical value=3 (> 2)"
check "the usable webhook delivered" test "$(posts /good)" -eq 1
contains "the unusable ones' notifications are queued" "$T/crit.out" "notifications_sent=1 notifications_pending=3"
warned crit
run nonotify check --no-notify
check "check --no-notify exits 2" test "$(cat "$T/nonotify.rc")" -eq 2
check "and says nothing of webhooks it does not use" test ! -s "$T/nonotify.err"

run config config check
check "config check warns (exit 1)" test "$(cat "$T/config.rc")" -eq 1
warned config
contains "config check still prints the webhook" "$T/config.out" "[webhook slack]"
run nt notify test slack
check "notify test of an unusable webhook exits 3" test "$(cat "$T/nt.rc")" -eq 3
contains "naming it and the variable" "$T/nt.err" \
    "notify: [webhook slack] (line 9) is unusable: url: environment variable ST_MISSING_URL is not set"
run ntgood notify test good
check "notify test of another webhook works" test "$(cat "$T/ntgood.rc")" -eq 0
check "and says nothing of the others" test ! -s "$T/ntgood.err"

# the secret back: what waited is delivered, once
printf 'http://127.0.0.1:%s/pager\n' "$PORT" >"$T/missing.url"
later=$(($(date +%s) * 1000 + 120000))
ST_MISSING_URL="http://127.0.0.1:$PORT/slack" ST_MISSING_KEY=k ST_MISSING_TOKEN=t \
    STREAMTOP_NOW_MS=$later "$BIN" -c "$T/c.ini" --db "$T/db" check >"$T/back.out" 2>"$T/back.err"
check "secrets back: the queued notifications go out" \
    test "$(posts /slack)" -eq 1 -a "$(posts /pager)" -eq 1 -a "$(posts /SECRETPATH/t)" -eq 1
check "and no warning" test ! -s "$T/back.err"

# Only webhooks: an unset variable anywhere else is still a config error, and a malformed
# ${...} in a webhook too.
printf '[stream a]\ncheckpoint = ${ST_MISSING_URL}\n' >"$T/bad.ini"
"$BIN" -c "$T/bad.ini" export >"$T/o" 2>"$T/e"
check "an unset variable in a stream is a config error (exit 3)" test $? -eq 3
contains "naming file, line and variable" "$T/e" "bad.ini:2: [stream a]: checkpoint: environment variable ST_MISSING_URL is not set"
printf '[stream a]\ncheckpoint = /x\n[webhook w]\nurl = ${bad name}\n' >"$T/bad2.ini"
"$BIN" -c "$T/bad2.ini" export >"$T/o" 2>"$T/e"
check "a malformed variable in a webhook is a config error (exit 3)" test $? -eq 3

# The dashboard: the warnings once, before the screen is taken, and it runs.
rm "$T/missing.url"
if command -v tmux >/dev/null 2>&1; then
    tm() { tmux -L "$SOCK" "$@"; }
    BINABS=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
    tm new-session -d -s keep "sleep 120"
    tm new-session -d -s s -x 100 -y 30 "env LANG=C.UTF-8 TERM=xterm-256color $BINABS -c $T/c.ini --db $T/db dashboard 2>$T/dash.err; echo EXIT=\$?; sleep 60"
    i=0
    while [ $i -lt 100 ]; do
        tm capture-pane -p -t s >"$T/screen" 2>/dev/null
        grep -q " STREAM .*BATCH" "$T/screen" && break
        sleep 0.1
        i=$((i + 1))
    done
    contains "the dashboard runs" "$T/screen" " STREAM "
    tm send-keys -t s q
    i=0
    while [ $i -lt 50 ] && ! grep -q "EXIT=" "$T/screen"; do
        sleep 0.1
        tm capture-pane -p -t s >"$T/screen" 2>/dev/null
        i=$((i + 1))
    done
    contains "and quits with 0" "$T/screen" "EXIT=0"
    warned dash
else
    skip "the dashboard: tmux is not installed"
fi
exit 0
