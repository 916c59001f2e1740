#!/bin/sh
# A PrometheusServlet page served on 127.0.0.1; an HTTP 500 and a slow endpoint give errors on
# their stream only, within the configured timeout. Spark's UI redirects the servlet's path to
# the same path with a slash: followed; a redirect to another host, or in a loop, is an error.
. tests/e2e/lib.sh

python3 tests/e2e/httpd.py "$T/port" --max-requests 20 --seconds 60 &
srv=$!
i=0
while [ ! -s "$T/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
PORT=$(cat "$T/port")
"$BIN" simulate "$T/sim" --streams 1 --batches 20 >/dev/null
cat >"$T/c.ini" <<INI
[global]
timeout = 2s
[stream orders]
checkpoint = $T/sim/checkpoints/orders
progress = http://127.0.0.1:$PORT/metrics/prometheus
[stream broken]
checkpoint = $T/sim/checkpoints/orders
progress = http://127.0.0.1:$PORT/500
[stream slow]
checkpoint = $T/sim/checkpoints/orders
progress = http://127.0.0.1:$PORT/slow
[stream orders_ui]
checkpoint = $T/sim/checkpoints/orders
progress = http://127.0.0.1:$PORT/ui/metrics/prometheus
[stream away]
checkpoint = $T/sim/checkpoints/orders
progress = http://127.0.0.1:$PORT/away
[stream loop]
checkpoint = $T/sim/checkpoints/orders
progress = http://127.0.0.1:$PORT/loop
INI
"$BIN" -c "$T/c.ini" export >"$T/out.json"
check "export exits 0" test $? -eq 0
check "servlet gauges become metrics; 500 and timeout are errors naming the URL" python3 -c '
import json, sys
s = {x["name"]: x for x in json.load(open(sys.argv[1]))["streams"]}
o = s["orders"]
assert o["status"] == "ok", o["errors"]
m = o["metrics"]
assert m["input_rows_per_second"] == 12.5 and m["processed_rows_per_second"] == 30, m
assert m["batch_duration_seconds"] == 1.5 and o["origins"]["batch_duration_seconds"] == "progress"
b = s["broken"]
assert b["status"] == "unknown" and "/500: HTTP 500" in b["errors"][0], b["errors"]
assert b["metrics"]["last_batch_id"] is not None  # the checkpoint figures are still there
w = s["slow"]
assert w["status"] == "unknown" and "/slow: timed out after 2000 ms" in w["errors"][0], w["errors"]
' "$T/out.json"
check "a redirect to the same path with a slash (Spark UI) is followed; to another host or in a loop it is an error" python3 -c '
import json, sys
s = {x["name"]: x for x in json.load(open(sys.argv[1]))["streams"]}
u = s["orders_ui"]
assert u["status"] == "ok", u["errors"]
assert u["metrics"]["input_rows_per_second"] == 12.5 and u["origins"]["input_rows_per_second"] == "progress", u
a = s["away"]
assert a["status"] == "unknown" and "/away: HTTP 302 (a redirect to another scheme, host or port is not followed)" in a["errors"][0], a["errors"]
assert "localhost" not in a["errors"][0], a["errors"]
l = s["loop"]
assert l["status"] == "unknown" and "/loop: more than 3 redirects" in l["errors"][0], l["errors"]
' "$T/out.json"
kill $srv 2>/dev/null
wait $srv 2>/dev/null
exit 0
