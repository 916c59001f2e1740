#!/bin/sh
# The Delta sink cursor in the state DB: a new process (check or export from cron) continuing
# from the DB gives the figures a cold process (--db :memory:) gives over the same tree, on
# simulated sinks and the shared real Delta logs: unchanged, after new commits, after a
# checkpoint, after the log is cleaned, after the table is replaced, with a first read's
# warnings. An unchanged log is not read again (its files garbled in place, same size and
# mtime: the figures stay those of the cold read).
. tests/e2e/lib.sh
STREAMTOP_NOW_MS=$(($(date +%s) * 1000 + 5000))
export STREAMTOP_NOW_MS
H=tests/e2e/deltacursor.py
num() { v=$(printf '%s\n' "$1" | sed 's/^0*//'); echo "${v:-0}"; } # 000120 -> 120

# cold NAME INI / cont NAME INI DB: export -f json into $T/NAME.json
cold() { "$BIN" -c "$2" --db :memory: export -f json >"$T/$1.json" 2>"$T/$1.err"; }
cont() { "$BIN" -c "$2" --db "$3" export -f json >"$T/$1.json" 2>"$T/$1.err"; }
# same DESC INI DB: a cold process and one continuing from DB agree
same() {
    cold c "$2"
    cont k "$2" "$3"
    check "$1" python3 "$H" same "$T/c.json" "$T/k.json"
}

"$BIN" simulate "$T/m" --streams 6 >/dev/null
"$BIN" simulate "$T/d" --streams 3 --kind delta >/dev/null
M="$T/m/streamtop.ini" D="$T/d/streamtop.ini"
check "the simulated mix has Delta sinks" grep -q '^sink' "$M"
cont first "$M" "$T/m.db"
cont first "$D" "$T/d.db"
same "mix, unchanged: a cron pass equals a cold pass" "$M" "$T/m.db"
same "delta kind, unchanged: the same" "$D" "$T/d.db"

# nothing of an unchanged log is read again
cold before "$M"
for l in "$T"/m/tables/*/_delta_log; do python3 "$H" garble "$l"; done
cont garbled "$M" "$T/m.db"
check "unchanged logs garbled in place: the cron pass still gives the cold figures (not read)" \
    python3 "$H" same "$T/before.json" "$T/garbled.json"
cold garbledcold "$M"
check "(a cold pass over the garbled logs does differ)" sh -c \
    "! python3 $H same $T/before.json $T/garbledcold.json >/dev/null"

# new commits: read after the cursor's, figures as cold
rm -rf "$T/m" "$T/m.db"
"$BIN" simulate "$T/m" --streams 6 >/dev/null
cont first "$M" "$T/m.db"
for l in "$T"/m/tables/*/_delta_log; do python3 "$H" commit "$l" && python3 "$H" commit "$l"; done
same "two new commits per sink: the cron pass equals a cold pass" "$M" "$T/m.db"
python3 "$H" commit "$T/m/tables/orders/_delta_log"
same "one more in one sink: the same" "$M" "$T/m.db"

# a checkpoint, then the log cleaned past it
L="$T/m/tables/orders/_delta_log"
n=$(ls "$L" | grep -c '^[0-9]*\.json$')
last=$(ls "$L" | grep '^[0-9]*\.json$' | tail -1 | cut -c1-20)
: >"$L/$last.checkpoint.parquet"
printf '{"version":%d,"size":3}\n' "$(num "$last")" >"$L/_last_checkpoint"
same "after a checkpoint: the same" "$M" "$T/m.db"
for f in $(ls "$L" | grep '^[0-9]*\.\(json\|crc\)$' | head -n $((n - 3))); do rm "$L/$f"; done
same "after the log is cleaned (old commits deleted): the same" "$M" "$T/m.db"
python3 "$H" commit "$L"
same "and a commit after the cleaning: the same" "$M" "$T/m.db"

