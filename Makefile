# Quizsite: `make run` serves the site on SQLite, `make test` runs the suite.
# Every target installs what it needs first, from the committed lock file.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.8
BANK := exams/bank/*.yaml
# Development defaults; production sets DEBUG=0 and a real SECRET_KEY (docs/deploy.md).
export DEBUG ?= 1

# The first Python 3.12+ on PATH, then under ~/.pyenv/versions. pyenv shims that
# pyenv has not selected fail the version probe and are skipped.
define find_python
for name in python3.13 python3.12 python3 python; do \
  cand=$$(command -v $$name 2>/dev/null) || continue; \
  "$$cand" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo "$$cand"; exit 0; }; \
done; \
for cand in $$HOME/.pyenv/versions/3.1[2-9]*/bin/python3; do \
  [ -x "$$cand" ] && "$$cand" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo "$$cand"; exit 0; }; \
done; \
exit 1
endef

.PHONY: help install run test test-pg e2e smoke lint format check bench clean

help:
	@echo "make run      install, migrate, load the bank and demo data, serve http://127.0.0.1:8000"
	@echo "make test     run the test suite (SQLite; DATABASE_URL=postgres://... for PostgreSQL)"
	@echo "make test-pg  run the test suite on the local PostgreSQL"
	@echo "make e2e      run the browser tests (needs Debian's chromium)"
	@echo "make bench    an exam day, a class day and its faults under load; SCENARIO=classday-1000 runs one"
	@echo "make smoke    production smoke test: gunicorn, DEBUG off, PostgreSQL"
	@echo "make lint     ruff check, ruff format --check, makemigrations --check"

install: $(VENV)/.installed

$(VENV)/.installed: requirements-dev.lock
	@py=$$($(find_python)) || { \
	  echo "error: Quizsite needs Python 3.12 or newer, and none was found on PATH" >&2; \
	  echo "       or under ~/.pyenv/versions/. Install one (e.g. 'pyenv install 3.12')" >&2; \
	  echo "       and run make again." >&2; exit 1; }; \
	if [ -x $(BIN)/python ] && ! $(BIN)/python -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
	  echo "Replacing $(VENV): it was made with a Python older than 3.12"; rm -rf $(VENV); fi; \
	[ -x $(BIN)/python ] || { echo "Creating $(VENV) with $$py"; "$$py" -m venv $(VENV); }
	@# uv installs the locked set in seconds; plain pip is the fallback.
	@if [ -x $(BIN)/uv ] || $(BIN)/python -m pip install -q "uv==$(UV_VERSION)" 2>/dev/null; then \
	  $(BIN)/uv pip install -q --python $(BIN)/python --require-hashes -r requirements-dev.lock; \
	else \
	  $(BIN)/python -m pip install -q --require-hashes -r requirements-dev.lock; \
	fi
	@touch $@

run: install
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py load_bank --only-new $(BANK)
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver 127.0.0.1:8000

test: install
	$(BIN)/pytest -m "not e2e" -n 2 $(PYTEST_ARGS)

test-pg: install
	DATABASE_URL=$${TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/quizsite} $(BIN)/pytest -m "not e2e" -n 2 $(PYTEST_ARGS)

e2e: install
	@[ -x "$${CHROMIUM_PATH:-/usr/bin/chromium}" ] || { \
	  echo "error: browser tests need Chromium at $${CHROMIUM_PATH:-/usr/bin/chromium}:" >&2; \
	  echo "       apt-get update && apt-get install -y chromium" >&2; exit 1; }
	$(BIN)/pytest -m e2e $(PYTEST_ARGS)

bench: install
	timeout 600 $(BIN)/python tests/bench/run.py $(SCENARIO)

smoke: install
	bash .ci/smoke

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: test e2e lint

clean:
	rm -rf $(VENV) staticfiles
