"""Where the live suite finds what `make deps` set up, and small helpers."""
import os
import re
import socket

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
# which Spark line this run is (.venv/<line>, .cache/jars/<line>, set up by scripts/deps_spark.sh)
LINES = {
    "spark4": "Spark 4.0.0, Delta 4.0.0",
    "spark35": "Spark 3.5.3, Delta 3.3.2",
    # the newest formats (tests/spark/capture43.py); Kafka connector 4.2.0 and Delta 4.4.0
    # (built for Spark 4.2): Maven Central as reached from here has nothing newer
    "spark43": "Spark 4.3.0, Delta 4.4.0",
}
# Delta 4.4.0 fails on Spark 4.3.0 (NoSuchMethodError on LogicalRDD's constructor): the spark43
# line writes its Delta tables with this virtualenv (pyspark 4.2.0, delta-spark 4.4.0) and the
# spark43 jars, which are built for Spark 4.2
DELTA44_VENV = os.path.join(ROOT, ".venv", "delta44")
LINE = os.environ.get("STREAMTOP_SPARK_LINE", "spark4")
if LINE not in LINES:
    raise SystemExit("STREAMTOP_SPARK_LINE=%s: not one of %s" % (LINE, ", ".join(sorted(LINES))))
VENV = os.path.join(ROOT, ".venv", LINE)
JARS = os.path.join(ROOT, ".cache", "jars")
BIN = os.environ.get("STREAMTOP_BIN", os.path.join(ROOT, "build", "streamtop"))


def free_port():
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _artifact(name):
    m = re.match(r"^(.*?)-\d[\w.\-]*\.jar$", name)
    return m.group(1) if m else name


def spark_jars(line=LINE):
    """The cached connector and Delta jars for spark.jars, minus those pyspark already ships
    (another version of scala-library or slf4j on the class path would fight pyspark's own)."""
    import pyspark

    shipped = {_artifact(n) for n in os.listdir(os.path.join(os.path.dirname(pyspark.__file__), "jars"))}
    folder = os.path.join(JARS, line)
    return sorted(
        os.path.join(folder, n)
        for n in os.listdir(folder)
        if n.endswith(".jar") and _artifact(n) not in shipped
    )


def broker_classpath():
    folder = os.path.join(JARS, "broker")
    return ":".join(sorted(os.path.join(folder, n) for n in os.listdir(folder) if n.endswith(".jar")))
