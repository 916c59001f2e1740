#!/bin/sh
# Azure paths (abfss://, wasbs://) against Azurite on 127.0.0.1 (the Blob REST API, Shared Key
# and SAS checked): the simulated pipeline and real Delta logs on local disk and on Azurite give
# identical exports; 2,000 dead-letter blobs page through List Blobs markers (maxresults 100)
# and fan out over their run folders; Shared Key and an account SAS both work; a wrong key or an
# expired SAS fails the Azure streams only with the service's code, and no secret shows in any
# output, log, `config check` or the state DB. Against a double: a service principal and a
# managed identity (token endpoints as documented), a token fetched once per process; non-XML,
# truncated and looping listings, a missing container and a silent endpoint give clear errors
# on their stream only, within the timeout. Skips when node or Azurite is not there.
. tests/e2e/lib.sh
. tests/azure/azlib.sh
trap 'az_stop; [ -n "${dbl:-}" ] && kill "$dbl" 2>/dev/null; rm -rf "$T"' EXIT
unset AZURE_STORAGE_KEY AZURE_STORAGE_SAS_TOKEN AZURE_STORAGE_CONNECTION_STRING AZURE_TENANT_ID \
    AZURE_CLIENT_ID AZURE_CLIENT_SECRET AZURE_AUTHORITY_HOST
export HOME="$T/home"
mkdir -p "$HOME"

if ! command -v node >/dev/null 2>&1; then
    skip "Azure tests (node is not installed; make deps installs it)"
    exit 0
fi
if ! az_start "$T/azurite" 2>"$T/azstart.err"; then
    if [ -f "$AZ_HOME/node_modules/azurite/dist/src/blob/main.js" ]; then
        notok "Azurite starts" "$(cat "$T/azstart.err")"
    else
        skip "Azure tests (Azurite is not installed: make deps runs npm ci in tests/azure)"
    fi
    exit 0
fi
ok "Azurite starts on 127.0.0.1:$AZ_PORT"
AZ=abfss://lake@devstoreaccount1.dfs.core.windows.net

"$BIN" simulate "$T/sim" --streams 3 --batches 20 >/dev/null
# Dead letters: a badRecordsPath layout of 2,000 blobs under two run folders (List Blobs
# markers at 100 a page, fan-out over the runs).
python3 - "$T/sim/deadletter" <<'PY'
import json, os, sys
root = sys.argv[1]
for r in range(2):
    d = os.path.join(root, "orders", "2026112%dT101500" % r, "bad_records")
    os.makedirs(d, exist_ok=True)
    for i in range(1000):
        with open(os.path.join(d, "part-%05d-4f1c.json" % i), "w") as f:
            f.write(json.dumps({"path": "abfss://lake/in/%d-%d.json" % (r, i), "reason":
                                "MalformedJsonException: line %d" % i, "record": "{oops"}) + "\n")
PY
# Blob storage sets Last-Modified at the upload: the local copy takes the blobs' times
n=$(python3 tests/azure/seed.py "$T/sim" "$AZ_EP" lake sim --sync-mtime \
    --replace "file://$T/sim" "$AZ/sim" --replace "$T/sim" "$AZ/sim")
check "the pipeline is on Azurite ($n blobs)" test "$n" -gt 2500
sed "s#$T/sim#$AZ/sim#g" "$T/sim/streamtop.ini" >"$T/az.ini"
DELTA="$FIXTURES/delta-logs/delta-0.2.0"
TABLE=
if [ -d "$DELTA/_delta_log" ]; then
    cp -r "$DELTA" "$T/delta"
    python3 tests/azure/seed.py "$T/delta" "$AZ_EP" lake tables/events --sync-mtime >/dev/null
    printf '\n[stream table]\nsink = %s\n' "$T/delta" >>"$T/sim/streamtop.ini"
    printf '\n[stream table]\nsink = wasbs://lake@devstoreaccount1.blob.core.windows.net/tables/events\n' >>"$T/az.ini"
    TABLE=table
else
    skip "a real Delta log from the shared fixtures on Azurite (not found at $FIXTURES)"
fi
# A Delta log written by Delta 4.0.0 (tests/fixtures/live/), cleaned past its checkpoint
cp -r tests/fixtures/live/spark-4.0.0/cleaned "$T/cleaned"
python3 tests/azure/seed.py "$T/cleaned" "$AZ_EP" lake tables/cleaned --sync-mtime >/dev/null
printf '\n[stream cleaned]\nsink = %s\n' "$T/cleaned" >>"$T/sim/streamtop.ini"
printf '\n[stream cleaned]\nsink = %s/tables/cleaned\n' "$AZ" >>"$T/az.ini"
printf '\n[azure]\nendpoint = %s\npage_size = 100\n' "$AZ_EP" >>"$T/az.ini"

