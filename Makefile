# The README's commands. Everything runs from a local virtual environment in .venv.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# The settings default to production behaviour (DEBUG off, no fallback secret key, HTTPS only); the local run
# commands turn DEBUG on. Tests run with it off, as production does.
LOCAL_TARGETS := run worker demo demo-data demo-code migrate pki docs bench
$(LOCAL_TARGETS): export DJANGO_DEBUG ?= 1

.PHONY: reader run test lint bench docs migrate demo-data demo demo-code worker pki clean browser

$(VENV)/.installed: requirements.txt
	@echo "==> Installing the Python dependencies into $(VENV) (first run only; a few minutes)"
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt requirements-eval.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps -r requirements-eval.txt
	touch $@

migrate: $(VENV)/.installed
	@echo "==> Database: applying migrations"
	@$(PY) manage.py migrate --noinput

pki: migrate
	$(PY) manage.py pki_init --if-missing

demo-data: migrate pki
	$(PY) manage.py seed_demo

## run: install, migrate, load demo data, print the demo logins, serve on http://127.0.0.1:8000/ with workers
# Three workers run beside the web server, supervised (restarted, with the reason logged, if one exits), and
# stop with it on Ctrl-C, as in production (docs/deploy.md): the engine worker (queue `gpu`, one job at a time;
# log var/worker.log), a worker for `default` (fingerprints), and one for `sweeps` that also runs the schedule
# (beat), so a long engine job never holds up the sweep that requeues or fails a dead worker's job (logs
# var/worker-default.log, var/worker-sweeps.log; the supervisor's own: var/run_platform.log).
CELERY_WORKER := $(VENV)/bin/celery -A likeness worker --pool=solo --concurrency=1 --loglevel=INFO
# (migrate, pki and demo-data as below, in the supervisor's own process: a warm start takes a few seconds)
run: $(VENV)/.installed
	@$(PY) manage.py run_platform --demo --host $(HOST) --port $(PORT)

## worker: another engine worker on its own (e.g. a second one beside `make run`)
worker: $(VENV)/.installed
	$(CELERY_WORKER) -Q gpu -n gpu-$$$$@%h

## demo-code: the current authenticator code of a demo account (make demo-code WHO=counsel)
WHO ?= counsel
demo-code: $(VENV)/.installed
	@$(PY) manage.py demo_code $(WHO)

## demo: the whole chain headless on a synthetic performer (consent, training, aging, output, release)
demo: demo-data
	$(PY) manage.py demo_chain

## browser: Debian's Chromium for the browser tests (they are skipped, with the reason, without it)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "Chromium is missing: run 'sudo apt-get install chromium' for the browser tests"; fi; }

## reader: the independent C2PA reader the provenance tests use (@trustnxt/c2pa-ts from npm, pinned by its lock;
## npm install, not npm ci: ci refuses a lock without the optional native builds some registries lack)
READER = tests/independent_reader
reader: $(READER)/node_modules/.installed
$(READER)/node_modules/.installed: $(READER)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  cd $(READER) && npm install --no-audit --no-fund --ignore-scripts --loglevel=error && touch node_modules/.installed; \
	else echo "npm is missing: the independent-reader tests will be skipped"; fi

## lint: style (ruff), the layering (import-linter: the contracts in pyproject.toml), types (mypy: its settings in
## pyproject.toml), the generated rule catalogue and the migrations up to date with the models
lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check likeness engine tests bench
	$(VENV)/bin/lint-imports --no-cache
	DJANGO_DEBUG=1 $(VENV)/bin/mypy
	DJANGO_DEBUG=1 $(PY) manage.py rules_doc --check
	DJANGO_DEBUG=1 $(PY) manage.py makemigrations --check --dry-run

## test: install what tests need, lint, and run them (DATABASE_URL=postgres://... to run them on PostgreSQL;
## NO_LINT=1 skips the lint, e.g. for a second pass on another database). The tests are spread over
## TEST_PROCESSES pytest processes (pytest-xdist; one module per process at a time, so a module's shared
## fixtures are built once; TEST_PROCESSES=0 runs them in this process). Each process, and each worker a test
## starts, computes on one thread: two processes on two cores, not four threads fighting for them.
TEST_PROCESSES ?= 2
test: $(VENV)/.installed-dev $(READER)/node_modules/.installed
	@if [ -z "$(NO_LINT)" ]; then $(MAKE) --no-print-directory lint; fi
	OMP_NUM_THREADS=1 $(PY) -m pytest -n $(TEST_PROCESSES) --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

## docs: regenerate docs/rules.md from the rule registry
docs: $(VENV)/.installed
	$(PY) manage.py rules_doc

bench: $(VENV)/.installed
	$(PY) bench/gate.py
	$(PY) bench/pipeline.py
	$(PY) bench/provenance.py
	$(PY) bench/engine.py
	$(PY) bench/plates.py
	$(PY) bench/broker.py

clean:
	rm -rf $(VENV) var
