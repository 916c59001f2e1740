#!/bin/sh
# The README's crontab line, taken from README.md itself, run as cron runs it: /bin/sh under
# `env -i` with only PATH=/usr/bin:/bin, HOME /nonexistent or unset, from /. Healthy: no output
# at all (cron mails any) and exit 0; a stream critical: output and exit 2, the webhook's
# secret read from the sourced env file. A secret missing from the env file: one line naming
# the webhook and the variable (never the secret), exit by the streams' state, the notification
# kept for later. And the README's systemd service line with its LoadCredential url_file.
. tests/e2e/lib.sh

start_receiver() {
    rm -f "$T/port"
    python3 tests/e2e/httpd.py "$T/port" --max-requests 50 --seconds 60 --record "$T/rec" &
    RECV=$!
    i=0
    while [ ! -s "$T/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    PORT=$(cat "$T/port")
}
trap 'kill "$RECV" 2>/dev/null; rm -rf "$T"' EXIT
posts() { n=0; [ -f "$T/rec" ] && n=$(grep -c "^$1 " "$T/rec"); echo "$n"; }
start_receiver

ABS_BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
# the README's line, schedule fields cut, its install paths pointed into $T
line=$(grep '^\* \* \* \* \* ' README.md)
check "README.md has one crontab line" test "$(printf '%s\n' "$line" | grep -c .)" -eq 1
cmd=$(printf '%s\n' "$line" | sed -e 's/^\([^ ]* \)\{5\}//' \
    -e "s#/usr/local/bin/streamtop#$ABS_BIN#g" -e "s#/etc/streamtop#$T/etc#g" \
    -e "s#/var/lib/streamtop#$T/var#g")
contains "the line names the binary by its full path" "$(printf '%s\n' "$line" >"$T/line"; echo "$T/line")" \
    " /usr/local/bin/streamtop "
contains "and runs check -q" "$T/line" " check -q"
check "streamtop(1) gives the same crontab line" python3 -c '
import re, sys
man = open("man/streamtop.1").read()
m = re.search(r"\n(\* \* \* \* \* .*?)\n\.fi", man, re.S)
line = re.sub(r"\s*\\e\n\s*", " ", m.group(1)).replace("\\-", "-")
assert line == sys.argv[1], (line, sys.argv[1])
' "$line"

mkdir -p "$T/etc" "$T/var" "$T/dlq"
cat >"$T/etc/config.ini" <<INI
[stream orders]
deadletter = $T/dlq
[rule dlq-full]
metric = deadletter_files
crit = > 2
notify = hook
[webhook hook]
format = json
url = \${HOOK_URL}
[builtin]
deadletter_growing = off
INI
printf 'HOOK_URL=http://127.0.0.1:%s/hook\n' "$PORT" >"$T/etc/env"
chmod 600 "$T/etc/env"

cron() { # cron NAME [HOME=...]: the line as cron runs it, output in $T/NAME.out
    name=$1
    shift
    (cd / && env -i PATH=/usr/bin:/bin "$@" /bin/sh -c "$cmd") >"$T/$name.out" 2>&1
    echo $? >"$T/$name.rc"
}

cron healthy HOME=/nonexistent
check "healthy under cron's environment: exit 0" test "$(cat "$T/healthy.rc")" -eq 0
check "and not one byte of output (cron would mail it)" test ! -s "$T/healthy.out"
cron nohome
check "with HOME unset too: exit 0" test "$(cat "$T/nohome.rc")" -eq 0
check "and no output" test ! -s "$T/nohome.out"

for i in 1 2 3; do : >"$T/dlq/bad-$i.json"; done
cron critical HOME=/nonexistent
check "a critical stream under cron: exit 2" test "$(cat "$T/critical.rc")" -eq 2
contains "and the status line for cron to mail" "$T/critical.out" "CRITICAL - 1 of 1 stream not OK"
contains "naming the stream and rule" "$T/critical.out" "CRITICAL orders: dlq-full critical value=3 (> 2)"
check "the webhook got it, its URL from the sourced env file" test "$(posts /hook)" -eq 1

# The secret gone from the env file: the webhook is unusable, nothing else changes.
: >"$T/etc/env"
rm "$T/dlq"/*.json
cron nosecret HOME=/nonexistent
check "a missing secret does not raise the exit status (streams OK: 0)" \
    test "$(cat "$T/nosecret.rc")" -eq 0
check "it is one line" test "$(grep -c . "$T/nosecret.out")" -eq 1
contains "naming the webhook and the variable" "$T/nosecret.out" \
    "[webhook hook] (line 7) is unusable, nothing is sent through it: url: environment variable HOOK_URL is not set"
check "nothing was sent" test "$(posts /hook)" -eq 1
for i in 1 2 3; do : >"$T/dlq/bad-$i.json"; done
cron nosecret2 HOME=/nonexistent
check "with a stream critical and the secret missing: exit 2" test "$(cat "$T/nosecret2.rc")" -eq 2
contains "the streams are still reported" "$T/nosecret2.out" "CRITICAL orders: dlq-full"
contains "beside the webhook's warning" "$T/nosecret2.out" "environment variable HOOK_URL is not set"
contains "its notification waits in the queue (the firing superseded the resolve)" \
    "$T/nosecret2.out" "notifications_pending=1"
check "and nothing was sent" test "$(posts /hook)" -eq 1
# the secret back: what waited is delivered (a clock past the fixed retry wait)
printf 'HOOK_URL=http://127.0.0.1:%s/hook\n' "$PORT" >"$T/etc/env"
later=$(($(date +%s) * 1000 + 120000))
(set -a && . "$T/etc/env" && STREAMTOP_NOW_MS=$later "$BIN" -c "$T/etc/config.ini" \
    --db "$T/var/history.db" check -q >"$T/back.out" 2>&1)
check "the secret back: the queued notification is delivered" test "$(posts /hook)" -eq 2

# The systemd service of the README: its ExecStart, with the url_file its config names under
# $CREDENTIALS_DIRECTORY (what LoadCredential= sets).
exec_start=$(sed -n 's/^ExecStart=//p' README.md | head -1 | sed -e "s#/usr/local/bin/streamtop#$ABS_BIN#g" \
    -e "s#/etc/streamtop#$T/etc#g" -e "s#/var/lib/streamtop#$T/var#g")
url_file=$(grep '^url_file = \${CREDENTIALS_DIRECTORY}/' README.md | head -1)
check "README.md has the service's ExecStart and its url_file" test -n "$exec_start" -a -n "$url_file"
cred=$(printf '%s\n' "$url_file" | sed 's#.*}/##')
cat >"$T/etc/config.ini" <<INI
[stream orders]
deadletter = $T/dlq
[rule dlq-full]
metric = deadletter_files
crit = > 2
notify = hook
[webhook hook]
format = slack
$url_file
[builtin]
deadletter_growing = off
INI
mkdir -p "$T/creds"
printf 'http://127.0.0.1:%s/slack\n' "$PORT" >"$T/creds/$cred"
rm -f "$T/var/history.db"*
(cd / && env -i PATH=/usr/bin:/bin CREDENTIALS_DIRECTORY="$T/creds" /bin/sh -c "$exec_start") \
    >"$T/unit.out" 2>&1
check "the service's ExecStart: exit 2 for the critical stream" test $? -eq 2
check "the credential's URL got the Slack message" test "$(posts /slack)" -eq 1
(cd / && env -i PATH=/usr/bin:/bin /bin/sh -c "$exec_start") >"$T/unit2.out" 2>&1
check "without \$CREDENTIALS_DIRECTORY (a shell): still exit 2" test $? -eq 2
contains "with one line naming the variable" "$T/unit2.out" \
    "[webhook hook] (line 7) is unusable, nothing is sent through it: url_file: environment variable CREDENTIALS_DIRECTORY is not set"
rm "$T/creds/$cred"
(cd / && env -i PATH=/usr/bin:/bin CREDENTIALS_DIRECTORY="$T/creds" /bin/sh -c "$exec_start") \
    >"$T/unit3.out" 2>&1
check "the credential file missing: still exit 2" test $? -eq 2
contains "with one line naming the file" "$T/unit3.out" \
    "[webhook hook] (line 7) is unusable, nothing is sent through it: url_file: $T/creds/$cred: No such file or directory"
# The unit files themselves, as systemd reads them.
if command -v systemd-analyze >/dev/null 2>&1; then
    mkdir -p "$T/units"
    python3 - "$T/units" "$ABS_BIN" <<'PY'
import re, sys
readme = open("README.md").read()
block = re.search(r"```ini\n(# /etc/systemd/system/streamtop-check\.service\n.*?)```", readme, re.S)
service, timer = block.group(1).split("# /etc/systemd/system/streamtop-check.timer\n")
service = service.split("\n", 1)[1].replace("/usr/local/bin/streamtop", sys.argv[2])
open(sys.argv[1] + "/streamtop-check.service", "w").write(service)
open(sys.argv[1] + "/streamtop-check.timer", "w").write(timer)
PY
    out=$(systemd-analyze verify "$T/units/streamtop-check.service" \
        "$T/units/streamtop-check.timer" 2>&1)
    if [ $? -eq 0 ] && [ -z "$out" ]; then
        ok "systemd-analyze verify accepts the README's service and timer without a word"
    else
        notok "systemd-analyze verify accepts the README's service and timer without a word" "$out"
    fi
else
    skip "systemd-analyze is not installed: the unit files are not verified"
fi
exit 0
