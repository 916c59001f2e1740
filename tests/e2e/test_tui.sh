#!/bin/sh
# The dashboard in a real terminal: tmux on a private socket, fixed size, screen read with
# capture-pane. Start on a simulated pipeline, filter with /, open a detail with Enter, sort,
# resize, quit with q (exit 0, terminal back); NO_COLOR puts no colour on screen; a stream named
# with escape sequences shows them inert; no terminal gives a clear error.
. tests/e2e/lib.sh
if ! command -v tmux >/dev/null 2>&1; then
    notok "tmux is installed (make deps installs it)"
    exit 0
fi
SOCK="st$$"
tm() { tmux -L "$SOCK" "$@"; }
trap 'tm kill-server 2>/dev/null; rm -rf "$T"' EXIT
"$BIN" simulate "$T/sim" --streams 4 --batches 30 >/dev/null
BINABS=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
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
start() { # start NAME ENV... -- ARGS...: a session running the dashboard, then "EXIT=<status>"
    # a session that lives as long as the test: killing the last session would end the server
    # while the next one starts ("server exited unexpectedly")
    tm has-session -t keep 2>/dev/null || tm new-session -d -s keep "sleep 3600"
    tm kill-session -t s 2>/dev/null
    tm new-session -d -s s -x 100 -y 30 "env LANG=C.UTF-8 TERM=xterm-256color $1 $BINABS --db $T/db $2; echo EXIT=\$?; sleep 60"
    tm set-option -t s remain-on-exit on >/dev/null
}

start "" "-c $T/sim/streamtop.ini"
if wait_for "STATUS STREAM"; then ok "the dashboard starts"; else notok "the dashboard starts" "$(cat "$T/screen")"; fi
wait_for "payments" && ok "it lists the streams" || notok "it lists the streams" "$(cat "$T/screen")"
check "status words are on screen (readable without colour)" grep -qE "(ok|warn|crit|unkn) +(orders|clicks|payments|devices)" "$T/screen"
tm send-keys -t s / c l i c k Enter
i=0
while [ $i -lt 50 ]; do
    tm capture-pane -p -t s >"$T/screen"
    grep -q payments "$T/screen" || break
    sleep 0.1
    i=$((i + 1))
done
check "/ filters: only the matching stream is left" sh -c "grep -q clicks '$T/screen' && ! grep -q payments '$T/screen'"
tm send-keys -t s Enter
wait_for "Metrics (source)" && ok "Enter opens the detail" || notok "Enter opens the detail" "$(cat "$T/screen")"
contains "the detail shows the checkpoint path" "$T/screen" "checkpoint $T/sim/checkpoints/clicks"
tm send-keys -t s Escape / Escape
sleep 0.3
tm send-keys -t s s
wait_for "sorted by name" && ok "s sorts" || notok "s sorts" "$(cat "$T/screen")"
check "sorted by name: clicks above orders" sh -c "[ \$(grep -n clicks '$T/screen' | head -1 | cut -d: -f1) -lt \$(grep -n orders '$T/screen' | head -1 | cut -d: -f1) ]"
wait_for "B.AGE TREND" && ok "100 columns show the sparkline column" || notok "100 columns show the sparkline column" "$(cat "$T/screen")"
tm resize-window -t s -x 80 -y 24
sleep 0.5
tm capture-pane -p -t s >"$T/screen"
check "resized to 80x24, columns drop to fit" sh -c "! grep -q 'B.AGE TREND' '$T/screen' && grep -q 'STATUS STREAM' '$T/screen'"
check "no line is wider than 80 columns" python3 -c '
import sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
assert max(len(l) for l in lines) <= 80, max(len(l) for l in lines)
' "$T/screen"
tm send-keys -t s a
wait_for "LEVEL    STATE" && ok "a lists the alerts" || notok "a lists the alerts" "$(cat "$T/screen")"
tm send-keys -t s q
wait_for "EXIT=0" && ok "q quits with status 0" || notok "q quits with status 0" "$(cat "$T/screen")"
check "the terminal came back (the dashboard's screen is gone)" sh -c "! grep -q 'STATUS STREAM' '$T/screen'"

