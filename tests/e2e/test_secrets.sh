#!/bin/sh
# URLs with secrets in them (a password holding '@', '/', '?' and '#'; a percent-escaped
# password; a ?token= query; a Slack-style secret path) never reach any output: config check,
# export in every format, check, watch, notify test and the -v logs show scheme, host and port
# (and a progress URL's path) only. The URLs point at a loopback port where nothing listens.
. tests/e2e/lib.sh
# a port nothing listens on: bind one, then let it go
DEAD=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$BIN" simulate "$T/sim" --streams 1 --batches 10 >/dev/null
"$BIN" simulate "$T/simk" --streams 1 --batches 5 --kind kafka >/dev/null
KCK=$(find "$T/simk/checkpoints" -mindepth 1 -maxdepth 1 -type d | head -n 1)
export ST_KAFKA_PW=KafkaPassw0rd
cat >"$T/c.ini" <<INI
[global]
timeout = 2s
[kafka]
timeout = 1s
kafka.security.protocol = SASL_PLAINTEXT
kafka.sasl.mechanism = PLAIN
kafka.sasl.username = kuser
kafka.sasl.password = \${ST_KAFKA_PW}
[stream kafka]
checkpoint = $KCK
kafka_bootstrap = 127.0.0.1:$DEAD
kafka.sasl.password = ClientS3cretLiteral
[stream spilled]
checkpoint = $T/sim/checkpoints/orders
progress = http://alice:p@ss/w?rd#x@127.0.0.1:$DEAD/metrics?token=T0kenSecret
[stream escaped]
checkpoint = $T/sim/checkpoints/orders
progress = http://bob:Sup3r%40S3cr3t%2F@127.0.0.1:$DEAD/metrics/prometheus?token=T0kenSecret#Fr4gment
[webhook slack]
format = slack
url = http://127.0.0.1:$DEAD/services/T000/B000/SLACKSECRETPATH?key=QueryS3cret
[rule late]
metric = commit_age_seconds
warn = > 0
notify = slack
INI
run() { # run NAME ARGS...: stdout and stderr of streamtop -v -v ARGS into $T/NAME.out
    name=$1
    shift
    "$BIN" -v -v -c "$T/c.ini" --db "$T/db" "$@" >"$T/$name.out" 2>&1
    echo "exit status $?" >>"$T/$name.out"
}
run config config check
run json export -f json
run csv export -f csv
run prom export -f prom
run check check
run watch watch -n 1
run notify notify test slack
for f in config json csv prom check watch notify; do
    leaked=
    for secret in alice 'p@ss' 'ss/w' 'w?rd' 'rd#x' bob Sup3r S3cr3t T0kenSecret Fr4gment \
        SLACKSECRETPATH T000 QueryS3cret KafkaPassw0rd ClientS3cretLiteral; do
        grep -qF -- "$secret" "$T/$f.out" && leaked="$leaked $secret"
    done
    if [ -z "$leaked" ]; then
        ok "$f: no part of a password, token or secret path in the output"
    else
        notok "$f: no part of a password, token or secret path in the output" \
            "leaked:$leaked
$(cat "$T/$f.out")"
    fi
done
contains "config check shows the progress URL without its secrets" "$T/config.out" \
    "progress           = http://127.0.0.1:$DEAD/metrics/prometheus"
contains "config check shows a URL whose password spilled past the host as unparsable" \
    "$T/config.out" "progress           = (unparsable URL)"
contains "the escaped URL's error names scheme, host, port and path" "$T/json.out" \
    "http://127.0.0.1:$DEAD/metrics/prometheus: "
contains "the spilled URL is not requested, and says how to write it" "$T/json.out" \
    "(unparsable URL): not requested: write '@', '/', '?' and '#' in a user name or password as %40, %2F, %3F and %23"
contains "notify test names the webhook by name and host" "$T/notify.out" \
    "webhook slack (http://127.0.0.1:$DEAD)"
contains "config check shows a Kafka password from the environment as set" "$T/config.out" \
    "kafka.sasl.password = (set, hidden)"
contains "config check shows a Kafka property that is no secret" "$T/config.out" \
    "kafka.sasl.username = kuser"
"$BIN" -c "$T/c.ini" --db :memory: export -f json -o "$T/k.json" 2>/dev/null
check "an export with a Kafka stream validates against the schema" \
    python3 tests/e2e/jsonschema_lite.py man/streamtop-export.schema.json "$T/k.json"
contains "the Kafka stream's error names the bootstrap server" "$T/json.out" \
    "kafka 127.0.0.1:$DEAD: metadata: "
exit 0
