# blogengine: `make run` serves the blog, `make test` runs every test. Both set up from a bare machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 5000
export FLASK_APP := blogengine

.PHONY: run test e2e bench lint install db seed clean serve-gunicorn

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

run: seed
	@echo "Serving on http://127.0.0.1:$(PORT)/"
	$(BIN)/gunicorn --bind 127.0.0.1:$(PORT) --workers 2 --access-logfile - wsgi:app

test: install
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n 2 -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
