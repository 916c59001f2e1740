#!/bin/sh
# Hostile storage: folders that cannot be listed (walked as an unprivileged user), links that
# loop, repeat or leave the configured paths, dead letters linked to secret files, and paths
# that try to become configuration when discover prints them.
. tests/e2e/lib.sh

# A folder every user can reach (the suite's TMPDIR is private to root).
H=$(mktemp -d /tmp/streamtop-hostile.XXXXXX)
chmod 755 "$H"
trap 'chmod -R u+rwx "$H" 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$T" "$H"' EXIT

# as_user CMD...: run CMD as an unprivileged user when we are root, else as ourselves
as_user() {
    if [ "$(id -u)" = 0 ]; then
        if command -v setpriv >/dev/null 2>&1; then
            setpriv --reuid=65534 --regid=65534 --clear-groups env HOME="$H" "$@"
        else
            runuser -u nobody -- env HOME="$H" "$@"
        fi
    else
        "$@"
    fi
}

json() { # json FILE PYTHON-EXPR-ON-d: prints the expression
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

"$BIN" simulate "$H/sim" --streams 2 --batches 20 >/dev/null 2>&1
CFG="$H/sim/streamtop.ini"
check "simulate writes a config" test -s "$CFG"
chmod -R a+rX "$H/sim"

# --- 1. a landing folder that cannot be listed, walked by an unprivileged user -----------------
mkdir "$H/sim/landing/orders/locked"
chmod 000 "$H/sim/landing/orders/locked"
for pass in 1 2; do
    as_user "$BIN" -c "$CFG" --db :memory: check >"$T/check$pass.out" 2>&1
    rc=$?
    if [ $rc -eq 3 ]; then ok "check (pass $pass) with an unlistable landing folder exits 3 (UNKNOWN), no crash"
    else notok "check (pass $pass) with an unlistable landing folder exits 3 (UNKNOWN), no crash" "rc=$rc $(cat "$T/check$pass.out")"; fi
done
contains "the error names the folder and the reason" "$T/check1.out" "landing/orders/locked: Permission denied"
as_user "$BIN" -c "$CFG" --db :memory: watch -n 3 >"$T/watch.out" 2>&1
rc=$?
if [ $rc -eq 0 ] && [ "$(grep -c 'locked: Permission denied' "$T/watch.out")" -eq 3 ]; then
    ok "watch survives three passes over the unlistable folder"
else
    notok "watch survives three passes over the unlistable folder" "rc=$rc $(cat "$T/watch.out")"
fi
as_user "$BIN" -c "$CFG" --db :memory: export -f json >"$T/locked.json" 2>"$T/locked.err"
check "the other stream keeps working" python3 -c '
import json, sys
d = {s["name"]: s for s in json.load(open(sys.argv[1]))["streams"]}
assert d["orders"]["status"] == "unknown", d["orders"]["status"]
assert d["clicks"]["status"] != "unknown" and not d["clicks"]["errors"], d["clicks"]
' "$T/locked.json"
chmod 755 "$H/sim/landing/orders/locked"
rmdir "$H/sim/landing/orders/locked"

# --- 3. links in walked trees --------------------------------------------------------------
"$BIN" -c "$CFG" --db :memory: export -f json >"$T/base.json"
base=$(json "$T/base.json" '[s["metrics"]["backlog_files"] for s in d["streams"] if s["name"] == "clicks"][0]')
L="$H/sim/landing/clicks"
ln -s . "$L/self"
ln -s .. "$L/up"
ln -s "$L" "$L/again"
ln -s / "$L/host"
mkdir "$H/outside"
: >"$H/outside/not-landing.json"
ln -s "$H/outside" "$L/out"
ln -s "$H/outside/not-landing.json" "$L/out-file.json"
sub=$(find "$L" -mindepth 1 -maxdepth 1 -type d | head -n 1)
[ -n "$sub" ] && ln -s "$L" "$sub/loop"
"$BIN" -c "$CFG" --db :memory: export -f json >"$T/links.json" 2>"$T/links.err"
got=$(json "$T/links.json" '[s["metrics"]["backlog_files"] for s in d["streams"] if s["name"] == "clicks"][0]')
if [ "$got" = "$base" ]; then ok "loops, repeats and links out of the landing zone change nothing ($got waiting files)"
else notok "loops, repeats and links out of the landing zone change nothing" "before $base, after $got; $(cat "$T/links.err")"; fi

rm -f "$L/up" "$L/host"
# follow_links = yes follows the link out (the file outside counts) but still walks each folder once
sed 's/^\[stream clicks\]$/[stream clicks]\nfollow_links = yes/' "$CFG" >"$T/follow.ini"
"$BIN" -c "$T/follow.ini" --db :memory: export -f json >"$T/follow.json" 2>"$T/follow.err"
got=$(json "$T/follow.json" '[s["metrics"]["backlog_files"] for s in d["streams"] if s["name"] == "clicks"][0]')
want=$(python3 -c "print(float($base) + 2)")
if python3 -c "import sys; sys.exit(0 if float('$got') == $want else 1)" 2>/dev/null; then
    ok "follow_links = yes counts the linked folder and file once each ($got)"
else
    notok "follow_links = yes counts the linked folder and file once each" "want $want got $got; $(head -c 500 "$T/follow.err")"
fi
rm -f "$L/self" "$L/again" "$L/out" "$L/out-file.json" "$sub/loop"

# exponential fan-out: two links to the parent in every folder of a chain
mkdir -p "$H/fan/landing"
d="$H/fan/landing"
i=0
while [ $i -lt 12 ]; do
    ln -s .. "$d/p1"
    ln -s .. "$d/p2"
    mkdir "$d/n"
    : >"$d/file$i.json"
    d="$d/n"
    i=$((i + 1))
done
cat >"$T/fan.ini" <<EOF
[stream fan]
source = $H/fan/landing
deadletter = $H/fan/landing
EOF
timeout 120 "$BIN" -c "$T/fan.ini" --db :memory: export -f json >"$T/fan.json" 2>"$T/fan.err"
check "a tree of parent links is walked once per folder" python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))["streams"][0]
assert s["deadletter"][0]["files"] == 12, s["deadletter"]
' "$T/fan.json"

