#!/bin/sh
# The man pages are clean man(7) under groff's warnings, and render.
. tests/e2e/lib.sh
for page in man/streamtop.1 man/streamtop.conf.5; do
    if command -v groff >/dev/null 2>&1; then
        out=$(groff -man -ww -z "$page" 2>&1)
        if [ -z "$out" ]; then ok "$page is clean under groff -man -ww"; else notok "$page is clean under groff -man -ww" "$out"; fi
        check "$page renders" sh -c "groff -man -Tutf8 -P-cbu '$page' | grep -q '^NAME'"
    else
        notok "groff is installed (make deps installs groff-base)"
    fi
done
