#!/bin/sh
# check as a Monitoring Plugin (monitoring-plugins.org/doc/guidelines.html): performance data
# per stream with units and the thresholds of the rules that apply, quoted labels; --stream
# (repeatable, comma lists, an unknown name exits 3); --metric with -w/-c threshold ranges;
# check PATH without a config; the precedence CRITICAL > WARNING > UNKNOWN > OK.
. tests/e2e/lib.sh
mkdir -p "$T/a" "$T/b" "$T/c"
for i in 1 2 3; do : >"$T/b/bad-$i.json"; done
cat >"$T/c.ini" <<INI
[stream clean]
deadletter = $T/a
[stream it's odd]
deadletter = $T/b
[stream broken]
checkpoint = $T/nonexistent
[stream both]
checkpoint = $T/nonexistent
deadletter = $T/b
[rule dl]
metric = deadletter_files
warn = > 2
crit = >= 10
[rule dl-bytes]
streams = clean
metric = deadletter_bytes
warn = < 0
[builtin]
deadletter_growing = off
INI
run() { # run NAME ARGS...: check with the config, stdout NAME.out, stderr NAME.err
    name=$1
    shift
    "$BIN" --config "$T/c.ini" --db "$T/db" check "$@" >"$T/$name.out" 2>"$T/$name.err"
    echo $? >"$T/$name.rc"
}
rc() { cat "$T/$1.rc"; }

# --- performance data -----------------------------------------------------------------------
run all
check "a warning beside an unknown stream exits 1 (WARNING ranks above UNKNOWN)" test "$(rc all)" -eq 1
check "the status line says WARNING" sh -c "head -1 '$T/all.out' | grep -q '^WARNING - 3 of 4 streams not OK | streams=4 ok=1 warning=2 critical=0 unknown=1 '"
check "long text lists WARNING streams before UNKNOWN ones" python3 -c '
import sys
lines = open(sys.argv[1]).read().splitlines()
words = [l.split()[0] for l in lines[1:] if not l.startswith("|") and not l.startswith("'"'"'")]
assert words == ["WARNING", "WARNING", "UNKNOWN"], words
' "$T/all.out"
contains "a stream with a warning and an unknown alert is WARNING" "$T/all.out" \
    "WARNING both: builtin:collector-failing unknown"
check "every performance datum follows the guidelines" python3 -c '
import re, sys
text = open(sys.argv[1]).read()
first, rest = text.split("\n", 1)
perf = first.split(" | ", 1)[1]
long_perf = rest.split("\n| ", 1)[1]
items = perf.split() + re.findall(r"(?:'"'"'(?:[^'"'"']|'"'"''"'"')*'"'"'|\S)+", long_perf)
num = r"-?[0-9]+(\.[0-9]+)?"
rng = r"(@?(~|" + num + r")?:?(" + num + r")?)?"
pat = re.compile(r"^('"'"'([^'"'"'=]|'"'"''"'"')+'"'"'|[^'"'"'= ]+)=" + num + r"(s|B|c)?(;" + rng + "(;" + rng + r"(;(" + num + r")?(;(" + num + r")?)?)?)?)?$")
bad = [i for i in items if not pat.match(i)]
assert not bad and len(items) > 8, (bad, items)
' "$T/all.out"
contains "labels are quoted, a quote doubled, seconds without _seconds" "$T/all.out" "'it''s odd_deadletter_files'=3;2;@10:;0"
contains "a rule's > N is the range N, >= N is @N:" "$T/all.out" "'both_deadletter_files'=3;2;@10:;0"
contains "bytes carry B, and < N is N:" "$T/all.out" "'clean_deadletter_bytes'=0B;0:;;0"
contains "the clean stream's files have the thresholds of dl" "$T/all.out" "'clean_deadletter_files'=0;2;@10:;0"
check "an unreadable stream has no made-up figures" sh -c "! grep -q \"'broken_\" '$T/all.out'"

# --- --stream -------------------------------------------------------------------------------
run one --stream clean
check "--stream clean: exit 0 (the others' state does not count)" test "$(rc one)" -eq 0
check "one line, the stream on the status line with its performance data" sh -c \
    "[ \$(wc -l <'$T/one.out') -eq 1 ] && grep -q \"^OK - clean: OK | streams=1 ok=1 .* 'clean_deadletter_files'=0;2;@10:;0\" '$T/one.out'"
run oneq --stream clean -q
check "-q with the named stream OK prints nothing" test ! -s "$T/oneq.out" -a "$(rc oneq)" -eq 0
run odd --stream "it's odd"
check "--stream with a warning stream exits 1" test "$(rc odd)" -eq 1
contains "its status line names the rule" "$T/odd.out" "WARNING - it's odd: dl warning value=3 (> 2) | streams=1"
run two --stream clean --stream broken
check "--stream twice: UNKNOWN for the broken one exits 3" test "$(rc two)" -eq 3
contains "and reports the two" "$T/two.out" "UNKNOWN - 1 of 2 streams not OK | streams=2"
run comma --stream "clean,broken"
check "a comma list is the same" sh -c "diff '$T/two.out' '$T/comma.out' >/dev/null && [ \$(cat '$T/comma.rc') -eq 3 ]"
run unknown --stream nope
check "an unknown stream exits 3" test "$(rc unknown)" -eq 3
contains "with a message naming it and the streams" "$T/unknown.err" \
    "check: --stream nope: no such stream (streams: clean, it's odd, broken, both)"
check "and prints nothing on stdout" test ! -s "$T/unknown.out"
run json --stream "it's odd" -f json
check "-f json with --stream has only that stream" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert [s["name"] for s in d["streams"]] == ["it'"'"'s odd"], d["streams"]
' "$T/json.out"

# --- --metric with -w / -c -------------------------------------------------------------------
m() { # m NAME EXPECTED-EXIT ARGS...: check --stream "it's odd" --metric deadletter_files ARGS
    name=$1 want=$2
    shift 2
    run "$name" --stream "it's odd" --metric deadletter_files "$@"
    check "--metric deadletter_files (3) $*: exit $want" test "$(rc "$name")" -eq "$want"
}
m m1 1 -w 2                # outside 0..2
m m2 2 -w 1 -c 2
m m3 1 -w 5 -c 10 # the rule dl (> 2) still warns: rules and -w/-c both count
run m4 --stream clean --metric deadletter_files -w 5: -c ~:100
check "N: alerts below N (0 < 5: WARNING)" test "$(rc m4)" -eq 1
contains "the breaking value is an alert check:METRIC" "$T/m4.out" \
    "WARNING - clean: check:deadletter_files warning value=0 (-w 5:)"
contains "its performance data carries the ranges as given" "$T/m4.out" "'clean_deadletter_files'=0;5:;~:100;0"
run m5 --stream clean --metric deadletter_files -c @0:1
check "@N:M alerts inside (0 in 0..1: CRITICAL)" test "$(rc m5)" -eq 2
run m6 --stream clean --metric deadletter_files -c @1:4
check "@N:M does not alert outside (0: OK)" test "$(rc m6)" -eq 0
contains "an OK stream shows the metric's value" "$T/m6.out" "OK - clean: OK, deadletter_files=0 |"
run m7 --stream clean --metric deadletter_files -w ~:-1
check "~:N alerts above N" test "$(rc m7)" -eq 1
run m8 --stream clean --metric backlog_age_seconds -w 60 -c 1800
check "a metric that cannot be measured is UNKNOWN (exit 3)" test "$(rc m8)" -eq 3
contains "saying so" "$T/m8.out" "UNKNOWN - clean: check:backlog_age_seconds unknown (not measurable)"
run m9 --metric deadletter_files -c 2
check "without --stream the threshold applies to every stream" test "$(rc m9)" -eq 2
contains "the critical ones listed first" "$T/m9.out" "CRITICAL it's odd: dl warning value=3 (> 2); check:deadletter_files critical value=3 (-c 2)"

run mj --metric deadletter_files -c 2 -f json
check "-f json: the same exit status" test "$(rc mj)" -eq 2
check "and the breach as an alert, the stream's status with it" python3 -c '
import json, sys
d = {s["name"]: s for s in json.load(open(sys.argv[1]))["streams"]}
s = d["it'"'"'s odd"]
a = [x for x in s["alerts"] if x["rule"] == "check:deadletter_files"]
assert s["status"] == "critical" and a and a[0]["level"] == "critical", s
assert d["clean"]["status"] == "ok", d["clean"]
' "$T/mj.out"
check "which the export schema validates" python3 tests/e2e/jsonschema_lite.py \
    man/streamtop-export.schema.json "$T/mj.out"

# --- bad usage: exit 3 with a message ---------------------------------------------------------
bad() { # bad DESC TEXT ARGS...
    desc=$1 text=$2
    shift 2
    run bad "$@"
    check "$desc: exit 3" test "$(rc bad)" -eq 3
    contains "$desc: says why" "$T/bad.err" "$text"
}
bad "-w without --metric" "check: -w and -c need --metric NAME" -w 5
bad "--metric without a range" "check: --metric deadletter_files needs -w RANGE, -c RANGE or both" --metric deadletter_files
bad "an unknown metric" "check: unknown metric 'nope'" --metric nope -w 1
bad "a range that is not one" "check: -w: 'abc' is not a threshold range" --metric deadletter_files -w abc
bad "a range whose start is above its end" "check: -w: threshold range '5:2': its start is above its end" --metric deadletter_files -w 5:2
"$BIN" --db "$T/db" check -c "$T/c.ini" >"$T/o" 2>"$T/e"
check "check -c FILE (the config after check) exits 3" test $? -eq 3
contains "explaining that -c is the critical threshold there" "$T/e" \
    "check: -w and -c need --metric NAME (after check, -c is the critical threshold: give the config file before check, or as --config FILE)"
"$BIN" -c "$T/c.ini" --db "$T/db" check --stream clean >"$T/o" 2>"$T/e"
check "-c FILE before check is the config" test $? -eq 0

# --- check PATH without a config ---------------------------------------------------------------
"$BIN" simulate "$T/sim" --streams 4 --batches 12 >/dev/null
"$BIN" --db "$T/pdb" check "$T/sim/checkpoints" >"$T/p.out" 2>"$T/p.err"
prc=$?
contains "check FOLDER discovers its four checkpoints" "$T/p.out" "streams=4"
contains "with their performance data" "$T/p.out" "'orders_committed_batch_id'="
word=$(head -1 "$T/p.out" | cut -d' ' -f1)
check "its exit status is its status line's ($word, $prc)" \
    test "$(echo "OK WARNING CRITICAL UNKNOWN" | cut -d' ' -f$((prc + 1)))" = "$word"
"$BIN" --db "$T/pdb" check "$T/sim/checkpoints/orders" --stream orders >"$T/p1.out" 2>&1
check "check CHECKPOINT --stream orders: the healthy stream exits 0" test $? -eq 0
contains "one status line" "$T/p1.out" "OK - orders: OK | streams=1"
"$BIN" --db "$T/pdb" check "$T/nothing-here" >"$T/p2.out" 2>&1
check "check of a path that is not there is UNKNOWN (3)" test $? -eq 3
exit 0
