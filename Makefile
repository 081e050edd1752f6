# casedesk: `make run` serves the demo on the embedded SQLite default; `make test` runs the
# whole suite against PostgreSQL (DATABASE_URL) plus a smoke run on SQLite. Both first
# check the system packages they need (system-run, system-test: tools/system_deps.sh) and
# install them with apt-get when allowed, then install the Python packages pinned, with
# hashes, in requirements/lock.txt (`make lock` regenerates it from pyproject.toml).

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
DEMO_CASES ?= 300
HOST ?= 127.0.0.1:8000
LOCK := requirements/lock.txt
# Extra pip-compile arguments for `make lock`: --upgrade (every pin), -P NAME (one package).
LOCK_ARGS ?=

.PHONY: run test lint unit smoke seed migrate bench docs clean lock \
	system system-venv system-run system-test system-bench

# The system packages of each target (tools/system_deps.sh says which): checked, installed
# with apt-get as root or through passwordless sudo, otherwise named with the command that
# installs them. SYSTEM_INSTALL=0 only checks.
system-venv system-run system-test system-bench: system-%:
	@PYTHON='$(PYTHON)' VENV='$(VENV)' bash tools/system_deps.sh $*
system:
	@PYTHON='$(PYTHON)' VENV='$(VENV)' bash tools/system_deps.sh test bench

# Exactly the pinned, hashed packages of the lock (setuptools, the build backend, included),
# then the project itself without dependencies; `pip check` fails if pyproject.toml asks
# for a package the lock lacks (run `make lock`).
$(VENV)/.installed: pyproject.toml $(LOCK) | system-venv
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	$(PY) -m pip check
	touch $@

# Regenerate the lock from pyproject.toml's dependencies and its [dev] extra, for Linux and
# Python 3.11; pins already in it are kept unless LOCK_ARGS moves them, and the new pins are
# audited. pip-tools runs in a venv of its own from $(PYTHON): make it the oldest Python the
# lock serves (Debian 12's python3, 3.11.2), for pip-compile writes what that interpreter
# needs (async-timeout, which redis needs below 3.11.3) and newer ones install it harmlessly.
LOCK_VENV ?= var/lock-venv
lock: system-venv
	test -x $(LOCK_VENV)/bin/python || $(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet pip-tools
	$(LOCK_VENV)/bin/pip-compile --quiet --extra dev --generate-hashes --allow-unsafe \
	  --all-build-deps --strip-extras --no-emit-index-url --no-emit-find-links \
	  --no-emit-trusted-host $(LOCK_ARGS) --output-file $(LOCK) pyproject.toml
	$(LOCK_VENV)/bin/python tools/dep_audit.py --requirements $(LOCK)

migrate: $(VENV)/.installed
	$(PY) manage.py migrate --noinput
	$(PY) manage.py migrate --noinput --database keys

# The background worker (the notices outbox, and db_worker for the other tasks, which it
# restarts) runs beside the web server and stops with it. It survives database restarts;
# should it exit anyway, the loop starts it again after 2 s (systemd's Restart=always in
# production, docs/deployment.md).
run: system-run migrate
	$(PY) manage.py seed_demo --cases $(DEMO_CASES) --if-empty
	$(PY) manage.py campaigns_group  # the demo's letters sent by several families
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

unit: system-test $(VENV)/.installed
	DATABASE_URL=$${DATABASE_URL:-$(PG_URL)} DJANGO_ENV=test $(VENV)/bin/pytest -n 2 -p no:cacheprovider

# The embedded default: a fresh SQLite file, migrated and seeded, then the smoke tests.
smoke: system-run $(VENV)/.installed
	rm -rf var/smoke && mkdir -p var/smoke
	CASEDESK_VAR_DIR=var/smoke DATABASE_URL= $(PY) manage.py migrate --noinput -v 0
	CASEDESK_VAR_DIR=var/smoke DATABASE_URL= $(PY) manage.py migrate --noinput -v 0 --database keys
	CASEDESK_VAR_DIR=var/smoke DATABASE_URL= $(PY) manage.py seed_demo --cases 40
	CASEDESK_VAR_DIR=var/smoke DATABASE_URL= $(PY) manage.py stats_refresh
	CASEDESK_VAR_DIR=var/smoke DATABASE_URL= $(PY) manage.py campaigns_group
	CASEDESK_VAR_DIR=var/smoke DATABASE_URL= $(PY) manage.py sweep_deadlines
	CASEDESK_VAR_DIR=var/smoke DATABASE_URL= $(PY) manage.py check
	CASEDESK_VAR_DIR=var/smoke DATABASE_URL= DJANGO_ENV=test $(VENV)/bin/pytest -m smoke -p no:cacheprovider

test: system-test lint unit smoke

docs: $(VENV)/.installed
	$(PY) manage.py workflow_diagram --output docs/workflow.md
	$(PY) manage.py architecture_diagram --output docs/architecture.md

clean:
	rm -rf $(VENV) var

# Issue 8's benchmark (bench/run.py): loads BENCH_CASES (default 100000) cases into the
# PostgreSQL database casedesk_bench, measures pages, intake and import, writes
# bench/results.json.
bench: system-bench $(VENV)/.installed
	$(PY) bench/run.py
