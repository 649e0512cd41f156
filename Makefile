# Jisr: two commands do everything on a fresh machine with Python 3.11.
#   make book   set up, build the book in ar/fr/en, serve it at http://127.0.0.1:8000
#   make test   set up, then run the whole test suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: book test setup system-deps check bench clean

setup: $(INSTALLED)

$(INSTALLED): pyproject.toml requirements/constraints.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Jisr needs Python 3.11, found " + sys.version' 
	$(PYTHON) -m venv $(VENV)
	# torch is pinned to the CPU build (torch==2.13.0); an unpinned torch would pull a multi-GB CUDA build
	$(BIN)/pip install --quiet -c requirements/constraints.txt -e ".[test]"
	touch $(INSTALLED)

# Debian packages the tests need, installed when absent: Chromium and its driver for the
# page tests, bubblewrap for the grading sandbox, PostgreSQL for the gradebook tests (they
# start their own private server; Debian keeps initdb off PATH, under /usr/lib/postgresql/*/bin).
system-deps:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null && command -v bwrap >/dev/null && \
	  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
	  { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); $$SUDO apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver bubblewrap postgresql >/dev/null; }

book: setup
	$(BIN)/jisr build
	$(BIN)/jisr serve --host 127.0.0.1 --port 8000

test: setup system-deps
	$(BIN)/python -m pytest

check: setup
	$(BIN)/jisr check

bench: setup
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf _build