# Colour: on by default, none with NO_COLOR.
start "" "-c $T/sim/streamtop.ini"
wait_for "STATUS STREAM" >/dev/null
sleep 0.5
tm capture-pane -e -p -t s >"$T/colour"
# real colours are 30-37 / 38;…; 39 is "the default colour"
colour_re="$(printf '\033')\[\(3[0-7]\|38;\)"
check "colours are used by default" grep -q "$colour_re" "$T/colour"
start "NO_COLOR=1" "-c $T/sim/streamtop.ini"
wait_for "STATUS STREAM" >/dev/null
sleep 0.5
tm capture-pane -e -p -t s >"$T/nocolour"
check "NO_COLOR=1 puts no colour escapes on screen" sh -c "! grep -q '$colour_re' '$T/nocolour'"
tm send-keys -t s q

# A stream named with escape sequences (from its checkpoint path) shows them inert.
EVIL="$T/ev$(printf '\033')[2J$(printf '\033')]0;pwned$(printf '\007')il"
mkdir -p "$EVIL/offsets"
start "" "--checkpoint '$EVIL'"
wait_for "STATUS STREAM" >/dev/null
sleep 1
tm capture-pane -p -t s >"$T/screen"
contains "escape sequences in a name show as text" "$T/screen" '\x1b[2J\x1b]0;pwne'
check "the screen was not cleared by them (the header is still there)" grep -q "STATUS STREAM" "$T/screen"
tm send-keys -t s q

# streamtop demo: a live pipeline that moves, alerts evaluated, the folder removed on exit.
mkdir -p "$T/demo-tmp"
tm has-session -t keep 2>/dev/null || tm new-session -d -s keep "sleep 3600"
tm kill-session -t s 2>/dev/null
tm new-session -d -s s -x 120 -y 30 "env LANG=C.UTF-8 TERM=xterm-256color TMPDIR=$T/demo-tmp $BINABS demo; echo EXIT=\$?; sleep 60"
tm set-option -t s remain-on-exit on >/dev/null
wait_for "STATUS STREAM" && ok "demo opens the dashboard" || notok "demo opens the dashboard" "$(cat "$T/screen")"
wait_for "4 streams" && ok "on four simulated streams" || notok "on four simulated streams" "$(cat "$T/screen")"
first=$(sed -n 1p "$T/screen")
sleep 3
tm capture-pane -p -t s >"$T/screen"
check "the demo moves (the header's time advanced)" test "$(sed -n 1p "$T/screen")" != "$first"
wait_for "alerts 1" >/dev/null || wait_for "alerts 2" >/dev/null
check "built-in alerts fire in the demo" grep -qE "alerts [1-9]" "$T/screen"
# every scenario shows its problem within a minute (the demo's minimums are short)
tm send-keys -t s a
i=0
while [ $i -lt 75 ]; do
    tm capture-pane -p -t s >"$T/screen"
    grep -q "builtin:not-draining" "$T/screen" && break
    sleep 1
    i=$((i + 1))
done
if grep -q 'payments .*builtin:stalled' "$T/screen" &&
    grep -q 'clicks .*builtin:not-draining' "$T/screen" &&
    grep -q 'devices .*builtin:deadletter-growing' "$T/screen"; then
    ok "the demo's alerts cover every scenario within a minute"
else
    notok "the demo's alerts cover every scenario within a minute" "$(cat "$T/screen")"
fi
tm send-keys -t s q
wait_for "EXIT=0" && ok "q ends the demo with status 0" || notok "q ends the demo with status 0" "$(cat "$T/screen")"
check "the demo's folder is removed" sh -c "[ -z \"\$(ls -A '$T/demo-tmp')\" ]"

# No terminal: a clear error pointing at export and check, status 3.
"$BIN" dashboard -c "$T/sim/streamtop.ini" </dev/null >"$T/out" 2>"$T/err"
check "without a terminal the dashboard exits 3" test $? -eq 3
contains "and points at export and check" "$T/err" "use \`streamtop export\`"
