# blogengine: `make run` serves the blog, `make test` runs every test. Both set up from a bare machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 5000
WORKERS ?= 2
CHROMIUM := /usr/bin/chromium
PYTEST_WORKERS ?= 2

.PHONY: run test unit e2e chromium wrk bench bench-load lint install db seed clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(STAMP)

db: install
	$(BIN)/blogengine db upgrade

seed: db
	$(BIN)/blogengine seed seeds/*

# Serves the site, with the outbox worker (sends the site's email) beside it, stopped with it.
run: seed
	@echo "Serving on http://127.0.0.1:$(PORT)/  (Ctrl-C stops)"
	$(BIN)/blogengine outbox run & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT; \
	$(BIN)/gunicorn -c gunicorn.conf.py --bind 127.0.0.1:$(PORT) --workers $(WORKERS) wsgi:app

# Every test: lint, the unit and integration tests, then the browser tests when Chromium is here.
test: unit
	@if [ -x $(CHROMIUM) ]; then $(MAKE) --no-print-directory e2e; \
	else echo "make test: $(CHROMIUM) not found, browser tests not run (make e2e installs it)"; fi

unit: lint
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) -q --ignore=tests/e2e

# Browser tests: headless Debian Chromium driven by Playwright (never `playwright install`).
e2e: install chromium
	$(BIN)/python -m pytest -q tests/e2e

chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
	  echo "Installing Debian's chromium package for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	fi

# Debian's wrk drives the benchmark's load (bench/perf.py falls back to Python threads without it).
wrk:
	@if ! command -v wrk >/dev/null; then \
	  echo "Installing Debian's wrk package for the benchmark"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; \
	fi

# The benchmark: blogengine against a naive Flask app and the bare floor in one run, as ratios
# (bench/README.md). PostgreSQL: $$BLOGENGINE_TEST_POSTGRES_URL, else the local server.
bench: install wrk
	$(BIN)/python -m bench.perf

# Correctness under concurrent writes: 2,000 comments from 32 clients, 4 workers, both databases.
bench-load: install
	$(BIN)/python -m bench.load_comments --comments 2000 --clients 32 --workers 4 --db sqlite
	$(BIN)/python -m bench.load_comments --comments 2000 --clients 32 --workers 4 --db postgres

# Lint and types: ruff, and mypy as configured in pyproject.toml (strict, exceptions listed there).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
