"""warehouse.duckdb_file.connect: UTC sessions and clear errors for locks and bad files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from flowmetrics.errors import ConfigError, WarehouseError
from flowmetrics.ingest import ingest_directory
from flowmetrics.warehouse.duckdb_file import connect
from tests.python.ingest.helpers import minimal_required


def test_session_time_zone_is_utc(tmp_path: Path) -> None:
    con = connect(tmp_path / "sub" / "w.duckdb")
    try:
        assert con.execute("SELECT current_setting('TimeZone')").fetchone() == ("UTC",)
    finally:
        con.close()


def test_read_only_on_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(WarehouseError, match="does not exist"):
        connect(tmp_path / "missing.duckdb", read_only=True)


def test_not_a_duckdb_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.duckdb"
    path.write_text("hello" * 100)
    with pytest.raises(WarehouseError, match="is not a DuckDB database file"):
        connect(path)


def test_a_locked_warehouse_names_the_holder(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    connect(path).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
            "print('locked', flush=True); time.sleep(60)",
            str(path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(WarehouseError) as caught:
            connect(path)
        assert f"PID {holder.pid}" in str(caught.value)
        assert f"holds a write lock on {path}" in str(caught.value)
        raw = tmp_path / "raw"
        minimal_required(raw)
        with pytest.raises(WarehouseError, match="holds a write lock"):
            ingest_directory(raw, path)
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.parametrize("name", ["raw.duckdb", "main.duckdb", "TEMP.duckdb", "system.duckdb"])
def test_a_warehouse_name_duckdb_or_dbt_cannot_use_is_refused_up_front(tmp_path: Path, name: str) -> None:
    raw = tmp_path / "raw_files"
    minimal_required(raw)
    path = tmp_path / "wh" / name

    with pytest.raises(ConfigError) as caught:
        ingest_directory(raw, path)

    assert caught.value.exit_code == 2
    assert f"warehouse {path}" in str(caught.value)
    assert "clashes with DuckDB's own catalogs or the schemas flowmetrics writes" in str(caught.value)
    assert not path.exists() and not path.parent.exists()


@pytest.mark.slow
def test_a_warehouse_path_with_quotes_works_through_ingest_and_dbt_build(tmp_path: Path) -> None:
    from flowmetrics.ingest import write_raw_tables
    from flowmetrics.simulation import generate_raw_tables
    from tests.python.conftest import dbt_build_into

    raw = tmp_path / "raw"
    write_raw_tables(generate_raw_tables(items=60, seed=3), raw)
    warehouse = tmp_path / "it's \"here\"" / "w.duckdb"

    summary = ingest_directory(raw, warehouse)
    dbt_build_into(warehouse, tmp_path)

    con = connect(warehouse, read_only=True)
    try:
        [(items,)] = con.execute("SELECT count(*) FROM fct_work_items").fetchall()
        [(tickets,)] = con.execute("SELECT count(*) FROM raw.tickets").fetchall()
    finally:
        con.close()
    assert items == tickets == next(t.rows_inserted for t in summary.tables if t.table == "tickets") > 0
