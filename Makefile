# streamtop: a plain GNU Makefile. `make`, `make check`, `make asan`, `make demo`.
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
MANPREFIX  ?= $(PREFIX)/share/man
DESTDIR    ?=
DOCDIR     ?= $(PREFIX)/share/doc/streamtop
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions
PKG_CONFIG ?= pkg-config
# build folder; `make asan` uses its own
O          ?= build
# e.g. SANITIZER=address,undefined
SANITIZER  ?=

PKGS := ncursesw sqlite3 libcurl libcjson inih rdkafka libcrypto libmicrohttpd zlib
WARN := -Wall -Wextra -Werror -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wformat=2 -Wvla -Wpointer-arith -Wundef -Wwrite-strings -Wold-style-definition

CFLAGS ?= -O2 -g
override CFLAGS += -std=c11 -D_POSIX_C_SOURCE=200809L $(WARN) -I. -MMD -MP \
                   $(shell $(PKG_CONFIG) --cflags $(PKGS))
override LDLIBS += $(shell $(PKG_CONFIG) --libs $(PKGS)) -lpthread -lm
ifneq ($(SANITIZER),)
override CFLAGS  += -fsanitize=$(SANITIZER) -fno-omit-frame-pointer -fno-sanitize-recover=all
override LDFLAGS += -fsanitize=$(SANITIZER)
endif

LAYERS   := core collectors export sim cmd net store alerts pass tui serve
LIB_SRC  := $(foreach d,$(LAYERS),$(wildcard $(d)/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(O)/obj/%.o)
TEST_SRC := $(wildcard tests/unit/test_*.c)
TEST_BIN := $(TEST_SRC:tests/unit/%.c=$(O)/tests/%)
BIN      := $(O)/streamtop
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(O)/fuzz/%)

# fuzzing: clang's libFuzzer, the library built again in its own folder
FUZZ_CC      ?= clang
FUZZ_O       ?= build-fuzz
FUZZ_SECONDS ?= 60
# clang's -fsanitize=undefined includes float-cast-overflow; named so it is never lost
FUZZ_SAN     := address,undefined,float-cast-overflow
# `make ubsan`: unit and end-to-end tests built with clang under UBSan alone
UBSAN_SAN    := undefined,float-cast-overflow,float-divide-by-zero

.PHONY: all check check-fast asan ubsan test-run lint format install uninstall deps demo clean bench \
        fuzz fuzz-build fuzz-bins fuzz-replay fuzz-merge contrib

all: $(BIN)

$(O)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(O)/libstreamtop.a: $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BIN): $(O)/obj/main.o $(O)/libstreamtop.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(O)/tests/%: tests/unit/%.c tests/unit/testutil.h $(O)/libstreamtop.a
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(O)/libstreamtop.a $(LDLIBS) \
		$(shell $(PKG_CONFIG) --libs cmocka)

# Build and run every test: unit tests (cmocka), end-to-end tests of the real binary, and a
# replay of the committed fuzzing corpora (when clang is there). Ends with "N passed, N failed".
check: deps
	@$(MAKE) --no-print-directory all tests
	@if command -v $(FUZZ_CC) >/dev/null 2>&1; then $(MAKE) --no-print-directory fuzz-build; fi
	@$(MAKE) --no-print-directory test-run

# The same without the live Spark suite (tests/e2e/test_spark.sh skips), for quick loops.
check-fast: deps
	@$(MAKE) --no-print-directory all tests
	@if command -v $(FUZZ_CC) >/dev/null 2>&1; then $(MAKE) --no-print-directory fuzz-build; fi
	@STREAMTOP_SKIP_LIVE=1 $(MAKE) --no-print-directory test-run

tests: $(TEST_BIN) $(O)/bench/histdrive

test-run:
	@O=$(O) sh tests/run.sh

# The same tests under AddressSanitizer and UndefinedBehaviorSanitizer.
asan: deps
	@$(MAKE) --no-print-directory O=build-asan SANITIZER=address,undefined \
		CFLAGS="-O1 -g" all tests
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		$(MAKE) --no-print-directory O=build-asan test-run

# The same tests built with clang under UndefinedBehaviorSanitizer alone (float-cast-overflow
# and float-divide-by-zero included, which gcc's -fsanitize=undefined does not check).
ubsan: deps
	@$(MAKE) --no-print-directory O=build-ubsan CC=$(FUZZ_CC) SANITIZER=$(UBSAN_SAN) \
		CFLAGS="-O1 -g" all tests
	@UBSAN_OPTIONS=print_stacktrace=1 $(MAKE) --no-print-directory O=build-ubsan test-run

$(O)/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz.h tests/fuzz/fuzz_cursor.h $(O)/libstreamtop.a
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -fsanitize=fuzzer -o $@ $< $(O)/libstreamtop.a \
		$(LDLIBS)

fuzz-bins: $(FUZZ_BIN)

# The harnesses of tests/fuzz/, linked with the library built by clang in $(FUZZ_O).
fuzz-build: deps
	@$(MAKE) --no-print-directory O=$(FUZZ_O) CC=$(FUZZ_CC) \
		SANITIZER=fuzzer-no-link,$(FUZZ_SAN) CFLAGS="-O1 -g" fuzz-bins

