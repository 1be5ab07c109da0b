# Everything runs from one virtualenv (.venv), installed from the hash-locked requirements.
#
#   make run    set up, migrate, seed the demo tenant, serve on http://127.0.0.1:8000
#   make test   set up and run the whole test suite
#   make lint   ruff check, ruff format --check, mypy
#
# HOST, PORT, DATABASE_URL (and the other settings in .env.example) come from the
# environment or from .env, e.g. `PORT=8080 make run`.

# CPython 3.11, 3.12 or 3.13: the first of python3.13, python3.12, python3.11 on PATH, else
# python3 (checked below). The locks are universal: one file resolves for all three.
# A candidate must run, not only be on PATH: pyenv puts shims there for versions not installed.
SUPPORTED_PYTHON := import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))
PYTHON ?= $(shell for candidate in python3.13 python3.12 python3.11; do \
	$$candidate -c '$(SUPPORTED_PYTHON)' >/dev/null 2>&1 && { echo $$candidate; exit 0; }; done; echo python3)
UV_VERSION ?= 0.13.8
# Extra arguments for uv pip compile, e.g. `make lock LOCK_ARGS=--upgrade`.
LOCK_ARGS ?=
# Extra arguments for pytest, e.g. `make test PYTEST_ARGS="-k drafts -x"`.
PYTEST_ARGS ?=
# pytest-xdist worker processes for `make test`: `auto` is one per CPU; `PYTEST_WORKERS=0` runs the
# suite in one process (needed for `pytest -s`, whose output xdist workers do not show).
# Work stealing, not fixed chunks: a few tests (schemathesis, the state machines) take minutes each.
PYTEST_WORKERS ?= auto
# Arguments for scripts/crash_test.py (default: 60 s and 20 kills on SQLite and PostgreSQL), e.g.
# `make crash-test CRASH_TEST_ARGS="--database postgresql --duration 300 --server-workers 2"`.
CRASH_TEST_ARGS ?=
# Arguments for bench/run.py (docs/benchmarks.md), e.g. `make bench BENCH_ARGS="--scale 1000000"`.
BENCH_ARGS ?=
# The smoke CI runs: small, short, both databases; it checks the harness works, not its figures.
BENCH_SMOKE_ARGS ?= --scale 10000 --tenants 4 --seconds 2 --connections 8 --warmup 1 --ceiling-clients 4 --documents 50 --pages 20 \
	--output bench/results/smoke.json

VENV := .venv
BIN := $(VENV)/bin
VENV_PYTHON := $(BIN)/python
# Touched after a successful install; anything newer than it means "install again".
STAMP := $(VENV)/.installed
UV_STAMP := $(VENV)/.uv-$(UV_VERSION)
INVOICING := $(BIN)/invoicing

.DEFAULT_GOAL := help
.PHONY: help setup run serve migrate demo test lint format lock clean clean-db crash-test bench bench-smoke wrk currencies docs-images screenshots

help:
	@echo "make run       set up, migrate, seed the demo tenant (first run only) and serve"
	@echo "               on http://\$${HOST:-127.0.0.1}:\$${PORT:-8000}"
	@echo "make test      run the whole test suite (PostgreSQL tests need a server; docs/getting-started.md)"
	@echo "make lint      ruff check, ruff format --check, mypy"
	@echo "make crash-test SIGKILL the server and the outbox worker at random under keyed load, then"
	@echo "               audit the database and the webhooks received (CRASH_TEST_ARGS)"
	@echo "make bench     seed PostgreSQL and SQLite, pgbench ceiling, wrk end to end (BENCH_ARGS;"
	@echo "               docs/benchmarks.md); make bench-smoke: the short version CI runs"
	@echo "make format    ruff format + ruff check --fix"
	@echo "make migrate   create or upgrade the database schema (DATABASE_URL)"
	@echo "make demo      seed the demo tenant if missing; print a fresh token and a curl line"
	@echo "make serve     serve without migrating or seeding"
	@echo "make setup     create .venv and install from requirements-dev.lock"
	@echo "make lock      regenerate requirements.lock and requirements-dev.lock with uv $(UV_VERSION)"
	@echo "make docs-images render the demo invoices to docs/images/*.png (what docs/documents.md shows)"
	@echo "make screenshots every dashboard screen, desktop and phone, to docs/screenshots/ (Chromium)"
	@echo "make currencies regenerate src/invoicing/currencies/catalog.json from iso4217 and babel"
	@echo "make clean     remove .venv and caches (keeps the database in var/)"
	@echo "make clean-db  remove the default SQLite database (var/invoicing.db)"

# -- setup --------------------------------------------------------------------------------

