# Shared by the bench scripts (sourced from the project's top folder): OUT, RUNS (default $1),
# and an -O2 build in $OUT/build (the same O= spelling everywhere, or make's dependency files
# would not match); extra make targets may follow the default.
bench_setup() { # bench_setup DEFAULT_RUNS [MAKE_TARGET...]
    OUT=${BENCH_OUT:-bench/out}
    RUNS=${BENCH_RUNS:-$1}
    shift
    mkdir -p "$OUT"
    make --no-print-directory O="$OUT/build" CFLAGS="-O2" all "$@" >/dev/null
    BIN="$OUT/build/streamtop"
}
