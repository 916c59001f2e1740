#!/bin/sh
# Every committed fuzzing input (tests/fuzz/corpus/NAME) run once through its harness, built by
# `make check` with clang (ASan + UBSan + libFuzzer); skipped when clang is not installed.
ROOT=${STREAMTOP_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
exec sh "$ROOT/tests/fuzz/run.sh" replay
