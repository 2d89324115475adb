"""One ingest is one transaction: a contract error or a crash mid-way leaves raw and quarantine untouched."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from flowmetrics.errors import RawContractError, WarehouseError
from flowmetrics.ingest import ingest_directory, pipeline, write_raw_tables
from tests.python.ingest.helpers import snapshot, write_text


@pytest.fixture
def loaded(tmp_path: Path, warehouse: Path, frames) -> dict[str, list[tuple]]:
    """A warehouse after a first good ingest that also quarantined a row; returns its full raw contents."""
    day1 = tmp_path / "day1"
    write_raw_tables(frames, day1)
    with (day1 / "ticket_status_changes.csv").open("a") as fh:
        fh.write("C-9,T-1,not a time,,Done,ann\n")
    summary = ingest_directory(day1, warehouse)
    assert summary.rows_quarantined == 1
    before = snapshot(warehouse)
    assert before["quarantine"] and before["ticket_status_changes"] and before["ingest_runs"]
    return before


def _day2(tmp_path: Path, frames) -> Path:
    """A newer export with new rows in every table, which a successful ingest would load."""
    day2 = tmp_path / "day2"
    bigger = {name: frame for name, frame in frames.items()}
    tsc = frames["ticket_status_changes"].copy()
    tsc["change_id"] = tsc["change_id"] + "-new"
    bigger["ticket_status_changes"] = tsc
    write_raw_tables(bigger, day2)
    with (day2 / "experiment_events.csv").open("a") as fh:
        fh.write("V-9,E-1,exploded,2024-03-21T00:00:00Z,,\n")  # a row that would be quarantined
    return day2


def test_header_error_in_one_file_changes_nothing(tmp_path: Path, warehouse: Path, frames, loaded) -> None:
    day2 = _day2(tmp_path, frames)
    write_text(day2, "deploys.csv", "deploy_id,service,deployed_at,status\nD-9,api,2024-03-09,success\n")

    with pytest.raises(RawContractError, match="deploys.csv: missing required column environment"):
        ingest_directory(day2, warehouse)

    assert snapshot(warehouse) == loaded


def test_type_error_found_after_staging_changes_nothing(
    tmp_path: Path, warehouse: Path, frames, loaded
) -> None:
    day2 = _day2(tmp_path, frames)
    write_text(day2, "experiment_variants.csv", "experiment_id,variant,weight\nE-1,a,half\nE-1,b,half\n")

    with pytest.raises(RawContractError, match="experiment_variants.csv: column weight: expected a number"):
        ingest_directory(day2, warehouse)

    assert snapshot(warehouse) == loaded


def test_failure_mid_way_rolls_back_tables_already_loaded(
    tmp_path: Path, warehouse: Path, frames, loaded, monkeypatch
) -> None:
    day2 = _day2(tmp_path, frames)
    real_merge = pipeline.merge
    merged: list[str] = []

    def merge_then_fail(con, staged, stamp):
        if merged:  # the first table has been written inside the transaction; now the run breaks
            raise RuntimeError("disk on fire")
        merged.append(staged.layout.table.name)
        return real_merge(con, staged, stamp)

    monkeypatch.setattr(pipeline, "merge", merge_then_fail)

    with pytest.raises(RuntimeError, match="disk on fire"):
        ingest_directory(day2, warehouse)

    assert merged == ["tickets"]
    assert snapshot(warehouse) == loaded


def test_database_error_mid_way_is_a_warehouse_error_and_rolls_back(
    tmp_path: Path, warehouse: Path, frames, loaded, monkeypatch
) -> None:
    day2 = _day2(tmp_path, frames)

    def broken(con, staged):
        con.execute("SELECT * FROM raw.no_such_table")

    monkeypatch.setattr(pipeline, "flag_duplicates", broken)

    with pytest.raises(WarehouseError, match="failed and was rolled back"):
        ingest_directory(day2, warehouse)

    assert snapshot(warehouse) == loaded


def test_failed_first_ingest_leaves_no_warehouse_file(tmp_path: Path, warehouse: Path) -> None:
    raw = tmp_path / "raw"
    write_text(raw, "tickets.csv", "ticket_id,team,created_at\nT-1,a,2024-03-01\n")
    write_text(
        raw, "ticket_status_changes.csv", "change_id,ticket_id,changed_at,to_status\nC-1,T-1,later,a\n"
    )

    with pytest.raises(RawContractError):
        ingest_directory(raw, warehouse)

    assert not warehouse.exists()
    assert not warehouse.with_name(warehouse.name + ".wal").exists()


def test_raw_table_of_another_shape_is_refused(tmp_path: Path, warehouse: Path, frames) -> None:
    write_raw_tables(frames, tmp_path / "raw")
    warehouse.parent.mkdir(parents=True)
    con = duckdb.connect(str(warehouse))
    con.execute("CREATE SCHEMA raw; CREATE TABLE raw.tickets (ticket_id INTEGER, team VARCHAR)")
    con.close()

    with pytest.raises(WarehouseError) as caught:
        ingest_directory(tmp_path / "raw", warehouse)

    message = str(caught.value)
    assert "raw.tickets: expected ticket_id VARCHAR (has INTEGER)" in message
    assert "created_at TIMESTAMP (has no such column)" in message
    con = duckdb.connect(str(warehouse), read_only=True)
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'raw'").fetchone() == (1,)
    con.close()
