#!/bin/sh
# Install the Debian packages streamtop builds and tests with, if any are missing: with apt-get
# when run as root or through sudo, otherwise print the exact command and stop. Then set up the
# Databricks SDK (scripts/deps_dbx.sh) and the live Spark suite inside the project tree
# (scripts/deps_spark.sh).
set -eu
PKGS="build-essential pkg-config libncurses-dev libsqlite3-dev libcurl4-openssl-dev libcjson-dev
libinih-dev librdkafka-dev libmicrohttpd-dev zlib1g-dev libcmocka-dev libssl-dev prometheus prometheus-alertmanager groff-base clang-format tmux strace
python3 clang libclang-rt-14-dev python3-venv openjdk-17-jdk-headless maven"
missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
# the S3 and Azure tests run local storage servers on Node.js (any install of node and npm will do)
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
if [ -z "$missing" ]; then
    sh "$(dirname "$0")/deps_dbx.sh"
    sh "$(dirname "$0")/deps_node.sh"
    exec sh "$(dirname "$0")/deps_spark.sh"
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "streamtop: missing packages:$missing (install them with your package manager)" >&2
    exit 1
fi
if [ "$(id -u)" = 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo"
else
    echo "streamtop: missing packages:$missing" >&2
    echo "run: sudo apt-get update && sudo apt-get install -y$missing" >&2
    exit 1
fi
echo "streamtop: installing$missing" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >&2
sh "$(dirname "$0")/deps_dbx.sh"
sh "$(dirname "$0")/deps_node.sh"
exec sh "$(dirname "$0")/deps_spark.sh"
