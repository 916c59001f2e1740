#!/bin/sh
# Azure listing benchmark (not run by CI): see bench/azlist.py for what it prints. Needs node
# and npm (Azurite, tests/azure) and a virtualenv .venv/azbench with the Python SDK
# (azure-storage-blob from PyPI) as the baseline, made here when missing. The 100,000 blobs are
# uploaded once and kept in $BENCH_OUT/azstore.
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_setup 5
OUT=$(cd "$OUT" && pwd)
PY=.venv/azbench/bin/python
if ! "$PY" -c 'import azure.storage.blob' 2>/dev/null; then
    echo "bench: installing azure-storage-blob into .venv/azbench for the baseline" >&2
    python3 -m venv .venv/azbench
    .venv/azbench/bin/pip install -q --disable-pip-version-check azure-storage-blob==12.31.1
fi
STREAMTOP_ROOT=$(pwd)
. tests/azure/azlib.sh
trap 'az_stop' EXIT
az_start "$OUT/azstore"
if [ ! -f "$OUT/azstore.done" ]; then
    echo "bench: uploading 100,000 blobs to Azurite (once)" >&2
    python3 bench/gen_azure.py "$AZ_EP" >/dev/null
    touch "$OUT/azstore.done"
fi
python3 bench/azlist.py "$OUT/build/streamtop" "$AZ_EP" "$RUNS" "$(pwd)/$PY"
