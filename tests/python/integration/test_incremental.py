"""Nightly incremental builds: a day of new events plus late ones, built incrementally, equals a full refresh.

Yesterday's export holds every ticket up to the start of the last simulated day, but its status-change sync had
stalled a week: some changes of the seven days before it arrive only tonight, older than the event-time lookback
(var incremental_lookback_days, 3 days); tonight's export holds everything, and a finished ticket was deleted
from raw in between. The incremental models choose their tickets by load time, so they must then hold exactly what
`dbt build --full-refresh` of the same data holds, row for row, and a second nightly build must change nothing.
A row deleted from raw by hand while its ticket stays is the one change load times cannot see: the error-level
test assert_built_history_matches_raw names it, and a full refresh mends it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from flowmetrics.errors import DbtRunError
from flowmetrics.ingest import ingest_directory, write_raw_tables
from flowmetrics.simulation import generate_raw_tables
from flowmetrics.simulation.exports import export_at, late_changes
from flowmetrics.warehouse.dbt_runner import dbt_command
from flowmetrics.warehouse.project import dbt_env
from tests.harness.compare import Relation, assert_same_rows, keyed_relations

LOOKBACK = pd.Timedelta(days=3)  # the project's default var incremental_lookback_days
STALL = pd.Timedelta(days=7)  # how far behind yesterday's status-change sync was: more than the lookback
DELETED = "FM-3"  # a ticket deleted from raw between the two nights
INCREMENTAL_MODELS = {
    "int_status_changes_sequenced",
    "int_status_intervals_bounded",
    "int_stage_visits_sessionised",
    "int_status_entries_ranked",
    "fct_stage_transitions",
    "fct_stage_visits",
    "fct_work_items",
    "int_experiment_units_first_exposed",
}


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    return generate_raw_tables(items=300, seed=21)


@pytest.fixture(scope="module")
def taken_at(frames: dict[str, pd.DataFrame]) -> pd.Timestamp:
    """When yesterday's export was taken: the start of the last simulated day."""
    return frames["ticket_status_changes"]["changed_at"].max().floor("D")


def read_all(warehouse: Path, relations: dict[str, Relation]) -> dict[str, pd.DataFrame]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {name: con.execute(f"select * from main.{name}").df() for name in relations}
    finally:
        con.close()


def assert_same_warehouse(expected: Path, actual: Path, relations: dict[str, Relation], when: str) -> None:
    want, got = read_all(expected, relations), read_all(actual, relations)
    for name, relation in relations.items():
        assert_same_rows(want[name], got[name], relation.key, f"{name} ({when})")


def delete_ticket(warehouse: Path, ticket_id: str) -> None:
    """What another tool or a person does to raw: the ticket and its changes are gone."""
    con = duckdb.connect(str(warehouse))
    try:
        assert con.execute("select count(*) from raw.tickets where ticket_id = ?", [ticket_id]).fetchone()[0] == 1
        con.execute("delete from raw.ticket_status_changes where ticket_id = ?", [ticket_id])
        con.execute("delete from raw.tickets where ticket_id = ?", [ticket_id])
    finally:
        con.close()


def copy_warehouse(source: Path, destination: Path) -> Path:
    shutil.copyfile(source, destination)
    return destination


def run_results(workdir: Path) -> dict[str, dict]:
    results = json.loads((workdir / "target" / "run_results.json").read_text())["results"]
    return {r["unique_id"].split(".")[2]: r for r in results}


@pytest.fixture(scope="module")
def nightly(
    frames: dict[str, pd.DataFrame], taken_at: pd.Timestamp, tmp_path_factory: pytest.TempPathFactory,
    build_warehouse: Callable[..., None],
) -> dict[str, Path]:
    """Yesterday: ingest + full build. Tonight: ingest the newer export, then an incremental build into `nightly`
    and a full refresh of the same data into `reference`."""
    work = tmp_path_factory.mktemp("nightly")
    late = late_changes(frames["ticket_status_changes"], taken_at, STALL, every=4)
    assert len(late) >= 5
    write_raw_tables(export_at(frames, taken_at, late), work / "yesterday")
    write_raw_tables(frames, work / "tonight")
    nightly = work / "nightly.duckdb"
    ingest_directory(work / "yesterday", nightly)
    build_warehouse(nightly, work / "yesterday")
    ingest_directory(work / "tonight", nightly)
    delete_ticket(nightly, DELETED)
    reference = copy_warehouse(nightly, work / "reference.duckdb")
    build_warehouse(nightly, work / "tonight")
    shutil.copyfile(nightly, work / "tonight.duckdb")  # as tonight's build left it (later tests build `nightly`)
    build_warehouse(reference, work / "reference", "--full-refresh")
    return {"nightly": nightly, "reference": reference, "work": work}