STREAMTOP_NOW_MS=$(($(date +%s) * 1000 + 60000))
export STREAMTOP_NOW_MS
AZURE_STORAGE_KEY=$AZ_KEY "$BIN" -vv -c "$T/az.ini" --db "$T/az.db" export -f json \
    >"$T/key.json" 2>"$T/key.err"
check "export from Azurite with the Shared Key exits 0" test $? -eq 0
contains "2,000 dead letters take several List Blobs pages (markers)" "$T/key.err" \
    "azure: list $AZ/sim/deadletter/orders/2026112"
contains "and pages go on with a marker" "$T/key.err" "(next page)"
contains "a large listing fans out over its run folders" "$T/key.err" \
    "azure: $AZ/sim/deadletter/orders/: fan out over 2 prefixes"
SAS=$(python3 tests/azure/sas.py 2020-01-01T00:00:00Z 2099-01-01T00:00:00Z)
AZURE_STORAGE_SAS_TOKEN=$SAS "$BIN" -c "$T/az.ini" --db :memory: export -f json >"$T/sas.json" \
    2>"$T/sas.err"
check "export from Azurite with an account SAS exits 0" test $? -eq 0
"$BIN" -c "$T/sim/streamtop.ini" --db "$T/local.db" export -f json >"$T/local.json"
for f in key sas; do
    check "the same pipeline on local disk and on Azurite ($f) gives identical exports" python3 -c '
import json, sys
a = json.load(open(sys.argv[1]))["streams"]
b = json.load(open(sys.argv[2]))["streams"]
assert [x["name"] for x in a] == [x["name"] for x in b]
for x, y in zip(a, b):
    assert x["errors"] == y["errors"] == [], (x["name"], x["errors"], y["errors"])
    assert x["metrics"] == y["metrics"], (x["name"], {k: (v, y["metrics"][k]) for k, v in x["metrics"].items() if v != y["metrics"][k]})
    for k in ("status", "query_id", "sources", "schema", "origins", "sink", "alerts"):
        if k == "alerts":
            assert [(z["rule"], z["level"]) for z in x[k]] == [(z["rule"], z["level"]) for z in y[k]], (x["name"], x[k], y[k])
        else:
            assert x.get(k) == y.get(k), (x["name"], k, x.get(k), y.get(k))
    assert len(x["deadletter"]) == len(y["deadletter"])
    for d, e in zip(x["deadletter"], y["deadletter"]):
        for k in ("files", "bytes", "layout", "newest_at"):
            assert d.get(k) == e.get(k), (x["name"], k, d.get(k), e.get(k))
        ds, es = d.get("sample") or {}, e.get("sample") or {}
        # the sample is the newest file; uploads share whole seconds, so among the 2,000 the
        # newest is a tie broken by listing order: the same kind of record, not the same file
        if x["name"] == "orders":
            assert ds["reason"].startswith("MalformedJsonException") and es["reason"].startswith("MalformedJsonException"), (ds, es)
        else:
            assert {k: v for k, v in ds.items() if k != "file"} == {k: v for k, v in es.items() if k != "file"}, (ds, es)
s = {x["name"]: x for x in a}
assert s["orders"]["deadletter"][0]["layout"] == "badRecordsPath", s["orders"]["deadletter"]
assert s["orders"]["metrics"]["deadletter_files"] >= 2000, s["orders"]["metrics"]
assert s["orders"]["metrics"]["last_batch_id"] is not None
assert s["cleaned"]["schema"] is not None, s["cleaned"]
if sys.argv[3]:
    assert s["table"]["metrics"]["schema_version"] is not None, s["table"]
' "$T/$f.json" "$T/local.json" "$TABLE"
done

AZURE_STORAGE_CONNECTION_STRING="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$AZ_KEY;BlobEndpoint=$AZ_EP;" \
    "$BIN" discover "$AZ/sim/checkpoints" >"$T/disc.ini" 2>&1
contains "discover finds checkpoints on Azure (connection string)" "$T/disc.ini" \
    "checkpoint = $AZ/sim/checkpoints/orders"

# A wrong key on one stream (its own azure_account_key) and an expired SAS on another (its own
# azure_sas_token): each fails alone with the service's code; no secret anywhere.
WRONG="Zm9vYmFyU2VjcmV0S2V5VGhhdElzV3Jvbmc5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OQ=="
OLD=$(python3 tests/azure/sas.py 2020-01-01T00:00:00Z 2021-01-01T00:00:00Z)
sed -e 's#^\[stream clicks\]#[stream clicks]\nazure_account_key = ${WRONG_KEY}#' \
    -e 's#^\[stream payments\]#[stream payments]\nazure_sas_token = ${OLD_SAS}#' \
    "$T/az.ini" >"$T/wrong.ini"
