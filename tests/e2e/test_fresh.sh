#!/bin/sh
# Arrivals and freshness over the simulator's feeders, with the clock fixed through
# STREAMTOP_NOW_MS: no-new-data fires after the learned gap and resolves when files come back;
# a feeder killed between copy and move; an Auto Loader stream whose files are newer than its
# last batch (a lower bound, never above what the simulator knows); Firehose's layouts.
. tests/e2e/lib.sh

NOW=1796184000000
at() { # at MINUTES CMD...: run CMD with the clock at NOW + MINUTES
    m=$1
    shift
    STREAMTOP_NOW_MS=$((NOW + m * 60000)) "$@"
}
# touch_at FILE MINUTES: a file written at NOW + MINUTES
touch_at() {
    mkdir -p "$(dirname "$1")"
    echo '{"id":1}' >"$1"
    touch -d "@$(((NOW + $2 * 60000) / 1000))" "$1"
}
field() { # field FILE STREAM EXPR: a Python expression over the stream `s` of a JSON export
    python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
s = [x for x in d["streams"] if x["name"] == sys.argv[2]][0]
print(eval(sys.argv[3]))' "$1" "$2" "$3"
}

# ---- feeders: every minute, hourly, stopped ------------------------------------------------
at 0 "$BIN" simulate "$T/feed" --kind feeder >/dev/null 2>&1
check "simulate --kind feeder writes a config" test -s "$T/feed/streamtop.ini"
CFG="$T/feed/streamtop.ini"
DB="$T/feed.db"
at 0 "$BIN" -c "$CFG" --db "$DB" check >"$T/out" 2>&1
check "the stopped feeder warns (exit 1)" test $? -eq 1
contains "no-new-data names the age and the learned limit" "$T/out" \
    "WARNING stopped: builtin:no-new-data warning value=20m (> 5m)"
if grep -q "minutely\|hourly" "$T/out"; then notok "the fed streams are OK" "$(cat "$T/out")"; else ok "the fed streams are OK"; fi
at 0 "$BIN" -c "$CFG" --db "$DB" export -f json >"$T/f0.json"
check "gaps learned: a minute, an hour (five files at once count as one arrival)" test \
    "$(field "$T/f0.json" minutely 's["metrics"]["landing_arrival_gap_seconds"]')/$(field "$T/f0.json" hourly 'round(s["metrics"]["landing_arrival_gap_seconds"])')" = "60/3592"
check "arrivals per minute over the last 15 minutes" test \
    "$(field "$T/f0.json" minutely 'float(s["metrics"]["landing_arrivals_per_minute"])')/$(field "$T/f0.json" stopped 'float(s["metrics"]["landing_arrivals_per_minute"])')" = "1.0/0.0"
check "the export passes its schema" python3 tests/e2e/jsonschema_lite.py \
    man/streamtop-export.schema.json "$T/f0.json"
at 0 "$BIN" -c "$CFG" --db "$DB" export -f prom >"$T/f0.prom"
contains "Prometheus gives the newest file's time behind its age" "$T/f0.prom" \
    'streamtop_landing_newest_timestamp_seconds{stream="stopped",scenario="stopped"} 1796182800'
if command -v promtool >/dev/null 2>&1; then
    check "promtool accepts it" sh -c "promtool check metrics < '$T/f0.prom'"
fi

# the minutely feeder stops: still OK after 4 minutes, late after 6 (max(3 x 1m, 5m))
at 4 "$BIN" -c "$CFG" --db "$DB" check -f json >"$T/c4.json" 2>/dev/null
check "4 minutes without a file: not yet late" test \
    "$(field "$T/c4.json" minutely '[a["rule"] for a in s["alerts"]]')" = "[]"
at 6 "$BIN" -c "$CFG" --db "$DB" check -f json >"$T/c6.json" 2>/dev/null
check "6 minutes without a file: no-new-data fires for the minutely feeder" test \
    "$(field "$T/c6.json" minutely '[(a["rule"], a["level"]) for a in s["alerts"]]')" = "[('builtin:no-new-data', 'warning')]"
check "the hourly feeder, 46 minutes after its last files, is not late" test \
    "$(field "$T/c6.json" hourly 's["status"]')" = "ok"
# a file from the future never gives a negative age; one warning
touch_at "$T/feed/landing/hourly/dt=2026-12-02/hr=05/future.json" 60
at 6 "$BIN" -c "$CFG" --db "$DB" export -f json >"$T/fut.json" 2>/dev/null
check "a file stamped an hour ahead counts as arriving now" test \
    "$(field "$T/fut.json" hourly 's["metrics"]["landing_newest_age_seconds"]')" = "0"