$(VENV_PYTHON):
	@command -v $(PYTHON) >/dev/null 2>&1 || { \
		echo "error: '$(PYTHON)' not found. Python 3.11, 3.12 or 3.13 is required;" \
		     "install one or run: make <target> PYTHON=/path/to/python3" >&2; exit 1; }
	@$(PYTHON) -c '$(SUPPORTED_PYTHON)' || { \
		echo "error: Python 3.11, 3.12 or 3.13 is required, but '$(PYTHON)' is Python" \
		     "$$($(PYTHON) -c 'import platform; print(platform.python_version())')." \
		     "Install one of them or run: make <target> PYTHON=/path/to/python3.12" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements-dev.lock requirements.lock pyproject.toml | $(VENV_PYTHON)
	@$(VENV_PYTHON) -c '$(SUPPORTED_PYTHON)' || { \
		echo "error: $(VENV) was not made with Python 3.11 to 3.13; run 'make clean' and try again." >&2; exit 1; }
	$(VENV_PYTHON) -m pip install --quiet --require-hashes -r requirements-dev.lock
	$(VENV_PYTHON) -m pip install --quiet --no-deps -e .
	@touch $@

setup: $(STAMP)

# -- running ------------------------------------------------------------------------------

migrate: $(STAMP)
	$(INVOICING) migrate

# `invoicing demo` is idempotent: it seeds only when the demo tenant is missing, and prints
# a curl line for http://HOST:PORT, read from the same settings as `invoicing serve`.
demo: migrate
	$(INVOICING) demo

serve: $(STAMP)
	exec $(INVOICING) serve

run: $(STAMP)
	$(INVOICING) migrate
	$(INVOICING) demo
	exec $(INVOICING) serve

# -- checks -------------------------------------------------------------------------------

test: $(STAMP)
	$(BIN)/pytest --numprocesses $(PYTEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

# Kills `invoicing serve` at random moments under retried, keyed load on scratch databases, then
# checks nothing acknowledged was lost or applied twice (docs/reliability.md). PostgreSQL runs need
# a server at TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres).
crash-test: $(STAMP)
	$(VENV_PYTHON) scripts/crash_test.py $(CRASH_TEST_ARGS)

# The benchmark harness (docs/benchmarks.md): bench/run.py with the project's virtualenv. PostgreSQL
# is DATABASE_URL's server (default the local one); the bench database is dropped and re-created.
bench: $(STAMP) wrk
	$(VENV_PYTHON) -m bench.run $(BENCH_ARGS)

bench-smoke: $(STAMP) wrk
	$(VENV_PYTHON) -m bench.run $(BENCH_SMOKE_ARGS)

# wrk comes from Debian (4.1.0); installed here when we are root, else we say how.
wrk:
	@command -v wrk >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			apt-get install -y wrk || { apt-get update && apt-get install -y wrk; }; \
		else \
			echo "error: wrk is missing; install it with: sudo apt-get install -y wrk" >&2; exit 1; \
		fi; }

# All three run even when one fails, so a single pass shows every problem.
lint: $(STAMP)
	@status=0; \
	echo "$(BIN)/ruff check ."; $(BIN)/ruff check . || status=1; \
	echo "$(BIN)/ruff format --check ."; $(BIN)/ruff format --check . || status=1; \
	echo "$(BIN)/mypy"; $(BIN)/mypy || status=1; \
	exit $$status

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# -- dependencies -------------------------------------------------------------------------

$(UV_STAMP): | $(VENV_PYTHON)
	$(VENV_PYTHON) -m pip install --quiet "uv==$(UV_VERSION)"
	@rm -f $(VENV)/.uv-*
	@touch $@

lock: $(UV_STAMP)
	$(BIN)/uv pip compile --quiet pyproject.toml --universal --python-version 3.11 --generate-hashes $(LOCK_ARGS) \
		-o requirements.lock
	$(BIN)/uv pip compile --quiet pyproject.toml --extra dev --universal --python-version 3.11 --generate-hashes \
		$(LOCK_ARGS) \
		-o requirements-dev.lock

# docs/documents.md's invoice pictures: the demo tenant's invoices rendered by the service's own
# renderers (PDF), rasterised with pypdfium2 and Pillow; no system package needed.
docs-images: $(STAMP)
	$(VENV_PYTHON) scripts/render_demo_invoices.py docs/images

# The dashboard's screens at desktop and phone width (docs/screenshots/, the README shows one),
# taken by Debian's Chromium (apt-get install chromium) through Playwright.
screenshots: $(STAMP)
	$(VENV_PYTHON) scripts/screenshots.py docs/screenshots

# The currency catalogue the service loads, derived from the installed iso4217 and babel
# (after `make lock` moves either; a test fails while the file is stale).
currencies: $(STAMP)
	$(VENV_PYTHON) -m invoicing.currencies.catalog

# -- cleaning -----------------------------------------------------------------------------

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis build dist src/*.egg-info
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -exec rm -rf {} +

clean-db:
	rm -f var/invoicing.db var/invoicing.db-wal var/invoicing.db-shm
