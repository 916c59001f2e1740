#!/bin/sh
# Kafka brokers that do not behave, without a real broker: a loopback server that accepts
# connections and never answers (a hung broker), and a port where nothing listens. Eight
# streams with Kafka sources, each on its own such cluster, with a 2 s [kafka] timeout: one
# export ends well before eight timeouts would (the streams are measured side by side), every
# Kafka stream is unknown with an error naming its bootstrap servers, and a stream without Kafka
# is unaffected. Without bootstrap servers, nothing is asked of any broker.
. tests/e2e/lib.sh
"$BIN" simulate "$T/sim" --streams 1 --batches 5 --kind kafka >/dev/null
CK=$(find "$T/sim/checkpoints" -mindepth 1 -maxdepth 1 -type d | head -n 1)
"$BIN" simulate "$T/simf" --streams 1 --batches 5 --kind files >/dev/null
FCK=$(find "$T/simf/checkpoints" -mindepth 1 -maxdepth 1 -type d | head -n 1)
# a hung broker: accepts, reads, never answers; ports of it on stdout, one a line
python3 - "$T/ports" <<'PY' &
import select, socket, sys, time
socks = []
for _ in range(4):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    socks.append(s)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("\n".join(str(s.getsockname()[1]) for s in socks) + "\n")
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
held = []
end = time.time() + 60
while time.time() < end:
    r, _, _ = select.select(socks + held, [], [], 0.5)
    for s in r:
        if s in socks:
            held.append(s.accept()[0])
        elif not s.recv(65536):
            held.remove(s)
PY
HUNG=$!
trap 'kill $HUNG 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 50); do [ -f "$T/ports" ] && break; sleep 0.1; done
dead() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
{
    echo "[kafka]"
    echo "timeout = 2s"
    i=0
    for port in $(cat "$T/ports") $(dead) $(dead) $(dead) $(dead); do
        i=$((i + 1))
        printf '[stream k%d]\ncheckpoint = %s\nkafka_bootstrap = 127.0.0.1:%s\n' $i "$CK" "$port"
    done
    printf '[stream files]\ncheckpoint = %s\n' "$FCK"
} >"$T/c.ini"
# eight timeouts in a row would be 16 s; side by side it is about 2 s (the bound is generous)
timeout 12 "$BIN" -c "$T/c.ini" --db :memory: export -f json -o "$T/out.json"
rc=$?
check "eight Kafka streams on hung or closed brokers: one export ends (exit 0) before eight timeouts would" \
    test "$rc" = 0
python3 - "$T/out.json" "$T/ports" >"$T/verdict" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
hung = set(open(sys.argv[2]).read().split())
bad = []
for s in doc["streams"]:
    if s["name"] == "files":
        if s["status"] == "unknown" or s["errors"] or "kafka" in s:
            bad.append("files: %s %s" % (s["status"], s["errors"]))
        continue
    boot = s["kafka"]["bootstrap"]
    errs = [e for e in s["errors"] if e.startswith("kafka %s: metadata: " % boot)]
    if s["status"] != "unknown" or not errs:
        bad.append("%s: %s %s" % (s["name"], s["status"], s["errors"]))
    elif boot.split(":")[1] not in hung and "refused" not in errs[0]:
        bad.append("%s: no cause in %s" % (s["name"], errs[0]))
print("\n".join(bad) or "ok")
PY
contains "every Kafka stream is unknown with an error naming its bootstrap servers (and, closed, the cause); the other stream is not" \
    "$T/verdict" "ok"
check "the export validates against the schema" \
    python3 tests/e2e/jsonschema_lite.py man/streamtop-export.schema.json "$T/out.json"
# no bootstrap: today's behaviour, no kafka object, no broker asked
printf '[stream k]\ncheckpoint = %s\n' "$CK" >"$T/plain.ini"
"$BIN" -c "$T/plain.ini" --db :memory: export -f json -o "$T/plain.json"
check "without bootstrap servers the stream has no kafka object and no error" \
    python3 -c 'import json, sys; s = json.load(open(sys.argv[1]))["streams"][0]; sys.exit("kafka" in s or bool(s["errors"]))' "$T/plain.json"
exit 0
