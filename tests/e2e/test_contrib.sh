#!/bin/sh
# contrib/: the metric listing against what export -f prom writes; the Grafana dashboard is the
# generator's output and names only listed metrics; the Prometheus config and rules pass
# promtool (check and unit tests) and name only listed metrics, with the built-ins' defaults,
# and a real Prometheus scraping a simulated pipeline fires what the built-ins fire; the
# systemd units parse, pass systemd-analyze verify and pass only options streamtop takes.
. tests/e2e/lib.sh
C=contrib

"$BIN" metrics >"$T/metrics.txt"
check "metrics exits 0 and lists families" test -s "$T/metrics.txt"
cut -f1 "$T/metrics.txt" >"$T/names.txt"

"$BIN" simulate "$T/sim" --streams 6 --batches 40 >/dev/null 2>&1
"$BIN" -c "$T/sim/streamtop.ini" export -f prom >"$T/out.prom"
check "every family export -f prom writes is listed by metrics, with its type" python3 -c '
import sys
listed = {}
for line in open(sys.argv[1]):
    f = line.rstrip("\n").split("\t")
    assert len(f) == 7, f
    listed[f[0]] = f
exported = [l.split()[2:4] for l in open(sys.argv[2]) if l.startswith("# TYPE ")]
assert len(exported) > 20, exported
for name, kind in exported:
    assert name in listed, name + " is exported but not listed"
    assert listed[name][1] == kind, (name, kind, listed[name])
    assert listed[name][4] == "all", listed[name]
for f in listed.values():
    assert f[1] in ("gauge", "counter") and f[2] in ("seconds", "bytes", "count", "rate", "none"), f
    assert f[4] in ("all", "serve") and f[6], f
serve = sorted(n for n, f in listed.items() if f[4] == "serve")
assert serve == ["streamtop_last_pass_timestamp_seconds", "streamtop_pass_duration_seconds",
                 "streamtop_pass_errors_total"], serve
' "$T/metrics.txt" "$T/out.prom"
check "metrics rejects a word" sh -c "! '$BIN' metrics extra 2>/dev/null"

# ---- Grafana ---------------------------------------------------------------------------------
"$BIN" metrics --grafana >"$T/grafana.json"
check "the committed dashboard is the generator's output (make contrib regenerates it)" \
    cmp "$T/grafana.json" "$C/grafana/streamtop.json"
"$BIN" metrics --grafana -o "$T/grafana-o.json"
check "metrics --grafana -o writes the same file" cmp "$T/grafana.json" "$T/grafana-o.json"
check "the dashboard parses, has a stream variable and names only listed metrics" python3 -c '
import json, re, sys
names = set(open(sys.argv[2]).read().split())
d = json.load(open(sys.argv[1]))
var = {v["name"]: v for v in d["templating"]["list"]}
assert var["stream"]["query"]["query"] == "label_values(streamtop_stream_status, stream)", var
assert var["stream"]["multi"] and var["stream"]["includeAll"], var["stream"]
assert var["datasource"]["type"] == "datasource", var
ids = [p["id"] for p in d["panels"]]
assert len(ids) == len(set(ids)), "panel ids repeat"
rows = [p["title"] for p in d["panels"] if p["type"] == "row"]
for want in ("Health", "Batches", "Throughput", "Backlog", "Latency and freshness",
             "Dead letters", "streamtop serve"):
    assert want in rows, (want, rows)
used = set()
for p in d["panels"]:
    for t in p.get("targets", []):
        assert t["datasource"]["uid"] == "${datasource}", t
        found = re.findall(r"\bstreamtop_[a-z0-9_]+", t["expr"])
        assert found, t["expr"]
        for n in found:
            assert n in names, n + " (panel " + p["title"] + ") is not a listed metric"
        used.update(found)
for want in ("streamtop_backlog_files", "streamtop_commit_age_seconds",
             "streamtop_input_rows_per_second", "streamtop_landing_newest_age_seconds",
             "streamtop_stream_status", "streamtop_pass_duration_seconds",
             "streamtop_pass_errors_total", "streamtop_last_pass_timestamp_seconds"):
    assert want in used, want + " has no panel"
' "$C/grafana/streamtop.json" "$T/names.txt"

# ---- Prometheus ------------------------------------------------------------------------------
check "every streamtop metric the rules and the scrape config name is listed" python3 -c '
import re, sys
names = set(open(sys.argv[1]).read().split())
for path in sys.argv[2:]:
    text = open(path).read()
    for n in set(re.findall(r"\bstreamtop_[a-z0-9_]+", text)):
        if n in ("streamtop_rule",):  # an annotation, not a metric
            continue
        # kafka_partition_(a|b) in a relabel regex: each alternative must exist
        m = re.search(re.escape(n) + r"\(([a-z_|]+)\)", text)
        alts = [n + a for a in m.group(1).split("|")] if m else [n]
        for a in alts:
            assert a in names, path + ": " + a + " is not a listed metric"
