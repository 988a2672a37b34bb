# cozebridge — developer entry points. POSIX make; see README.md.

SWIFT  ?= swift
VENV   ?= .venv
PYTEST ?= $(VENV)/bin/pytest
PORT   ?= 8090

.PHONY: all build test test-swift test-python run bench venv clean

all: build

build:
	$(SWIFT) build

# Swift unit tests, then the real discord.py against the emulator.
test: test-swift test-python

test-swift:
	$(SWIFT) build --build-tests
	$(SWIFT) test

test-python: $(PYTEST)
	$(SWIFT) build --product discord-emulator
	DISCORD_EMULATOR_BIN="$$($(SWIFT) build --show-bin-path)/discord-emulator" $(PYTEST) tests/python -v

$(PYTEST): tests/python/requirements.txt
	scripts/bootstrap venv

venv:
	scripts/bootstrap venv

# The emulator in the foreground (Ctrl-C stops it). The host will take over later.
run:
	$(SWIFT) build --product discord-emulator
	"$$($(SWIFT) build --show-bin-path)/discord-emulator" --port $(PORT)

# Every executable bench/* script, in name order; none yet is fine.
bench: build
	@set -e; found=0; for b in bench/*; do \
	    [ -f "$$b" ] && [ -x "$$b" ] || continue; \
	    found=1; echo "== $$b"; "$$b"; \
	done; [ "$$found" = 1 ] || echo "no benchmarks in bench/ yet"

clean:
	$(SWIFT) package clean
