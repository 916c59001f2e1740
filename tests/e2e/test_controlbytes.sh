#!/bin/sh
# Control bytes in every field a collector reads (checkpoint, progress, landing names, schema
# history, dead letters, Delta sink, Kafka offsets) reach no output as control bytes: not the
# text outputs, not the JSON once decoded (what `jq -r` prints), not the dashboard's terminal.
. tests/e2e/lib.sh

"$BIN" simulate "$T/sim" --streams 1 --batches 12 >/dev/null 2>&1
python3 tests/e2e/controlbytes.py "$T/sim" "$T/evil.ini"
check "the hostile tree is written" test -s "$T/evil.ini"
CFG="$T/evil.ini"

"$BIN" -c "$CFG" export -f json >"$T/out.json" 2>"$T/export.err"
"$BIN" -c "$CFG" export -f csv >"$T/out.csv" 2>>"$T/export.err"
"$BIN" -c "$CFG" export -f prom >"$T/out.prom" 2>>"$T/export.err"
"$BIN" -c "$CFG" --db "$T/db" check >"$T/check.txt" 2>&1
"$BIN" -c "$CFG" --db "$T/db" check -f json >"$T/check.json" 2>"$T/check.err"
"$BIN" -c "$CFG" --db "$T/db" -v watch -n 1 >"$T/watch.txt" 2>&1
"$BIN" -c "$CFG" --db "$T/db" history orders -f json >"$T/history.json" 2>&1
"$BIN" -c "$CFG" --db "$T/db" history orders -f csv >"$T/history.csv" 2>&1

# The hostile text did reach the outputs (as visible escapes), so the checks below mean something.
check "the query id's escapes are in the JSON, made visible" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
s = {x["name"]: x for x in d["streams"]}
text = json.dumps(d)
assert "\\\\x1b[2J" in text, "no visible escape in the export"
o = s["orders"]
assert any("\\x1b" in w for w in o["warnings"] + o["errors"]), o["warnings"] + o["errors"]
assert any("\\x1b" in c for c in o["schema"]["changes"]), o["schema"]
assert "\\x1b" in o["deadletter"][0]["sample"]["line"], o["deadletter"]
k = s["kafka"]
assert any("\\x1b" in key for key in k["sources"][0]["end_offset"]), k["sources"]
' "$T/out.json"

check "no control character in any string of the JSON outputs, once decoded" python3 -c '
import json, sys, unicodedata
def walk(v, where):
    if isinstance(v, str):
        bad = [c for c in v if unicodedata.category(c) == "Cc"]
        assert not bad, (where, v)
    elif isinstance(v, dict):
        for k, x in v.items():
            walk(k, where + "/key")
            walk(x, where + "/" + k)
    elif isinstance(v, list):
        for i, x in enumerate(v):
            walk(x, where + "/%d" % i)
for f in sys.argv[1:]:
    walk(json.load(open(f)), f)
' "$T/out.json" "$T/check.json" "$T/history.json"

check "no control byte in the text outputs (csv, prom, check, watch, history, stderr)" python3 -c '
import re, sys
bad = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)|\xc2[\x80-\x9f]")
for f in sys.argv[1:]:
    data = open(f, "rb").read()
    m = bad.search(data)
    assert not m, (f, data[max(0, m.start() - 40):m.end() + 40])
' "$T/out.csv" "$T/out.prom" "$T/check.txt" "$T/watch.txt" "$T/history.csv" "$T/export.err" "$T/check.err" "$T/out.json" "$T/check.json"

if command -v promtool >/dev/null 2>&1; then
    check "promtool accepts the Prometheus text" sh -c "promtool check metrics < '$T/out.prom'"
fi

# The dashboard: the detail of the hostile stream, in a real terminal.
if command -v tmux >/dev/null 2>&1; then
    SOCK="stc$$"
    tm() { tmux -L "$SOCK" "$@"; }
    trap 'tm kill-server 2>/dev/null; rm -rf "$T"' EXIT
    BINABS=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
    tm new-session -d -s s -x 160 -y 50 "env LANG=C.UTF-8 TERM=xterm-256color $BINABS --db $T/db -c $CFG; sleep 60"
    tm set-option -t s set-titles on >/dev/null 2>&1
    i=0
    while [ $i -lt 100 ]; do
        tm capture-pane -p -t s >"$T/screen"
        grep -q "kafka" "$T/screen" && grep -q "orders" "$T/screen" && break
        sleep 0.1
        i=$((i + 1))
    done
    tm send-keys -t s Enter
    i=0
    while [ $i -lt 100 ]; do
        tm capture-pane -p -t s >"$T/screen"
        grep -q "Metrics (source)" "$T/screen" && break
        sleep 0.1
        i=$((i + 1))
    done
    sleep 0.5
    tm capture-pane -p -t s >"$T/screen"
    check "the detail is on screen (not cleared by a stored ESC [2J)" grep -q "Metrics (source)" "$T/screen"
    contains "stored escapes show as text in the detail" "$T/screen" '\x1b'
    title=$(tm display-message -p -t s '#{pane_title}')
    case "$title" in
    *owned*) notok "no stored OSC sequence set the terminal's title" "$title" ;;
    *) ok "no stored OSC sequence set the terminal's title" ;;
    esac
    tm send-keys -t s q
fi