# --- 4. a dead letter linked to a secret file -----------------------------------------------
printf 'root-only secret line\n' >"$H/secret.txt"
chmod 600 "$H/secret.txt"
DL="$H/sim/deadletter/clicks"
mkdir -p "$DL/zz-newest"
touch -d '+1 hour' "$H/secret.txt"
ln -s "$H/secret.txt" "$DL/zz-newest/part-99999.json"
ln -s "$H" "$DL/zz-dir"
for f in json csv prom; do
    "$BIN" -c "$CFG" --db :memory: export -f $f >"$T/dl.$f" 2>>"$T/dl.err"
done
"$BIN" -c "$CFG" --db :memory: check >"$T/dl.check" 2>&1
if grep -q "root-only secret" "$T"/dl.* ; then
    notok "a dead letter linked out of the prefix is never read" "$(grep -l 'root-only secret' "$T"/dl.*)"
else
    ok "a dead letter linked out of the prefix is never read"
fi
# the same link, read directly: a checkpoint whose metadata links out is refused with a message
CP="$H/sim/checkpoints/orders"
mv "$CP/metadata" "$H/metadata.real"
ln -s "$H/secret.txt" "$CP/metadata"
"$BIN" -c "$CFG" --db :memory: export -f json >"$T/meta.json" 2>&1
contains "a checkpoint file linked out of the checkpoint is refused, by name" "$T/meta.json" \
    "metadata: a link out of the configured paths; not followed"
rm -f "$CP/metadata"
mv "$H/metadata.real" "$CP/metadata"
# a folder on the way linked out: sources/ -> a folder outside the checkpoint
mv "$CP/sources" "$H/sources.real"
ln -s "$H/sources.real" "$CP/sources"
"$BIN" -c "$CFG" --db :memory: export -f json >"$T/mid.json" 2>&1
contains "a file reached through a folder linked out of the checkpoint is refused, by name" \
    "$T/mid.json" "sources/0: reached through a link out of the configured paths"
ln -s "$H/sources.real/0" "$H/zero-link"
rm "$CP/sources"
mkdir "$CP/sources"
ln -s "$H/sources.real/0" "$CP/sources/0"
"$BIN" -c "$CFG" --db :memory: export -f json >"$T/mid2.json" 2>&1
contains "and so is a listing through such a folder" "$T/mid2.json" \
    "a link out of the configured paths; not followed"
rm -rf "$CP/sources" "$H/zero-link"
mv "$H/sources.real" "$CP/sources"
rm -rf "$DL/zz-newest" "$DL/zz-dir"

# --- 5. paths from storage are data, never configuration -------------------------------------
D="$H/disc"
mkdir -p "$D/cp/sources/0" "$D/cp/offsets" "$D/cp/commits"
printf '{"id":"6f3b2e4a-0000-4000-8000-000000000001"}' >"$D/cp/metadata"
printf 'v1\n{"batchWatermarkMs":0,"batchTimestampMs":1700000000000,"conf":{}}\n{"logOffset":0}\n' >"$D/cp/offsets/0"
printf 'v1\n{"nextBatchWatermarkMs":0}\n' >"$D/cp/commits/0"
evil='/data/a ; x = 1 #"q"/${AWS_SECRET_ACCESS_KEY} \\ $(id)'
printf 'v1\n{"path":"file://%s/dt=1/a.json","timestamp":1700000000000,"batchId":0,"action":"add"}\n' \
    "$(printf '%s' "$evil" | sed 's/\\/\\\\/g; s/"/\\"/g')" >"$D/cp/sources/0/0"
AWS_SECRET_ACCESS_KEY=leaked-secret-value "$BIN" discover "$D" >"$T/disc.ini" 2>"$T/disc.err"
check "discover prints a stanza for the checkpoint" grep -q '^\[stream' "$T/disc.ini"
if grep -q leaked-secret-value "$T/disc.ini"; then notok "discover never expands variables found in storage" "$(cat "$T/disc.ini")"
else ok "discover never expands variables found in storage"; fi
AWS_SECRET_ACCESS_KEY=leaked-secret-value "$BIN" -c "$T/disc.ini" config check >"$T/disc.check" 2>&1
rc=$?
if grep -q leaked-secret-value "$T/disc.check"; then
    notok "the pasted stanza does not expand the variable" "$(cat "$T/disc.check")"
else
    ok "the pasted stanza does not expand the variable"
fi
check "the pasted stanza keeps the whole path (nothing cut at ' ; ')" python3 -c '
import sys
text = open(sys.argv[1]).read()
assert sys.argv[2] in text, (sys.argv[2], text)
' "$T/disc.check" "$evil"
[ $rc -le 1 ] && ok "the pasted stanza is a valid config (config check exit $rc)" || notok "the pasted stanza is a valid config" "$(cat "$T/disc.check")"
