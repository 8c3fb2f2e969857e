# Quire: GNU Make build. Sources are discovered, so adding a file under src/
# or a test under tests/unit/ needs no change here.
#
#   make            build build/quire
#   make run        build, create a demo account, start the server
#   make test       build and run every test (unit, then protocol)
#   make check-asan the same suites against an ASan+UBSan build
#   make deps       install missing Debian packages (as root) or list them

BUILD    ?= build
CC       ?= gcc
PKGS     := openssl sqlite3 zlib libcrypt
PYTHON   ?= /usr/bin/python3
SAN      ?=

ifeq ($(SAN),1)
BUILD    := build/asan
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif

CFLAGS_BASE := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter \
               -Wformat=2 -Wno-format-nonliteral -D_GNU_SOURCE -Isrc $(SANFLAGS)
PKG_CFLAGS  := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS    := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS      += $(CFLAGS_BASE) $(PKG_CFLAGS)
LDLIBS      += $(PKG_LIBS) -lpthread
LDFLAGS     += $(SANFLAGS)

SRCS      := $(shell find src -name '*.c' | sort)
LIB_SRCS  := $(filter-out src/main.c,$(SRCS))
LIB_OBJS  := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(LIB_SRCS))
UNIT_SRCS := $(wildcard tests/unit/test-*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))

.PHONY: all run test unit-test protocol-test check-asan deps clean bench fuzz

all: $(BUILD)/quire

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/libquire.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/quire: $(BUILD)/obj/main.o $(BUILD)/libquire.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libquire.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit -o $@ $< $(BUILD)/libquire.a $(LDFLAGS) $(LDLIBS) -lcmocka

deps:
	@scripts/install-deps.sh

run: deps all
	@scripts/run-demo.sh $(BUILD)/quire

unit-test: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

# Protocol tests mostly wait on sockets and fsync, so they run as several
# pytest workers (python3-pytest-xdist) even on two cores.
PYTEST_JOBS ?= 4
protocol-test: $(BUILD)/quire
	QUIRE_BIN=$(abspath $(BUILD)/quire) $(PYTHON) -m pytest -q -n $(PYTEST_JOBS) tests/imap $(PYTEST_ARGS)

test: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory unit-test
	@$(MAKE) --no-print-directory protocol-test

check-asan: deps
	@$(MAKE) --no-print-directory SAN=1 all unit-test protocol-test \
		ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