check "with one warning saying how far ahead" test \
    "$(field "$T/fut.json" hourly 'sum("stamped in the future (up to 54m00s ahead" in w for w in s["warnings"])')" = "1"
rm "$T/feed/landing/hourly/dt=2026-12-02/hr=05/future.json"
# the feeders come back: both alerts resolve
touch_at "$T/feed/landing/minutely/2026/12/02/04/back.json" 7
touch_at "$T/feed/landing/stopped/2026/12/02/04/back.json" 7
at 7 "$BIN" -c "$CFG" --db "$DB" check >"$T/out7" 2>&1
check "files came back: everything OK (exit 0)" test $? -eq 0
# a cron pass is a new process each time: the next one still knows the gap
at 8 "$BIN" -c "$CFG" --db "$DB" export -f json >"$T/f8.json" 2>/dev/null
check "a new process keeps the learned gap (the cursor in the state DB)" test \
    "$(field "$T/f8.json" stopped 'float(s["metrics"]["landing_arrival_gap_seconds"])')" = "60.0"
STREAMTOP_NOW_MS=$((NOW + 8 * 60000)) "$BIN" -c "$CFG" --db :memory: export -f json >"$T/mem.json" 2>/dev/null
check "without the state DB the newest file's age is still measured" test \
    "$(field "$T/mem.json" stopped 'float(s["metrics"]["landing_newest_age_seconds"])')" = "60.0"
# freshness = 30m overrides the learned gap
sed 's|^\[stream minutely\]|&\nfreshness = 30m|' "$CFG" >"$T/fresh30.ini"
at 20 "$BIN" -c "$T/fresh30.ini" --db "$T/f30.db" check -f json >"$T/c20.json" 2>/dev/null
check "freshness = 30m: 13 minutes without a file is not late" test \
    "$(field "$T/c20.json" minutely 's["status"]')" = "ok"
at 40 "$BIN" -c "$T/fresh30.ini" --db "$T/f30.db" check -f json >"$T/c40.json" 2>/dev/null
check "freshness = 30m: 33 minutes is" test \
    "$(field "$T/c40.json" minutely '[a["threshold"] for a in s["alerts"] if a["rule"] == "builtin:no-new-data"]')" = "['> 30m']"

# ---- a feeder killed between copying into _staging/ and moving ----------------------------
at 0 "$BIN" simulate "$T/stage" --kind staging --streams 1 >/dev/null 2>&1
at 0 "$BIN" -c "$T/stage/streamtop.ini" --db "$T/stage.db" check >"$T/out" 2>&1
contains "staging-stale warns with the count of leftovers" "$T/out" \
    "WARNING orders: builtin:staging-stale warning value=2 (files in _staging older than 10m00s)"
at 0 "$BIN" -c "$T/stage/streamtop.ini" --db "$T/stage.db" export -f json >"$T/s.json" 2>/dev/null
check "the leftovers are not backlog (the healthy stream has none)" test \
    "$(field "$T/s.json" orders '(s["metrics"]["staging_stale_files"], s["metrics"]["backlog_files"])')" = "(2, 0)"

# ---- Auto Loader: files newer than the last batch ------------------------------------------
at 0 "$BIN" simulate "$T/al" --kind autoloader >/dev/null 2>&1
at 0 "$BIN" -c "$T/al/streamtop.ini" --db "$T/al.db" export -f json >"$T/al.json" 2>/dev/null
check "the lower bound equals the files the simulator knows arrived after the last batch" test \
    "$(field "$T/al.json" bronze 's["metrics"]["backlog_files"] == float(s["labels"]["certain"])')" = "True"
check "and is never above the files no batch read" test \
    "$(field "$T/al.json" bronze '0 < s["metrics"]["backlog_files"] <= float(s["labels"]["unread"])')" = "True"
check "its origin is storage_lower_bound" test \
    "$(field "$T/al.json" bronze 's["origins"]["backlog_files"]')" = "storage_lower_bound"
check "progress's numFilesOutstanding wins over the lower bound" test \
    "$(field "$T/al.json" bronze_reported '(s["metrics"]["backlog_files"] == float(s["labels"]["unread"]), s["origins"]["backlog_files"])')" = "(True, 'progress')"
check "the Auto Loader export passes its schema" python3 tests/e2e/jsonschema_lite.py \
    man/streamtop-export.schema.json "$T/al.json"
at 0 "$BIN" -c "$T/al/streamtop.ini" --db "$T/al.db" watch -n 1 >"$T/al.txt" 2>&1
if grep -q "bronze .*>=\|bronze .*≥" "$T/al.txt"; then ok "watch marks the lower bound"; else notok "watch marks the lower bound" "$(cat "$T/al.txt")"; fi

# ---- Firehose: YYYY/MM/DD/HH keys, processing-failed/ records ------------------------------
at 0 "$BIN" simulate "$T/fh" --kind firehose --streams 1 >/dev/null 2>&1
at 0 "$BIN" -c "$T/fh/streamtop.ini" --db "$T/fh.db" export -f json >"$T/fh.json" 2>/dev/null
check "processing-failed/ is a firehose dead-letter layout, its record's error the reason" test \
    "$(field "$T/fh.json" orders '(s["deadletter"][0]["layout"], s["deadletter"][0]["files"], s["deadletter"][0]["sample"]["reason"][:20])')" = "('firehose', 3, 'Lambda.FunctionError')"
check "the Firehose stream is read: no backlog once batches took the files" test \
    "$(field "$T/fh.json" orders 's["metrics"]["backlog_files"]')" = "0"
"$BIN" discover "$T/fh/checkpoints" >"$T/disc" 2>&1
contains "discover cuts the dated keys off the landing folder" "$T/disc" \
    "source     = $T/fh/buckets/orders/events   ;"
contains "discover proposes Firehose's error prefixes as dead letters" "$T/disc" \
    "deadletter = $T/fh/buckets/orders/processing-failed, $T/fh/buckets/orders/errors"
