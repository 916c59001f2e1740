#!/bin/sh
# --remote: the dashboard, watch and export attached to a `streamtop serve` daemon, here its
# double (daemond.py) serving what the real binary exported and recorded for a simulated
# pipeline. export --remote gives back the daemon's document byte for byte; watch and the
# dashboard in a real terminal (tmux) show the same stream rows as on the local tree; the
# detail shows the daemon's schema versions, the alerts view its notifications; a daemon that
# dies, hangs or answers garbage leaves the last frame on screen with the error (naming the URL)
# in the status line, and the dashboard recovers when it is back; q quits during a hung
# request; basic authentication from a file or the URL, never printed.
. tests/e2e/lib.sh
if ! command -v tmux >/dev/null 2>&1; then
    notok "tmux is installed (make deps installs it)"
    exit 0
fi
SOCK="strm$$"
# a subshell: the daemon started in the background of this shell otherwise ends a new server
tm() { (tmux -L "$SOCK" "$@"); }
DPID=""
stop_daemon() { [ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null; DPID=""; }
trap 'tm kill-server 2>/dev/null; stop_daemon; rm -rf "$T"' EXIT
BINABS=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
D="$T/daemon"
mkdir -p "$D/history"
NOW=$(($(date +%s) * 1000))
export STREAMTOP_NOW_MS=$NOW
"$BIN" simulate "$T/sim" --streams 4 --batches 30 >/dev/null
CFG="$T/sim/streamtop.ini"
# what the daemon recorded: three earlier passes of history, then its snapshot now
for ago in 180000 120000 60000; do
    STREAMTOP_NOW_MS=$((NOW - ago)) "$BIN" -c "$CFG" --db "$T/d.db" export >/dev/null 2>&1
done
# the snapshot of a second pass now: what a running daemon shows (no dead letters new since a
# pass a moment ago), as a dashboard shows from its second pass on
"$BIN" -c "$CFG" --db "$T/d.db" export >/dev/null 2>&1
cp "$T/d.db" "$T/local.db"
"$BIN" -c "$CFG" --db "$T/d.db" export -f json >"$D/snapshot.json"
for s in orders clicks payments devices; do
    "$BIN" -c "$CFG" --db "$T/d.db" history "$s" -f json --since 6h >"$D/history/$s.json"
done
cat >"$D/schemas.json" <<'EOF'
{"orders": ["v1  2026-11-21T09:12:00Z  + discount: double (from the daemon)"]}
EOF
cat >"$D/alerts.json" <<EOF
{"alerts": [], "notifications": [{"stream": "payments", "rule": "builtin:stalled",
 "webhook": null, "what": "firing", "error": "HTTP 502 from the webhook (daemon)",
 "created_ms": $((NOW - 60000)), "done_ms": -1, "status": 0, "attempts": 2}]}
EOF
# a config given with -c gives the display settings only: refresh and the request timeout
printf '[global]\nrefresh = 1s\ntimeout = 2s\n' >"$T/remote.ini"

start_daemon() { # start_daemon [PORT]
    rm -f "$D/port"
    python3 tests/e2e/daemond.py "$D/port" "$D" --seconds 300 ${1:+--port "$1"} &
    DPID=$!
    i=0
    while [ ! -s "$D/port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
    PORT=$(cat "$D/port")
    URL="http://127.0.0.1:$PORT"
}
start_daemon

# export --remote: the daemon's document read and written again, the same bytes
if "$BIN" export --remote "$URL" >"$T/back.json" 2>"$T/back.err" &&
    cmp -s "$D/snapshot.json" "$T/back.json"; then
    ok "export --remote writes the daemon's document again, byte for byte"
else
    notok "export --remote writes the daemon's document again, byte for byte" \
        "$(cat "$T/back.err"; diff "$D/snapshot.json" "$T/back.json" | head)"
fi
check "export -f prom --remote passes promtool-free sanity (a stream series)" \
    sh -c "'$BIN' export -f prom --remote '$URL' | grep -q 'streamtop_stream_status{stream=\"orders\"'"

# watch --remote: the same table as watch on the local tree (the header's interval aside)
"$BIN" watch -n 1 --remote "$URL" >"$T/w.remote" 2>&1
"$BIN" -c "$CFG" --db "$T/local.db" watch -n 1 >"$T/w.local" 2>&1
if [ "$(sed 1d "$T/w.remote")" = "$(sed 1d "$T/w.local")" ] && grep -q payments "$T/w.remote"; then
    ok "watch --remote prints the rows watch prints on the tree"
else
    notok "watch --remote prints the rows watch prints on the tree" "$(diff "$T/w.local" "$T/w.remote")"
fi

# wait_for TEXT: poll the screen until it shows TEXT (10 s at most)
wait_for() {
    i=0
    while [ $i -lt 100 ]; do
        tm capture-pane -p -t s >"$T/screen" 2>/dev/null
        grep -qF -- "$1" "$T/screen" && return 0
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}
start() { # start ARGS: a session running the dashboard, then "EXIT=<status>"
    tm has-session -t keep 2>/dev/null || tm new-session -d -s keep "sleep 3600"
    tm kill-session -t s 2>/dev/null
    tm new-session -d -s s -x 80 -y 24 "env LANG=C.UTF-8 TERM=xterm-256color STREAMTOP_NOW_MS=$NOW $BINABS $1; echo EXIT=\$?; sleep 60"
    tm set-option -t s remain-on-exit on >/dev/null
}
rows() { grep -E '(ok|warn|crit|unkn) +(orders|clicks|payments|devices) ' "$1"; }

# the local dashboard on the tree, then the remote one: the same rows
start "-c $CFG --db $T/local.db"
wait_for "devices" >/dev/null
sleep 1
tm capture-pane -p -t s >"$T/local.screen"
tm send-keys -t s q
start "-c $T/remote.ini dashboard --remote $URL"
if wait_for "devices"; then ok "dashboard --remote starts and lists the streams"; else notok "dashboard --remote starts and lists the streams" "$(cat "$T/screen")"; fi
sleep 1
tm capture-pane -p -t s >"$T/remote.screen"
if [ -n "$(rows "$T/local.screen")" ] && [ "$(rows "$T/local.screen")" = "$(rows "$T/remote.screen")" ]; then
    ok "the remote dashboard shows the same stream rows as the local one"
else
    notok "the remote dashboard shows the same stream rows as the local one" "$(diff "$T/local.screen" "$T/remote.screen")"
fi
tm resize-window -t s -x 200 -y 60
wait_for "remote $URL" && ok "the header names the daemon instead of a state DB" || notok "the header names the daemon instead of a state DB" "$(cat "$T/screen")"
check "no state DB was made in remote mode" test ! -e "$T/state/streamtop/history.db"

# the detail: the daemon's schema versions, the snapshot's paths
tm send-keys -t s / o r d e r s Enter
sleep 0.3
tm send-keys -t s Enter
wait_for "Metrics (source)" >/dev/null
contains "the detail shows the stream's paths from the snapshot" "$T/screen" "checkpoint $T/sim/checkpoints/orders"
# to its end (again as the frame with the schema versions arrives and the detail grows)
i=0
while [ $i -lt 50 ]; do
    tm send-keys -t s G
    sleep 0.2
    tm capture-pane -p -t s >"$T/screen"
    grep -qF "from the daemon" "$T/screen" && break
    i=$((i + 1))
done
grep -qF "from the daemon" "$T/screen" && ok "the detail shows the schema versions the daemon recorded" || notok "the detail shows the schema versions the daemon recorded" "$(cat "$T/screen")"
tm send-keys -t s q Escape
sleep 0.3
# the alerts view: the snapshot's alerts with the daemon's notifications
tm send-keys -t s a
wait_for "builtin:stalled" && ok "the alerts view lists the daemon's alerts" || notok "the alerts view lists the daemon's alerts" "$(cat "$T/screen")"
wait_for "HTTP 502 from the webhook (daemon)" && ok "with the daemon's notification state" || notok "with the daemon's notification state" "$(cat "$T/screen")"
tm resize-window -t s -x 80 -y 24
tm send-keys -t s q
sleep 0.3
check "sparklines asked once per metric per pass: one series request each" \
    sh -c "[ \$(grep -c 'series?metric=backlog_age_seconds' '$D/requests.log') -ge 1 ] && [ \$(grep -c 'series?metric=backlog_age_seconds' '$D/requests.log') -le 3 ]"

# the daemon dies: the last frame stays, the error (naming the URL) in the status line
stop_daemon
wait_for "$URL/api/v1/snapshot" && ok "a dead daemon: the status line names the URL" || notok "a dead daemon: the status line names the URL" "$(cat "$T/screen")"
rows "$T/screen" >"$T/kept"
if [ -s "$T/kept" ] && [ "$(cat "$T/kept")" = "$(rows "$T/remote.screen")" ]; then ok "and the last frame is kept"; else notok "and the last frame is kept" "$(cat "$T/screen")"; fi
start_daemon "$PORT"
wait_for "answers again" && ok "the daemon back: the dashboard recovers" || notok "the daemon back: the dashboard recovers" "$(cat "$T/screen")"

# garbage, a cut answer, an oversized one, an HTTP error: each shown, nothing lost, no crash
for m in "garbage:not JSON" "truncated:not JSON" "oversize:larger than" "500:HTTP 500: collector crashed"; do
    echo "${m%%:*}" >"$D/mode"
    if wait_for "${m#*:}" && [ -n "$(rows "$T/screen")" ] &&
        [ "$(rows "$T/screen")" = "$(rows "$T/remote.screen")" ]; then
        ok "a daemon answering ${m%%:*}: '${m#*:}' shown, the rows kept"
    else
        notok "a daemon answering ${m%%:*}: '${m#*:}' shown, the rows kept" "$(cat "$T/screen")"
    fi
    echo ok >"$D/mode"
    wait_for "answers again" >/dev/null
done
# a hung daemon: the request ends at the timeout (2 s here), and q quits at once meanwhile
echo hang >"$D/mode"
wait_for "Timeout was reached" || wait_for "timed out"
check "a hung daemon: the request times out, named in the status line" grep -qE "(timed out|Timeout).*|$URL" "$T/screen"
tm send-keys -t s q
wait_for "EXIT=0" && ok "q quits while a request hangs" || notok "q quits while a request hangs" "$(cat "$T/screen")"
echo ok >"$D/mode"

# basic authentication: from a file, or in the URL; never printed
echo "ops:s3cret-pw" >"$D/auth"
echo "ops:s3cret-pw" >"$T/auth"
echo "ops:wrong-pw" >"$T/badauth"
check "--remote-auth-file authenticates" "$BIN" export --remote "$URL" --remote-auth-file "$T/auth" -o "$T/a.json"
check "credentials in the URL authenticate" "$BIN" export --remote "http://ops:s3cret-pw@127.0.0.1:$PORT" -o "$T/b.json"
"$BIN" export --remote "$URL" --remote-auth-file "$T/badauth" >/dev/null 2>"$T/auth.err"
contains "a wrong password: HTTP 401 named with the URL" "$T/auth.err" "$URL/api/v1/snapshot: HTTP 401: authentication required"
"$BIN" export --remote "http://ops:s3cret-pw@127.0.0.1:1" >/dev/null 2>>"$T/auth.err"
"$BIN" watch -n 1 --remote "http://ops:wrong-pw@127.0.0.1:$PORT" >/dev/null 2>>"$T/auth.err"
check "no password is ever printed" sh -c "! grep -qE 's3cret|wrong-pw' '$T/auth.err'"
rm -f "$D/auth"

# what --remote refuses
"$BIN" dashboard --alerts --remote "$URL" >/dev/null 2>"$T/e1" </dev/null
contains "--alerts with --remote is refused (the daemon notifies)" "$T/e1" "--alerts cannot go with --remote"
"$BIN" export --remote "$URL" --checkpoint "$T/sim/checkpoints/orders" >/dev/null 2>"$T/e2"
contains "streams of the command line with --remote are refused" "$T/e2" "give no PATH or --checkpoint"
"$BIN" export --remote "file:///etc/passwd" >/dev/null 2>"$T/e3"
contains "a URL that is not http(s) is refused" "$T/e3" "takes an http:// or https:// URL"
"$BIN" export --remote "$URL" --remote-auth-file "$T/nope" >/dev/null 2>"$T/e4"
contains "a missing auth file is named" "$T/e4" "$T/nope: No such file or directory"
stop_daemon

# The real daemon: `streamtop serve` on the same tree; the dashboard attached to it shows its
# streams with the statuses its passes gave, and its detail the daemon's history.
SPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
env -u STREAMTOP_NOW_MS "$BIN" -c "$CFG" --db "$T/serve.db" serve --interval 1s \
    --listen "127.0.0.1:$SPORT" >"$T/serve.log" 2>&1 &
DPID=$!
i=0
until curl -fs "http://127.0.0.1:$SPORT/readyz" >/dev/null 2>&1 || [ $i -gt 100 ]; do
    sleep 0.1
    i=$((i + 1))
done
curl -fs "http://127.0.0.1:$SPORT/api/v1/snapshot" >"$T/serve.json"
check "streamtop serve answers its snapshot" test -s "$T/serve.json"
NOW=$(($(date +%s) * 1000))
start "-c $T/remote.ini dashboard --remote http://127.0.0.1:$SPORT"
if wait_for "devices"; then
    ok "dashboard --remote attached to streamtop serve lists its streams"
else
    notok "dashboard --remote attached to streamtop serve lists its streams" "$(cat "$T/screen"; tail -5 "$T/serve.log")"
fi
check "each row has the status the daemon's snapshot gives" python3 - "$T/serve.json" "$T/screen" <<'PY'
import json, re, sys
doc = json.load(open(sys.argv[1]))
screen = open(sys.argv[2]).read()
short = {"ok": "ok", "warning": "warn", "critical": "crit", "unknown": "unkn"}
for s in doc["streams"]:
    m = re.search(r"^[^\w\n]*(ok|warn|crit|unkn)\s+" + re.escape(s["name"]) + r"\s", screen, re.M)
    assert m, (s["name"], screen)
    assert m.group(1) == short[s["status"]], (s["name"], m.group(1), s["status"])
PY
tm send-keys -t s q
wait_for "EXIT=0" && ok "and quits with q" || notok "and quits with q" "$(cat "$T/screen")"
stop_daemon
