#!/bin/sh
# The live Spark suite's set-up, all inside the project tree (ignored by git):
#   .venv/spark4        virtualenv with pyspark 4.0, delta-spark and kafka-python (PyPI)
#   .cache/jars/spark4  the Kafka connector and Delta jars for that Spark (spark.jars)
#   .venv/spark35, .cache/jars/spark35   the same for the Spark 3.5 line
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
say() { echo "streamtop: $*" >&2; }

venv() { # DIR REQUIREMENTS
    dir=$1
    want=$2
    if [ -f "$dir/.stamp" ] && [ "$(cat "$dir/.stamp")" = "$want" ]; then
        return 0
    fi
    py=$(command -v python3)
    [ -x "$dir/bin/python" ] || "$py" -m venv "$dir" || { say "cannot create $dir"; return 1; }
    say "installing $want into $dir"
    # shellcheck disable=SC2086
    "$dir/bin/pip" install -q --disable-pip-version-check $want >&2 || {
        say "pip install failed (no network?): the live Spark suite will skip"
        return 1
    }
    printf '%s\n' "$want" >"$dir/.stamp"
}

jars() { # PROFILE
    out=.cache/jars/$1
    want="$1 $(cksum <tests/spark/pom.xml)"
    if [ -f "$out/.stamp" ] && [ "$(cat "$out/.stamp")" = "$want" ]; then
        return 0
    fi
    command -v mvn >/dev/null 2>&1 || { say "no mvn: the live Spark suite will skip"; return 1; }
    say "fetching the $1 jars with Maven into $out"
    rm -rf "$out"
    # Maven prints its errors on stdout, with colour codes even in batch mode: kept in a log
    mvn -q -B -s tests/spark/settings.xml -f tests/spark/pom.xml \
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
jars broker || true
exit 0