WRONG_KEY=$WRONG OLD_SAS=$OLD AZURE_STORAGE_KEY=$AZ_KEY "$BIN" -vv -c "$T/wrong.ini" \
    --db "$T/wrong.db" export -f json >"$T/wrong.json" 2>"$T/wrong.err"
check "export exits 0 with a wrong key and an expired SAS on two streams" test $? -eq 0
check "a wrong key and an expired SAS: the service's code and HTTP 403 on their streams only" \
    python3 -c '
import json, sys
s = {x["name"]: x for x in json.load(open(sys.argv[1]))["streams"]}
for name in ("clicks", "payments"):
    x = s[name]
    assert x["status"] == "unknown", (name, x["status"])
    assert any("abfss://lake@devstoreaccount1.dfs.core.windows.net/sim/" in e and "(HTTP 403)" in e
               and ("AuthorizationFailure" in e or "AuthenticationFailed" in e) for e in x["errors"]), x["errors"]
for name, x in s.items():
    if name not in ("clicks", "payments"):
        assert x["errors"] == [], (name, x["errors"])
' "$T/wrong.json"
WRONG_KEY=$WRONG OLD_SAS=$OLD AZURE_STORAGE_KEY=$AZ_KEY "$BIN" -c "$T/wrong.ini" \
    --db "$T/wrong.db" export -f prom >"$T/wrong.prom" 2>&1
AZURE_STORAGE_SAS_TOKEN=$OLD "$BIN" -c "$T/az.ini" --db :memory: export -f json \
    >"$T/expired.json" 2>"$T/expired.err"
check "an expired account SAS for every stream: the service's code and HTTP 403" python3 -c '
import json, sys
for x in json.load(open(sys.argv[1]))["streams"]:
    assert any("(HTTP 403)" in e and "Authorization" in e for e in x["errors"]), x["errors"]
' "$T/expired.json"
printf '\n[azure]\naccount_key = ${WRONG_KEY}\nsas_token = ${OLD_SAS}\n' >"$T/cc.ini"
sed -n '/^\[stream orders\]/,/^$/p' "$T/az.ini" >>"$T/cc.ini"
WRONG_KEY=$WRONG OLD_SAS=$OLD "$BIN" -c "$T/wrong.ini" config check >>"$T/cc.out" 2>&1
WRONG_KEY=$WRONG OLD_SAS=$OLD "$BIN" -c "$T/cc.ini" config check >>"$T/cc.out" 2>&1
contains "config check accepts abfss:// paths and hides the key and the SAS" "$T/cc.out" \
    "azure_account_key  = (set, hidden)"
SIG=$(printf '%s' "$OLD" | sed 's/.*sig=//')
leak=
for f in "$T/wrong.json" "$T/wrong.err" "$T/wrong.prom" "$T/expired.json" "$T/expired.err" \
    "$T/cc.out" "$T/key.err" "$T/sas.err" "$T/wrong.db" "$T/az.db"; do
    grep -aqF -e "$WRONG" -e "$AZ_KEY" -e "$SIG" "$f" && leak="$leak $f"
    grep -aqF -e "${WRONG%????????????????????}" -e "${AZ_KEY%????????????????????}" "$f" &&
        leak="$leak $f"
done
check "no key or SAS signature in JSON, Prometheus, -vv logs, config check or the state DB" \
    test -z "$leak"
az_stop

# Tokens and broken answers, from a double
python3 tests/azure/azdouble.py "$T/dbl.port" --seconds 60 --record "$T/tokens" &
dbl=$!
i=0
while [ ! -s "$T/dbl.port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
D="http://127.0.0.1:$(cat "$T/dbl.port")"
cat >"$T/oauth.ini" <<INI
[global]
timeout = 1s
[azure]
endpoint = $D/devstoreaccount1
authority_host = $D
identity_endpoint = $D/metadata/identity/oauth2/token
[stream one]
deadletter = $AZ/dlq/one
[stream two]
deadletter = wasbs://oauth@devstoreaccount1.blob.core.windows.net/dlq/two
INI
sed -i "s#abfss://lake@#abfss://oauth@#" "$T/oauth.ini"
AZURE_TENANT_ID=tenant1 AZURE_CLIENT_ID=app1 AZURE_CLIENT_SECRET=good-client-secret \
    "$BIN" -c "$T/oauth.ini" --db :memory: export -f json >"$T/sp.json" 2>"$T/sp.err"
check "a service principal's token reads both streams, fetched once" python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))["streams"]
assert all(x["errors"] == [] and x["metrics"]["deadletter_files"] == 1 for x in s), s
assert open(sys.argv[2]).read().split() == ["sp"], open(sys.argv[2]).read()
' "$T/sp.json" "$T/tokens"
: >"$T/tokens"
AZURE_TENANT_ID=tenant1 AZURE_CLIENT_ID=app1 AZURE_CLIENT_SECRET=Wr0ngClientS3cret \
    "$BIN" -vv -c "$T/oauth.ini" --db :memory: export -f json >"$T/spbad.json" 2>"$T/spbad.err"
