#!/bin/sh
# The dashboard in a real terminal: tmux on a private socket, fixed size, screen read with
# capture-pane. Start on a simulated pipeline, filter with /, open a detail with Enter, sort,
# resize, quit with q (exit 0, terminal back); NO_COLOR puts no colour on screen; a stream named
# with escape sequences shows them inert; no terminal gives a clear error. At 80x24 and 60
# columns nothing important is cut (alerts, errors, the status line); the keys of htop and k9s
# (q/Esc back, F1, F6, < >, C, ?); the header's time zone; watch in the dashboard's columns.
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
if wait_for "C.AGE"; then ok "the dashboard starts"; else notok "the dashboard starts" "$(cat "$T/screen")"; fi
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
wait_for "STREAM▼" && ok "s sorts by the next column, marked in its title" || notok "s sorts by the next column, marked in its title" "$(cat "$T/screen")"
check "sorted by name: clicks above orders" sh -c "[ \$(grep -n clicks '$T/screen' | head -1 | cut -d: -f1) -lt \$(grep -n orders '$T/screen' | head -1 | cut -d: -f1) ]"
wait_for "B.AGE TREND" && ok "100 columns show the sparkline column" || notok "100 columns show the sparkline column" "$(cat "$T/screen")"
tm resize-window -t s -x 80 -y 24
sleep 0.5
tm capture-pane -p -t s >"$T/screen"
check "resized to 80x24, columns drop to fit" sh -c "! grep -q 'B.AGE TREND' '$T/screen' && grep -q 'STATUS  STREAM▼' '$T/screen'"
check "no line is wider than 80 columns" python3 -c '
import sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
assert max(len(l) for l in lines) <= 80, max(len(l) for l in lines)
' "$T/screen"
tm send-keys -t s a
wait_for "LEVEL STATE" && ok "a lists the alerts" || notok "a lists the alerts" "$(cat "$T/screen")"
# at 80 columns an alert keeps its level, stream, rule, age (relative) and value
check "at 80x24 an alert row keeps level, stream, rule, age and value" grep -qE "^crit +firing +payments +builtin:stalled +[0-9]+[smhd][0-9hm]* ago +[0-9.]+k?$" "$T/screen"
tm send-keys -t s Enter
wait_for "Metrics (source)" && ok "Enter on an alert opens its stream's detail" || notok "Enter on an alert opens its stream's detail" "$(cat "$T/screen")"
contains "the first alert's stream (the critical one)" "$T/screen" "checkpoint $T/sim/checkpoints/payments"
tm send-keys -t s q
wait_for "LEVEL STATE" && ok "q in that detail goes back to the alerts" || notok "q in that detail goes back to the alerts" "$(cat "$T/screen")"
tm send-keys -t s q
wait_for "Enter detail" && ok "q in the alerts goes back to the streams" || notok "q in the alerts goes back to the streams" "$(cat "$T/screen")"
check "and does not quit" sh -c "! grep -q EXIT= '$T/screen'"
tm send-keys -t s q
wait_for "EXIT=0" && ok "q in the streams table quits with status 0" || notok "q in the streams table quits with status 0" "$(cat "$T/screen")"
check "the terminal came back (the dashboard's screen is gone)" sh -c "! grep -q 'C.AGE' '$T/screen'"

# Colour: on by default, none with NO_COLOR.
start "" "-c $T/sim/streamtop.ini"
wait_for "C.AGE" >/dev/null
sleep 0.5
tm capture-pane -e -p -t s >"$T/colour"
# real colours are 30-37 / 38;…; 39 is "the default colour"
colour_re="$(printf '\033')\[\(3[0-7]\|38;\)"
check "colours are used by default" grep -q "$colour_re" "$T/colour"
start "NO_COLOR=1" "-c $T/sim/streamtop.ini"
wait_for "C.AGE" >/dev/null
sleep 0.5
tm capture-pane -e -p -t s >"$T/nocolour"
check "NO_COLOR=1 puts no colour escapes on screen" sh -c "! grep -q '$colour_re' '$T/nocolour'"
tm send-keys -t s q

# A stream named with escape sequences (from its checkpoint path) shows them inert.
EVIL="$T/ev$(printf '\033')[2J$(printf '\033')]0;pwned$(printf '\007')il"
mkdir -p "$EVIL/offsets"
start "" "--checkpoint '$EVIL'"
wait_for "C.AGE" >/dev/null
sleep 1
tm capture-pane -p -t s >"$T/screen"
check "escape sequences in a name show as text" sh -c "grep -qF 'ev\\x1b[2J' '$T/screen' && grep -qF 'pwned\\x07il' '$T/screen'"
check "the screen was not cleared by them (the header is still there)" grep -q "C.AGE" "$T/screen"
tm send-keys -t s q

