"""Nightly incremental builds: a day of new events plus late ones, built incrementally, equals a full refresh.

Yesterday's export holds every row up to the start of the last simulated day, less some changes that happened in
the two days before it but arrive late; tonight's export holds everything. The incremental models must then hold
exactly what `dbt build --full-refresh` of the same data holds, row for row, and a second nightly build must
change nothing. A late change older than the lookback (var incremental_lookback_days, 3 days) is missed until a
full refresh, and the warn-level test assert_no_late_changes_missed says so.
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
INCREMENTAL_MODELS = {
    "int_status_changes_sequenced",
    "int_status_intervals_bounded",
    "int_stage_visits_sessionised",
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
    late = late_changes(frames["ticket_status_changes"], taken_at, pd.Timedelta(days=2), every=4)
    assert len(late) >= 5
    write_raw_tables(export_at(frames, taken_at, late), work / "yesterday")
    write_raw_tables(frames, work / "tonight")
    nightly = work / "nightly.duckdb"
    ingest_directory(work / "yesterday", nightly)
    build_warehouse(nightly, work / "yesterday")
    ingest_directory(work / "tonight", nightly)
    reference = copy_warehouse(nightly, work / "reference.duckdb")
    build_warehouse(nightly, work / "tonight")
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
    assert run_results(tmp_path)["assert_no_late_changes_missed"]["status"] == "pass"


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


def test_a_change_older_than_the_lookback_is_missed_until_a_full_refresh(
    frames: dict[str, pd.DataFrame], taken_at: pd.Timestamp, tmp_path: Path, build_warehouse: Callable[..., None]
):
    change = too_late_change(frames, taken_at)
    write_raw_tables(export_at(frames, taken_at, [change["change_id"]]), tmp_path / "yesterday")
    write_raw_tables(frames, tmp_path / "tonight")
    warehouse = tmp_path / "wh.duckdb"
    ingest_directory(tmp_path / "yesterday", warehouse)
    build_warehouse(warehouse, tmp_path)
    ingest_directory(tmp_path / "tonight", warehouse)

    build_warehouse(warehouse, tmp_path)  # incremental: the change is older than the lookback

    check = run_results(tmp_path)["assert_no_late_changes_missed"]
    assert check["status"] == "warn" and check["failures"] == 1, check
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        built = con.execute(
            "select count(*) from main.int_status_changes_sequenced where change_id = ?", [change["change_id"]]
        ).fetchone()[0]
    finally:
        con.close()
    assert built == 0, "the too-late change is not in the facts after an incremental build"

    build_warehouse(warehouse, tmp_path, "--full-refresh")

    assert run_results(tmp_path)["assert_no_late_changes_missed"]["status"] == "pass"
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        built = con.execute(
            "select count(*) from main.int_status_changes_sequenced where change_id = ?", [change["change_id"]]
        ).fetchone()[0]
    finally:
        con.close()
    assert built == 1


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