# the table replaced by another (another table's log under the same path), and another path
rm -rf "$T/m/tables/clicks/_delta_log"
cp -rp "$T/m/tables/payments/_delta_log" "$T/m/tables/clicks/_delta_log"
same "a sink replaced by another table: the cursor is not used" "$M" "$T/m.db"
sed 's#tables/devices$#tables/stream-004#' "$M" >"$T/m2.ini"
same "a sink path changed in the config: the cursor is not used" "$T/m2.ini" "$T/m.db"

# a first read's warnings: given again by a cron pass over the unchanged log
W="$T/m/tables/payments/_delta_log"
for f in $(ls "$W" | grep '\.crc$'); do rm "$W/$f"; done
for f in $(ls "$W" | grep '^[0-9]*\.json$' | head -n 5); do rm "$W/$f"; done
cont warm "$M" "$T/m.db"
cold c "$M"
contains "a log cleaned without checksums: the cold pass warns" "$T/c.json" "the table's schema is unknown"
cont k "$M" "$T/m.db"
contains "and so does the cron pass that read nothing" "$T/k.json" "the table's schema is unknown"
check "with the same figures" python3 "$H" same "$T/c.json" "$T/k.json"
python3 "$H" commit "$W"
cold c "$M"
cont k "$M" "$T/m.db"
contains "a new commit, the schema still unknown: the cold pass warns" "$T/c.json" \
    "the table's schema is unknown"
contains "and so does the cron pass that read only that commit" "$T/k.json" \
    "the table's schema is unknown"
check "with the same figures" python3 "$H" same "$T/c.json" "$T/k.json"

# a damaged cursor is not trusted: the log is read afresh
if command -v sqlite3 >/dev/null; then
    sqlite3 "$T/m.db" "UPDATE cursors SET data = X'444C4331' WHERE collector = 'deltalog'" 2>"$T/sq.err"
    same "a damaged cursor: read afresh, the same" "$M" "$T/m.db"
else
    skip "sqlite3 not installed"
fi

# the shared real Delta logs
if [ -d "$FIXTURES/delta-logs" ]; then
    : >"$T/r.ini"
    for l in "$FIXTURES"/delta-logs/*/_delta_log; do
        t=$(dirname "$l")
        name=$(basename "$t")
        mkdir -p "$T/real/$name"
        cp -rp "$l" "$T/real/$name/"
        printf '[stream %s]\nsink = %s\n\n' "$name" "$T/real/$name" >>"$T/r.ini"
    done
    cont first "$T/r.ini" "$T/r.db"
    same "real Delta logs, unchanged: a cron pass equals a cold pass" "$T/r.ini" "$T/r.db"
    for l in "$T"/real/*/_delta_log; do
        last=$(ls "$l" | grep '^[0-9]*\.json$' | tail -1)
        [ -n "$last" ] && cp "$l/$last" "$l/$(printf '%020d' $(($(num "${last%.json}") + 1))).json"
    done
    same "real Delta logs after a new commit each: the same" "$T/r.ini" "$T/r.db"
else
    skip "real Delta logs: $FIXTURES absent"
fi

# a cron pass over an unchanged tree writes back no cursor whose bytes did not change (a folder
# or progress file modified a moment ago is listed or read again, and its new stamp saved, since
# the first one was racy: the tree is dated an hour back, as one written before the pass)
rm -rf "$T/u" "$T/u.db"
"$BIN" simulate "$T/u" --streams 4 >/dev/null
find "$T/u" -exec touch -m -d "@$(($(date +%s) - 3600))" {} +
"$BIN" -c "$T/u/streamtop.ini" --db "$T/u.db" export -f json >/dev/null 2>&1
later=$((STREAMTOP_NOW_MS + 60000))
STREAMTOP_NOW_MS=$later "$BIN" -c "$T/u/streamtop.ini" --db "$T/u.db" export -f json >/dev/null 2>&1
sqlite3 "$T/u.db" "SELECT stream || ' ' || collector FROM cursors WHERE updated_ms = $later \
    AND collector IN ('checkpoint', 'progress', 'deltalog', 'deadletter', 'landing')" >"$T/rewritten"
check "an unchanged tree: no checkpoint, progress, Delta sink, dead-letter or landing cursor is written again" \
    test ! -s "$T/rewritten"