# Fuzz each harness for FUZZ_SECONDS (FUZZ=name limits it to one). New inputs collect in
# $(FUZZ_O)/corpus/NAME, crashes in $(FUZZ_O)/crashes/NAME (listed; the run then fails).
fuzz: fuzz-build
	@FUZZ_O=$(FUZZ_O) FUZZ_SECONDS=$(FUZZ_SECONDS) sh tests/fuzz/run.sh run $(FUZZ)

# Run every committed corpus input once through its harness (regression mode).
fuzz-replay: fuzz-build
	@FUZZ_O=$(FUZZ_O) sh tests/fuzz/run.sh replay $(FUZZ)

# Add the inputs of $(FUZZ_O)/corpus/NAME that reach new code to tests/fuzz/corpus/NAME.
fuzz-merge: fuzz-build
	@FUZZ_O=$(FUZZ_O) sh tests/fuzz/run.sh merge $(FUZZ)

deps:
	@sh scripts/deps.sh

# Files of contrib/ generated from the metric registry (committed; test_contrib.sh checks
# they match what the binary generates).
contrib: $(BIN)
	$(BIN) metrics --grafana -o contrib/grafana/streamtop.json

# The dashboard on a live simulated pipeline (on a terminal); elsewhere a scripted tour in text.
demo: deps
	@$(MAKE) --no-print-directory all
	@if [ -t 0 ] && [ -t 1 ] && [ "$${TERM:-dumb}" != dumb ]; then $(BIN) demo; \
	else sh scripts/demo.sh $(BIN); fi

$(O)/bench/histdrive: bench/histdrive.c $(O)/libstreamtop.a
	@mkdir -p $(dir $@)
	@$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(O)/libstreamtop.a $(LDLIBS)

$(O)/bench/frame: bench/frame.c $(O)/libstreamtop.a
	@mkdir -p $(dir $@)
	@$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(O)/libstreamtop.a $(LDLIBS)

bench:
	@sh bench/run.sh
	@sh bench/backlog.sh
	@sh bench/s3list.sh
	@sh bench/s3incr.sh
	@sh bench/cron.sh
	@sh bench/dbxlist.sh
	@sh bench/azlist.sh
	@sh bench/alerts.sh
	@sh bench/tui.sh
	@sh bench/history.sh
	@sh bench/detect.sh
	@sh bench/kafka.sh
	@sh bench/serve.sh

# Formatting, the man pages, and the layer rules (which layer may include which; each library in
# one layer).
lint:
	clang-format --dry-run --Werror $(LIB_SRC) main.c $(wildcard */*.h) tests/unit/testutil.h tests/unit/cursorutil.h $(TEST_SRC) \
		tests/fuzz/fuzz.h tests/fuzz/fuzz_cursor.h $(FUZZ_SRC)
	groff -man -ww -z man/streamtop.1 man/streamtop.conf.5
	sh scripts/layers.sh

format:
	clang-format -i $(LIB_SRC) main.c $(wildcard */*.h) tests/unit/testutil.h tests/unit/cursorutil.h $(TEST_SRC) \
		tests/fuzz/fuzz.h tests/fuzz/fuzz_cursor.h $(FUZZ_SRC)

# shell completions are generated from the command tables by the binary just built
install: $(BIN)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANPREFIX)/man1 $(DESTDIR)$(MANPREFIX)/man5 \
		$(DESTDIR)$(DOCDIR) $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR)
	install -m 755 $(BIN) $(DESTDIR)$(BINDIR)/streamtop
	install -m 644 man/streamtop.1 $(DESTDIR)$(MANPREFIX)/man1/streamtop.1
	install -m 644 man/streamtop.conf.5 $(DESTDIR)$(MANPREFIX)/man5/streamtop.conf.5
	install -m 644 examples/streamtop.conf.example $(DESTDIR)$(DOCDIR)/streamtop.conf.example
	install -m 644 LICENSE $(DESTDIR)$(DOCDIR)/LICENSE
	$(BIN) completion bash >$(DESTDIR)$(BASHCOMPDIR)/streamtop
	$(BIN) completion zsh >$(DESTDIR)$(ZSHCOMPDIR)/_streamtop
	chmod 644 $(DESTDIR)$(BASHCOMPDIR)/streamtop $(DESTDIR)$(ZSHCOMPDIR)/_streamtop

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/streamtop $(DESTDIR)$(MANPREFIX)/man1/streamtop.1 \
		$(DESTDIR)$(MANPREFIX)/man5/streamtop.conf.5 \
		$(DESTDIR)$(DOCDIR)/streamtop.conf.example $(DESTDIR)$(DOCDIR)/LICENSE \
		$(DESTDIR)$(BASHCOMPDIR)/streamtop $(DESTDIR)$(ZSHCOMPDIR)/_streamtop

clean:
	rm -rf build build-asan build-ubsan $(FUZZ_O)

-include $(LIB_OBJ:.o=.d) $(O)/obj/main.d $(FUZZ_BIN:=.d)
