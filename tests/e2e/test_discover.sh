#!/bin/sh
# discover prints [stream] stanzas for the checkpoints under a folder that work pasted into a
# config; `streamtop watch FOLDER` discovers them directly.
. tests/e2e/lib.sh
"$BIN" simulate "$T/sim" --streams 3 --batches 20 >/dev/null
"$BIN" discover "$T/sim" >"$T/found.ini" 2>"$T/err"
check "discover exits 0" test $? -eq 0
contains "it finds a checkpoint" "$T/found.ini" "checkpoint = $T/sim/checkpoints/orders"
contains "and guesses its landing folder from the file-source log" "$T/found.ini" \
    "source     = $T/sim/landing/orders"
check "the stanzas are a valid config" "$BIN" -c "$T/found.ini" config check
export STREAMTOP_NOW_MS=1795440000000
"$BIN" -c "$T/found.ini" --db :memory: export >"$T/a.json"
"$BIN" -c "$T/sim/streamtop.ini" --db :memory: export >"$T/b.json"
check "the discovered streams measure the same backlog as the simulator's own config" python3 -c '
import json, sys
a = {s["name"]: s["metrics"] for s in json.load(open(sys.argv[1]))["streams"]}
b = {s["name"]: s["metrics"] for s in json.load(open(sys.argv[2]))["streams"]}
assert set(a) == set(b), (set(a), set(b))
for n in a:
    for m in ("last_batch_id", "backlog_files", "backlog_age_seconds"):
        assert a[n][m] == b[n][m], (n, m, a[n][m], b[n][m])
' "$T/a.json" "$T/b.json"
"$BIN" --db :memory: watch -n 1 "$T/sim" >"$T/w.txt"
check "watch FOLDER watches every checkpoint under it" sh -c "grep -q '^ok *orders' '$T/w.txt' && grep -q '^ok *clicks' '$T/w.txt'"
(cd "$T" && "$BIN" discover ./sim >"$T/rel.ini")
contains "discover writes absolute paths for a relative folder" "$T/rel.ini" "checkpoint = $T/sim/checkpoints/orders"
check "and nothing relative" sh -c "! grep -q '= *\\./\\|= *sim/' '$T/rel.ini'"
(cd "$T/sim" && "$BIN" discover . >"$T/dot.ini")
contains "discover . too" "$T/dot.ini" "checkpoint = $T/sim/checkpoints/orders"
mkdir -p "$T/empty"
"$BIN" discover "$T/empty" >"$T/o" 2>"$T/e"
check "nothing found exits 1" test $? -eq 1
contains "and says so" "$T/e" "no checkpoint"

# A landing folder guessed from the file-source log that this machine does not have (the query
# ran elsewhere, on Windows here): a warning on the backlog, the checkpoint's figures still show.
mkdir -p "$T/win"
cp -r "$T/sim/checkpoints/orders" "$T/win/orders"
python3 - "$T/win/orders/sources/0" <<'PY'
import os, re, sys
d = sys.argv[1]
for n in os.listdir(d):
    if n.startswith("."):  # Hadoop .crc sidecars
        continue
    p = os.path.join(d, n)
    t = open(p).read()
    t = re.sub(r'"path":"file://[^"]*/(dt=[^"]*)"', r'"path":"file:/D:/lake/landing/orders/\1"', t)
    open(p, "w").write(t)
PY
"$BIN" --db :memory: export -f json "$T/win" >"$T/win.json" 2>"$T/win.err"
check "a guessed landing folder that is not here is a warning, not unknown" python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))["streams"][0]
assert s["status"] != "unknown", (s["status"], s["errors"])
assert not s["errors"], s["errors"]
assert any("D:/lake/landing/orders: guessed from the file-source log; not found here" in w
           for w in s["warnings"]), s["warnings"]
assert s["metrics"]["last_batch_id"] is not None and s["metrics"]["backlog_files"] is None, s["metrics"]
' "$T/win.json"