# streamtop demo: a live pipeline that moves, alerts evaluated, the folder removed on exit.
mkdir -p "$T/demo-tmp"
tm has-session -t keep 2>/dev/null || tm new-session -d -s keep "sleep 3600"
tm kill-session -t s 2>/dev/null
tm new-session -d -s s -x 120 -y 30 "env LANG=C.UTF-8 TERM=xterm-256color TMPDIR=$T/demo-tmp $BINABS demo; echo EXIT=\$?; sleep 60"
tm set-option -t s remain-on-exit on >/dev/null
wait_for "C.AGE" && ok "demo opens the dashboard" || notok "demo opens the dashboard" "$(cat "$T/screen")"
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
tm send-keys -t s q q
wait_for "EXIT=0" && ok "q ends the demo with status 0" || notok "q ends the demo with status 0" "$(cat "$T/screen")"
check "the demo's folder is removed" sh -c "[ -z \"\$(ls -A '$T/demo-tmp')\" ]"

# At 80x24: htop's and k9s' keys, and nothing important cut. A stream whose checkpoint path is
# long enough that its error is wider than the screen, and two names alike but for the end.
LONG="$T/a/checkpoint/path/that/is/long/enough/to/make/the/error/wider/than/eighty/columns/orders"
cp "$T/sim/streamtop.ini" "$T/keys.ini"
printf '[stream broken]\ncheckpoint = %s\n' "$LONG" >>"$T/keys.ini"
cp -r "$T/sim/checkpoints/orders" "$T/orders_eu_2023_backfill_hourly"
cp -r "$T/sim/checkpoints/orders" "$T/orders_eu_2024_backfill_hourly"
printf '[stream orders_eu_2023_backfill_hourly]\ncheckpoint = %s\n' "$T/orders_eu_2023_backfill_hourly" >>"$T/keys.ini"
printf '[stream orders_eu_2024_backfill_hourly]\ncheckpoint = %s\n' "$T/orders_eu_2024_backfill_hourly" >>"$T/keys.ini"
start "TZ=Europe/Paris" "-c $T/keys.ini"
tm resize-window -t s -x 80 -y 24
wait_for "broken" >/dev/null
sleep 0.5
tm capture-pane -p -t s >"$T/screen"
check "the header names the time zone (TZ=Europe/Paris in December: CET)" grep -qE "^streamtop [0-2][0-9]:[0-5][0-9]:[0-5][0-9] CE(S)?T " "$T/screen"
check "two names alike but for their end stay apart at 80 columns" sh -c "grep -q 'orders_eu_2023' '$T/screen' && grep -q 'orders_eu_2024' '$T/screen'"
# every line within 80 columns; the status line keeps help and quit
fits() { # fits WIDTH: no line of the screen is wider, the last line has "F1 help" and "q "
    python3 -c '
import sys
lines = open(sys.argv[1], encoding="utf-8").read().rstrip("\n").splitlines()
w = int(sys.argv[2])
assert max(len(l) for l in lines) <= w, max(len(l) for l in lines)
assert "q " in lines[-1], lines[-1]
' "$T/screen" "$1"
}
check "at 80x24 every line fits, the status line keeps q" fits 80
contains "the status line names F1 help" "$T/screen" "F1 help"
tm send-keys -t s F1
wait_for "Keys (" && ok "F1 opens the help" || notok "F1 opens the help" "$(cat "$T/screen")"
tm send-keys -t s q
wait_for "Enter detail" && ok "q in the help goes back to the streams" || notok "q in the help goes back to the streams" "$(cat "$T/screen")"
tm send-keys -t s ?
wait_for "Columns of the streams table" && ok "? explains the column abbreviations" || notok "? explains the column abbreviations" "$(cat "$T/screen")"
check "the legend explains C.AGE and B.AGE" sh -c "grep -q '^  C.AGE  *commit age' '$T/screen' && grep -q '^  B.AGE  *backlog age' '$T/screen'"
tm send-keys -t s Escape
wait_for "Enter detail" && ok "Esc in the legend goes back" || notok "Esc in the legend goes back" "$(cat "$T/screen")"
tm send-keys -t s F6
wait_for "Sort by" && ok "F6 lists the sort columns" || notok "F6 lists the sort columns" "$(cat "$T/screen")"
tm send-keys -t s Down Down Down Down Enter
wait_for "C.AGE▼" && ok "picking C.AGE in the F6 list sorts by it, marked in the header" || notok "picking C.AGE in the F6 list sorts by it, marked in the header" "$(cat "$T/screen")"
tm send-keys -t s '>'
wait_for "BACKLOG▼" && ok "> sorts by the next column on screen" || notok "> sorts by the next column on screen" "$(cat "$T/screen")"
check "one column is marked" test "$(grep -o '▼' "$T/screen" | wc -l)" -eq 1
tm send-keys -t s '<' '<'
wait_for "BATCH▼" && ok "< goes back a column at a time" || notok "< goes back a column at a time" "$(cat "$T/screen")"
tm send-keys -t s C
wait_for "Columns (Space" && ok "C opens the column chooser" || notok "C opens the column chooser" "$(cat "$T/screen")"
tm send-keys -t s Space q
wait_for "Enter detail" >/dev/null
sleep 0.3
tm capture-pane -p -t s >"$T/screen"
check "a column switched off is gone from the table" sh -c "! sed -n 2p '$T/screen' | grep -q BATCH"
tm send-keys -t s / b r o k e n Enter Enter
wait_for "Metrics (source)" && ok "the broken stream's detail opens" || notok "the broken stream's detail opens" "$(cat "$T/screen")"
check "its error wraps instead of being cut: its end is on screen" sh -c "tr -d '\n ' <'$T/screen' | grep -q 'eighty/columns/orders'"
check "the detail at 80x24 fits, the status line keeps q" fits 80
tm send-keys -t s q
wait_for "Enter detail" && ok "q in a detail goes back to the streams" || notok "q in a detail goes back to the streams" "$(cat "$T/screen")"
tm send-keys -t s Escape
sleep 0.3
tm resize-window -t s -x 60 -y 24
sleep 0.5
tm capture-pane -p -t s >"$T/screen"
check "at 60 columns every line fits and the status line keeps q" fits 60
contains "and F1 help" "$T/screen" "F1 help"
tm send-keys -t s a
wait_for "LEVEL STATE" >/dev/null
check "the alerts view fits 60 columns" fits 60
check "at 60 columns an alert row keeps level, stream, rule, age and value" grep -qE "^crit +payments +builtin:.* +[0-9]+[smhd][0-9hm]* ago +[0-9.]+k?$" "$T/screen"
tm send-keys -t s F10
wait_for "EXIT=0" && ok "F10 quits from any view" || notok "F10 quits from any view" "$(cat "$T/screen")"

