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
    [ "$bad" -gt 0 ] && failures="$failures $name"
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
    fi
    passed=$((passed + ok)) skipped=$((skipped + skip)) failed=$((failed + bad))
    [ "$bad" -gt 0 ] && failures="$failures $name"
done
[ -n "$failures" ] && echo "failing:$failures"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
