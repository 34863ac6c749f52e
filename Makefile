# lep: `make run` serves the app with demo data; `make test` runs the whole suite.
# Both set up everything they need first (a .venv, the pinned packages, NHS.UK frontend assets).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
SCALE  ?= S
# The suite on every core (pytest-xdist; a test file stays on one worker). PYTEST_ARGS= runs it serially.
PYTEST_ARGS ?= -n auto --dist loadfile
export FLASK_APP := wsgi:app
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test lint format install install-dev assets db demo browser worker clean help bench bench-compare wrk audit

help:
	@echo "make run     set up, migrate, seed demo data and serve on http://127.0.0.1:$(PORT)"
	@echo "make test    set up and run lint plus the whole test suite"
	@echo "make lint    ruff (lint and format check) and mypy on lep/"
	@echo "make audit   pip-audit: known vulnerabilities in the pinned packages (needs its data online)"
	@echo "make bench   benchmark at SCALE=S|M|L on PostgreSQL (see bench/README.md)"
	@echo "make bench-compare   the latest benchmark against the previous one"

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

lep/static/nhsuk/VERSION: node_modules/.installed scripts/copy_assets.py
	$(BIN)/python scripts/copy_assets.py

assets: lep/static/nhsuk/VERSION
install: $(VENV)/.runtime assets
install-dev: $(VENV)/.dev assets

# PostgreSQL: the app connects as a role that does not own the tables, so it cannot set the audit
# log's triggers aside or rewrite it (lep/dbroles.py). Given only DATABASE_URL, these targets take
# it as the owner's (migrations, grants) and run the app as APP_DB_ROLE on the same server; with
# MIGRATION_DATABASE_URL set too, both are used as given.
APP_DB_ROLE ?= lep_app
ifneq ($(filter postgres%,$(DATABASE_URL)),)
ifeq ($(MIGRATION_DATABASE_URL),)
run db demo worker: export override MIGRATION_DATABASE_URL := $(DATABASE_URL)
run db demo worker: export override DATABASE_URL := $(shell $(PYTHON) scripts/app_database_url.py '$(DATABASE_URL)' '$(APP_DB_ROLE)')
endif
endif

db: install
	$(BIN)/flask db upgrade
	$(BIN)/flask lep grant-app-role --create

demo: db
	$(BIN)/flask lep demo

run: demo
	@echo
	@echo "lep is starting: open http://127.0.0.1:$(PORT)/ and sign in at http://127.0.0.1:$(PORT)/sign-in"
	@echo "Database: $${DATABASE_URL:-sqlite:///instance/lep.sqlite3}$${MIGRATION_DATABASE_URL:+ (migrated as the owner, MIGRATION_DATABASE_URL)}"
	@echo "Emails the app sends: http://127.0.0.1:$(PORT)/dev/outbox (with MAIL_PROVIDER=outbox, the default, they go nowhere else)"
	@echo
	PORT=$(PORT) $(BIN)/flask run --host 127.0.0.1 --port $(PORT)

# Debian's Chromium for the browser tests (Playwright's own browser download does not work offline).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-liberation >/dev/null; }

lint: install-dev
	$(BIN)/ruff check lep tests bench config.py wsgi.py scripts migrations
	$(BIN)/ruff format --check lep tests bench config.py wsgi.py scripts migrations
	$(BIN)/mypy lep

format: install-dev
	$(BIN)/ruff format lep tests bench config.py wsgi.py scripts migrations
	$(BIN)/ruff check --fix lep tests bench config.py wsgi.py scripts migrations

test: install-dev browser lint
	$(BIN)/pytest $(PYTEST_ARGS)

worker: install
	$(BIN)/flask lep worker

# Debian's wrk drives the load (only ever at 127.0.0.1).
wrk:
	@command -v wrk >/dev/null 2>&1 || { \
	  echo "Installing Debian's wrk for the benchmarks"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq wrk >/dev/null; }

bench: install-dev wrk
	$(BIN)/python -m bench.run --scale $(SCALE) $(BENCH_ARGS)

bench-compare: install-dev
	$(BIN)/python -m bench.compare $(COMPARE_ARGS)

# Known vulnerabilities in every pinned package, from PyPI's advisory data. pip-audit needs that
# data online: where it cannot reach it, each package it could not check fails the audit
# (--strict) instead of passing unchecked.
audit: install-dev
	@$(BIN)/pip-audit --strict --progress-spinner off --no-deps --disable-pip \
	  -r requirements.txt -r requirements-dev.txt || { \
	  echo "make audit: FAILED. Either a pinned package has a known vulnerability (listed above) or"; \
	  echo "pip-audit could not reach PyPI's vulnerability data for one (\"could not be audited\"):"; \
	  echo "then nothing was audited; run it where PyPI's JSON API is reachable."; exit 1; }

clean:
	rm -rf $(VENV) node_modules lep/static/nhsuk lep/static/assets .pytest_cache .mypy_cache .ruff_cache
