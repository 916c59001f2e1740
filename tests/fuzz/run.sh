#!/bin/sh
# The libFuzzer harnesses of tests/fuzz/, built by `make fuzz-build` into $FUZZ_O/fuzz/.
#   run.sh run [NAME...]     fuzz each for $FUZZ_SECONDS; new inputs go to $FUZZ_O/corpus/NAME,
#                            crashes to $FUZZ_O/crashes/NAME (listed; exit 1 when any)
#   run.sh replay [NAME...]  run each committed input of tests/fuzz/corpus/NAME once; prints
#                            "ok - ..." / "not ok - ..." / "skip - ..." lines (tests/run.sh counts
#                            them)
#   run.sh merge [NAME...]   add the inputs of $FUZZ_O/corpus/NAME that reach new code to the
#                            committed corpus
# NAME is a harness name without its "fuzz_" prefix ("deltalog").
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
FUZZ_O=${FUZZ_O:-build-fuzz}
case $FUZZ_O in /*) ;; *) FUZZ_O="$ROOT/$FUZZ_O" ;; esac
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
mode=${1:-replay}
[ $# -gt 0 ] && shift

names=""
if [ $# -gt 0 ]; then
    names="$*"
else
    for src in "$ROOT"/tests/fuzz/fuzz_*.c; do
        n=$(basename "$src" .c)
        names="$names ${n#fuzz_}"
    done
fi

# libFuzzer and the sanitizers: stop at the first finding, with a stack trace
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}:abort_on_error=0"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}:halt_on_error=1"

status=0
crashes=""
for n in $names; do
    bin="$FUZZ_O/fuzz/fuzz_$n"
    seeds="$ROOT/tests/fuzz/corpus/$n"
    if [ ! -x "$bin" ]; then
        if [ "$mode" = replay ]; then
            echo "skip - fuzz_$n: not built (make fuzz-build needs clang)"
            continue
        fi
        echo "fuzz_$n: $bin missing (run make fuzz-build)" >&2
        status=1
        continue
    fi
    case $mode in
    replay)
        count=$(find "$seeds" -type f | wc -l)
        if [ "$count" -eq 0 ]; then
            echo "not ok - fuzz_$n: no committed corpus in tests/fuzz/corpus/$n"
            status=1
            continue
        fi
        log="${TMPDIR:-/tmp}/fuzz_$n.replay.$$"
        # every input once, by name (regression mode: no mutation, no new files); the list
        # comes from a file so that the harness's stdin can be /dev/null
        find "$seeds" -type f -print0 >"$log.list"
        if xargs -0 -a "$log.list" "$bin" -rss_limit_mb=2048 -timeout=20 </dev/null >"$log" 2>&1 &&
            grep -q "Running $count inputs" "$log"; then
            echo "ok - fuzz_$n replays $count inputs"
        else
            echo "not ok - fuzz_$n replays $count inputs"
            grep -E 'ERROR|runtime error|Running:|SUMMARY' "$log" | tail -n 20
            status=1
        fi
        rm -f "$log" "$log.list"
        ;;
    run)
        work="$FUZZ_O/corpus/$n" art="$FUZZ_O/crashes/$n"
        mkdir -p "$work" "$art"
        log="$FUZZ_O/fuzz_$n.log"
        "$bin" -max_total_time="$FUZZ_SECONDS" -print_final_stats=1 -rss_limit_mb=2048 \
            -timeout=20 -artifact_prefix="$art/" "$work" "$seeds" </dev/null >"$log" 2>&1
        rc=$?
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
        secs=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
        cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
        echo "fuzz_$n: ${execs:-?} runs in ${FUZZ_SECONDS}s (${secs:-?}/s), $cov," \
            "$(find "$work" -type f | wc -l) new inputs in $work"
        if [ "$rc" -ne 0 ] || [ -n "$(find "$art" -type f 2>/dev/null | head -n 1)" ]; then
            grep -E 'ERROR|runtime error|SUMMARY' "$log" | head -n 5
            crashes="$crashes $(find "$art" -type f | tr '\n' ' ')"
            status=1
        fi
        ;;
    merge)
        mkdir -p "$seeds"
        "$bin" -merge=1 -rss_limit_mb=2048 -timeout=20 "$seeds" "$FUZZ_O/corpus/$n" </dev/null \
            >"$FUZZ_O/fuzz_$n.merge.log" 2>&1 || status=1
        echo "fuzz_$n: $(find "$seeds" -type f | wc -l) inputs in tests/fuzz/corpus/$n"
        ;;
    *)
        echo "usage: run.sh run|replay|merge [NAME...]" >&2
        exit 2
        ;;
    esac
done
if [ -n "$crashes" ]; then
    echo "findings (reproduce with $FUZZ_O/fuzz/fuzz_NAME FILE):"
    for c in $crashes; do echo "  $c"; done
fi
exit $status