' "$T/names.txt" "$C/prometheus/streamtop.rules.yml" "$C/prometheus/scrape.yml" \
    "$C/prometheus/streamtop.rules.test.yml"

printf '[global]\n' >"$T/empty.ini"
"$BIN" -c "$T/empty.ini" config check >"$T/defaults.txt" 2>&1
DEFAULTS_PY='
import re, sys
def secs(v):
    total, n = 0, ""
    for part in re.findall(r"(\d+(?:\.\d+)?)([dhms]?)", v):
        total += float(part[0]) * {"d": 86400, "h": 3600, "m": 60, "s": 1, "": 1}[part[1]]
    return total
defaults = {}
for line in open(sys.argv[2]):
    m = re.match(r"\s+(\w+)\s+= (\S+)$", line)
    if m:
        defaults[m.group(1)] = m.group(2)
text = open(sys.argv[1]).read()
blocks = re.findall(r"# builtin: ([^\n]+)\n(?:\s*#[^\n]*\n)*\s*- alert: (\w+)\n\s+expr: \|?\n?(.*?)\n\s+labels:", text, re.S)
assert len(blocks) >= 4, blocks
for keys, alert, expr in blocks:
    for kv in keys.split():
        k, v = kv.split("=")
        assert k in defaults, k
        assert secs(defaults[k]) == secs(v), (alert, k, v, defaults[k])
        tokens = set(re.findall(r"[0-9.]+[a-z]*", expr))
        want = {v, "%g" % secs(v)}
        assert tokens & want, (alert, k, v, "not in the expression")
'
check "the thresholds of the mirrored built-ins are [builtin]'s defaults" \
    python3 -c "$DEFAULTS_PY" "$C/prometheus/streamtop.rules.yml" "$T/defaults.txt"
sed 's/stalled_factor=3/stalled_factor=4/' "$C/prometheus/streamtop.rules.yml" >"$T/drift.yml"
check "a rule whose default drifted from [builtin]'s fails that check" \
    sh -c "! python3 -c \"\$1\" '$T/drift.yml' '$T/defaults.txt' 2>/dev/null" sh "$DEFAULTS_PY"

if command -v promtool >/dev/null 2>&1; then
    check "promtool check rules accepts the alerting rules" \
        promtool check rules "$C/prometheus/streamtop.rules.yml"
    check "promtool check config accepts the scrape config (and its rule file)" \
        promtool check config "$C/prometheus/scrape.yml"
    check "promtool test rules: the rules fire as the built-ins would, one alert per stream" \
        promtool test rules "$C/prometheus/streamtop.rules.test.yml"
    # the unit tests are not vacuous: a stalled limit ten times too high fails them
    mkdir "$T/mut"
    sed 's/clamp_min(3 \* streamtop_batch_interval_seconds, 60)/clamp_min(30 * streamtop_batch_interval_seconds, 600)/' \
        "$C/prometheus/streamtop.rules.yml" >"$T/mut/streamtop.rules.yml"
    cp "$C/prometheus/streamtop.rules.test.yml" "$T/mut/"
    check "promtool test rules fails on a mutated stalled rule" \
        sh -c "! promtool test rules '$T/mut/streamtop.rules.test.yml' >/dev/null 2>&1"
else
    skip "promtool is not installed (make deps installs the prometheus package): rules not checked"
fi

# ---- systemd ---------------------------------------------------------------------------------
check "the units parse as INI with the hardening in place" python3 -c '
import re, sys
need = {"DynamicUser": "yes", "ProtectSystem": "strict", "StateDirectory": "streamtop",
        "ProtectHome": "yes", "PrivateTmp": "yes", "NoNewPrivileges": "yes",
        "CapabilityBoundingSet": "", "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
        "SystemCallFilter": "@system-service", "MemoryDenyWriteExecute": "yes",
        "LockPersonality": "yes", "ExecReload": "/bin/kill -HUP $MAINPID",
        "Restart": "on-failure"}
