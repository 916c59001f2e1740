# streamtop: a plain GNU Makefile. `make`, `make check`, `make asan`, `make demo`.
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
MANPREFIX  ?= $(PREFIX)/share/man
DESTDIR    ?=
PKG_CONFIG ?= pkg-config
# build folder; `make asan` uses its own
O          ?= build
# e.g. SANITIZER=address,undefined
SANITIZER  ?=

PKGS := ncursesw sqlite3 libcurl libcjson inih
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

LAYERS   := core collectors export sim cmd net store alerts pass tui
LIB_SRC  := $(foreach d,$(LAYERS),$(wildcard $(d)/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(O)/obj/%.o)
TEST_SRC := $(wildcard tests/unit/test_*.c)
TEST_BIN := $(TEST_SRC:tests/unit/%.c=$(O)/tests/%)
BIN      := $(O)/streamtop

.PHONY: all check asan test-run lint format install uninstall deps demo clean bench

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

# Build and run every test: unit tests (cmocka) and end-to-end tests of the real binary.
# Ends with a line "N passed, N failed".
check: deps
	@$(MAKE) --no-print-directory all tests
	@$(MAKE) --no-print-directory test-run

tests: $(TEST_BIN)

test-run:
	@O=$(O) sh tests/run.sh

# The same tests under AddressSanitizer and UndefinedBehaviorSanitizer.
asan: deps
	@$(MAKE) --no-print-directory O=build-asan SANITIZER=address,undefined \
		CFLAGS="-O1 -g" all tests
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		$(MAKE) --no-print-directory O=build-asan test-run

deps:
	@sh scripts/deps.sh

# The dashboard on a live simulated pipeline (on a terminal); elsewhere a scripted tour in text.
demo: deps
	@$(MAKE) --no-print-directory all
	@if [ -t 0 ] && [ -t 1 ] && [ "$${TERM:-dumb}" != dumb ]; then $(BIN) demo; \
	else sh scripts/demo.sh $(BIN); fi

$(O)/bench/frame: bench/frame.c $(O)/libstreamtop.a
	@mkdir -p $(dir $@)
	@$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(O)/libstreamtop.a $(LDLIBS)

bench:
	@sh bench/run.sh
	@sh bench/backlog.sh
	@sh bench/s3list.sh
	@sh bench/alerts.sh
	@sh bench/tui.sh

# Formatting, the man pages, and the layer rules (which layer may include which; each library in
# one layer).
lint:
	clang-format --dry-run --Werror $(LIB_SRC) main.c $(wildcard */*.h) tests/unit/testutil.h $(TEST_SRC)
	groff -man -ww -z man/streamtop.1 man/streamtop.conf.5
	sh scripts/layers.sh

format:
	clang-format -i $(LIB_SRC) main.c $(wildcard */*.h) tests/unit/testutil.h $(TEST_SRC)

install: $(BIN)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANPREFIX)/man1 $(DESTDIR)$(MANPREFIX)/man5
	install -m 755 $(BIN) $(DESTDIR)$(BINDIR)/streamtop
	install -m 644 man/streamtop.1 $(DESTDIR)$(MANPREFIX)/man1/streamtop.1
	install -m 644 man/streamtop.conf.5 $(DESTDIR)$(MANPREFIX)/man5/streamtop.conf.5

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/streamtop $(DESTDIR)$(MANPREFIX)/man1/streamtop.1 \
		$(DESTDIR)$(MANPREFIX)/man5/streamtop.conf.5

clean:
	rm -rf build build-asan

-include $(LIB_OBJ:.o=.d) $(O)/obj/main.d
