#!/bin/sh
# The state DB's history under load: a day's rollup and prune run by one `check` leaves a second
# `check` beside it working (the maintenance commits in short batches after the pass), and a
# full disk says "no space left on device" with the DB's path and exits 3.
. tests/e2e/lib.sh

"$BIN" simulate "$T/sim" --streams 3 --batches 20 >/dev/null
CFG="$T/sim/streamtop.ini"
DB="$T/h.db"
DAY=86400000
NOW=1793491200000 # 2026-11-01T00:00:00Z

# Two days of one pass a minute for 150 more streams, written straight into the DB (the packed
# rows of schema 5, keyed by 5-minute bucket, stream and time: per metric its id as a varint,
# then the value as a little-endian double)
STREAMTOP_NOW_MS=$((NOW - 2 * DAY)) "$BIN" --db "$DB" -c "$CFG" check >/dev/null 2>"$T/0.err"
python3 - "$DB" "$((NOW - 2 * DAY))" <<'PY'
import sqlite3, struct, sys
db = sqlite3.connect(sys.argv[1])
start = int(sys.argv[2])
ids = [i for (i,) in db.execute("SELECT id FROM metrics ORDER BY id LIMIT 12")]
assert ids and max(ids) < 128
rows = []
for s in range(150):
    db.execute("INSERT INTO streams (name) VALUES (?)", (f"load{s}",))
    sid = db.execute("SELECT id FROM streams WHERE name = ?", (f"load{s}",)).fetchone()[0]
    for p in range(2880):
        blob = b"".join(struct.pack("<Bd", m, float(p * m + s)) for m in ids)
        ts = start + p * 60000
        rows.append((ts // 300000, sid, ts, blob))
db.executemany("INSERT INTO points (bucket, stream_id, ts_ms, data) VALUES (?, ?, ?, ?)", rows)
db.commit()
PY
# A check a day and a half later has a day of raw points to roll up and, with retention 1d12h,
# half a day to prune; more checks start beside it while it works.
printf '[global]\nretention = 36h\n' >"$T/ret.ini"
cat "$CFG" >>"$T/ret.ini"
STREAMTOP_NOW_MS=$NOW "$BIN" --db "$DB" -c "$T/ret.ini" check >/dev/null 2>"$T/a.err" &
A=$!
sleep 0.3
fails=0
for i in 1 2 3 4; do
    STREAMTOP_NOW_MS=$((NOW + i * 1000)) "$BIN" --db "$DB" -c "$T/ret.ini" check >/dev/null 2>"$T/b$i.err"
    [ $? -eq 3 ] && fails=$((fails + 1))
done
wait $A
ARC=$?
check "a check beside a day's rollup and prune never exits 3" test $fails -eq 0 -a $ARC -ne 3
if cat "$T"/a.err "$T"/b*.err | grep -q .; then
    notok "and neither reports a locked database" "$(cat "$T"/a.err "$T"/b*.err)"
else
    ok "and neither reports a locked database"
fi
check "every check's pass was recorded" python3 -c '
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
n = db.execute("SELECT count(DISTINCT ts_ms) FROM points JOIN streams ON streams.id = stream_id"
               " WHERE streams.name NOT LIKE \"load%\" AND ts_ms >= ?", (int(sys.argv[2]),)).fetchone()[0]
assert n == 5, n
' "$DB" "$NOW"
# later passes finish the work a second at a time: then a day of raw points is left, older
# history is in 5-minute rollups, and nothing older than the retention remains
i=10
while [ $i -lt 60 ]; do
    STREAMTOP_NOW_MS=$((NOW + i * 1000)) "$BIN" --db "$DB" -c "$T/ret.ini" check >/dev/null 2>>"$T/c.err"
    i=$((i + 1))
    python3 -c '
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
old = db.execute("SELECT count(*) FROM points WHERE ts_ms < ?", (int(sys.argv[2]) - 86400000 - 300000,)).fetchone()[0]
sys.exit(1 if old else 0)' "$DB" "$NOW" && break
done
check "later passes roll up the rest and prune past the retention" python3 -c '
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
now = int(sys.argv[2])
assert db.execute("SELECT count(*) FROM points WHERE ts_ms < ?", (now - 86400000 - 300000,)).fetchone()[0] == 0
lo, n = db.execute("SELECT min(ts_ms), count(*) FROM rollups WHERE step_ms = 300000").fetchone()
assert n > 150 * 100 and lo >= now - 36 * 3600000 - 300000, (lo, n)
' "$DB" "$NOW"
STREAMTOP_NOW_MS=$NOW "$BIN" --db "$DB" -c "$T/ret.ini" history load7 --metric "$(python3 -c '
import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("SELECT name FROM metrics WHERE id = 2").fetchone()[0])' "$DB")" \
    --since 2d -f json >"$T/h.json"
check "history over the range gives rollups as [start, last, min, max], then raw points" python3 -c '
import json, sys
pts = list(json.load(open(sys.argv[1]))["streams"][0]["history"].values())[0]
assert len(pts[0]) == 4 and len(pts[-1]) == 2, (pts[0], pts[-1])
assert pts[0][2] <= pts[0][1] <= pts[0][3], pts[0]
' "$T/h.json"

# A full disk: a small tmpfs (as root, or in a user namespace), filled up
cat >"$T/full.sh" <<'SH'
mnt=$1
mount -t tmpfs -o size=512k tmpfs "$mnt" || exit 0
STREAMTOP_NOW_MS=$NOW "$BIN" --db "$mnt/full.db" -c "$CFG" check >/dev/null 2>&1
dd if=/dev/zero of="$mnt/fill" bs=4096 >/dev/null 2>&1
STREAMTOP_NOW_MS=$((NOW + 60000)) "$BIN" --db "$mnt/full.db" -c "$CFG" check >/dev/null 2>"$T/full.err"
echo $? >"$T/full.rc"
umount "$mnt"
SH
mkdir -p "$T/mnt"
export BIN CFG NOW T
if [ "$(id -u)" = 0 ]; then
    sh "$T/full.sh" "$T/mnt" 2>/dev/null
elif command -v unshare >/dev/null 2>&1 && unshare -r -m true 2>/dev/null; then
    unshare -r -m sh "$T/full.sh" "$T/mnt" 2>/dev/null
fi
if [ -f "$T/full.rc" ]; then
    check "a full disk exits 3" test "$(cat "$T/full.rc")" -eq 3
    contains "and says no space left on device" "$T/full.err" "no space left on device"
    contains "with the database's path" "$T/full.err" "$T/mnt/full.db"
else
    skip "a full disk exits 3 (no small tmpfs can be mounted here)"
fi