for path in sys.argv[1:]:
    sections, section = {}, None
    for no, line in enumerate(open(path), 1):
        line = line.rstrip("\n")
        if not line.strip() or line.lstrip().startswith(("#", ";")):
            continue
        m = re.match(r"\[([A-Za-z]+)\]$", line)
        if m:
            section = sections.setdefault(m.group(1), {})
            continue
        m = re.match(r"([A-Za-z]+)=(.*)$", line)
        assert m and section is not None, "%s:%d: not INI: %r" % (path, no, line)
        section.setdefault(m.group(1), []).append(m.group(2))
    assert set(sections) == {"Unit", "Service", "Install"}, (path, sections.keys())
    svc = sections["Service"]
    for k, v in need.items():
        assert v in svc.get(k, []), (path, k, svc.get(k))
    assert len(svc["ExecStart"]) == 1 and " serve " in svc["ExecStart"][0] + " ", path
    assert "--db %S/streamtop/" in svc["ExecStart"][0], path
    if "@" in path:
        assert "--shard %i/${STREAMTOP_SHARDS}" in svc["ExecStart"][0], path
' "$C/systemd/streamtop.service" "$C/systemd/streamtop@.service"

# the options of ExecStart: global ones and serve's own, as the completion generated from the
# option tables lists them, once the serve command exists
OPTS_PY='
import re, sys
line, comp = sys.argv[1], open(sys.argv[2]).read()
m = re.search(r"^\s*serve\) opts=\"([^\"]*)\"", comp, re.M)
assert m, "no serve line in the completion"
known = set(m.group(1).split())
opts = [w for w in line.split()[1:] if w.startswith("-")]
assert opts, line
for o in opts:
    assert o.split("=")[0] in known, o + " is not an option of streamtop serve"
'
tmpl=$(sed -n 's/^ExecStart=//p' "$C/systemd/streamtop@.service")
printf '    serve) opts=" --listen -c --config --db" acts="" ;;\n' >"$T/fake-completion"
check "the option check refuses an option serve does not take (--shard here)" \
    sh -c "! python3 -c \"\$1\" '$tmpl' '$T/fake-completion' 2>/dev/null" sh "$OPTS_PY"
if "$BIN" serve --help >/dev/null 2>&1; then
    "$BIN" completion bash >"$T/completion.bash"
    for u in streamtop.service streamtop@.service; do
        line=$(sed -n 's/^ExecStart=//p' "$C/systemd/$u")
        check "$u: ExecStart passes only options streamtop serve takes" \
            python3 -c "$OPTS_PY" "$line" "$T/completion.bash"
    done
else
    skip "streamtop has no serve command yet: the units' serve options not checked"
fi

if command -v systemd-analyze >/dev/null 2>&1; then
    mkdir "$T/units"
    ABS=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
    for u in streamtop.service streamtop@.service; do
        sed "s#/usr/local/bin/streamtop#$ABS#" "$C/systemd/$u" >"$T/units/$u"
    done
    cp "$T/units/streamtop@.service" "$T/units/streamtop@2.service"
    out=$(cd "$T/units" && systemd-analyze verify --man=no ./streamtop.service ./streamtop@2.service 2>&1)
    rc=$?
    case $out in
    *"Failed to initialize manager"* | *"not been booted"* | *"Failed to connect"*)
        skip "systemd-analyze verify cannot run here: $(printf '%s' "$out" | head -1)" ;;
    *)
        # it warns about unknown keys and bad values but exits 0: any output is a failure
        if [ "$rc" -eq 0 ] && [ -z "$out" ]; then
            ok "systemd-analyze verify accepts both units without a warning"
        else
            notok "systemd-analyze verify accepts both units without a warning" "$out"
        fi ;;
    esac
    sed 's/^LockPersonality=yes/LockPersonalty=yes/' "$T/units/streamtop.service" >"$T/units/bad.service"
    out=$(cd "$T/units" && systemd-analyze verify --man=no ./bad.service 2>&1)
    case $out in
    *LockPersonalty*) ok "systemd-analyze verify reports a misspelt key (so silence above means clean)" ;;
    *"Failed to initialize manager"* | *"not been booted"* | *"Failed to connect"*) ;;
    *) notok "systemd-analyze verify reports a misspelt key" "$out" ;;
    esac
else
    skip "systemd-analyze is not installed: the units not verified"
fi

# ---- a real Prometheus: the rules on a simulated pipeline agree with the built-ins -----------
# Two targets serve the same export (a redundant pair); Prometheus scrapes them and evaluates
# streamtop.rules.yml every second; the alerts must be those the same pass's JSON lists, each
# stream once.
PROM=$(command -v prometheus || true)
if [ -z "$PROM" ]; then
    skip "prometheus is not installed (make deps installs it): rules not run on live scrapes"
    exit 0
