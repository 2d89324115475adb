"""Load modes: APPEND events, UPSERT entities, REPLACE status_map; ingesting twice changes nothing."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from flowmetrics.contract import TABLES
from flowmetrics.errors import ConfigError
from flowmetrics.ingest import ingest_directory, write_raw_tables
from tests.python.ingest.helpers import by_table, minimal_required, rows, snapshot, ts, write_text


def _contract_contents(warehouse: Path) -> dict[str, list[tuple]]:
    return {name: v for name, v in snapshot(warehouse).items() if name in TABLES}


def test_ingesting_the_same_files_twice_changes_nothing(tmp_path: Path, warehouse: Path, frames) -> None:
    write_raw_tables(frames, tmp_path / "raw")
    first = ingest_directory(tmp_path / "raw", warehouse)
    before = _contract_contents(warehouse)

    second = ingest_directory(tmp_path / "raw", warehouse)

    assert _contract_contents(warehouse) == before
    for t in by_table(second).values():
        if t.source_file is not None:
            assert (t.rows_inserted, t.rows_updated, t.rows_quarantined) == (0, 0, 0), t
            assert t.rows_unchanged == t.rows_read == by_table(first)[t.table].rows_inserted, t
    assert rows(warehouse, "SELECT count(DISTINCT ingest_run_id), count(*) FROM raw.ingest_runs") == [
        (2, 2 * len(TABLES))
    ]


def test_reingest_from_parquet_of_the_same_data_is_unchanged(tmp_path: Path, warehouse: Path, frames) -> None:
    write_raw_tables(frames, tmp_path / "csv")
    write_raw_tables(frames, tmp_path / "parquet", fmt="parquet")
    ingest_directory(tmp_path / "csv", warehouse)

    second = ingest_directory(tmp_path / "parquet", warehouse)

    assert all(t.rows_inserted == t.rows_updated == 0 for t in second.tables)


def test_newer_export_appends_only_new_rows(tmp_path: Path, warehouse: Path, frames) -> None:
    tsc = frames["ticket_status_changes"]
    write_raw_tables({"tickets": frames["tickets"], "ticket_status_changes": tsc.iloc[:2]}, tmp_path / "day1")
    write_raw_tables({"tickets": frames["tickets"], "ticket_status_changes": tsc}, tmp_path / "day2")
    ingest_directory(tmp_path / "day1", warehouse)

    summary = ingest_directory(tmp_path / "day2", warehouse)

    t = by_table(summary)["ticket_status_changes"]
    assert (t.rows_read, t.rows_inserted, t.rows_unchanged, t.rows_quarantined) == (4, 2, 2, 0)
    assert rows(warehouse, "SELECT change_id FROM raw.ticket_status_changes ORDER BY 1") == [
        ("C-1",),
        ("C-2",),
        ("C-3",),
        ("C-4",),
    ]


def test_append_table_keeps_the_loaded_row_and_quarantines_a_conflicting_one(
    tmp_path: Path, warehouse: Path
) -> None:
    header = "change_id,ticket_id,changed_at,to_status\n"
    minimal_required(tmp_path / "day1")
    minimal_required(tmp_path / "day2")
    write_text(tmp_path / "day2", "ticket_status_changes.csv", header + "C-1,T-1,2024-03-01T10:00:00Z,Done\n")
    ingest_directory(tmp_path / "day1", warehouse)

    summary = ingest_directory(tmp_path / "day2", warehouse)

    t = by_table(summary)["ticket_status_changes"]
    assert (t.rows_inserted, t.rows_unchanged, t.rows_quarantined) == (0, 0, 1)
    assert t.quarantine_reasons == {
        "key (change_id) conflicts with the already-loaded row: "
        "an append-only table keeps the row loaded first": 1
    }
    assert rows(warehouse, "SELECT to_status FROM raw.ticket_status_changes") == [("To Do",)]


def test_upsert_updates_changed_entities(tmp_path: Path, warehouse: Path, frames) -> None:
    write_raw_tables({k: frames[k] for k in ("tickets", "ticket_status_changes")}, tmp_path / "day1")
    newer = frames["tickets"].copy()
    newer.loc[0, "team"] = "checkout"  # T-1 moved team
    newer = pd.concat(
        [
            newer,
            pd.DataFrame(
                {"ticket_id": ["T-4"], "team": ["growth"], "created_at": ts("2024-03-05T00:00:00Z")}
            ),
        ],
        ignore_index=True,
    )
    write_raw_tables(
        {"tickets": newer, "ticket_status_changes": frames["ticket_status_changes"]}, tmp_path / "day2"
    )
    ingest_directory(tmp_path / "day1", warehouse)

    summary = ingest_directory(tmp_path / "day2", warehouse)

    t = by_table(summary)["tickets"]
    assert (t.rows_inserted, t.rows_updated, t.rows_unchanged) == (1, 1, 2)
    assert rows(warehouse, "SELECT ticket_id, team FROM raw.tickets ORDER BY 1") == [
        ("T-1", "checkout"),
        ("T-2", "payments"),
        ("T-3", "growth"),
        ("T-4", "growth"),
    ]


def test_upsert_keeps_values_of_columns_a_newer_export_lacks(tmp_path: Path, warehouse: Path, frames) -> None:
    write_raw_tables({k: frames[k] for k in ("tickets", "ticket_status_changes")}, tmp_path / "day1")
    ingest_directory(tmp_path / "day1", warehouse)
    minimal_required(tmp_path / "day2")  # tickets.csv with ticket_id, team, created_at only
    write_text(
        tmp_path / "day2", "tickets.csv", "ticket_id,team,created_at\nT-1,checkout,2024-03-01T09:00:00Z\n"
    )

    summary = ingest_directory(tmp_path / "day2", warehouse)

    assert by_table(summary)["tickets"].rows_updated == 1
    assert rows(warehouse, "SELECT team, title, ai_assisted FROM raw.tickets WHERE ticket_id = 'T-1'") == [
        ("checkout", "Checkout, faster", True)
    ]


def test_status_map_file_replaces_the_whole_table(tmp_path: Path, warehouse: Path, frames) -> None:
    write_raw_tables(
        {k: frames[k] for k in ("tickets", "ticket_status_changes", "status_map")}, tmp_path / "day1"
    )
    ingest_directory(tmp_path / "day1", warehouse)
    minimal_required(tmp_path / "day2")
    write_text(
        tmp_path / "day2",
        "status_map.csv",
        "raw_status,stage,stage_kind,stage_order\nTo Do,backlog,queue,1\nIn Progress,development,active,2\n"
        "In Review,review,queue,3\n",
    )

    summary = ingest_directory(tmp_path / "day2", warehouse)

    t = by_table(summary)["status_map"]
    assert (t.rows_inserted, t.rows_updated, t.rows_unchanged) == (1, 0, 2)
    assert rows(warehouse, "SELECT raw_status FROM raw.status_map ORDER BY stage_order") == [
        ("To Do",),
        ("In Progress",),
        ("In Review",),
    ]
    assert rows(
        warehouse,
        "SELECT rows_deleted FROM raw.ingest_runs WHERE table_name = 'status_map' ORDER BY started_at",
    ) == [(0,), (1,)]


def test_absent_status_map_leaves_the_loaded_one(tmp_path: Path, warehouse: Path, frames) -> None:
    write_raw_tables(
        {k: frames[k] for k in ("tickets", "ticket_status_changes", "status_map")}, tmp_path / "day1"
    )
    ingest_directory(tmp_path / "day1", warehouse)
    minimal_required(tmp_path / "day2")

    summary = ingest_directory(tmp_path / "day2", warehouse)

    assert by_table(summary)["status_map"].source_file is None
    assert rows(warehouse, "SELECT count(*) FROM raw.status_map") == [(3,)]


def test_quarantine_is_a_log_per_run(tmp_path: Path, warehouse: Path) -> None:
    raw = tmp_path / "raw"
    minimal_required(raw)
    write_text(
        raw,
        "ticket_status_changes.csv",
        "change_id,ticket_id,changed_at,to_status\nC-1,T-1,2024-03-01T10:00:00Z,a\nC-2,T-1,someday,a\n",
    )
    ingest_directory(raw, warehouse, run_id="r1")
    loaded = _contract_contents(warehouse)

    second = ingest_directory(raw, warehouse, run_id="r2")

    assert _contract_contents(warehouse) == loaded
    assert by_table(second)["ticket_status_changes"].rows_quarantined == 1
    assert rows(warehouse, "SELECT ingest_run_id, count(*) FROM raw.quarantine GROUP BY 1 ORDER BY 1") == [
        ("r1", 1),
        ("r2", 1),
    ]


def test_a_run_id_cannot_be_reused(tmp_path: Path, warehouse: Path) -> None:
    minimal_required(tmp_path / "raw")
    ingest_directory(tmp_path / "raw", warehouse, run_id="nightly-1")
    before = snapshot(warehouse)

    with pytest.raises(ConfigError, match="'nightly-1' is already in raw.ingest_runs"):
        ingest_directory(tmp_path / "raw", warehouse, run_id="nightly-1")

    assert snapshot(warehouse) == before
