#!/bin/sh
# Incremental listing of a landing zone on the local S3 server (@20minutes/s3rver): 5,000
# objects in 100 hourly dt=/hr= partitions behind a file source that has read half of them (the
# 100,000-object run is bench/s3incr.sh). Each pass is a new process with the same state DB, as
# cron runs it, at times fixed with STREAMTOP_NOW_MS, beside the same passes with `listing =
# full`: after 50 new objects the second process makes at most 3 LIST requests (counted from
# its debug log) and exports the same figures; a full listing once full_listing_every has
# passed; a cursor kept for another path, and one whose zone changed layout under it, are not
# trusted; keys that stop sorting by time give a full listing and one warning.
. tests/e2e/lib.sh
. tests/s3/s3lib.sh
trap 's3_stop; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
unset AWS_PROFILE AWS_REGION AWS_DEFAULT_REGION AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 \
    AWS_SESSION_TOKEN
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER HOME="$T/home"
mkdir -p "$HOME"

# 45 minutes into an hour
NOW=$((1795440000 + 2700))
python3 tests/s3/landing.py make "$T/s3" "$T/ckpt" 100 50 "$NOW" >/dev/null
if ! s3_start "$T/s3" lake; then
    notok "the local S3 server starts (node, npm and @20minutes/s3rver)"
    exit 0
fi
EP="http://127.0.0.1:$S3_PORT"
# conf NAME LISTING SOURCE CKPT [MORE]
conf() {
    printf '[global]\nlisting = %s\n%s\n[s3]\nendpoint = %s\nregion = us-east-1\n' "$2" \
        "${5:-}" "$EP" >"$T/$1.ini"
    printf '[stream land]\ncheckpoint = %s\nsource = %s\n' "$4" "$3" >>"$T/$1.ini"
}
conf auto auto s3://lake/land "$T/ckpt"
conf full full s3://lake/land "$T/ckpt"
# pass CONF DB AT OUT: one process
pass() {
    STREAMTOP_NOW_MS=${3}000 "$BIN" -vv -c "$T/$1.ini" --db "$T/$2.db" export -f json \
        >"$T/$4.json" 2>"$T/$4.err"
}
# same DESC A B: the two exports' figures and messages are the same
same() {
    check "$1" python3 - "$T/$2.json" "$T/$3.json" <<'PY'
import json, sys
a, b = (json.load(open(p))["streams"][0] for p in sys.argv[1:3])
assert a["errors"] == b["errors"] == [], (a["errors"], b["errors"])
assert a["metrics"] == b["metrics"], {k: (v, b["metrics"][k]) for k, v in a["metrics"].items() if v != b["metrics"][k]}
assert a["metrics"]["backlog_files"] > 0 and a["metrics"]["landing_newest_age_seconds"] is not None
assert a["warnings"] == b["warnings"], (a["warnings"], b["warnings"])
PY
}
lists() { grep -c "s3: list s3://lake/$2/" "$T/$1.err"; }
whole() { grep -q "landing s3://lake/$2: listed whole" "$T/$1.err"; }

pass auto auto "$NOW" a1 && pass full full "$NOW" f1
check "the first pass lists everything" whole a1 land
same "the first pass: the same figures as with listing = full" a1 f1

python3 tests/s3/landing.py add "$T/s3" "$((NOW + 600))" 50 >/dev/null
pass auto auto "$((NOW + 600))" a2 && pass full full "$((NOW + 600))" f2
same "50 new objects (an open partition, a new one): a second process's incremental pass gives the full listing's figures" a2 f2
n=$(lists a2 land)
check "the second process lists incrementally from the stored cursor, in $n LIST requests (at most 3)" \
    sh -c "[ $n -le 3 ] && ! grep -q 'listed whole' '$T/a2.err' && grep -q 'incremental: 100 files after .dt=2026-11-23/hr=14. (the open partitions' '$T/a2.err'"
check "listing = full lists everything every pass ($(lists f2 land) requests)" \
    sh -c "grep -q 'listed whole' '$T/f2.err' && ! grep -q incremental: '$T/f2.err'"

