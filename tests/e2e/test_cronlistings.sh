#!/bin/sh
# A cron pass (a new process continuing from the state DB) over a local tree stats the folders
# and files it read before and lists or reads only what changed: the file-source log folder
# (sources/0), the dead-letter folders and the progress file. Shown without strace: what is
# added to a folder whose mtime is then put back, or a progress file rewritten in place with its
# size and mtime kept, is not seen by the cron pass (nothing was listed or read), while a cold
# pass sees it; once the mtime moves, the cron pass equals the cold one again.
. tests/e2e/lib.sh
STREAMTOP_NOW_MS=$(($(date +%s) * 1000 + 5000))
export STREAMTOP_NOW_MS
H=tests/e2e/deltacursor.py
cold() { "$BIN" -c "$2" --db :memory: export -f json >"$T/$1.json" 2>"$T/$1.err"; }
cont() { "$BIN" -c "$2" --db "$3" export -f json >"$T/$1.json" 2>"$T/$1.err"; }
same() { check "$1" python3 "$H" same "$T/$2.json" "$T/$3.json"; }
differ() { check "$1" sh -c "! python3 $H same $T/$2.json $T/$3.json >/dev/null"; }

"$BIN" simulate "$T/m" --streams 6 >/dev/null
M="$T/m/streamtop.ini" DB="$T/m.db"
old=$(($(date +%s) - 3600))
# the tree as written an hour before the pass (a listing made right after a change is racy
# and is never reused)
find "$T/m" -type d -exec touch -m -d "@$old" {} +
find "$T/m/progress" -type f -exec touch -m -d "@$old" {} +
cont first "$M" "$DB"
cold c0 "$M"
cont k0 "$M" "$DB"
same "unchanged tree: the cron pass equals a cold pass" c0 k0

# the file-source log: the next batch's log file (one waiting landing file processed) added,
# the folder's mtime put back
L="$T/m/checkpoints/clicks/sources/0"
n=$(ls "$L" | grep -E '^[0-9]+$' | sort -n | tail -1)
w=$(find "$T/m/landing/clicks" -type f -name 'part-*' | while read -r f; do
    grep -rqF "$f" "$L" || { echo "$f"; break; }
done)
check "the simulated clicks stream has a waiting landing file" test -n "$w"
printf 'v1\n{"path":"file://%s","timestamp":%s,"batchId":%s}' "$w" "$STREAMTOP_NOW_MS" \
    "$((n + 1))" >"$L/$((n + 1))"
touch -m -d "@$old" "$L"
cont k1 "$M" "$DB"
cold c1 "$M"
same "sources/0 with its mtime unchanged: not listed (the added file unseen)" c0 k1
differ "(a cold pass does see the added file)" c0 c1
touch -m -d "@$((old + 60))" "$L"
cont k2 "$M" "$DB"
same "sources/0 whose mtime moved: listed, the cron pass equals a cold pass" c1 k2

# a dead-letter folder below a prefix: a file added, the folder's mtime put back
B=$(find "$T/m/deadletter" -type d -name bad_records | sort | head -1)
check "the simulated tree has dead letters" test -n "$B"
printf '{"path":"file:/in/x.json","reason":"NEW"}\n' >"$B/part-99999-new"
touch -m -d "@$old" "$B"
cont k3 "$M" "$DB"
cold c3 "$M"
same "a dead-letter folder with its mtime unchanged: not listed" c1 k3
differ "(a cold pass does see the new dead letter)" c1 c3
touch -m -d "@$((old + 60))" "$B"
# its partition (the oldest <ts>/) is closed: its second is over and newer ones follow, so
# between whole walks (full_listing_every) it keeps its listing unstat'ed
cont k4 "$M" "$DB"
same "a closed partition's folder whose mtime moved: not stat'ed between whole walks" c1 k4
now=$STREAMTOP_NOW_MS
cp "$DB" "$T/later.db"
STREAMTOP_NOW_MS=$((now + 3600 * 1000))
cont k4w "$M" "$T/later.db"
cold c4w "$M"
STREAMTOP_NOW_MS=$now
# (the schema's first sighting is the state DB's, an hour before the cold pass's)
check "full_listing_every (an hour) on: a whole walk lists it, the same as cold" \
    python3 "$H" same "$T/c4w.json" "$T/k4w.json" first_seen_at
