# The local S3 server for the end-to-end tests and the bench (sourced). s3_start DIR starts
# @20minutes/s3rver on 127.0.0.1 serving DIR, installing it first (npm, into tests/s3/
# node_modules, which git ignores) when it is missing; sets S3_PORT and S3_PID. s3_stop ends it.
# S3_WORKERS=N serves with N processes (the bench); the tests use one.
S3_HOME=${STREAMTOP_ROOT:-.}/tests/s3

s3_install() {
    [ -d "$S3_HOME/node_modules/@20minutes/s3rver" ] && return 0
    command -v npm >/dev/null 2>&1 || { echo "npm is not installed (make deps installs it)" >&2; return 1; }
    (cd "$S3_HOME" && npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>&1) ||
        (cd "$S3_HOME" && npm ci --no-audit --no-fund --loglevel=error >&2)
}

# s3_start DIR [BUCKET...]
s3_start() {
    dir=$1
    shift
    s3_install || return 1
    rm -f "$dir.port"
    mkdir -p "$dir"
    # the legacy provider: s3rver's continuation tokens use a cipher OpenSSL 3 retired
    NODE_OPTIONS=--openssl-legacy-provider node "$S3_HOME/server.js" "$dir" "$dir.port" \
        --workers "${S3_WORKERS:-1}" "$@" \
        </dev/null >"$dir.log" 2>&1 &
    S3_PID=$!
    i=0
    while [ ! -s "$dir.port" ] && [ $i -lt 300 ]; do
        kill -0 "$S3_PID" 2>/dev/null || break
        sleep 0.1
        i=$((i + 1))
    done
    if [ ! -s "$dir.port" ]; then
        echo "the S3 server did not start:" >&2
        cat "$dir.log" >&2
        return 1
    fi
    S3_PORT=$(cat "$dir.port")
}

s3_stop() {
    [ -n "${S3_PID:-}" ] && kill "$S3_PID" 2>/dev/null && wait "$S3_PID" 2>/dev/null
    S3_PID=
    return 0
}
