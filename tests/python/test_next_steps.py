"""What `make demo` prints to run next works as printed: no duckdb CLI, quoted paths, the published marts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from flowmetrics.warehouse.marts import next_commands


def small_warehouse(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema published")
        con.execute("create table published.fct_constraint_queue as select 'WEB-7' as ticket_id, 1 as queue_position")
        con.execute("create table published.fct_work_items as select 'WEB-8' as ticket_id, 'open' as state")
    return path


def run_as_printed(line: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The printed line in bash, with the project's .venv/bin/python standing for this interpreter."""
    assert line.startswith(".venv/bin/python -c "), line
    return subprocess.run(
        ["bash", "-c", sys.executable + line.removeprefix(".venv/bin/python")],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("name", ["flowmetrics.duckdb", 'it\'s a "dir" with spaces/flowmetrics.duckdb'])
def test_the_printed_queries_run_as_printed_against_the_published_marts(tmp_path, name):
    warehouse = small_warehouse(tmp_path / name)
    lines = next_commands(Path(name), "published")
    assert not [line for line in lines if line.startswith("duckdb ")]
    queries = [line for line in lines if " -c " in line]
    assert len(queries) == 2
    expected = ["WEB-7", "WEB-8"]
    for line, ticket in zip(queries, expected, strict=True):
        assert "published.fct_" in line
        result = run_as_printed(line, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert ticket in result.stdout
    assert warehouse.exists()


def test_every_printed_line_names_the_warehouse_quoted_for_the_shell():
    lines = next_commands(Path("my dir/w.duckdb"), "main")
    assert "--warehouse 'my dir/w.duckdb'" in lines[0]
    assert "--warehouse 'my dir/w.duckdb'" in lines[1]
    assert all(line.split("   # ")[1] for line in lines)  # every note is a shell comment


@pytest.mark.parametrize("publish", [True, False])
def test_next_steps_queries_the_published_marts_once_published_else_dbt_schema(tmp_path, monkeypatch, publish):
    from flowmetrics.warehouse.marts import describe_marts

    path = tmp_path / "flowmetrics.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create table main.dim_as_of as select timestamp '2026-05-01 00:00:00' as as_of")
        con.execute("create table main.fct_work_items as select 'WEB-8' as ticket_id, 'open' as state")
        if publish:
            con.execute("create schema published")
            con.execute("create table published.fct_work_items as select * from main.fct_work_items")
    monkeypatch.chdir(tmp_path)
    text = describe_marts(Path("flowmetrics.duckdb"))
    schema = "published" if publish else "main"
    assert "Work items: open 1" in text
    assert f'.sql("select * from {schema}.fct_work_items limit 10")' in text
    assert "\n  duckdb " not in text
    line = next(line.strip() for line in text.splitlines() if f"{schema}.fct_work_items" in line)
    result = run_as_printed(line, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "WEB-8" in result.stdout