sed 's/^\[global\]$/[global]\nlisting = full/' "$M" >"$T/full.ini"
check "the full-listing config sets it" grep -q '^listing = full$' "$T/full.ini"
cont k4f "$T/full.ini" "$DB"
same "with listing = full every folder is stat'ed: listed at once, the same as cold" c3 k4f

# the progress file rewritten in place with other figures, its size and mtime kept (its first
# bytes differ too, so a pass that reads it takes it for a new file): not read again
P="$T/m/progress/orders.jsonl"
python3 - "$P" <<'PY'
import re, sys
p = sys.argv[1]
lines = open(p).read().split("\n")
def other(line):  # every rate's first digit changed, the length kept
    return re.sub(r'(RowsPerSecond":)(\d)', lambda m: m.group(1) + str((int(m.group(2)) + 1) % 10), line)
lines[0] = other(lines[0])
last = max(i for i, l in enumerate(lines) if l.strip())
lines[last] = other(lines[last])
open(p, "w").write("\n".join(lines))
PY
touch -m -d "@$old" "$P"
cont k5 "$M" "$DB"
cold c5 "$M"
same "a progress file with its size and mtime unchanged: not read" c3 k5
differ "(a cold pass reads the rewritten file)" c3 c5

# whether folder times are durable is asked of a file system once a pass for every folder on its
# device (all the streams here share one), not with a statfs per folder and stream
n=$("$BIN" -vv -c "$M" --db "$DB" export -f json 2>&1 >/dev/null | grep -c ': debug: statfs ')
check "a cron pass over 6 streams on one device asks one statfs (asked $n)" test "$n" -eq 1
n=$("$BIN" -vv -c "$M" --db :memory: export -f json 2>&1 >/dev/null | grep -c ': debug: statfs ')
check "so does a cold pass (asked $n)" test "$n" -eq 1

# and a cron pass over a tree that did not change stats each folder and file it looks at once:
# the sink's _delta_log is stat'ed before the newest commit below it, so that commit's check
# needs no second look at its folder
if command -v strace >/dev/null 2>&1; then
    # (the dead letter written above is old now: a file written within 2 s of a listing may
    # still grow, and its folder is listed again)
    touch -m -d "@$old" "$B/part-99999-new"
    "$BIN" -c "$M" --db "$DB" export -f json >/dev/null 2>&1
    strace -f -e trace=newfstatat,statx,lstat,stat -o "$T/stats" \
        "$BIN" -c "$M" --db "$DB" export -f json >/dev/null 2>&1
    grep -o "\"$T/m/[^\"]*\"" "$T/stats" | sort | uniq -d >"$T/twice"
    n=$(grep -c "\"$T/m/" "$T/stats")
    check "a cron pass stats no path twice ($n stats; twice: $(head -3 "$T/twice" | tr '\n' ' '))" \
        sh -c "test $n -gt 0 && ! test -s '$T/twice'"
    # an unchanged sink: its _delta_log is stat'ed, nothing below it (no commit, no
    # _last_checkpoint): the folder's mtime says no file was made, removed or renamed there
    d=$(grep -c "\"$T/m/tables/[^\"]*/_delta_log\"" "$T/stats")
    nb=$(grep -c "\"$T/m/tables/[^\"]*/_delta_log/" "$T/stats")
    b=$(grep -o "\"$T/m/tables/[^\"]*/_delta_log/[^\"]*\"" "$T/stats" | head -1 | tr -d '"')
    check "and of each unchanged sink only _delta_log ($d of 6; below it $nb: ${b:-none})" \
        test "$d" -eq 6 -a "$nb" -eq 0
    # a dead-letter prefix of Spark's <ts>/bad_records/ folders: the prefix, and the newest
    # partition's two folders; the closed ones keep their listings
    D="$T/m/deadletter/devices"
    nts=$(find "$D" -mindepth 1 -maxdepth 1 -type d | wc -l)
    d=$(grep -c "\"$D[/\"]" "$T/stats")
    check "an unchanged dead-letter prefix of $nts partitions: 3 folders stat'ed ($d)" \
        test "$nts" -gt 5 -a "$d" -eq 3
else
    skip "strace is not installed: the count of a cron pass's stats"
fi