# watch: the dashboard's column titles and units, every name whole.
start "" "-c $T/keys.ini"
tm resize-window -t s -x 200 -y 30
wait_for "broken" >/dev/null
sleep 0.5
tm capture-pane -p -t s >"$T/dash"
tm send-keys -t s q
"$BIN" --db "$T/db" -c "$T/keys.ini" watch -n 1 >"$T/watch.txt"
check "watch shows every name whole" sh -c "grep -q 'orders_eu_2023_backfill_hourly ' '$T/watch.txt' && grep -q 'orders_eu_2024_backfill_hourly ' '$T/watch.txt'"
check "watch has the dashboard's column titles and units" python3 -c '
import sys, re
dash = open(sys.argv[1], encoding="utf-8").read().splitlines()
watch = open(sys.argv[2], encoding="utf-8").read().splitlines()
dh = next(l for l in dash if l.startswith("STATUS")).replace("\u25bc", " ").replace("\u25b2", " ")
wh = watch[1]
titles = lambda h: re.findall(r"[A-Z][A-Z./]*", h.replace("B.AGE TREND", ""))
assert titles(dh) == titles(wh), (titles(dh), titles(wh))
widths = {"BATCH": 7, "COMMIT": 7, "BACKLOG": 8, "BYTES": 8, "DLQ": 8, "SCHEMA": 7}
def cells(header, rows, name):
    row = next(r for r in rows if re.search(r"\s%s\s" % name, r))
    out = {}
    for t, w in widths.items():
        e = header.index(t) + len(t)
        out[t] = row[e - w:e].strip()
    return out
for name in ("orders", "clicks", "payments"):
    d, w = cells(dh, dash, name), cells(wh, watch, name)
    assert d == w, (name, d, w)
' "$T/dash" "$T/watch.txt"
# watch on an 80-column terminal: columns drop to fit it, as on the dashboard, names stay whole
tm kill-session -t s 2>/dev/null
tm new-session -d -s s -x 80 -y 24 "env LANG=C.UTF-8 TERM=xterm-256color $BINABS --db $T/db -c $T/keys.ini watch -n 1; echo EXIT=\$?; sleep 60"
tm set-option -t s remain-on-exit on >/dev/null
wait_for "EXIT=0" >/dev/null
tm capture-pane -J -p -t s >"$T/screen" # lines the terminal wrapped are joined again
check "watch on an 80-column terminal fits it (but for errors, which are whole)" python3 -c '
import sys
lines = [l for l in open(sys.argv[1], encoding="utf-8").read().splitlines() if "error:" not in l]
assert max(len(l) for l in lines) <= 80, [l for l in lines if len(l) > 80]
' "$T/screen"
check "and keeps every name whole" sh -c "grep -q 'orders_eu_2023_backfill_hourly ' '$T/screen' && grep -q 'C.AGE' '$T/screen'"

# No terminal: a clear error pointing at export and check, status 3.
"$BIN" dashboard -c "$T/sim/streamtop.ini" </dev/null >"$T/out" 2>"$T/err"
check "without a terminal the dashboard exits 3" test $? -eq 3
contains "and points at export and check" "$T/err" "use \`streamtop export\`"
