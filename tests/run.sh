#!/bin/sh
# Run every unit test (cmocka) and every end-to-end script against the real binary, then print
# one line "N passed, N failed" (", N skipped"). Exit 1 if anything failed.
# Arguments pick tests by name (e.g. `sh tests/run.sh test_race test_race.sh`); none runs all.
O=${O:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export STREAMTOP_BIN="$ROOT/$O/streamtop"
export STREAMTOP_ROOT="$ROOT"
if [ -z "${STREAMTOP_FIXTURES:-}" ]; then
    STREAMTOP_FIXTURES="$ROOT/../shared/fixtures/real"
fi
export STREAMTOP_FIXTURES
export LC_ALL=C.UTF-8
TMPBASE=$(mktemp -d "${TMPDIR:-/tmp}/streamtop-tests.XXXXXX")
export TMPDIR="$TMPBASE"
# the folder goes on every exit; SIGINT and SIGTERM stop the run (a trap that only removed the
# folder left the run going on without it, each later test failing)
trap 'rm -rf "$TMPBASE"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

passed=0 failed=0 skipped=0
failures=""
picked() { # picked NAME: no arguments, or NAME (with or without .sh) is one of them
    [ "$#" -eq 1 ] && [ -z "$PICK" ] && return 0
    for p in $PICK; do
        [ "$p" = "$1" ] || [ "$p.sh" = "$1" ] || [ "$(basename "$p")" = "$1" ] && return 0
    done
    return 1
}
PICK="$*"
for t in "$ROOT/$O"/tests/test_*; do
    [ -x "$t" ] || continue
    name=$(basename "$t")
    case $name in *.d) continue ;; esac
    picked "$name" || continue
    out=$(cd "$ROOT" && "$t" 2>&1)
    rc=$?
    printf '%s\n' "$out"
    # each "[ RUN ]" is settled by the next OK / SKIPPED / FAILED / ERROR line; cmocka's
    # closing summary repeats SKIPPED and FAILED lines, which must not count twice
    counts=$(printf '%s\n' "$out" | awk '
        done { next }
        /^\[==========\] .* run\./ { if (p) bad++; p = 0; done = 1; next }
        /^\[ RUN      \]/ { if (p) bad++; p = 1; next }
        /^\[       OK \]/ { if (p) ok++; p = 0; next }
        /^\[  SKIPPED \]/ { if (p) skip++; p = 0; next }
        /^\[  (FAILED|ERROR)/ { if (p) { bad++; p = 0 } next }
        END { if (p) bad++; printf "%d %d %d", ok, skip, bad }')
    set -- $counts
    ok=$1 skip=$2 bad=$3
    if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
        bad=1 # crashed or failed outside a test
    fi
    passed=$((passed + ok)) skipped=$((skipped + skip)) failed=$((failed + bad))
    if [ "$bad" -gt 0 ]; then
        failures="$failures $name"
        # cmocka prints a failure's message on the lines before its FAILED line
        printf '%s\n' "$out" | awk -v name="$name" -v rc="$rc" '
            /^\[==========\] .* run\./ { exit }
            /^\[  (FAILED|ERROR)/ {
                print "== " name
                for (i = (n > 3 ? n - 3 : 0); i < n; i++) print prev[i % 3]
                print; n = 0; hit = 1; next }
            /^\[ RUN/ { n = 0; next }
            { prev[n % 3] = $0; n++ }
            END { if (!hit) print "== " name " exited with status " rc }' >>"$TMPBASE/recap"
    fi
done
for t in "$ROOT"/tests/e2e/test_*.sh; do
    name=$(basename "$t")
    picked "$name" || continue
    out=$(cd "$ROOT" && sh "$t" 2>&1)
    rc=$?
    printf '%s\n' "$out"
    ok=$(printf '%s\n' "$out" | grep -c '^ok - ')
    bad=$(printf '%s\n' "$out" | grep -c '^not ok - ')
    skip=$(printf '%s\n' "$out" | grep -c '^skip - ')
    if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
        bad=1
        echo "not ok - $name exited with status $rc"
        out="$out
not ok - $name exited with status $rc"
    fi
    passed=$((passed + ok)) skipped=$((skipped + skip)) failed=$((failed + bad))
    if [ "$bad" -gt 0 ]; then
        failures="$failures $name"
        # kept for the recap at the end: each failure with the notes just before it and its
        # indented details (a long run's output is read from its end)
        printf '%s\n' "$out" | awk -v name="$name" '
            /^not ok - / {
                print "== " name
                for (i = (n > 2 ? n - 2 : 0); i < n; i++) print prev[i % 2]
                print; d = 8; n = 0; next }
            d > 0 && /^[ \t]/ { print; d--; next }
            { d = 0 }
            /^# / { prev[n % 2] = $0; n++ }' >>"$TMPBASE/recap"
    fi
done
if [ -s "$TMPBASE/recap" ]; then
    echo "---- the failures again ----"
    cat "$TMPBASE/recap"
fi
[ -n "$failures" ] && echo "failing:$failures"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
