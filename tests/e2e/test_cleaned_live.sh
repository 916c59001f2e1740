#!/bin/sh
# A Delta log cleaned past its checkpoint, written live (tests/spark/make_cleaned.py: a
# streaming query into Delta 4.0, then Delta's own MetadataCleanup deletes every commit that had
# the metaData or the query's txn): streamtop's export gives the schema and sink_lag_batches
# that Spark and Delta report in the same run (DeltaLog.forTable, OffsetSeqLog), and, with the
# checksums removed, a warning naming the folder instead of a figure. Part of the live suite:
# skipped by `make check-fast` (STREAMTOP_SKIP_LIVE=1) and without .venv/spark4; run it under
# the machine's Spark lock where there is one, like tests/e2e/test_spark.sh.
. tests/e2e/lib.sh

ROOT=${STREAMTOP_ROOT:-$(pwd)}
PY="$ROOT/.venv/spark4/bin/python"
if [ "${STREAMTOP_SKIP_LIVE:-}" = 1 ]; then
    skip "cleaned Delta log, live (STREAMTOP_SKIP_LIVE=1, make check-fast)"
    exit 0
fi
if ! command -v java >/dev/null 2>&1 || [ ! -x "$PY" ] || ! "$PY" -c 'import pyspark, delta' 2>/dev/null ||
    [ ! -f "$ROOT/.cache/jars/spark4/.stamp" ]; then
    skip "cleaned Delta log, live: no java, .venv/spark4 or .cache/jars/spark4 (run make deps)"
    exit 0
fi
if ! timeout -k 10 240 nice "$PY" "$ROOT/tests/spark/make_cleaned.py" "$T/gen" >"$T/gen.out" 2>"$T/gen.err"; then
    notok "Delta writes and cleans the log (tests/spark/make_cleaned.py)" "$(tail -20 "$T/gen.err")"
    exit 0
fi
ok "Delta writes and cleans the log ($(cat "$T/gen.out"))"
cat >"$T/st.ini" <<INI
[stream cleaned]
checkpoint = $T/gen/checkpoint
sink = $T/gen/table
INI
mkdir -p "$T/nocrc/_delta_log"
for f in "$T"/gen/table/_delta_log/*; do
    case $f in *.crc) ;; *) [ -f "$f" ] && cp "$f" "$T/nocrc/_delta_log/" ;; esac
done
printf '\n[stream nocrc]\ncheckpoint = %s\nsink = %s\n' "$T/gen/checkpoint" "$T/nocrc" >>"$T/st.ini"
"$BIN" -c "$T/st.ini" --db :memory: export -f json >"$T/out.json"
check "export exits 0" test $? -eq 0
check "schema fields and sink_lag_batches = what Delta and Spark read in the same run" python3 -c '
import json, sys
s = {x["name"]: x for x in json.load(open(sys.argv[1]))["streams"]}
want = json.load(open(sys.argv[2]))
def lines(fields, prefix=""):
    for f in fields:
        p = prefix + f["name"]
        t = f["type"] if isinstance(f["type"], str) else "struct"
        yield "%s: %s%s" % (p, t, "" if f["nullable"] else " not null")
        if not isinstance(f["type"], str):
            yield from lines(f["type"]["fields"], p + ".")
c = s["cleaned"]
assert not c["errors"] and not c["warnings"], (c["errors"], c["warnings"])
assert c["query_id"] == want["query_id"], c["query_id"]
assert c["schema"]["sink"]["fields"] == list(lines(want["delta"]["fields"])), c["schema"]
txn = want["delta"]["transactions"][want["query_id"]]
assert c["metrics"]["last_batch_id"] == want["last_batch_id"], c["metrics"]
assert c["metrics"]["sink_lag_batches"] == want["last_batch_id"] - txn, (c["metrics"], txn)
n = s["nocrc"]
assert n["metrics"]["sink_lag_batches"] is None, n["metrics"]
assert any(sys.argv[3] in w and "schema is unknown" in w for w in n["warnings"]), n["warnings"]
assert any(sys.argv[3] in w and "sink_lag_batches unmeasurable" in w for w in n["warnings"]), n["warnings"]
' "$T/out.json" "$T/gen/expected.json" "$T/nocrc/_delta_log"
