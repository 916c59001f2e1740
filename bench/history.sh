#!/bin/sh
# History benchmark (not run by CI): see bench/history.py for what it prints. The old store
# (schema 4) is built from BENCH_V4_REV in its own folder and measured in the same run.
set -eu
cd "$(dirname "$0")/.."
OUT=${BENCH_OUT:-bench/out}
REV=${BENCH_V4_REV:-5567614}
mkdir -p "$OUT"
make --no-print-directory O="$OUT/build" CFLAGS="-O2" all "$OUT/build/bench/histdrive" >/dev/null
if [ ! -x "$OUT/v4/build/streamtop" ]; then
    rm -rf "$OUT/v4" && mkdir -p "$OUT/v4"
    git archive "$REV" | tar -x -C "$OUT/v4"
    make --no-print-directory -C "$OUT/v4" O=build CFLAGS="-O2" all >/dev/null
fi
PKGS="ncursesw sqlite3 libcurl libcjson inih"
# shellcheck disable=SC2086
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -DHIST_V4 -I"$OUT/v4" $(pkg-config --cflags $PKGS) \
    -o "$OUT/v4/build/histdrive" bench/histdrive.c "$OUT/v4/build/libstreamtop.a" \
    $(pkg-config --libs $PKGS) -lpthread -lm
exec python3 bench/history.py "$OUT/build" "$OUT/v4/build" "$OUT/hist" \
    "${BENCH_STREAMS:-200}" "${BENCH_DAYS:-30}" "${BENCH_RUNS:-5}"
