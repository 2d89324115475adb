"""All nine contract tables load from CSV, gzip'd CSV and Parquet, with the contract's types and values."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from flowmetrics.contract import TABLES
from flowmetrics.ingest import ingest_directory, write_raw_tables
from tests.python.ingest.helpers import by_table, minimal_required, rows

FORMATS = ["csv", "csv.gz", "parquet"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_table_loads_with_contract_types(tmp_path: Path, warehouse: Path, frames, fmt: str) -> None:
    written = write_raw_tables(frames, tmp_path / "raw", fmt=fmt)
    progress: list[str] = []

    summary = ingest_directory(tmp_path / "raw", warehouse, progress=progress.append)

    tables = by_table(summary)
    assert set(tables) == set(TABLES)
    for name, n in written.items():
        t = tables[name]
        assert (t.rows_read, t.rows_inserted, t.rows_quarantined) == (n, n, 0), name
        assert t.source_file is not None and Path(t.source_file).name.startswith(name)
        assert rows(warehouse, f"SELECT count(*) FROM raw.{name}") == [(n,)]
    assert summary.rows_quarantined == 0
    assert summary.rows_inserted == sum(written.values())
    assert any("ticket_status_changes: 4 rows read" in m for m in progress)

    types = dict(
        rows(
            warehouse,
            "SELECT table_name || '.' || column_name, data_type FROM duckdb_columns() "
            "WHERE schema_name = 'raw'",
        )
    )
    for table in TABLES.values():
        for column in table.columns:
            assert types[f"{table.name}.{column.name}"] == column.type.duckdb_type


@pytest.mark.parametrize("fmt", FORMATS)
def test_values_round_trip(tmp_path: Path, warehouse: Path, frames, fmt: str) -> None:
    write_raw_tables(frames, tmp_path / "raw", fmt=fmt)
    ingest_directory(tmp_path / "raw", warehouse)

    assert rows(
        warehouse, "SELECT ticket_id, title, ai_assisted, created_at FROM raw.tickets ORDER BY 1"
    ) == [
        ("T-1", "Checkout, faster", True, datetime(2024, 3, 1, 9, 0)),
        ("T-2", 'Say "hi"', False, datetime(2024, 3, 2, 10, 30)),
        ("T-3", None, None, datetime(2024, 3, 3, 11, 0, 0, 250000)),
    ]
    assert rows(warehouse, "SELECT raw_status, stage_order FROM raw.status_map ORDER BY 2") == [
        ("To Do", 1),
        ("In Progress", 2),
        ("Done", 3),
    ]
    assert rows(
        warehouse, "SELECT sum(weight), max(min_sample_size) FROM raw.experiment_variants, raw.experiments"
    ) == [(1.0, 1000)]
    assert rows(warehouse, "SELECT decision FROM raw.experiment_events WHERE event_type = 'decided'") == [
        ("ship",)
    ]


def test_absent_optional_tables_exist_empty(tmp_path: Path, warehouse: Path) -> None:
    minimal_required(tmp_path / "raw")

    summary = ingest_directory(tmp_path / "raw", warehouse)

    tables = by_table(summary)
    for name in TABLES:
        if name in ("tickets", "ticket_status_changes"):
            assert tables[name].rows_inserted == 1
        else:
            assert tables[name].source_file is None
            assert rows(warehouse, f"SELECT count(*) FROM raw.{name}") == [(0,)]
    # the optional columns absent from the file are NULL, not missing
    assert rows(warehouse, "SELECT title, ai_assisted FROM raw.tickets") == [(None, None)]


def test_ingest_runs_records_one_row_per_table(tmp_path: Path, warehouse: Path, frames) -> None:
    write_raw_tables(frames, tmp_path / "raw")

    ingest_directory(tmp_path / "raw", warehouse, run_id="run-1")

    recorded = rows(
        warehouse,
        "SELECT table_name, load_mode, rows_read, rows_inserted, rows_quarantined, started_at <= finished_at "
        "FROM raw.ingest_runs WHERE ingest_run_id = 'run-1' ORDER BY table_name",
    )
    assert len(recorded) == len(TABLES)
    assert ("ticket_status_changes", "append", 4, 4, 0, True) in recorded
    assert ("status_map", "replace", 3, 3, 0, True) in recorded
    assert ("tickets", "upsert", 3, 3, 0, True) in recorded


def test_extra_columns_are_ignored_and_reported(tmp_path: Path, warehouse: Path) -> None:
    minimal_required(tmp_path / "raw")
    (tmp_path / "raw" / "tickets.csv").write_text(
        "ticket_id,Team,jira_key,created_at,priority\nT-1,payments,PAY-1,2024-03-01T09:00:00Z,high\n"
    )
    progress: list[str] = []

    summary = ingest_directory(tmp_path / "raw", warehouse, progress=progress.append)

    assert by_table(summary)["tickets"].ignored_columns == ("jira_key", "priority")
    assert any("ignored columns not in the contract: jira_key, priority" in m for m in progress)
    assert rows(warehouse, "SELECT ticket_id, team FROM raw.tickets") == [("T-1", "payments")]
    assert rows(warehouse, "SELECT ignored_columns FROM raw.ingest_runs WHERE table_name = 'tickets'") == [
        ("jira_key, priority",)
    ]


def test_header_only_file_is_valid_with_zero_rows(tmp_path: Path, warehouse: Path) -> None:
    minimal_required(tmp_path / "raw")
    (tmp_path / "raw" / "deploys.csv").write_text("deploy_id,service,environment,deployed_at,status\n")

    summary = ingest_directory(tmp_path / "raw", warehouse)

    deploys = by_table(summary)["deploys"]
    assert deploys.source_file is not None
    assert (deploys.rows_read, deploys.rows_inserted, deploys.rows_quarantined) == (0, 0, 0)
    assert rows(warehouse, "SELECT count(*) FROM raw.deploys") == [(0,)]


def test_booleans_integers_and_numbers_in_their_accepted_spellings(tmp_path: Path, warehouse: Path) -> None:
    raw = tmp_path / "raw"
    minimal_required(raw)
    (raw / "tickets.csv").write_text(
        "ticket_id,team,ai_assisted,created_at\n"
        "T-1,a,TRUE,2024-03-01\nT-2,a,f,2024-03-01\nT-3,a,1,2024-03-01\n"
        "T-4,a,0,2024-03-01\nT-5,a, Yes ,2024-03-01\nT-6,a,no,2024-03-01\nT-7,a,,2024-03-01\n"
    )
    (raw / "experiments.csv").write_text(
        "experiment_id,team,min_sample_size,created_at\nE-1,a,+500,2024-03-01\nE-2,a,1000.0,2024-03-01\n"
    )
    (raw / "experiment_variants.csv").write_text(
        "experiment_id,variant,weight\nE-1,a,1e-1\nE-1,b,.9\nE-2,a,1\n"
    )

    summary = ingest_directory(raw, warehouse)

    assert summary.rows_quarantined == 0
    assert rows(warehouse, "SELECT ai_assisted FROM raw.tickets ORDER BY ticket_id") == [
        (True,),
        (False,),
        (True,),
        (False,),
        (True,),
        (False,),
        (None,),
    ]
    assert rows(warehouse, "SELECT min_sample_size FROM raw.experiments ORDER BY 1") == [(500,), (1000,)]
    assert rows(warehouse, "SELECT weight FROM raw.experiment_variants ORDER BY 1") == [
        (0.1,),
        (0.9,),
        (1.0,),
    ]
