"""Replace-mode tables (status_map) loaded by a nightly stay provisional: kept, then accepted or put back."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from flowmetrics.ingest import ingest_directory, write_raw_tables
from flowmetrics.ingest.replacements import restore_unchecked, settle_run
from flowmetrics.warehouse.profile import Target
from tests.python.ingest.helpers import rows

MAP = "SELECT raw_status, stage, stage_kind, stage_order FROM raw.status_map ORDER BY raw_status"
STATES = "SELECT ingest_run_id, previous_run_id, state, settled_by_run_id FROM raw.replacements ORDER BY replaced_at"
COPIES = "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'raw' AND table_name = 'status_map__previous'"


def _export(tmp_path: Path, name: str, frames, status_map: pd.DataFrame | None) -> Path:
    chosen = {k: v for k, v in frames.items() if k != "status_map"}
    if status_map is not None:
        chosen["status_map"] = status_map
    write_raw_tables(chosen, tmp_path / name)
    return tmp_path / name


def _other_map(frames) -> pd.DataFrame:
    other = frames["status_map"].copy()
    other["stage"] = ["todo", "doing", "done"]
    return other


@pytest.fixture
def first(tmp_path: Path, warehouse: Path, frames) -> list[tuple]:
    """A warehouse whose status map was loaded (and accepted) by the standalone run "day-1"."""
    ingest_directory(_export(tmp_path, "day1", frames, frames["status_map"]), warehouse, run_id="day-1")
    assert rows(warehouse, STATES) == [("day-1", None, "accepted", "day-1")]
    return rows(warehouse, MAP)


def test_a_held_replacement_is_put_back_when_the_night_is_refused(
    tmp_path: Path, warehouse: Path, frames, first
) -> None:
    day2 = _export(tmp_path, "day2", frames, _other_map(frames))
    ingest_directory(day2, warehouse, run_id="night-2", hold_replacements=True)
    assert rows(warehouse, MAP) != first  # the replacement is in place for check-raw to check
    assert rows(warehouse, STATES)[-1] == ("night-2", "day-1", "pending", None)

    notes = settle_run(Target("duckdb", "duckdb", "main", warehouse), "night-2", accept=False, lock_timeout=0)

    assert notes == [
        "raw.status_map restored to the version loaded by run day-1 (3 rows): the night refused run night-2's "
        "replacement"
    ]
    assert rows(warehouse, MAP) == first
    assert rows(warehouse, STATES)[-1] == ("night-2", "day-1", "restored", "night-2")
    assert rows(warehouse, COPIES) == [(0,)]


def test_a_held_replacement_stays_when_check_raw_passes(tmp_path: Path, warehouse: Path, frames, first) -> None:
    day2 = _export(tmp_path, "day2", frames, _other_map(frames))
    ingest_directory(day2, warehouse, run_id="night-2", hold_replacements=True)
    replaced = rows(warehouse, MAP)

    notes = settle_run(Target("duckdb", "duckdb", "main", warehouse), "night-2", accept=True, lock_timeout=0)

    assert notes == ["raw.status_map: run night-2's replacement accepted"]
    assert rows(warehouse, MAP) == replaced != first
    assert rows(warehouse, STATES)[-1] == ("night-2", "day-1", "accepted", "night-2")
    assert rows(warehouse, COPIES) == [(0,)]


def test_an_unchanged_map_holds_nothing(tmp_path: Path, warehouse: Path, frames, first) -> None:
    day2 = _export(tmp_path, "day2", frames, frames["status_map"])
    ingest_directory(day2, warehouse, run_id="night-2", hold_replacements=True)

    assert rows(warehouse, STATES) == [("day-1", None, "accepted", "day-1")]
    assert rows(warehouse, COPIES) == [(0,)]


def test_a_replacement_left_pending_is_put_back_by_the_next_night(
    tmp_path: Path, warehouse: Path, frames, first
) -> None:
    """A night killed between ingest and check-raw: the next night must not build on what nobody checked."""
    ingest_directory(_export(tmp_path, "day2", frames, _other_map(frames)), warehouse, run_id="night-2",
                     hold_replacements=True)

    notes = restore_unchecked(Target("duckdb", "duckdb", "main", warehouse), by_run_id="night-3", lock_timeout=0,
                              who="ingest into")

    assert notes == [
        "raw.status_map restored to the version loaded by run day-1 (3 rows): run night-2's replacement was never "
        "checked (that night stopped before check-raw decided)"
    ]
    assert rows(warehouse, MAP) == first
    assert rows(warehouse, STATES)[-1] == ("night-2", "day-1", "restored", "night-3")


def test_a_refused_first_map_leaves_the_table_empty(tmp_path: Path, warehouse: Path, frames) -> None:
    ingest_directory(_export(tmp_path, "day1", frames, frames["status_map"]), warehouse, run_id="night-1",
                     hold_replacements=True)

    notes = settle_run(Target("duckdb", "duckdb", "main", warehouse), "night-1", accept=False, lock_timeout=0)

    assert notes == [
        "raw.status_map restored to empty, as it was before run night-1: the night refused run night-1's "
        "replacement"
    ]
    assert rows(warehouse, "SELECT count(*) FROM raw.status_map") == [(0,)]


def test_the_standalone_ingest_replaces_at_once_and_settles_a_pending_replacement(
    tmp_path: Path, warehouse: Path, frames, first
) -> None:
    """`flowmetrics ingest` has no check-raw: its replacement is final, as it always was."""
    ingest_directory(_export(tmp_path, "day2", frames, _other_map(frames)), warehouse, run_id="night-2",
                     hold_replacements=True)
    third = frames["status_map"].iloc[:2]
    ingest_directory(_export(tmp_path, "day3", frames, third), warehouse, run_id="day-3")

    expected = [("In Progress", "development", "active", 2), ("To Do", "backlog", "queue", 1)]
    assert rows(warehouse, MAP) == expected
    assert rows(warehouse, STATES)[1:] == [
        ("night-2", "day-1", "superseded", "day-3"),
        ("day-3", "day-1", "accepted", "day-3"),
    ]
    assert rows(warehouse, COPIES) == [(0,)]
    assert restore_unchecked(Target("duckdb", "duckdb", "main", warehouse), by_run_id="n", lock_timeout=0,
                             who="ingest into") == []
    assert rows(warehouse, MAP) == expected
