#!/bin/sh
# Incremental listing of dead-letter prefixes on the local S3 server (@20minutes/s3rver): two
# prefixes of 1,500 objects each in 30 hourly partitions, one in Firehose's layout
# (processing-failed/YYYY/MM/DD/HH/), one in dt=/hr= partitions. Each pass is a new process
# with the same state DB, at times fixed with STREAMTOP_NOW_MS, beside the same passes with
# `listing = full`: after new dead letters the second process makes at most 3 LIST requests per
# prefix (counted from its debug log), exports the same figures and fires deadletter-growing; a
# full listing once full_listing_every has passed; keys that stop sorting by time give a full
# listing and one warning; a cursor kept for another prefix is not trusted.
. tests/e2e/lib.sh
. tests/s3/s3lib.sh
trap 's3_stop; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
unset AWS_PROFILE AWS_REGION AWS_DEFAULT_REGION AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 \
    AWS_SESSION_TOKEN
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER HOME="$T/home"
mkdir -p "$HOME"

# 45 minutes into an hour; the dead letters stop two hours before
NOW=$((1795440000 + 2700))
OLD=$((NOW - 7200))
python3 tests/s3/deadletter.py make "$T/s3" dlqfh firehose 30 50 "$OLD" >/dev/null
python3 tests/s3/deadletter.py make "$T/s3" dlqdt dt 30 50 "$OLD" >/dev/null
if ! s3_start "$T/s3" lake; then
    notok "the local S3 server starts (node, npm and @20minutes/s3rver)"
    exit 0
fi
EP="http://127.0.0.1:$S3_PORT"
# conf NAME LISTING DEADLETTER [MORE]
conf() {
    printf '[global]\nlisting = %s\n%s\n[s3]\nendpoint = %s\nregion = us-east-1\n' "$2" \
        "${4:-}" "$EP" >"$T/$1.ini"
    printf '[stream dlq]\ndeadletter = %s\n' "$3" >>"$T/$1.ini"
}
conf auto auto "s3://lake/dlqfh/, s3://lake/dlqdt/"
conf full full "s3://lake/dlqfh/, s3://lake/dlqdt/"
# pass CONF DB AT OUT: one process
pass() {
    STREAMTOP_NOW_MS=${3}000 "$BIN" -vv -c "$T/$1.ini" --db "$T/$2.db" export -f json \
        >"$T/$4.json" 2>"$T/$4.err"
}
# same DESC A B: the two exports' figures, dead-letter details and messages are the same
same() {
    check "$1" python3 - "$T/$2.json" "$T/$3.json" <<'PY'
import json, sys
a, b = (json.load(open(p))["streams"][0] for p in sys.argv[1:3])
assert a["errors"] == b["errors"] == [], (a["errors"], b["errors"])
ma = {k: v for k, v in a["metrics"].items() if k.startswith("deadletter")}
mb = {k: v for k, v in b["metrics"].items() if k.startswith("deadletter")}
assert ma == mb, (ma, mb)
assert ma["deadletter_files"] >= 3000, ma
assert a["deadletter"] == b["deadletter"], (a["deadletter"], b["deadletter"])
assert [d["layout"] for d in a["deadletter"]] == ["firehose", "partitioned"], a["deadletter"]
assert a["warnings"] == b["warnings"], (a["warnings"], b["warnings"])
PY
}
lists() { grep -c "s3: list s3://lake/$2/" "$T/$1.err"; }
whole() { grep -q "deadletter s3://lake/$2/: listed whole" "$T/$1.err"; }
growing() { # growing OUT yes|no: deadletter-growing fires (or is pending) or not
    python3 - "$T/$1.json" "$2" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))["streams"][0]
on = [x for x in a["alerts"] if x["rule"].endswith("deadletter-growing") and x["level"] != "ok"]
assert bool(on) == (sys.argv[2] == "yes"), a["alerts"]
PY
}

pass auto auto "$NOW" a1 && pass full full "$NOW" f1
check "the first pass lists both prefixes whole" sh -c "grep -q 'deadletter s3://lake/dlqfh/: listed whole (incremental' '$T/a1.err' && grep -q 'deadletter s3://lake/dlqdt/: listed whole (incremental' '$T/a1.err'"
same "the first pass: the same figures as with listing = full" a1 f1
check "no dead letter within the hour: deadletter-growing does not fire" growing a1 no

python3 tests/s3/deadletter.py add "$T/s3" dlqfh firehose "$((NOW + 600))" 40 a >/dev/null
python3 tests/s3/deadletter.py add "$T/s3" dlqdt dt "$((NOW + 600))" 40 a >/dev/null
pass auto auto "$((NOW + 600))" a2 && pass full full "$((NOW + 600))" f2
same "40 new dead letters per prefix: a second process's incremental pass gives the full listing's figures" a2 f2
nf=$(lists a2 dlqfh) nd=$(lists a2 dlqdt)
check "the second process lists incrementally from the stored cursor ($nf and $nd LIST requests, at most 3 each)" \
    sh -c "[ $nf -le 3 ] && [ $nd -le 3 ] && ! grep -q 'listed whole' '$T/a2.err' && grep -q 'deadletter s3://lake/dlqfh/: incremental: 90 files after .processing-failed/2026/11/23/12. (the open partitions' '$T/a2.err'"
check "deadletter-growing fires on the dead letters found incrementally" growing a2 yes
check "listing = full lists everything every pass" \
    sh -c "grep -q 'listed whole' '$T/f2.err' && ! grep -q incremental: '$T/f2.err'"

pass auto auto "$((NOW + 600 + 3600))" a3 && pass full full "$((NOW + 600 + 3600))" f3
check "full_listing_every (1h) elapsed: a full listing" whole a3 dlqdt
same "after it, the same figures" a3 f3

# keys that stop sorting by time: a full listing and one warning
python3 tests/s3/deadletter.py unsorted "$T/s3" dlqdt "$((NOW + 600 + 3600))" 5 >/dev/null
pass auto auto "$((NOW + 600 + 3600 + 60))" a4 && pass full full "$((NOW + 600 + 3600 + 60))" f4
check "keys that stop sorting by time: a full listing at once" whole a4 dlqdt
check "with one warning, the same figures" python3 - "$T/a4.json" "$T/f4.json" <<'PY'
import json, sys
a, b = (json.load(open(p))["streams"][0] for p in sys.argv[1:3])
w = [x for x in a["warnings"] if "no longer sort by time" in x]
assert len(w) == 1 and "s3://lake/dlqdt/" in w[0], a["warnings"]
assert a["deadletter"] == b["deadletter"], (a["deadletter"], b["deadletter"])
assert not any("sort" in x for x in b["warnings"]), b["warnings"]
PY
pass auto auto "$((NOW + 600 + 3600 + 120))" a5
check "the next pass lists it whole again, without warning again, the other prefix incrementally" \
    python3 - "$T/a5.json" "$T/a5.err" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))["streams"][0]
assert not any("sort" in x for x in a["warnings"]), a["warnings"]
log = open(sys.argv[2]).read()
assert "deadletter s3://lake/dlqdt/: listed whole" in log
assert "deadletter s3://lake/dlqfh/: incremental:" in log
PY

# a cursor kept for other prefixes (same stream name, same state DB) is not trusted
conf other auto "s3://lake/dlqfh/processing-failed/, s3://lake/dlqdt/"
cp "$T/auto.db" "$T/other.db"
pass other other "$((NOW + 600 + 3600 + 180))" o1
check "a cursor of another prefix: discarded, a full listing" \
    whole o1 dlqfh/processing-failed
