#!/bin/sh
# Files changing under the passes: `streamtop export` in a tight loop while a writer churns a
# pipeline tree as Spark and Delta do (tests/e2e/race.py; about 20 seconds).
. tests/e2e/lib.sh

python3 tests/e2e/race.py "$BIN" "$T" "${STREAMTOP_RACE_SECONDS:-20}"
