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
timeout 10 "$BIN" "$T/typo" </dev/null >/dev/null 2>"$T/e.txt"
check "streamtop /typo without a terminal exits 3 at once" test $? -eq 3
contains "and names the missing path" "$T/e.txt" "$T/typo: no such file or directory"
"$BIN" --foo </dev/null >/dev/null 2>"$T/e.txt"
check "an unknown global option exits 3" test $? -eq 3
contains "and is reported as streamtop's" "$T/e.txt" "streamtop: unknown option '--foo'"
check "not as watch's" sh -c "! grep -q 'watch:' '$T/e.txt'"
"$BIN" watch --foo </dev/null >/dev/null 2>"$T/e.txt"
contains "an unknown option of a named command names it" "$T/e.txt" "watch: unknown option '--foo'"

cat >"$T/c.ini" <<INI
[global]
refresh = 5s
[stream orders]
checkpoint = file://$T/ck/orders
labels = team=payments
INI
mkdir -p "$T/ck/orders"
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

# config check: a configured local path that does not exist is a warning (exit 1) naming it;
# a scheme no storage backend reads is an error naming the line
cat >"$T/miss.ini" <<INI
[stream orders]
checkpoint = $T/ck/orders
source = $T/landing/typo
deadletter = $T/ck, $T/bad/typo
[stream clicks]
checkpoint = s3://bucket/ck/clicks
progress = https://driver:4040/metrics/json
INI
"$BIN" -c "$T/miss.ini" config check >/dev/null 2>"$T/e.txt"
check "config check warns about missing paths with exit 1" test $? -eq 1
contains "naming the source" "$T/e.txt" "[stream orders] (line 1) source $T/landing/typo: no such file or directory"
contains "and the dead-letter prefix" "$T/e.txt" "deadletter $T/bad/typo: no such file or directory"
check "but not the paths that exist, nor s3:// or URLs" test "$(wc -l <"$T/e.txt")" -eq 2
for url in gs://bkt/ck abfss://ck@acct.dfs.core.windows.net/ck wasbs://ck@acct.blob.core.windows.net/ck; do
    printf '[stream a]\ncheckpoint = %s\nprogress = %s/p.jsonl\n' "$url" "$url" >"$T/sch.ini"
    "$BIN" -c "$T/sch.ini" config check >"$T/o.txt" 2>"$T/e.txt"
    check "config check accepts ${url%%://*}:// paths (exit 0)" test $? -eq 0
done
for scheme in hdfs ftp; do
    printf '[stream a]\ncheckpoint = %s\n\n[stream b]\n; other storage\ncheckpoint = %s://acct/ck\n' "$T/ck/orders" "$scheme" >"$T/sch.ini"
    "$BIN" -c "$T/sch.ini" config check >/dev/null 2>"$T/e.txt"
    check "config check rejects $scheme:// with exit 3" test $? -eq 3
    contains "naming the line and the scheme" "$T/e.txt" "$T/sch.ini:6: [stream b]: checkpoint: no storage backend for the '$scheme://' scheme"
done
printf '[stream a]\ncheckpoint = %s\nprogress = hdfs://b/p.json\n' "$T/ck/orders" >"$T/sch.ini"
"$BIN" -c "$T/sch.ini" config check >/dev/null 2>"$T/e.txt"
contains "progress takes http(s):// URLs but no other scheme" "$T/e.txt" "sch.ini:3: [stream a]: progress: no storage backend for the 'hdfs://' scheme"

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
    contains "streamtop PATH watches a checkpoint" "$T/w.txt" "khanh-kafka-debezium-retained-520-620     620     619"
    check "the fixtures were not written to" sh -c "[ -z \"\$(find '$FIXTURES' -newer '$T/c.ini' -print -quit)\" ]"
else
    skip "real fixtures not found at $FIXTURES"
fi
