#!/bin/sh
# Installation: `make install` puts the binary, both man pages, the example config, the licence
# and the bash and zsh completions in place; the completions are generated from the command and
# option tables and list every command and option `--help` shows; the example config is valid.
. tests/e2e/lib.sh

check "the licence is the Apache License 2.0" grep -q "Apache License" LICENSE
check "in full (its 9 sections and the appendix)" sh -c 'grep -q "9. Accepting Warranty or Additional Liability" LICENSE && grep -q "APPENDIX: How to apply the Apache License" LICENSE'
contains "the README says so" README.md "Apache License 2.0"

make -s install DESTDIR="$T/inst" PREFIX=/usr O="$(dirname "$BIN")" >"$T/inst.log" 2>&1
check "make install succeeds" test $? -eq 0
for f in bin/streamtop share/man/man1/streamtop.1 share/man/man5/streamtop.conf.5 \
    share/doc/streamtop/streamtop.conf.example share/doc/streamtop/LICENSE \
    share/bash-completion/completions/streamtop share/zsh/site-functions/_streamtop; do
    check "make install installs $f" test -s "$T/inst/usr/$f"
done

"$BIN" completion bash >"$T/bash"
"$BIN" completion zsh >"$T/zsh"
check "the bash completion is valid bash" bash -n "$T/bash"
if command -v zsh >/dev/null 2>&1; then
    check "the zsh completion is valid zsh" zsh -n "$T/zsh"
else
    skip "zsh not installed"
fi
check "the zsh completion is a compdef file" sh -c "head -1 '$T/zsh' | grep -qx '#compdef streamtop'"
"$BIN" completion fish >/dev/null 2>"$T/e.txt"
check "an unknown shell exits 3" test $? -eq 3

# every command --help lists, and every option each command's usage shows, is completed
"$BIN" --help >"$T/help.txt"
cmds=$(sed -n '/^commands:/,/^$/p' "$T/help.txt" | awk 'NF && $1 != "commands:" {print $1}')
check "--help lists commands" test -n "$cmds"
for shell in bash zsh; do
    for c in $cmds; do
        line=$(grep "^    $c) opts=" "$T/$shell")
        check "$shell completes the command $c" sh -c "grep '^    '\"''\"') opts=' '$T/$shell' | grep -qw -- '$c'"
        "$BIN" "$c" --help >"$T/u.txt"
        for o in $(grep -oE -- '(^|[[ ])--?[a-z][a-z-]*' "$T/u.txt" | tr -d '[ '); do
            case " $line " in *" $o "*) ;; *) notok "$shell completes $c's option $o" "$line"; continue ;; esac
            ok "$shell completes $c's option $o"
        done
    done
    for o in $(sed -n '/^global options:/,/^$/p' "$T/help.txt" | grep -oE -- '^ +-[a-z]|--[a-z][a-z-]*' | tr -d ' ' | sort -u) --version --help; do
        check "$shell completes the global option $o" sh -c "grep '^    '\"''\"') opts=' '$T/$shell' | grep -q -- ' $o\\( \\|\"\\)'"
    done
done

# the bash completion at work
cat >"$T/run.bash" <<'B'
. "$1"
COMP_WORDS=(streamtop sil); COMP_CWORD=1; _streamtop; echo "1:${COMPREPLY[*]}"
COMP_WORDS=(streamtop -c x.ini silence ""); COMP_CWORD=4; _streamtop; echo "2:${COMPREPLY[*]}"
COMP_WORDS=(streamtop export --f); COMP_CWORD=2; _streamtop; echo "3:${COMPREPLY[*]}"
B
bash "$T/run.bash" "$T/bash" >"$T/comp.txt" 2>&1
contains "bash completes a command name" "$T/comp.txt" "1:silence"
check "and a command's actions after a global option with its value" sh -c "grep '^2:' '$T/comp.txt' | grep -q 'add list expire'"
contains "and a command's options" "$T/comp.txt" "3:--format"

SLACK_PAYMENTS_URL=https://hooks.example/p SLACK_GROWTH_URL=https://hooks.example/g \
    SLACK_PLATFORM_URL=https://hooks.example/x PD_PAYMENTS_ROUTING_KEY=k \
    "$BIN" -c examples/streamtop.conf.example config check >/dev/null 2>"$T/e.txt"
rc=$?
check "the example config is valid (exit 1: its paths are examples)" test $rc -eq 1
check "and warns only about missing paths" sh -c "! grep -v 'no such file or directory' '$T/e.txt'"
