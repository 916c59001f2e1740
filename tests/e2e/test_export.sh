#!/bin/sh
# simulate, then export in each format; promtool on the Prometheus text; atomic -o under a
# concurrent reader; bad streams beside good ones; bad configs.
. tests/e2e/lib.sh

"$BIN" simulate "$T/sim" --streams 6 --batches 110 >/dev/null 2>&1
check "simulate writes a config" test -s "$T/sim/streamtop.ini"
CFG="$T/sim/streamtop.ini"

"$BIN" -c "$CFG" export -f json >"$T/out.json"
check "export -f json exits 0" test $? -eq 0
check "json parses and has 6 streams, the stalled one critical and the evolving one warning by the built-in rules" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
s = d["streams"]
assert len(s) == 6, len(s)
want = ["ok", "ok", "critical", "warning", "ok", "ok"]  # devices: new dead letters, schema
assert [x["status"] for x in s] == want, [(x["name"], x["status"], x["alerts"]) for x in s]
assert d["version"] and d["generated_at"].endswith("Z")
o = s[0]
assert o["name"] == "orders" and o["labels"]["scenario"] == "healthy"
assert o["metrics"]["last_batch_id"] >= 100 and o["metrics"]["backlog_files"] == 0
assert o["origins"]["backlog_files"] == "storage"
assert s[1]["metrics"]["backlog_files"] > 0  # the growing one
assert o["sources"][0]["kind"] == "file" and "logOffset" in o["sources"][0]["end_offset"]
assert s[2]["metrics"]["inflight_seconds"] > 60, s[2]["metrics"]
' "$T/out.json"

"$BIN" -c "$CFG" export -f csv >"$T/out.csv"
check "csv has a header and one row per stream" python3 -c '
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
assert rows[0][:3] == ["stream", "status", "query_id"], rows[0]
assert len(rows) == 7 and all(len(r) == len(rows[0]) for r in rows)
assert rows[1][0] == "orders" and rows[1][1] == "ok"
assert rows[0][-2:] == ["errors", "labels"], rows[0]
assert rows[1][-1] == "scenario=healthy;team=payments", rows[1][-1]
' "$T/out.csv"

"$BIN" -c "$CFG" export -f prom >"$T/out.prom"
if command -v promtool >/dev/null 2>&1; then
    check "promtool check metrics accepts the Prometheus text" sh -c "promtool check metrics < '$T/out.prom'"
else
    notok "promtool is installed (make deps installs the prometheus package)"
fi
contains "prom has the status family (the stalled stream critical, as check says)" "$T/out.prom" 'streamtop_stream_status{stream="payments",scenario="stalled",team="payments"} 2'
contains "prom has the build info" "$T/out.prom" "streamtop_build_info{version=\"$("$BIN" --version | awk '{print $2}')\"} 1"
check "prom: timestamps behind the ages, stream info, export time (against storage)" python3 -c '
import os, re, sys
text = open(sys.argv[1]).read()
ck = sys.argv[2] + "/checkpoints/orders"
fam = {}
for line in text.splitlines():
    if line.startswith("# TYPE "):
        _, _, name, kind = line.split()
        assert kind == "gauge", line  # nothing exported only grows: no counters
        assert not name.endswith("_total"), name
        continue
    if line.startswith("#"):
        continue
    m = re.match(r"(\w+)(\{.*\})? (\S+)$", line)
    assert m, line
    fam.setdefault(m.group(1), []).append((m.group(2) or "", float(m.group(3))))
def one(name, stream):
    v = [x for l, x in fam[name] if l.startswith("{stream=\"%s\"" % stream)]
    assert len(v) == 1, (name, stream, v)
    return v[0]
now = fam["streamtop_export_timestamp_seconds"][0][1]
committed = int(one("streamtop_committed_batch_id", "orders"))
mtime = os.stat("%s/commits/%d" % (ck, committed)).st_mtime
ts = one("streamtop_last_commit_timestamp_seconds", "orders")
assert abs(ts - mtime) < 0.002, (ts, mtime)
assert abs(now - one("streamtop_commit_age_seconds", "orders") - ts) < 0.01
# the stalled stream has waiting input: its oldest time is the age before the export time
ts = one("streamtop_backlog_oldest_timestamp_seconds", "payments")
assert abs(now - one("streamtop_backlog_age_seconds", "payments") - ts) < 0.01
assert "streamtop_backlog_oldest_timestamp_seconds" not in [n for n in fam if any(
    l.startswith("{stream=\"orders\"") for l, _ in fam[n])]
info = [l for l, _ in fam["streamtop_stream_info"]]
assert len(info) == 6, info
assert any("checkpoint=\"%s\"" % ck in l and "query_id=\"" in l for l in info), info
for n in ("last_batch_start", "schema_change", "deadletter_newest"):
    assert "streamtop_%s_timestamp_seconds" % n in fam, n
' "$T/out.prom" "$T/sim"

