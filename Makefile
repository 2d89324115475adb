# flowmetrics: the README's commands are targets here. Everything runs from the repo's own .venv.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON_BOOT ?= $(shell command -v python3.11 || command -v python3)
VENV        := .venv
PY          := $(VENV)/bin/python
BIN         := $(VENV)/bin
STAMP       := $(VENV)/.installed
DEMO_DIR    ?= data/demo
DEMO_DB     ?= flowmetrics.duckdb
DEMO_ITEMS  ?= 1500
DEMO_SEED   ?= 7
DEMO_REPORT ?= report.html

export DO_NOT_TRACK := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DBT_PROFILES_DIR := $(CURDIR)
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help setup setup-spark demo test lint dbt-test browser pytest test-postgres test-spark bench bench-incremental bench-nightly clean

help:
	@echo "make demo   set up, generate demo data, ingest, dbt build, detect the constraint, check + publish, show what to read"
	@echo "make test   set up, then lint (sqlfluff, ruff, import-linter, mkdocs --strict, mypy), dbt build on a temp DuckDB, pytest, test-postgres"
	@echo "make test-postgres  the project on a throwaway PostgreSQL (installed from the OS packages if missing), compared with DuckDB"
	@echo "make test-spark     the project on a local Spark session (.venv-spark), compared with DuckDB (slow; not in make test)"
	@echo "make setup  only create .venv with the pinned dependencies"
	@echo "make bench  the benchmarks in bench/ (slow; prints figures)"
	@echo "make bench-incremental  full vs nightly incremental dbt build at 10M status changes (slow)"
	@echo "make bench-nightly  the whole nightly and the report at 10M status changes, step by step (slow)"

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON_BOOT) -c 'import sys; assert sys.version_info[:2] == (3, 11), "flowmetrics needs Python 3.11, found " + sys.version' 
	$(PYTHON_BOOT) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev,postgres,semantic]'
	@touch $(STAMP)

demo: setup
	$(BIN)/flowmetrics generate --out $(DEMO_DIR) --items $(DEMO_ITEMS) --seed $(DEMO_SEED)
	$(BIN)/flowmetrics ingest $(DEMO_DIR) --warehouse $(DEMO_DB)
	$(BIN)/flowmetrics build --warehouse $(DEMO_DB)
	$(BIN)/flowmetrics detect --warehouse $(DEMO_DB)
	$(BIN)/flowmetrics publish --warehouse $(DEMO_DB)
	$(BIN)/flowmetrics report --warehouse $(DEMO_DB) --out $(DEMO_REPORT)
	@$(BIN)/flowmetrics next-steps --warehouse $(DEMO_DB)
	@echo "The flow report: $(CURDIR)/$(DEMO_REPORT)"

test: setup lint dbt-test browser pytest test-postgres

# Debian's chromium for the report's end-to-end test (installed from the OS packages when missing).
browser:
	tests/harness/ensure_chromium.sh

# The manual (mkdocs.yml): --strict fails on a broken link or anchor (not with --quiet, which hides the warnings).
lint: setup
	$(BIN)/sqlfluff lint models analyses tests/dbt --disable-progress-bar
	$(BIN)/ruff check flowmetrics tests/python tests/harness bench docs/hooks
	$(BIN)/lint-imports
	tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir $$tmp/site
	$(BIN)/mypy

dbt-test: setup
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	  FLOWMETRICS_DUCKDB=$$tmp/ci.duckdb $(BIN)/flowmetrics generate --out $$tmp/raw --items 300 --seed 11 && \
	  $(BIN)/flowmetrics ingest $$tmp/raw --warehouse $$tmp/ci.duckdb && \
	  FLOWMETRICS_DUCKDB=$$tmp/ci.duckdb $(BIN)/dbt build --target-path $$tmp/target --log-path $$tmp/logs

# One worker per core (pytest-xdist); a module's tests stay on one worker, so its shared fixtures build once.
# The 40 slowest setups and tests are listed at the end, to see where the run's time goes.
pytest: setup
	$(BIN)/pytest -n auto --dist loadscope --durations=40

# The project on PostgreSQL: a throwaway server in a temp dir (stopped whatever happens), the demo data through the
# raw contract, a full and a nightly incremental dbt build, every keyed relation compared with DuckDB.
test-postgres: setup
	PYTHON=$(PY) tests/harness/with_postgres.sh $(PY) -m tests.harness.engine_check --target postgres

# The project on Spark (a local session, Parquet tables) from its own venv: pyspark is large and slow to start.
SPARK_VENV  := .venv-spark
SPARK_STAMP := $(SPARK_VENV)/.installed

setup-spark: $(SPARK_STAMP)

$(SPARK_STAMP): constraints.txt constraints-spark.txt
	$(PYTHON_BOOT) -m venv $(SPARK_VENV)
	$(SPARK_VENV)/bin/pip install --quiet --upgrade pip setuptools wheel
	$(SPARK_VENV)/bin/pip install --quiet -c constraints.txt -c constraints-spark.txt 'dbt-spark[session]'
	@touch $(SPARK_STAMP)

test-spark: setup setup-spark
	$(PY) -m tests.harness.engine_check --target spark --spark-venv $(SPARK_VENV)

bench: setup
	$(PY) bench/bench_foundation.py
	$(PY) bench/bench_detection.py --changes 10000000
	nice -n 10 $(PY) bench/bench_forecast.py

bench-incremental: setup
	$(PY) bench/bench_incremental.py --changes 10000000

# the whole nightly twice (full, then incremental), the report and a full refresh, each step with its share
bench-nightly: setup
	$(PY) bench/bench_nightly.py --changes 10000000

clean:
	rm -rf target logs $(DEMO_DIR) $(DEMO_DB) .pytest_cache .mypy_cache
