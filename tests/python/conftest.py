"""Shared pytest fixtures: building the real dbt project into temporary DuckDB files."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
# dbt's unit tests check the SQL against given rows, not the data a test builds: `make dbt-test` runs all of them
# (and the package test its host project's), so the warehouses the tests build here leave them out, as the nightly
# does (dbt reads this variable as --exclude-resource-type; a command that passes the flag decides for itself).
os.environ.setdefault("DBT_EXCLUDE_RESOURCE_TYPES", "unit_test")


def dbt_build_into(warehouse: Path, workdir: Path, *extra: str, as_of: str | None = None) -> None:
    """`dbt build` of the project into `warehouse`, keeping dbt's target/ and logs/ in `workdir`."""
    from flowmetrics.warehouse.dbt_runner import run_dbt_build

    run_dbt_build(
        warehouse=warehouse,
        as_of=as_of,
        extra_args=["--target-path", str(workdir / "target"), "--log-path", str(workdir / "logs"), *extra],
        capture=True,
    )


@pytest.fixture(scope="session")
def build_warehouse() -> Callable[..., None]:
    return dbt_build_into


@pytest.fixture(scope="session")
def demo_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """generate → ingest → dbt build of a small demo system, shared by the read-only end-to-end tests."""
    from flowmetrics.ingest import ingest_directory, write_raw_tables
    from flowmetrics.simulation import generate_raw_tables

    workdir = tmp_path_factory.mktemp("demo")
    raw = workdir / "raw"
    write_raw_tables(generate_raw_tables(items=400, seed=3), raw)
    warehouse = workdir / "demo.duckdb"
    ingest_directory(raw, warehouse)
    dbt_build_into(warehouse, workdir)
    return warehouse


def dbt_compile_inline(sql: str, workdir: Path, warehouse: Path | None = None, *extra: str) -> str:
    """Jinja SQL rendered with the project's macros (`dbt compile --inline`) into plain SQL for the DuckDB target;
    `extra` goes to dbt (e.g. --vars)."""
    import json
    import subprocess

    from flowmetrics.warehouse.dbt_runner import dbt_command
    from flowmetrics.warehouse.project import PROJECT_DIR, dbt_env

    args = dbt_command(
        "compile",
        extra_args=[
            "--quiet", "--output", "json", "--inline", sql,
            "--target-path", str(workdir / "target"), "--log-path", str(workdir / "logs"), *extra,
        ],
    )
    proc = subprocess.run(
        args, env=dbt_env(warehouse or workdir / "compile.duckdb"), cwd=PROJECT_DIR,
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(proc.stdout)["compiled"]


@pytest.fixture(scope="session")
def compile_sql(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], str]:
    """Render Jinja SQL (macros, no refs) into the SQL the DuckDB target would run; one dbt process per call."""
    workdir = tmp_path_factory.mktemp("compile")
    return lambda sql: dbt_compile_inline(sql, workdir)


MAKE_DEMO_ITEMS, MAKE_DEMO_SEED = 1500, 7  # the Makefile's DEMO_ITEMS and DEMO_SEED


@pytest.fixture(scope="session")
def make_demo_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """generate → ingest → dbt build of exactly the data `make demo` builds; copy it before writing to it."""
    from flowmetrics.ingest import ingest_directory, write_raw_tables
    from flowmetrics.simulation import generate_raw_tables

    workdir = tmp_path_factory.mktemp("make-demo")
    raw = workdir / "raw"
    write_raw_tables(generate_raw_tables(items=MAKE_DEMO_ITEMS, seed=MAKE_DEMO_SEED), raw)
    warehouse = workdir / "demo.duckdb"
    ingest_directory(raw, warehouse)
    dbt_build_into(warehouse, workdir)
    return warehouse
