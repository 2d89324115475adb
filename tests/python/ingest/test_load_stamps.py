"""Load stamps: every row ingest writes says which run wrote it, when (UTC) and where it stood in the file; an
unchanged row keeps its stamps; a warehouse of an older flowmetrics gains the stamp columns on its next ingest."""

from __future__ import annotations

from pathlib import Path

import duckdb

from flowmetrics.contract import LOAD_STAMP_NAMES, TABLES
from flowmetrics.ingest import ingest_directory, write_raw_tables
from tests.python.ingest.helpers import minimal_required, rows, write_text


def _runs(warehouse: Path) -> list[tuple[str, object]]:
    """Each run and its load time: the one _loaded_at of the rows it wrote, no later than its first table's start."""
    found = rows(
        warehouse,
        "SELECT r.ingest_run_id, min(t._loaded_at), count(DISTINCT t._loaded_at), min(r.started_at) "
        "FROM raw.ingest_runs AS r JOIN raw.tickets AS t ON t._ingest_run_id = r.ingest_run_id "
        "GROUP BY 1 ORDER BY 2",
    )
    assert all(distinct == 1 and loaded_at <= started for _, loaded_at, distinct, started in found), found
    return [(run_id, loaded_at) for run_id, loaded_at, _, _ in found]


def test_every_written_row_carries_its_run_its_load_time_and_its_file_position(
    tmp_path: Path, warehouse: Path, frames
) -> None:
    write_raw_tables(frames, tmp_path / "raw")

    summary = ingest_directory(tmp_path / "raw", warehouse)

    [(run_id, _)] = _runs(warehouse)
    for name, frame in frames.items():
        stamped = rows(
            warehouse,
            f"SELECT _ingest_run_id, _loaded_at IS NOT NULL, _file_row FROM raw.{name} ORDER BY _file_row",
        )
        assert stamped == [(run_id, True, i) for i in range(1, len(frame) + 1)], name
    assert summary.tables  # the run loaded something


def test_an_unchanged_row_keeps_its_stamps_and_an_updated_one_gets_the_new_run(
    tmp_path: Path, warehouse: Path, frames
) -> None:
    write_raw_tables({k: frames[k] for k in ("tickets", "ticket_status_changes")}, tmp_path / "day1")
    ingest_directory(tmp_path / "day1", warehouse)
    newer = frames["tickets"].copy()
    newer.loc[1, "team"] = "checkout"  # T-2 moved team
    write_raw_tables({"tickets": newer, "ticket_status_changes": frames["ticket_status_changes"]}, tmp_path / "d2")

    ingest_directory(tmp_path / "d2", warehouse)

    (first, first_at), (second, second_at) = _runs(warehouse)
    assert rows(warehouse, "SELECT ticket_id, _ingest_run_id, _loaded_at FROM raw.tickets ORDER BY 1") == [
        ("T-1", first, first_at),
        ("T-2", second, second_at),
        ("T-3", first, first_at),
    ]
    assert {r[0] for r in rows(warehouse, "SELECT _ingest_run_id FROM raw.ticket_status_changes")} == {first}


def test_a_status_map_in_another_order_is_a_new_map(tmp_path: Path, warehouse: Path) -> None:
    """The map's row order decides the entry status, so the same rows reordered replace the loaded map."""
    header = "raw_status,stage,stage_kind,stage_order\n"
    minimal_required(tmp_path / "day1")
    write_text(tmp_path / "day1", "status_map.csv", header + "Queued,intake,queue,1\nAccepted,intake,queue,1\n")
    ingest_directory(tmp_path / "day1", warehouse)
    minimal_required(tmp_path / "day2")
    write_text(tmp_path / "day2", "status_map.csv", header + "Accepted,intake,queue,1\nQueued,intake,queue,1\n")

    summary = ingest_directory(tmp_path / "day2", warehouse)

    loaded = next(t for t in summary.tables if t.table == "status_map")
    assert (loaded.rows_updated, loaded.rows_unchanged) == (2, 0)
    assert rows(warehouse, "SELECT raw_status FROM raw.status_map ORDER BY _file_row") == [("Accepted",), ("Queued",)]


def test_a_warehouse_without_stamp_columns_gains_them_and_keeps_its_rows(tmp_path: Path, warehouse: Path) -> None:
    minimal_required(tmp_path / "day1")
    ingest_directory(tmp_path / "day1", warehouse)
    with duckdb.connect(str(warehouse)) as con:  # as an older flowmetrics left it: no stamp columns
        for name in TABLES:
            for column in LOAD_STAMP_NAMES:
                con.execute(f"ALTER TABLE raw.{name} DROP COLUMN {column}")
    before = rows(warehouse, "SELECT ticket_id, team FROM raw.tickets ORDER BY 1")
    minimal_required(tmp_path / "day2")
    write_text(tmp_path / "day2", "tickets.csv", "ticket_id,team,created_at\nT-9,growth,2024-03-09T09:00:00Z\n")

    ingest_directory(tmp_path / "day2", warehouse)

    [(_, second_at)] = _runs(warehouse)  # the first run's rows lost their stamps
    stamped = rows(warehouse, "SELECT ticket_id, team, _loaded_at FROM raw.tickets ORDER BY 1")
    assert [(t, team) for t, team, _ in stamped] == sorted([*before, ("T-9", "growth")])
    assert {t: at for t, _, at in stamped}["T-9"] == second_at
    assert all(at is None for t, _, at in stamped if t != "T-9")


def test_a_file_read_on_every_thread_keeps_each_row_at_its_line(tmp_path: Path, warehouse: Path) -> None:
    """DuckDB splits a large CSV file between its threads; each row keeps its position and a bad row near the end
    is quarantined at its own line (the rows are numbered after the read, in the file's order)."""
    n, bad = 1_200_000, 1_199_990  # about 70 MB, several of the reader's buffers; bad = the 0-based data row
    lines = [f"C-{i:07d},T-{i % 997},2024-03-01T10:{i % 60:02d}:00Z,In Progress,someone@example.com" for i in range(n)]
    lines[bad] = f"C-{bad:07d},T-1,not a time,In Progress,someone@example.com"
    raw = tmp_path / "raw"
    write_text(raw, "tickets.csv", "ticket_id,team,created_at\nT-1,payments,2024-03-01T09:00:00Z\n")
    header = "change_id,ticket_id,changed_at,to_status,changed_by\n"
    write_text(raw, "ticket_status_changes.csv", header + "\n".join(lines))

    ingest_directory(raw, warehouse)

    assert rows(
        warehouse,
        "SELECT count(*), count(*) FILTER (WHERE _file_row <> CAST(substr(change_id, 3) AS INTEGER) + 1), "
        "max(_file_row) FROM raw.ticket_status_changes",
    ) == [(n - 1, 0, n)]
    assert rows(
        warehouse, "SELECT row_number, starts_with(row_text, ?) FROM raw.quarantine", [f'{{"change_id":"C-{bad:07d}"']
    ) == [(bad + 2, True)]  # the header is line 1