# -o to what is not a regular file (/dev/null, a pipe) writes into it and never replaces it
# with a file (renaming a temp file over /dev/null broke every later redirect on the machine).
mkfifo "$T/pipe"
timeout 20 cat "$T/pipe" >"$T/from-pipe" &
reader=$!
timeout 20 "$BIN" -c "$CFG" export -f prom -o "$T/pipe"
check "export -o a named pipe exits 0" test $? -eq 0
wait $reader
check "the pipe is still a pipe" test -p "$T/pipe"
contains "and its reader got the export" "$T/from-pipe" "streamtop_stream_status"
check "no temporary file is left beside it" sh -c "! ls '$T' | grep -q '^\\.pipe\\.'"

# Atomic -o: a reader polling the file never sees a partial document.
"$BIN" -c "$CFG" export -o "$T/snap.json"
(
    i=0
    while [ $i -lt 25 ]; do
        "$BIN" -c "$CFG" export -o "$T/snap.json" || exit 1
        i=$((i + 1))
    done
) &
writer=$!
check "a concurrent reader only ever sees whole snapshots" python3 -c '
import json, sys, time, os
deadline = time.time() + 60
reads = 0
while time.time() < deadline:
    with open(sys.argv[1]) as f:
        text = f.read()
    json.loads(text)  # raises on a partial file
    reads += 1
    try:
        with open("/proc/%s/stat" % sys.argv[2]) as st:
            if st.read().rsplit(")", 1)[1].split()[0] == "Z":
                break  # the writer finished (not yet reaped)
    except FileNotFoundError:
        break
assert reads > 5, reads
' "$T/snap.json" "$writer"
wait $writer
check "the writer loop succeeded" test $? -eq 0
check "no temporary files are left beside the output" sh -c "[ \$(ls -A '$T' | grep -c '^\.snap') -eq 0 ]"

# A missing and a garbage checkpoint beside good ones: unknown, with the file named; exit 0.
mkdir -p "$T/garbage/offsets"
printf '\377\376garbage' >"$T/garbage/offsets/3"
printf '{"id":"x"}' >"$T/garbage/metadata"
"$BIN" export -f json --checkpoint "$T/sim/checkpoints/orders" --checkpoint "$T/missing" \
    --checkpoint "$T/garbage" >"$T/mixed.json"
check "export exits 0 with unreadable streams" test $? -eq 0
check "bad streams are unknown with the file named, the good one ok" python3 -c '
import json, sys
s = {x["name"]: x for x in json.load(open(sys.argv[1]))["streams"]}
assert s["orders"]["status"] == "ok"
assert s["missing"]["status"] == "unknown"
assert "No such file or directory" in s["missing"]["errors"][0]
assert s["garbage"]["status"] == "unknown"
assert "offsets/3: no version header" in s["garbage"]["errors"][0], s["garbage"]["errors"]
' "$T/mixed.json"
"$BIN" export -f prom --checkpoint "$T/missing" >"$T/unknown.prom"
contains "prom reports unknown as status 3" "$T/unknown.prom" 'streamtop_stream_status{stream="missing"} 3'
"$BIN" watch -n 1 --checkpoint "$T/garbage" >"$T/watch.txt"
contains "watch shows the error in full" "$T/watch.txt" "offsets/3: no version header"
check "no escape byte reaches the terminal output" sh -c "! grep -q \"\$(printf '\\033')\" '$T/watch.txt'"

# Bad configs: exit 3, one line naming file:line, nothing written.
printf '[global]\nrefresh = 2s\n\n[stream orders]\nchekpoint = /x\n' >"$T/bad.ini"
"$BIN" -c "$T/bad.ini" export -o "$T/never.json" 2>"$T/err.txt"
rc=$?
check "a bad config exits 3" test $rc -eq 3
contains "the error names file, line, section and key" "$T/err.txt" \
    "bad.ini:5: [stream orders]: unknown key 'chekpoint' (did you mean 'checkpoint'?)"
check "the error is one line" test "$(wc -l <"$T/err.txt")" -eq 1
check "nothing was written" test ! -e "$T/never.json"
"$BIN" -c "$T/nope.ini" export >/dev/null 2>"$T/err2.txt"
check "a missing config exits 3" test $? -eq 3
contains "and says which file" "$T/err2.txt" "nope.ini: No such file or directory"
"$BIN" export -f yaml --checkpoint /x 2>"$T/err3.txt"
check "an unknown format exits 3" test $? -eq 3

# export takes the same paths as watch: a folder of checkpoints to discover, or one checkpoint.
"$BIN" --db :memory: export -f json "$T/sim/checkpoints" >"$T/paths.json" 2>"$T/paths.err"
check "export PATH discovers the checkpoints under it" python3 -c '
import json, sys
names = sorted(s["name"] for s in json.load(open(sys.argv[1]))["streams"])
assert names == ["clicks", "devices", "orders", "payments", "stream-004", "stream-005"], names
' "$T/paths.json"

# Every JSON export above against the documented schema (man/streamtop-export.schema.json), and
# the validator itself rejects what the schema forbids.
SCHEMA=man/streamtop-export.schema.json
check "every JSON export validates against the schema" \
    python3 tests/e2e/jsonschema_lite.py "$SCHEMA" "$T/out.json" "$T/snap.json" "$T/mixed.json" \
    "$T/paths.json"
