#!/bin/sh
# An S3 endpoint that pages forever (the same continuation token again; fresh tokens and no
# keys) fails its own stream with a clear error while the other streams work; watch, export,
# check and the dashboard end soon after SIGTERM / SIGINT / q while the endpoint never answers.
# Bounds are generous (10 s against a server that stalls for 60 s): no timing is asserted.
. tests/e2e/lib.sh
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE AWS_REGION \
    AWS_DEFAULT_REGION AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3
export AWS_ACCESS_KEY_ID=AKIAFAKE AWS_SECRET_ACCESS_KEY=fake
SOCK="stp$$"
tm() { tmux -L "$SOCK" "$@"; }
srv=
cleanup() {
    [ -n "$srv" ] && kill "$srv" 2>/dev/null
    command -v tmux >/dev/null 2>&1 && tm kill-server 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
python3 tests/e2e/s3double.py "$T/port" --seconds 90 --record "$T/requests" &
srv=$!
i=0
while [ ! -s "$T/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
PORT=$(cat "$T/port")
"$BIN" simulate "$T/sim" --streams 1 --batches 10 >/dev/null
# the request timeout is longer than any bound below: only the stop can end a stalled request
cat >"$T/loop.ini" <<INI
[global]
timeout = 60s
[s3]
endpoint = http://127.0.0.1:$PORT
region = us-east-1
[stream orders]
checkpoint = $T/sim/checkpoints/orders
[stream looping]
deadletter = s3://loop/dlq
[stream empty]
deadletter = s3://empty/dlq
[stream good]
deadletter = s3://good/dlq
INI
sed 's/^\[stream looping\]/[stream stalled]\ndeadletter = s3:\/\/stall\/dlq\n&/' "$T/loop.ini" >"$T/stall.ini"

# run_bounded SECONDS CMD...: run CMD in the background; "timeout" when it outlives SECONDS
# (then it is killed), else its exit status
run_bounded() {
    limit=$1
    shift
    "$@" &
    pid=$!
    n=0
    while kill -0 "$pid" 2>/dev/null && [ $n -lt $((limit * 10)) ]; do
        sleep 0.1
        n=$((n + 1))
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -9 "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        echo timeout
    else
        wait "$pid"
        echo $?
    fi
}

rc=$(run_bounded 20 sh -c "'$BIN' -c '$T/loop.ini' --db :memory: export -f json >'$T/loop.json' 2>'$T/loop.err'")
check "export over endless listings exits 0 (not hanging)" test "$rc" = 0
check "a repeated token and empty truncated pages fail their own streams, clearly" python3 -c '
import json, sys
s = {x["name"]: x for x in json.load(open(sys.argv[1]))["streams"]}
e = s["looping"]["errors"]
assert s["looping"]["status"] == "unknown", s["looping"]
assert any("s3://loop/dlq" in x and "the server repeated continuation token" in x for x in e), e
e = s["empty"]["errors"]
assert s["empty"]["status"] == "unknown", s["empty"]
assert any("s3://empty/dlq" in x and "truncated pages in a row with no keys" in x for x in e), e
assert s["good"]["status"] == "ok" and s["good"]["metrics"]["deadletter_files"] == 1, s["good"]
assert s["orders"]["status"] == "ok" and s["orders"]["metrics"]["last_batch_id"] is not None
' "$T/loop.json"
rc=$(run_bounded 20 sh -c "'$BIN' -c '$T/loop.ini' --db '$T/db' check --no-notify >'$T/check.out' 2>&1")
check "check over endless listings ends (UNKNOWN, status 3)" test "$rc" = 3
contains "check names the looping listing" "$T/check.out" "s3://loop/dlq: the server repeated continuation token"

# stop_bounded SIG CMD...: start CMD, send SIG once it is waiting on the stalled listing, and
# print its exit status, or "timeout" when it is still running 10 s later
stop_bounded() {
    sig=$1
    shift
    : >"$T/requests"
    "$@" &
    pid=$!
    n=0
    while ! grep -q '^/stall' "$T/requests" && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
    sleep 0.3
    kill "-$sig" "$pid"
    n=0
    while kill -0 "$pid" 2>/dev/null && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
    if kill -0 "$pid" 2>/dev/null; then
        kill -9 "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        echo timeout
    else
        wait "$pid"
        echo $?
    fi
}

rc=$(stop_bounded TERM "$BIN" -c "$T/stall.ini" --db "$T/db" watch)
check "watch ends on SIGTERM while a listing stalls (status 0)" test "$rc" = 0
rc=$(stop_bounded INT "$BIN" -c "$T/stall.ini" --db "$T/db" watch)
check "watch ends on SIGINT while a listing stalls (status 0)" test "$rc" = 0
rc=$(stop_bounded TERM sh -c "exec '$BIN' -c '$T/stall.ini' --db '$T/db' export -o '$T/x.json' 2>'$T/export.err'")
check "export ends on SIGTERM while a listing stalls (non-zero)" sh -c "[ '$rc' != timeout ] && [ '$rc' != 0 ]"
check "and writes no file" test ! -e "$T/x.json"
contains "export says it stopped" "$T/export.err" "export: stopped by SIGTERM; nothing written"
rc=$(stop_bounded INT sh -c "exec '$BIN' -c '$T/stall.ini' --db '$T/db' check >/dev/null 2>'$T/check.err'")
check "check ends on SIGINT while a listing stalls (status 3)" test "$rc" = 3
contains "check says it stopped" "$T/check.err" "check: stopped by SIGINT"

# the dashboard: q, and SIGTERM, while its worker waits on the stalled listing
if ! command -v tmux >/dev/null 2>&1; then
    notok "tmux is installed (make deps installs it)"
    exit 0
fi
BINABS=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
dash() { # dash HOW: start the dashboard, wait for the stalled request, end it by HOW
    : >"$T/requests"
    # a new session each time: killing the only one would stop the tmux server under us
    ses="d$1"
    tm new-session -d -s "$ses" -x 100 -y 30 "env LANG=C.UTF-8 TERM=xterm-256color $BINABS -c $T/stall.ini --db $T/db; echo EXIT=\$?; sleep 60"
    tm set-option -t "$ses" remain-on-exit on >/dev/null
    n=0
    while ! grep -q '^/stall' "$T/requests" && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
    sleep 0.3
    if [ "$1" = q ]; then
        tm send-keys -t "$ses" q
    else
        shell=$(tm display-message -p -t "$ses" '#{pane_pid}')
        [ -n "$shell" ] && kill "-$1" $(ps -o pid= --ppid "$shell") 2>/dev/null
    fi
    n=0
    while [ $n -lt 100 ]; do
        tm capture-pane -p -t "$ses" >"$T/screen" 2>/dev/null
        grep -q '^EXIT=' "$T/screen" && break
        sleep 0.1
        n=$((n + 1))
    done
    grep '^EXIT=' "$T/screen" || echo "still running"
}
out=$(dash q)
check "the dashboard ends on q while its worker waits on a stalled listing" test "$out" = "EXIT=0"
out=$(dash TERM)
check "the dashboard ends on SIGTERM while its worker waits on a stalled listing" test "$out" = "EXIT=0"
exit 0
