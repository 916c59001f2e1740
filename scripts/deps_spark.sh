#!/bin/sh
# The live Spark suite's set-up, all inside the project tree (ignored by git):
#   .venv/spark4        virtualenv with pyspark 4.0, delta-spark and kafka-python (PyPI)
#   .cache/jars/spark4  the Kafka connector and Delta jars for that Spark (spark.jars)
#   .venv/spark35, .cache/jars/spark35   the same for the Spark 3.5 line
#   .venv/spark43, .cache/jars/spark43   the same for the Spark 4.3 line (the newest formats),
#   .venv/delta44       and pyspark 4.2.0 with delta-spark 4.4.0, the Spark that Delta is built
#                       for (with the spark43 jars; Delta 4.4.0 does not run on Spark 4.3.0):
#                       only with STREAMTOP_SPARK_NEWEST=1, for tests/spark/capture43.py, which
#                       writes the Spark 4.3 fixtures; no test of `make check` needs them
#   .cache/jars/broker  the Kafka broker and its runtime dependencies (KRaft, one node)
#   .cache/m2           Maven's local repository (nothing lands in ~/.m2)
# Idempotent: each part has a stamp naming its versions; a second run downloads nothing.
# Without network it says what is missing and exits 0: the live suite then skips.
# STREAMTOP_NO_SPARK=1 leaves it out.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
[ "${STREAMTOP_NO_SPARK:-}" = 1 ] && exit 0

# Delta 4.0.0 is built against Spark 4.0.0 (delta.io releases: 4.0.x <-> Spark 4.0.x); the
# Maven coordinates are in tests/spark/pom.xml and must agree.
SPARK4_PIP="pyspark==4.0.0 delta-spark==4.0.0 kafka-python==3.0.12"
# Delta 3.3 is built against Spark 3.5.3 (and Maven Central as reached from here has no
# spark-sql-kafka-0-10_2.12 jar for 3.5.5)
SPARK35_PIP="pyspark==3.5.3 delta-spark==3.3.2 kafka-python==3.0.12"
# No Delta release is built for Spark 4.3 yet: delta-spark 4.4.x is built for Spark 4.2.0 and
# its wheel pins pyspark<=4.2.0, so it goes in without its dependencies (the only other one is
# importlib_metadata). 4.4.0, not PyPI's 4.4.1: the jars must agree and Maven Central as reached
# from here stops at 4.4.0 (delta-spark_4.2_2.13) and at the 4.2.0 Kafka connector (see
# tests/spark/pom-spark43.xml, a pom of its own so that pom.xml's checksum, which stamps the
# other lines' jars, does not change). pandas and pyarrow are for transformWithStateInPandas.
# (pandas 2: PySpark 4.3 warns that it does not fully support pandas 3; protobuf at the version
# its generated state messages were made with); grpcio to pyyaml are pyspark's "pipelines"
# extras, for spark-pipelines (Declarative Pipelines through Spark Connect).
SPARK43_PIP="pyspark==4.3.0 kafka-python==3.0.12 importlib_metadata==8.7.1 pandas==2.3.3 pyarrow==26.0.1 protobuf==6.33.5 grpcio==1.85.3 grpcio-status==1.85.3 googleapis-common-protos==1.76.0 zstandard==0.25.0 pyyaml==6.0.4"
SPARK43_NODEPS="delta-spark==4.4.0"
# Delta 4.4.0's table reads and writes fail on Spark 4.3.0 (NoSuchMethodError: LogicalRDD's
# constructor changed in 4.3), so its tables are written on the Spark it is built for
DELTA44_PIP="pyspark==4.2.0 delta-spark==4.4.0"
say() { echo "streamtop: $*" >&2; }

venv() { # DIR REQUIREMENTS [REQUIREMENTS installed with --no-deps]
    dir=$1
    want=$2
    nodeps=${3:-}
    stamp=$want${nodeps:+ --no-deps $nodeps}
    if [ -f "$dir/.stamp" ] && [ "$(cat "$dir/.stamp")" = "$stamp" ]; then
        return 0
    fi
    py=$(command -v python3)
    [ -x "$dir/bin/python" ] || "$py" -m venv "$dir" || { say "cannot create $dir"; return 1; }
    say "installing $stamp into $dir"
    # shellcheck disable=SC2086
    "$dir/bin/pip" install -q --disable-pip-version-check $want >&2 || {
        say "pip install failed (no network?): the live Spark suite will skip"
        return 1
    }
    if [ -n "$nodeps" ]; then
        # shellcheck disable=SC2086
        "$dir/bin/pip" install -q --disable-pip-version-check --no-deps $nodeps >&2 || {
            say "pip install failed (no network?): the live Spark suite will skip"
            return 1
        }
    fi
    printf '%s\n' "$stamp" >"$dir/.stamp"
}

jars() { # PROFILE [POM]
    out=.cache/jars/$1
    pom=${2:-tests/spark/pom.xml}
    want="$1 $(cksum <"$pom")"
    if [ -f "$out/.stamp" ] && [ "$(cat "$out/.stamp")" = "$want" ]; then
        return 0
    fi
    command -v mvn >/dev/null 2>&1 || { say "no mvn: the live Spark suite will skip"; return 1; }
    say "fetching the $1 jars with Maven into $out"
    rm -rf "$out"
    # Maven prints its errors on stdout, with colour codes even in batch mode: kept in a log
    mvn -q -B -s tests/spark/settings.xml -f "$pom" \
        -Dmaven.repo.local="$ROOT/.cache/m2" -P "$1" dependency:copy-dependencies \
        -DincludeScope=runtime -DoutputDirectory="$ROOT/$out" >.cache/mvn-$1.log 2>&1 || {
        grep ERROR .cache/mvn-"$1".log | head -5 >&2
        say "maven failed (no network?): the live Spark suite will skip (.cache/mvn-$1.log)"
        rm -rf "$out"
        return 1
    }
    printf '%s\n' "$want" >"$out/.stamp"
}

mkdir -p .cache .venv
venv .venv/spark4 "$SPARK4_PIP" || true
jars spark4 || true
venv .venv/spark35 "$SPARK35_PIP" || true
jars spark35 || true
if [ "${STREAMTOP_SPARK_NEWEST:-}" = 1 ]; then
    venv .venv/spark43 "$SPARK43_PIP" "$SPARK43_NODEPS" || true
    jars spark43 tests/spark/pom-spark43.xml || true
    venv .venv/delta44 "$DELTA44_PIP" || true
fi
jars broker || true
exit 0
