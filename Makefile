# casedesk: `make run` serves the demo on the embedded SQLite default; `make test` runs the
# whole suite against PostgreSQL (DATABASE_URL) plus a smoke run on SQLite.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
DEMO_CASES ?= 300
HOST ?= 127.0.0.1:8000

.PHONY: run test lint unit smoke seed migrate bench docs clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip setuptools
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

migrate: $(VENV)/.installed
	$(PY) manage.py migrate --noinput
	$(PY) manage.py migrate --noinput --database keys

# The background worker (the notices outbox, and db_worker for the other tasks, which it
# restarts) runs beside the web server and stops with it. It survives database restarts;
# should it exit anyway, the loop starts it again after 2 s (systemd's Restart=always in
# production, docs/deployment.md).
run: migrate
	$(PY) manage.py seed_demo --cases $(DEMO_CASES) --if-empty
	$(PY) manage.py stats_refresh
	(trap 'kill $$child 2>/dev/null; wait $$child; exit 0' INT TERM; \
	 while :; do $(PY) manage.py worker & child=$$!; wait $$child; \
	   echo "worker exited ($$?); restarting in 2 s" >&2; sleep 2; done) & supervisor=$$!; \
	trap 'kill $$supervisor 2>/dev/null; wait $$supervisor' EXIT INT TERM; \
	$(PY) manage.py runserver $(HOST)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check casedesk bench tools
	$(VENV)/bin/lint-imports
	$(PY) tools/dep_audit.py

unit: $(VENV)/.installed
	DATABASE_URL=$${DATABASE_URL:-$(PG_URL)} DJANGO_ENV=test $(VENV)/bin/pytest -n 2 -p no:cacheprovider

# The embedded default: a fresh SQLite file, migrated and seeded, then the smoke tests.
smoke: $(VENV)/.installed
	rm -rf var/smoke && mkdir -p var/smoke
	CASEDESK_VAR_DIR=var/smoke DATABASE_URL= $(PY) manage.py migrate --noinput -v 0
	CASEDESK_VAR_DIR=var/smoke DATABASE_URL= $(PY) manage.py migrate --noinput -v 0 --database keys
	CASEDESK_VAR_DIR=var/smoke DATABASE_URL= $(PY) manage.py seed_demo --cases 40
	CASEDESK_VAR_DIR=var/smoke DATABASE_URL= $(PY) manage.py stats_refresh
	CASEDESK_VAR_DIR=var/smoke DATABASE_URL= $(PY) manage.py sweep_deadlines
	CASEDESK_VAR_DIR=var/smoke DATABASE_URL= $(PY) manage.py check
	CASEDESK_VAR_DIR=var/smoke DATABASE_URL= DJANGO_ENV=test $(VENV)/bin/pytest -m smoke -p no:cacheprovider

test: lint unit smoke

docs: $(VENV)/.installed
	$(PY) manage.py workflow_diagram --output docs/workflow.md
	$(PY) manage.py architecture_diagram --output docs/architecture.md

clean:
	rm -rf $(VENV) var

# Issue 8's benchmark (bench/run.py): loads BENCH_CASES (default 100000) cases into the
# PostgreSQL database casedesk_bench, measures pages, intake and import, writes
# bench/results.json.
bench: $(VENV)/.installed
	$(PY) bench/run.py