pass auto auto "$((NOW + 600 + 3600))" a3 && pass full full "$((NOW + 600 + 3600))" f3
check "full_listing_every (1h) elapsed: a full listing" whole a3 land
same "after it, the same figures" a3 f3
conf every auto s3://lake/land "$T/ckpt" "full_listing_every = 2h"
cp "$T/auto.db" "$T/every.db"
pass every every "$((NOW + 600 + 3600 + 3600 + 60))" e1
check "a longer full_listing_every: an incremental pass after 61 minutes" \
    sh -c "! grep -q 'listed whole' '$T/e1.err' && grep -q 'incremental:' '$T/e1.err'"

# a cursor kept for another path (same stream name, same state DB) is not trusted
LANDING_PREFIX=land2 python3 tests/s3/landing.py make "$T/s3" "$T/ckpt2" 10 20 "$NOW" >/dev/null
conf other auto s3://lake/land2 "$T/ckpt2"
conf otherfull full s3://lake/land2 "$T/ckpt2"
cp "$T/auto.db" "$T/other.db"
pass other other "$((NOW + 600 + 3600 + 60))" o1
pass otherfull otherfull "$((NOW + 600 + 3600 + 60))" of1
check "a cursor of another path: discarded, a full listing" whole o1 land2
same "and the other path's figures" o1 of1
# the zone changes layout under the cursor (its partitions gone, keys that sort before them)
rm -rf "$T/s3/lake/land2"
LANDING_PREFIX=land2 python3 tests/s3/landing.py relayout "$T/s3" "$((NOW + 600 + 3600))" 30 \
    >/dev/null
pass other other "$((NOW + 600 + 3600 + 120))" o2
pass otherfull otherfull "$((NOW + 600 + 3600 + 120))" of2
check "a cursor of an older layout (the newest partition gone): not trusted, a full listing" \
    whole o2 land2
check "and the new layout's figures" python3 - "$T/o2.json" "$T/of2.json" <<'PY'
import json, sys
a, b = (json.load(open(p))["streams"][0] for p in sys.argv[1:3])
# (drain_eta_seconds comes from the history this DB kept of the path before)
del a["metrics"]["drain_eta_seconds"], b["metrics"]["drain_eta_seconds"]
assert a["metrics"] == b["metrics"], (a["metrics"], b["metrics"])
assert a["metrics"]["backlog_files"] == 30, a["metrics"]
PY

# keys that stop sorting by time: a full listing and one warning
python3 tests/s3/landing.py unsorted "$T/s3" "$((NOW + 600 + 3600))" 5 >/dev/null
pass auto auto "$((NOW + 600 + 3600 + 60))" a4 && pass full full "$((NOW + 600 + 3600 + 60))" f4
check "keys that stop sorting by time: a full listing at once" whole a4 land
check "with one warning" python3 - "$T/a4.json" "$T/f4.json" <<'PY'
import json, sys
a, b = (json.load(open(p))["streams"][0] for p in sys.argv[1:3])
w = [x for x in a["warnings"] if "no longer sort by time" in x]
assert len(w) == 1 and "s3://lake/land" in w[0], a["warnings"]
assert a["metrics"] == b["metrics"], (a["metrics"], b["metrics"])
assert not any("sort" in x for x in b["warnings"]), b["warnings"]
PY
pass auto auto "$((NOW + 600 + 3600 + 120))" a5
check "the next pass lists everything again, without warning again" python3 - "$T/a5.json" \
    "$T/a5.err" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))["streams"][0]
assert not any("sort" in x for x in a["warnings"]), a["warnings"]
assert "listed whole" in open(sys.argv[2]).read()
PY
# `listing = incremental` on a stream overrides the global full and the detection
conf forced full s3://lake/land "$T/ckpt"
printf 'listing = incremental\n' >>"$T/forced.ini"
pass forced forced "$((NOW + 600 + 3600 + 180))" i1
pass forced forced "$((NOW + 600 + 3600 + 240))" i2
check "listing = incremental on the stream: incremental passes whatever the keys" \
    sh -c "grep -q 'incremental:' '$T/i2.err' && ! grep -q 'listed whole' '$T/i2.err'"
