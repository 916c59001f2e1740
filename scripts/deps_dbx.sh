#!/bin/sh
# The Databricks tests' set-up, inside the project tree (ignored by git):
#   .venv/dbx   virtualenv with the official databricks-sdk from PyPI, pinned; it drives the
#               local double of the workspace APIs (tests/e2e/dbxdouble.py) first, to prove
#               it answers as the real service does (tests/e2e/test_databricks.sh)
# Idempotent: a stamp names the version; a second run downloads nothing. Without network it
# says so and exits 0: the Databricks test then skips. STREAMTOP_NO_DBX=1 leaves it out.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
[ "${STREAMTOP_NO_DBX:-}" = 1 ] && exit 0
DBX_PIP="databricks-sdk==0.162.0"
dir=.venv/dbx
if [ -f "$dir/.stamp" ] && [ "$(cat "$dir/.stamp")" = "$DBX_PIP" ]; then
    exit 0
fi
mkdir -p .venv
[ -x "$dir/bin/python" ] || python3 -m venv "$dir" || {
    echo "streamtop: cannot create $dir: the Databricks test will skip" >&2
    exit 0
}
echo "streamtop: installing $DBX_PIP into $dir" >&2
# shellcheck disable=SC2086
"$dir/bin/pip" install -q --disable-pip-version-check $DBX_PIP >&2 || {
    echo "streamtop: pip install failed (no network?): the Databricks test will skip" >&2
    exit 0
}
printf '%s\n' "$DBX_PIP" >"$dir/.stamp"
