#!/bin/sh
# The command line: version, help, global options anywhere, config check, zero-config use,
# real fixtures read in place.
. tests/e2e/lib.sh

out=$("$BIN" --version)
check "--version prints the version" test "$out" = "streamtop 0.1.0"
"$BIN" --help >"$T/help.txt"
contains "--help lists export" "$T/help.txt" "export"
contains "--help lists simulate" "$T/help.txt" "simulate"
"$BIN" frobnicate >/dev/null 2>"$T/e.txt"
check "an unknown command exits 3" test $? -eq 3
contains "and says so" "$T/e.txt" "unknown command 'frobnicate'"

cat >"$T/c.ini" <<INI
[global]
refresh = 5s
[stream orders]
checkpoint = file://$T/ck/orders
labels = team=payments
INI
"$BIN" config check -c "$T/c.ini" >"$T/check.txt"
check "config check accepts -c after the command" test $? -eq 0
contains "config check prints the resolved path" "$T/check.txt" "checkpoint         = $T/ck/orders"
contains "config check prints defaults" "$T/check.txt" "retention          = 14d00h"
STREAMTOP_CONFIG="$T/c.ini" "$BIN" config check >"$T/check2.txt"
contains "STREAMTOP_CONFIG is used" "$T/check2.txt" "[stream orders]"
mkdir -p "$T/xdg/streamtop" && cp "$T/c.ini" "$T/xdg/streamtop/config.ini"
"$BIN" config check >"$T/check3.txt"
contains "XDG_CONFIG_HOME/streamtop/config.ini is used" "$T/check3.txt" "config $T/xdg/streamtop/config.ini: ok"
rm -rf "$T/xdg"

if [ -d "$FIXTURES" ]; then
    K="$FIXTURES/user-checkpoints/khanh-kafka-debezium-retained-520-620"
    "$BIN" export -f json --checkpoint "$K" --name khanh >"$T/k.json"
    "$BIN" check --no-notify -f json --checkpoint "$K" --name khanh >"$T/kc.json"
    check "a real checkpoint exports without a config (critical: its last commit is old)" python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))["streams"][0]
c = json.load(open(sys.argv[2]))["streams"][0]
assert s["name"] == "khanh" and s["status"] == "critical" == c["status"], (s["status"], c)
assert "builtin:stalled" in [a["rule"] for a in s["alerts"]], s["alerts"]
assert s["query_id"] == "139ba637-8af9-49d4-833a-cb7525db441b"
m = s["metrics"]
assert m["last_batch_id"] == 620 and m["committed_batch_id"] == 619 and m["inflight_seconds"] > 0
assert s["sources"][0]["kind"] == "kafka"
assert s["sources"][0]["initial_offset"] == {"mysql_server.source_db.nyc_taxi": {"0": 0}}
' "$T/k.json" "$T/kc.json"
    "$BIN" "$K" -n 1 >"$T/w.txt"
    contains "streamtop PATH watches a checkpoint" "$T/w.txt" "khanh-kafka-debe     620     619"
    check "the fixtures were not written to" sh -c "[ -z \"\$(find '$FIXTURES' -newer '$T/c.ini' -print -quit)\" ]"
else
    skip "real fixtures not found at $FIXTURES"
fi