check "every configured path is under paths" python3 -c '
import json, sys
s = {x["name"]: x for x in json.load(open(sys.argv[1]))["streams"]}
p = s["devices"]["paths"]
root = sys.argv[2]
assert p["checkpoint"] == root + "/checkpoints/devices", p
assert p["schema"] == root + "/schemas/devices" and p["sink"] == root + "/tables/devices", p
assert p["progress"] == root + "/progress/devices.jsonl", p
assert p["deadletter"] == [root + "/deadletter/devices"], p
assert s["orders"]["paths"]["schema"] is None or isinstance(s["orders"]["paths"]["schema"], str)
' "$T/out.json" "$T/sim"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
d["streams"][0]["metrics"]["drain_eta_seconds"] = "+Inf"
json.dump(d, open(sys.argv[2], "w"))
' "$T/out.json" "$T/inf.json"
check "the schema check rejects a string where a number belongs" sh -c \
    "! python3 tests/e2e/jsonschema_lite.py '$SCHEMA' '$T/inf.json' 2>/dev/null"

# One status everywhere: with a rule, export (JSON and Prometheus) and watch show the status
# check computes, and they evaluate read-only (the state DB is not changed).
{ cat "$CFG"; printf '\n[rule stalled-commit]\nstreams = scenario=stalled\nmetric = commit_age_seconds\ncrit = > 120\n'; } >"$T/rules.ini"
"$BIN" --db "$T/rules.db" -c "$T/rules.ini" check --no-notify -f json >"$T/check.json"
alert_rows() { python3 -c '
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print([db.execute("select * from %s order by 1, 2" % t).fetchall() for t in ("alerts", "outbox")],
      db.execute("select value from meta where key = ?", ("evaluated_ms",)).fetchall())
' "$1"; }
"$BIN" --db "$T/rules.db" -c "$T/rules.ini" check -f json >/dev/null # states saved (no webhooks)
sum_before=$(alert_rows "$T/rules.db")
"$BIN" --db "$T/rules.db" -c "$T/rules.ini" export -f json >"$T/rules.json"
"$BIN" --db "$T/rules.db" -c "$T/rules.ini" export -f prom >"$T/rules.prom"
"$BIN" --db "$T/rules.db" -c "$T/rules.ini" watch -n 1 >"$T/rules.txt"
check "export and watch leave the alert states as they were" \
    test "$(alert_rows "$T/rules.db")" = "$sum_before"
check "export JSON and Prometheus give the statuses check computes" python3 -c '
import json, re, sys
def statuses(path):
    d = json.load(open(path))
    return {s["name"]: s["status"] for s in d["streams"]}
c, e = statuses(sys.argv[1]), statuses(sys.argv[2])
assert c["payments"] == "critical", c
assert c == e, (c, e)
codes = {"ok": 0, "warning": 1, "critical": 2, "unknown": 3}
prom = dict(re.findall(r"^streamtop_stream_status\{stream=\"([^\"]+)\".*\} (\d)$",
                       open(sys.argv[3]).read(), re.M))
assert {k: int(v) for k, v in prom.items()} == {k: codes[v] for k, v in c.items()}, prom
alerts = [x for x in json.load(open(sys.argv[2]))["streams"] if x["name"] == "payments"][0]["alerts"]
assert [a["level"] for a in alerts if a["rule"] == "stalled-commit"] == ["critical"], alerts
' "$T/check.json" "$T/rules.json" "$T/rules.prom"
contains "watch shows the critical status check computes" "$T/rules.txt" "critical payments "

# The trigger in JSON and Prometheus: micro-batch with its configured cadence, and real-time
# mode when configured (trigger_mode = realtime; Spark's 5 minutes without a trigger)
awk '{print} /^\[stream /&&!n++{print "trigger_mode = realtime"}' "$CFG" >"$T/rt.ini"
"$BIN" -c "$T/rt.ini" export -f json >"$T/rt.json"
"$BIN" -c "$T/rt.ini" export -f prom >"$T/rt.prom"
check "JSON names each stream's trigger: real-time when configured, else micro-batch with its cadence" python3 -c '
import json, re, sys
s = json.load(open(sys.argv[1]))["streams"]
assert s[0]["trigger"] == {"mode": "realtime", "seconds": 10, "from": "config"}, s[0]["trigger"]
assert s[1]["trigger"] == {"mode": "microbatch", "seconds": 10, "from": "config"}, s[1]["trigger"]
prom = open(sys.argv[2]).read()
assert re.search(r"^streamtop_stream_info\{stream=\"%s\".*trigger_mode=\"realtime\"\} 1$" % s[0]["name"], prom, re.M), prom
assert re.search(r"^streamtop_stream_info\{stream=\"%s\".*trigger_mode=\"microbatch\"\} 1$" % s[1]["name"], prom, re.M)
' "$T/rt.json" "$T/rt.prom"
check "and validates against the schema" python3 tests/e2e/jsonschema_lite.py "$SCHEMA" "$T/rt.json"