def compiled_sql(workdir: Path, model: str, folder: str = "marts/flow") -> str:
    return (workdir / "target" / "run" / "flowmetrics" / "models" / folder / f"{model}.sql").read_text()


@pytest.fixture(scope="module")
def relations(nightly: dict[str, Path]) -> dict[str, Relation]:
    found = keyed_relations(nightly["work"] / "tonight" / "target" / "manifest.json")
    assert set(found) >= INCREMENTAL_MODELS, "every incremental model has a key test"
    assert {r.materialized for n, r in found.items() if n in INCREMENTAL_MODELS} == {"incremental"}
    return found


def test_the_newer_export_adds_a_day_of_events_and_late_ones(nightly: dict[str, Path], taken_at: pd.Timestamp):
    con = duckdb.connect(str(nightly["nightly"]), read_only=True)
    try:
        runs = con.execute(
            "select ingest_run_id, rows_inserted from raw.ingest_runs where table_name = 'ticket_status_changes' "
            "order by started_at"
        ).fetchall()
        late = con.execute(
            "select count(*) from raw.ticket_status_changes where changed_at <= ?", [taken_at.to_pydatetime()]
        ).fetchone()[0]
    finally:
        con.close()
    assert len(runs) == 2 and runs[1][1] > 0
    assert late > runs[0][1], "some changes before the first export's time arrived only with the second"


def test_incremental_build_equals_a_full_refresh_row_for_row(
    nightly: dict[str, Path], relations: dict[str, Relation]
):
    assert "delete from" in compiled_sql(nightly["work"] / "tonight", "fct_stage_visits"), "it ran incrementally"
    assert "delete from" not in compiled_sql(nightly["work"] / "reference", "fct_stage_visits")
    exposures = compiled_sql(nightly["work"] / "tonight", "int_experiment_units_first_exposed",
                             "intermediate/experiments")
    assert "delete from" in exposures, "the exposures aggregate ran incrementally (delete+insert of experiments)"
    assert_same_warehouse(nightly["reference"], nightly["nightly"], relations, "incremental vs full refresh")


def test_a_second_nightly_build_changes_nothing(
    nightly: dict[str, Path], relations: dict[str, Relation], build_warehouse: Callable[..., None], tmp_path: Path
):
    build_warehouse(nightly["nightly"], tmp_path)
    assert "delete from" in compiled_sql(tmp_path, "fct_stage_visits"), "it ran incrementally (replace_tickets)"
    assert_same_warehouse(nightly["reference"], nightly["nightly"], relations, "after a second nightly build")
    assert run_results(tmp_path)["assert_built_history_matches_raw"]["status"] == "pass"


def test_a_stalled_sync_and_a_deleted_ticket_reach_the_facts_the_next_night(
    nightly: dict[str, Path], taken_at: pd.Timestamp
):
    con = duckdb.connect(str(nightly["nightly"]), read_only=True)
    try:
        stalled = con.execute(
            "select count(*) from raw.ticket_status_changes "
            "where changed_at < ? and _loaded_at = (select max(_loaded_at) from raw.ticket_status_changes)",
            [(taken_at - LOOKBACK).to_pydatetime()],
        ).fetchone()[0]
        deleted = con.execute(
            "select count(*) from main.fct_work_items where ticket_id = ?", [DELETED]
        ).fetchone()[0] + con.execute(
            "select count(*) from main.int_status_changes_sequenced where ticket_id = ?", [DELETED]
        ).fetchone()[0]
    finally:
        con.close()
    assert stalled > 0, "changes older than the lookback arrived only tonight"
    assert deleted == 0, "the deleted ticket left the facts"


