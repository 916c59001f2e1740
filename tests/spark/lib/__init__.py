"""The live Spark suite's harness: paths and jars (env), the KRaft broker (kafka), the Spark
driver in a subprocess (driver_client), TAP output (tap)."""