check "a wrong client secret: invalid_client and HTTP 401, the secret nowhere" python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))["streams"]
for x in s:
    assert any("invalid_client" in e and "HTTP 401" in e for e in x["errors"]), x["errors"]
text = open(sys.argv[1]).read() + open(sys.argv[2]).read()
assert "Wr0ngClientS3cret" not in text
assert len(open(sys.argv[3]).read().split()) == 1  # a failed fetch is not asked again at once
' "$T/spbad.json" "$T/spbad.err" "$T/tokens"
AZURE_TENANT_ID=tenant1 AZURE_CLIENT_ID=wrong-app AZURE_CLIENT_SECRET=good-client-secret \
    "$BIN" -c "$T/oauth.ini" --db :memory: export -f json >"$T/spperm.json" 2>&1
check "an identity without the role: AuthorizationPermissionMismatch (HTTP 403)" python3 -c '
import json, sys
for x in json.load(open(sys.argv[1]))["streams"]:
    assert any("AuthorizationPermissionMismatch (HTTP 403)" in e for e in x["errors"]), x["errors"]
' "$T/spperm.json"
: >"$T/tokens"
"$BIN" -c "$T/oauth.ini" --db :memory: export -f json >"$T/mi.json" 2>&1
check "no keys and no service principal: the managed identity's token, fetched once" python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))["streams"]
assert all(x["errors"] == [] and x["metrics"]["deadletter_files"] == 1 for x in s), s
assert open(sys.argv[2]).read().split() == ["mi"], open(sys.argv[2]).read()
' "$T/mi.json" "$T/tokens"

cat >"$T/bad.ini" <<INI
[global]
timeout = 1s
[azure]
endpoint = $D/devstoreaccount1
account_key = $AZ_KEY
[stream notxml]
deadletter = abfss://notxml@devstoreaccount1.dfs.core.windows.net/dlq
[stream truncated]
deadletter = abfss://truncated@devstoreaccount1.dfs.core.windows.net/dlq
[stream loop]
deadletter = abfss://loop@devstoreaccount1.dfs.core.windows.net/dlq
[stream stall]
deadletter = abfss://stall@devstoreaccount1.dfs.core.windows.net/dlq
[stream missing]
checkpoint = abfss://nocontainer@devstoreaccount1.dfs.core.windows.net/cp
[stream hns]
deadletter = abfss://hns@devstoreaccount1.dfs.core.windows.net/dlq
[stream hnsdir]
source = abfss://hns@devstoreaccount1.dfs.core.windows.net/dlq/dir
INI
"$BIN" -c "$T/bad.ini" --db :memory: export -f json >"$T/bad.json" 2>"$T/bad.err"
check "export exits 0 with broken Azure answers" test $? -eq 0
check "non-XML, truncated, a marker loop, a silent endpoint, a missing container: clear errors" \
    python3 -c '
import json, sys
s = {x["name"]: x for x in json.load(open(sys.argv[1]))["streams"]}
def err(n):
    assert s[n]["status"] == "unknown", (n, s[n])
    return " ".join(s[n]["errors"])
e = err("notxml")
assert "abfss://notxml@devstoreaccount1.dfs.core.windows.net/dlq" in e and "not a List Blobs" in e and "\x1b" not in e, e
e = err("truncated")
assert "abfss://truncated@" in e and "not a List Blobs" in e, e
e = err("loop")
assert "abfss://loop@" in e and "repeated continuation token" in e and "m1" in e, e
e = err("stall")
assert "abfss://stall@" in e and "timed out after 1000 ms" in e, e
e = err("missing")
assert "abfss://nocontainer@devstoreaccount1.dfs.core.windows.net/cp" in e and "ContainerNotFound (HTTP 404)" in e, e
' "$T/bad.json"
check "ADLS Gen2 folders (hdi_isfolder) are folders: not counted as files, read as a directory" \
    python3 -c '
import json, sys
s = {x["name"]: x for x in json.load(open(sys.argv[1]))["streams"]}
h = s["hns"]
assert h["errors"] == [] and h["metrics"]["deadletter_files"] == 1, h
d = s["hnsdir"]
assert d["errors"] == [], d["errors"]
' "$T/bad.json"
kill "$dbl" 2>/dev/null
wait "$dbl" 2>/dev/null
dbl=