fi
"$BIN" simulate "$T/fleet" --streams 9 --kind mixed >/dev/null 2>&1
now_ms=$(($(date +%s) * 1000))
mkdir -p "$T/www"
STREAMTOP_NOW_MS=$now_ms "$BIN" -c "$T/fleet/streamtop.ini" --db :memory: export -f prom \
    -o "$T/www/metrics"
STREAMTOP_NOW_MS=$now_ms "$BIN" -c "$T/fleet/streamtop.ini" --db :memory: export -f json \
    -o "$T/fleet.json"
# two bounded file servers on free loopback ports, and one port for Prometheus
python3 - "$T" <<'PY' &
import functools, http.server, socket, sys, threading, time
t = sys.argv[1]
h = functools.partial(http.server.SimpleHTTPRequestHandler, directory=t + "/www")
http.server.SimpleHTTPRequestHandler.log_message = lambda *a: None
servers = [http.server.ThreadingHTTPServer(("127.0.0.1", 0), h) for _ in range(2)]
s = socket.socket()
s.bind(("127.0.0.1", 0))
pport = s.getsockname()[1]
s.close()
with open(t + "/ports.tmp", "w") as f:
    f.write("%d %d %d\n" % (servers[0].server_port, servers[1].server_port, pport))
import os
os.rename(t + "/ports.tmp", t + "/ports")
for srv in servers:
    threading.Thread(target=srv.serve_forever, daemon=True).start()
time.sleep(90)
PY
www_pid=$!
i=0
while [ ! -s "$T/ports" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
read -r p1 p2 pp <"$T/ports"
cat >"$T/prometheus.yml" <<CFG
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $(pwd)/$C/prometheus/streamtop.rules.yml
scrape_configs:
  - job_name: streamtop-redundant
    honor_labels: false
    static_configs:
      - targets: ['127.0.0.1:$p1', '127.0.0.1:$p2']
CFG
"$PROM" --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/tsdb" \
    --web.listen-address="127.0.0.1:$pp" --log.level=error >"$T/prometheus.log" 2>&1 &
prom_pid=$!
check "Prometheus scrapes both targets and evaluates the rules; the alerts are the built-ins'" \
    python3 - "$pp" "$T/fleet.json" <<'PY'
import json, sys, time, urllib.request
port, doc = sys.argv[1], json.load(open(sys.argv[2]))
def get(path):
    with urllib.request.urlopen("http://127.0.0.1:%s%s" % (port, path), timeout=5) as r:
        return json.load(r)["data"]
mirror = {"StreamtopStalled": "builtin:stalled", "StreamtopBatchStuck": "builtin:batch-stuck",
          "StreamtopDeadletterGrowing": "builtin:deadletter-growing",
          "StreamtopSchemaChanged": "builtin:schema-changed",
          "StreamtopNoNewData": "builtin:no-new-data",
          "StreamtopStagingStale": "builtin:staging-stale",
          "StreamtopKafkaDataLost": "builtin:kafka-data-lost"}
status = {"StreamtopStreamWarning": "warning", "StreamtopStreamCritical": "critical",
          "StreamtopStreamUnknown": "unknown"}
want = {}
for s in doc["streams"]:
    for a in s["alerts"]:
        for name, rule in mirror.items():
            if a["rule"] == rule and a["level"] != "ok":
                want.setdefault(name, []).append(s["name"])
    for name, level in status.items():
        if s["status"] == level:
            want.setdefault(name, []).append(s["name"])
assert want.get("StreamtopStreamCritical"), want  # the simulation has a stalled stream
deadline, got, err = time.time() + 60, None, None
while time.time() < deadline:
    try:
        up = get("/api/v1/query?query=count(up%3D%3D1)")["result"]
        rules = get("/api/v1/rules")["groups"]
        # two rounds of scrapes and evaluations after both targets came up
        if up and up[0]["value"][1] == "2" and all(g["lastEvaluation"] > "2" for g in rules):
            time.sleep(3)
            got = {}
            for a in get("/api/v1/alerts")["alerts"]:
                if a["state"] == "firing":
                    got.setdefault(a["labels"]["alertname"], []).append(a["labels"]["stream"])
            break
    except Exception as e:  # not up yet
        err = e
    time.sleep(0.5)
assert got is not None, "Prometheus did not evaluate in time: %r" % err
got = {k: sorted(v) for k, v in got.items()}
want = {k: sorted(v) for k, v in want.items()}
assert got == want, "prometheus %r\nbuilt-ins  %r" % (got, want)
print(json.dumps(got, sort_keys=True))
PY
kill "$prom_pid" "$www_pid" 2>/dev/null
wait "$prom_pid" "$www_pid" 2>/dev/null || :
