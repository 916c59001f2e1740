# Shared by the end-to-end tests: "ok - …" / "not ok - …" / "skip - …" lines that tests/run.sh
# counts, and a scratch folder removed on exit.
BIN=${STREAMTOP_BIN:-build/streamtop}
FIXTURES=${STREAMTOP_FIXTURES:-../shared/fixtures/real}
T=$(mktemp -d "${TMPDIR:-/tmp}/e2e.XXXXXX")
trap 'rm -rf "$T"' EXIT
export STREAMTOP_CONFIG= XDG_CONFIG_HOME="$T/xdg" XDG_STATE_HOME="$T/state"

ok() { echo "ok - $1"; }
notok() { echo "not ok - $1"; [ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/    /' | head -20; }
skip() { echo "skip - $1"; }
# check DESC CMD...: ok when CMD succeeds
check() {
    desc=$1
    shift
    if out=$("$@" 2>&1); then ok "$desc"; else notok "$desc" "$out"; fi
}
# contains DESC FILE TEXT: ok when FILE holds TEXT (fixed string)
contains() {
    if grep -qF -- "$3" "$2"; then ok "$1"; else notok "$1" "$(head -c 2000 "$2")"; fi
}
