#!/bin/sh
# The layer rules of the architecture, checked on every source file (make lint):
# - which layer may include which (the table below; anything not listed is a crossing);
# - each third-party library is included in one layer only;
# - private headers stay in their group: store/internal.h in store/, net/s3_internal.h in
#   net/s3_*.c.
# Prints every crossing as FILE: includes "X" and exits 1 when there is one.
cd "$(dirname "$0")/.." || exit 2

# layer: the layers it may include (itself always)
allowed() {
    case "$1" in
    core) echo "core" ;;
    net | store | alerts | export | sim) echo "core" ;;
    collectors) echo "core net" ;;
    pass) echo "core net store collectors alerts" ;;
    tui | serve) echo "core pass export" ;;
    cmd) echo "core net store collectors alerts export sim pass tui serve" ;;
    main.c) echo "core cmd" ;;
    *) echo "" ;;
    esac
}
LAYERS="core net store alerts export sim collectors pass tui serve cmd"

bad=0
for f in main.c $(for l in $LAYERS; do [ -d "$l" ] && find "$l" -name '*.[ch]'; done | sort); do
    layer=${f%%/*}
    ok=" $layer $(allowed "$layer") "
    for inc in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([a-z_]*\)\/.*/\1/p' "$f" | sort -u); do
        case " $LAYERS " in *" $inc "*) ;; *) continue ;; esac
        case "$ok" in *" $inc "*) ;; *)
            echo "$f: includes \"$inc/\" (layer $layer may include:$(allowed "$layer"))"
            bad=1
            ;;
        esac
    done
done

# library headers, and the store's private one: the one layer (or file) each may be included from
lib() { # lib HEADER-REGEX ALLOWED-PATH-REGEX NAME
    for f in $(grep -rlE "^[[:space:]]*#[[:space:]]*include[[:space:]]*[<\"]($1)[>\"]" \
        --include='*.c' --include='*.h' main.c $LAYERS 2>/dev/null | grep -vE "^($2)"); do
        echo "$f: includes $3 outside its layer"
        bad=1
    done
}
lib 'sqlite3\.h' 'store/' 'sqlite3.h (store/ only)'
lib 'curl/curl\.h' 'net/' 'curl/curl.h (net/ only)'
lib 'n?curses(w)?\.h|ncursesw/curses\.h' 'tui/' 'curses.h (tui/ only)'
lib 'ini\.h' 'core/config' 'ini.h (core/config* only)'
lib 'librdkafka/rdkafka\.h' 'net/kafka\.c' 'librdkafka/rdkafka.h (net/kafka.c only)'
lib 'store/internal\.h' 'store/' 'store/internal.h (store/ only)'
lib 'net/s3_internal\.h' 'net/s3_' 'net/s3_internal.h (net/s3_*.c only)'
lib 'net/dbx_internal\.h' 'net/dbx_' 'net/dbx_internal.h (net/dbx_*.c only)'
lib 'net/azure_internal\.h' 'net/azure_' 'net/azure_internal.h (net/azure_*.c only)'
lib 'openssl/' 'net/' 'OpenSSL (net/ only)'
lib 'microhttpd\.h' 'serve/' 'microhttpd.h (serve/ only)'
lib 'zlib\.h' 'serve/' 'zlib.h (serve/ only)'
exit $bad