def too_late_change(frames: dict[str, pd.DataFrame], taken_at: pd.Timestamp) -> pd.Series:
    """A change older than the lookback, of a ticket that finished well before: nothing else recomputes it."""
    changes = frames["ticket_status_changes"]
    last = changes.groupby("ticket_id")["changed_at"].max()
    quiet = last[last < taken_at - LOOKBACK - pd.Timedelta(days=2)].index
    done = changes[changes["to_status"].isin(["Done"])]["ticket_id"]
    candidates = changes[changes["ticket_id"].isin(quiet) & changes["ticket_id"].isin(done)]
    candidates = candidates[candidates["from_status"].notna()].sort_values(["changed_at", "change_id"])
    assert len(candidates), "the demo has tickets finished well before the export"
    return candidates.iloc[len(candidates) // 2]


def built_changes(warehouse: Path, change_id: str) -> int:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(
            "select count(*) from main.int_status_changes_sequenced where change_id = ?", [change_id]
        ).fetchone()[0]
    finally:
        con.close()


def test_a_change_of_any_age_loaded_late_is_in_the_next_nightly_build(
    frames: dict[str, pd.DataFrame], taken_at: pd.Timestamp, tmp_path: Path, build_warehouse: Callable[..., None]
):
    change = too_late_change(frames, taken_at)
    write_raw_tables(export_at(frames, taken_at, [change["change_id"]]), tmp_path / "yesterday")
    write_raw_tables(frames, tmp_path / "tonight")
    warehouse = tmp_path / "wh.duckdb"
    ingest_directory(tmp_path / "yesterday", warehouse)
    build_warehouse(warehouse, tmp_path)
    ingest_directory(tmp_path / "tonight", warehouse)

    build_warehouse(warehouse, tmp_path)  # incremental: the change is older than the lookback, loaded tonight

    assert "delete from" in compiled_sql(tmp_path, "fct_stage_visits"), "it ran incrementally"
    assert built_changes(warehouse, change["change_id"]) == 1
    assert run_results(tmp_path)["assert_built_history_matches_raw"]["status"] == "pass"


def test_a_warehouse_left_stale_fails_the_history_check_until_a_full_refresh(
    nightly: dict[str, Path], frames: dict[str, pd.DataFrame], taken_at: pd.Timestamp, tmp_path: Path,
    build_warehouse: Callable[..., None],
):
    """A change deleted from raw by hand (no load, no soft delete) is invisible to load times: the facts keep it,
    and the history check says which ticket until a full refresh rebuilds it."""
    warehouse = copy_warehouse(nightly["nightly"], tmp_path / "stale.duckdb")
    change = too_late_change(frames, taken_at)
    con = duckdb.connect(str(warehouse))
    try:
        con.execute("delete from raw.ticket_status_changes where change_id = ?", [change["change_id"]])
    finally:
        con.close()

    with pytest.raises(DbtRunError):
        build_warehouse(warehouse, tmp_path)

    check = run_results(tmp_path)["assert_built_history_matches_raw"]
    assert check["status"] == "fail" and check["failures"] == 1, check
    assert built_changes(warehouse, change["change_id"]) == 1, "the stale fact is still there"

    build_warehouse(warehouse, tmp_path, "--full-refresh")

    assert run_results(tmp_path)["assert_built_history_matches_raw"]["status"] == "pass"
    assert built_changes(warehouse, change["change_id"]) == 0


def test_an_earlier_as_of_needs_a_full_refresh_and_says_so(
    nightly: dict[str, Path], tmp_path: Path, build_warehouse: Callable[..., None]
):
    warehouse = copy_warehouse(nightly["nightly"], tmp_path / "past.duckdb")
    con = duckdb.connect(str(warehouse), read_only=True)
    as_of = con.execute("select as_of from main.dim_as_of").fetchone()[0] - pd.Timedelta(days=5)
    con.close()
    plain_dbt = subprocess.run(
        [*dbt_command("build", as_of=str(as_of)), "--target-path", str(tmp_path / "target"),
         "--log-path", str(tmp_path / "logs")],
        env=dbt_env(warehouse), capture_output=True, text=True, check=False,
    )
    assert plain_dbt.returncode != 0
    assert "the as-of moved back" in plain_dbt.stdout and "--full-refresh" in plain_dbt.stdout

    build_warehouse(warehouse, tmp_path, as_of=str(as_of))  # run_dbt_build adds --full-refresh itself

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert con.execute("select as_of from main.dim_as_of").fetchone()[0] == as_of
        latest = con.execute("select max(changed_at) from main.int_status_changes_sequenced").fetchone()[0]
    finally:
        con.close()
    assert latest <= as_of


def test_a_changed_status_map_needs_a_full_refresh_and_says_so(
    nightly: dict[str, Path], frames: dict[str, pd.DataFrame], tmp_path: Path, build_warehouse: Callable[..., None]
):
    warehouse = copy_warehouse(nightly["nightly"], tmp_path / "remapped.duckdb")
    status_map = frames["status_map"].copy()
    status_map.loc[status_map["raw_status"] == "Blocked", "stage_kind"] = "active"
    write_raw_tables({**frames, "status_map": status_map}, tmp_path / "remapped")
    ingest_directory(tmp_path / "remapped", warehouse)

    with pytest.raises(DbtRunError, match="the status map changed"):
        build_warehouse(warehouse, tmp_path)

    build_warehouse(warehouse, tmp_path, "--full-refresh")


def compiled_test_sql(workdir: Path, test: str, yml: str = "marts/flow/_flow__models.yml") -> str:
    return (workdir / "target" / "run" / "flowmetrics" / "models" / yml / f"{test}.sql").read_text()


def test_an_incremental_night_computes_each_models_tickets_to_rebuild_once(nightly: dict[str, Path]):
    """fct_work_items filters four inputs; on a night each filter reads the model's record of the tickets to
    rebuild instead of computing the set again, and a full refresh filters nothing."""
    def compiled(run: str) -> str:
        return (nightly["work"] / run / "target" / "compiled" / "flowmetrics" / "models" / "marts" / "flow"
                / "fct_work_items.sql").read_text()

    tonight = compiled("tonight")
    assert tonight.count("fct_work_items__rebuilt_tickets") == 4
    assert "built_loads" not in tonight  # the set's own query (load times against the model's) is not inlined
    assert "__rebuilt_tickets" not in compiled("reference")


def test_an_incremental_night_tests_the_rows_it_rebuilt_and_a_full_build_every_row(
    nightly: dict[str, Path], taken_at: pd.Timestamp
):
    """A row test (not_null, unique, ...) on an incremental model reads only the tickets the night rebuilt, as
    recorded by the replace_tickets strategy; a full refresh tests every row; the history invariant stays whole."""
    record = "fct_stage_visits__rebuilt_tickets"
    row_test = "flowmetrics_not_null_columns_fct_stage_visits_"
    assert record in compiled_test_sql(nightly["work"] / "tonight", row_test)
    assert record not in compiled_test_sql(nightly["work"] / "reference", row_test)
    history = (nightly["work"] / "tonight" / "target" / "run" / "flowmetrics" / "tests" / "dbt"
               / "assert_built_history_matches_raw.sql").read_text()
    assert "__rebuilt_tickets" not in history

    con = duckdb.connect(str(nightly["work"] / "tonight.duckdb"), read_only=True)
    try:
        rebuilt = {r[0] for r in con.execute(f"select ticket_id from main.{record} where ticket_id is not null")
                   .fetchall()}
        every = {r[0] for r in con.execute("select ticket_id from raw.tickets").fetchall()}
        loaded_tonight = {r[0] for r in con.execute(
            "select distinct ticket_id from raw.ticket_status_changes "
            "where _loaded_at = (select max(_loaded_at) from raw.ticket_status_changes)"
        ).fetchall()}
    finally:
        con.close()
    assert loaded_tonight and loaded_tonight <= rebuilt, "every ticket with a change loaded tonight was tested"
    assert DELETED in rebuilt, "the deleted ticket's rows were removed (and nothing of it is left to test)"
    assert len(rebuilt - {DELETED}) < len(every), "tickets that did not change were not tested again"
