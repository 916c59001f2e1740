# The local Azure Blob server for the end-to-end tests and the bench (sourced). az_start DIR
# starts Azurite's blob service on 127.0.0.1 (a free port) keeping its data in DIR, installing it
# first (npm ci, into tests/azure/node_modules, which git ignores) when it is missing; sets
# AZ_PORT, AZ_PID, AZ_EP (the account's blob URL) and AZ_KEY (the well-known development key).
# az_stop ends it.
AZ_HOME=${STREAMTOP_ROOT:-.}/tests/azure
AZ_KEY="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

az_install() {
    [ -f "$AZ_HOME/node_modules/azurite/dist/src/blob/main.js" ] && return 0
    command -v npm >/dev/null 2>&1 || { echo "npm is not installed (make deps installs it)" >&2; return 1; }
    (cd "$AZ_HOME" && npm ci --no-audit --no-fund --loglevel=error >&2)
}

az_start() {
    dir=$1
    command -v node >/dev/null 2>&1 || { echo "node is not installed" >&2; return 1; }
    az_install || return 1
    mkdir -p "$dir"
    node "$AZ_HOME/node_modules/azurite/dist/src/blob/main.js" --blobHost 127.0.0.1 --blobPort 0 \
        --location "$dir" --disableProductStyleUrl --disableTelemetry \
        </dev/null >"$dir.log" 2>&1 &
    AZ_PID=$!
    i=0
    AZ_PORT=
    while [ -z "$AZ_PORT" ] && [ $i -lt 300 ]; do
        kill -0 "$AZ_PID" 2>/dev/null || break
        AZ_PORT=$(sed -n 's#.*listens on http://127\.0\.0\.1:\([0-9]*\).*#\1#p' "$dir.log")
        [ -n "$AZ_PORT" ] || sleep 0.1
        i=$((i + 1))
    done
    if [ -z "$AZ_PORT" ]; then
        echo "Azurite did not start:" >&2
        cat "$dir.log" >&2
        return 1
    fi
    AZ_EP="http://127.0.0.1:$AZ_PORT/devstoreaccount1"
}

az_stop() {
    [ -n "${AZ_PID:-}" ] && kill "$AZ_PID" 2>/dev/null && wait "$AZ_PID" 2>/dev/null
    AZ_PID=
    return 0
}
