"""The suggested status map on a small crafted warehouse (contract source, no status_map shipped), the precedence
of the map in force, and `flowmetrics statuses`: its table, --json, --write then ingest then build."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from flowmetrics.quality.reader import GateReader
from flowmetrics.quality.suites._derived import status_map_in_force
from flowmetrics.quality.suites.status_map import stage_rules
from flowmetrics.steps.statuses import SUGGESTED_NOTE, suggested_map_note
from flowmetrics.warehouse.connection import open_connection
from flowmetrics.warehouse.profile import resolve_target
from tests.harness.warehouse_query import query_df as query
from tests.python.detection.cli_helpers import run_cli

pytestmark = pytest.mark.slow

# (ticket, [statuses in order]); every ticket starts in Backlog. Upper-case `READY FOR QA` and the two statuses
# the default seed does not know (`Waiting for Review`, `Odd Status`) are the point.
PATHS = {
    "T1": ["Ready for QA", "In QA", "Done"],
    "T2": ["READY FOR QA", "In QA", "Blocked", "In QA", "Done"],
    "T3": ["Waiting for Review", "Won't Do"],
    "T4": ["Odd Status", "Cancelled"],
    "T5": ["Selected for Development", "In Progress"],
}
UNKNOWN_TO_THE_SEED = {"READY FOR QA", "Waiting for Review", "Odd Status"}


def write_raw(directory: Path) -> None:
    directory.mkdir(parents=True)
    tickets = [(t, "team-a", "2026-01-01T00:00:00Z") for t in PATHS]
    changes = []
    for n, (ticket, path) in enumerate(PATHS.items()):
        previous = None
        for i, status in enumerate(["Backlog", *path]):
            at = pd.Timestamp("2026-01-01", tz="UTC") + pd.Timedelta(hours=n * 100 + i * 5)
            changes.append((f"{ticket}-{i}", ticket, at.strftime("%Y-%m-%dT%H:%M:%SZ"), previous, status))
            previous = status
    pd.DataFrame(tickets, columns=["ticket_id", "team", "created_at"]).to_csv(directory / "tickets.csv", index=False)
    pd.DataFrame(changes, columns=["change_id", "ticket_id", "changed_at", "from_status", "to_status"]).to_csv(
        directory / "ticket_status_changes.csv", index=False
    )


@pytest.fixture(scope="module")
def crafted(tmp_path_factory: pytest.TempPathFactory, build_warehouse) -> Path:
    from flowmetrics.ingest import ingest_directory

    workdir = tmp_path_factory.mktemp("statuses")
    write_raw(workdir / "raw")
    warehouse = workdir / "crafted.duckdb"
    ingest_directory(workdir / "raw", warehouse)
    build_warehouse(warehouse, workdir)
    return warehouse


def suggested(warehouse: Path) -> dict[str, tuple[str, str, int]]:
    frame = query(warehouse, "select raw_status, stage, stage_kind, stage_order "
                             "from main.int_status_mappings_suggested")
    return {r.raw_status: (r.stage, r.stage_kind, int(r.stage_order)) for r in frame.itertuples()}


def map_in_force(warehouse: Path) -> tuple[str, str] | None:
    connection = open_connection(resolve_target(None, warehouse), read_only=True)
    try:
        return status_map_in_force(GateReader(connection))
    finally:
        connection.close()


def test_the_suggestion_follows_the_name_rules_whatever_the_case(crafted: Path):
    s = suggested(crafted)
    assert set(s) == {"Backlog", *(status for path in PATHS.values() for status in path)}
    assert s["Backlog"][:2] == ("backlog", "queue")
    assert s["Ready for QA"][:2] == s["READY FOR QA"][:2] == ("qa", "queue")  # the queue of stage qa
    assert s["In QA"][:2] == ("qa", "active")
    assert s["Blocked"][:2] == ("qa", "wait")  # a wait of the active status it is entered from
    assert s["Waiting for Review"][:2] == ("review", "wait")
    assert s["Selected for Development"][:2] == ("development", "queue")
    assert s["In Progress"][:2] == ("in_progress", "active")
    assert s["Odd Status"][:2] == ("odd_status", "active")  # no rule, no category: active, its own stage
    assert s["Done"][:2] == ("done", "done")
    assert s["Won't Do"][:2] == s["Cancelled"][:2] == ("abandoned", "abandoned")
    flow = [order for _, kind, order in s.values() if kind in ("queue", "active", "wait")]
    assert s["Backlog"][2] == min(flow) < s["Ready for QA"][2] == s["In QA"][2]  # by typical position
    assert max(flow) < s["Done"][2] < s["Won't Do"][2]
    rules = stage_rules(pd.DataFrame(
        [(k, *v) for k, v in s.items()], columns=["raw_status", "stage", "stage_kind", "stage_order"]), "suggested")
    assert rules[["mixes_kinds", "queue_after_active", "terminal_before_flow"]].sum().sum() == 0
    assert set(rules["done_stages"]) == {1}


def test_the_suggestion_counts_changes_and_positions(crafted: Path):
    frame = query(crafted, "select * from main.int_status_mappings_suggested").set_index("raw_status")
    assert frame.loc["Backlog", "change_count"] == len(PATHS)
    assert frame.loc["In QA", "change_count"] == 3 and frame.loc["In QA", "ticket_count"] == 2
    assert frame.loc["Backlog", "typical_position"] == 1.0
    # T1: Backlog 1, Ready for QA 2, In QA 3; T2: Backlog 1, READY FOR QA 2, In QA 3, Blocked 4 (In QA again
    # keeps its first ordinal)
    assert frame.loc["In QA", "typical_position"] == 3.0 and frame.loc["Blocked", "typical_position"] == 4.0


def test_a_contract_source_without_a_shipped_map_uses_the_seed(crafted: Path):
    sources = query(crafted, "select distinct map_source from main.int_status_mappings_resolved")
    assert list(sources["map_source"]) == ["default"]
    relation, label = map_in_force(crafted)
    assert "int_status_mappings_resolved" in relation and label == "default_status_map (seed)"
    assert suggested_map_note(resolve_target(None, crafted)) is None
    unmapped = query(crafted, "select distinct status from main.fct_status_intervals where stage_kind = 'unmapped'")
    assert set(unmapped["status"]) == UNKNOWN_TO_THE_SEED


def test_the_table_marks_what_differs(crafted: Path):
    result = run_cli("statuses", "--warehouse", str(crafted))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"12 status(es) in {crafted}; map in force: default"
    odd = next(line for line in lines if "Odd Status" in line)
    assert odd.startswith("* ") and "unmapped" in odd and "odd_status, active" in odd
    backlog = next(line for line in lines if " Backlog " in line)
    assert backlog.startswith("  ") and "backlog, queue, 10, default" in backlog
    assert "statuses mapped by the suggested map" not in result.stdout


def test_json_lists_every_status_with_both_mappings(crafted: Path):
    result = run_cli("statuses", "--warehouse", str(crafted), "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["map_source"] == "default" and payload["written"] is None and payload["note"] is None
    rows = {row["raw_status"]: row for row in payload["statuses"]}
    assert len(rows) == 12
    assert rows["Odd Status"]["current_kind"] is None and rows["Odd Status"]["differs"] is True
    assert {k: rows["In QA"][k] for k in ("current_stage", "current_kind", "current_order", "current_map_source",
                                          "suggested_stage", "suggested_kind", "change_count", "differs")} == {
        "current_stage": "qa", "current_kind": "active", "current_order": 50, "current_map_source": "default",
        "suggested_stage": "qa", "suggested_kind": "active", "change_count": 3, "differs": False,
    }


def test_write_never_overwrites_without_force(crafted: Path, tmp_path: Path):
    target = tmp_path / "status_map.csv"
    target.write_text("mine\n")
    result = run_cli("statuses", "--warehouse", str(crafted), "--write", str(target))
    assert result.returncode == 2
    assert f"{target} exists" in result.stderr and "--force" in result.stderr
    assert target.read_text() == "mine\n"
    forced = run_cli("statuses", "--warehouse", str(crafted), "--write", str(target), "--force")
    assert forced.returncode == 0, forced.stderr
    assert target.read_text().splitlines()[0] == "raw_status,stage,stage_kind,stage_order"
    alone = run_cli("statuses", "--warehouse", str(crafted), "--force")
    assert alone.returncode == 2 and "--force goes with --write" in alone.stderr


def test_written_map_loaded_alone_then_built_maps_every_status(crafted: Path, tmp_path: Path, build_warehouse):
    warehouse = tmp_path / "edited.duckdb"
    shutil.copy(crafted, warehouse)
    folder = tmp_path / "map"
    folder.mkdir()
    written = run_cli("statuses", "--warehouse", str(warehouse), "--write", str(folder / "status_map.csv"))
    assert written.returncode == 0, written.stderr
    assert f"wrote 12 row(s) to {folder / 'status_map.csv'}" in written.stdout
    edited = pd.read_csv(folder / "status_map.csv")
    assert set(edited["raw_status"]) == set(suggested(crafted))
    rows = edited.set_index("raw_status")
    assert tuple(rows.loc["In QA"]) == ("qa", "active", 50)  # the map in force's row for a status it maps
    assert tuple(rows.loc["Waiting for Review"][:2]) == ("review", "wait")  # the suggestion for the others
    assert tuple(rows.loc["Odd Status"][:2]) == ("odd_status", "active")
    assert rows.loc["Odd Status", "stage_order"] < rows.loc["Done", "stage_order"]
    rules = stage_rules(edited, "written")
    assert rules[["mixes_kinds", "queue_after_active", "terminal_before_flow"]].sum().sum() == 0

    before = query(warehouse, "select (select count(*) from raw.tickets) as t, "
                              "(select count(*) from raw.ticket_status_changes) as c")
    loaded = run_cli("ingest", str(folder), "--warehouse", str(warehouse))
    assert loaded.returncode == 0, loaded.stderr
    after = query(warehouse, "select (select count(*) from raw.tickets) as t, "
                             "(select count(*) from raw.ticket_status_changes) as c, "
                             "(select count(*) from raw.status_map) as m")
    assert (after["t"].iloc[0], after["c"].iloc[0]) == (before["t"].iloc[0], before["c"].iloc[0])
    assert after["m"].iloc[0] == 12

    build_warehouse(warehouse, tmp_path / "dbt", "--full-refresh")
    assert list(query(warehouse, "select distinct map_source from main.int_status_mappings_resolved")["map_source"]) \
        == ["raw"]
    assert map_in_force(warehouse)[1] == "raw.status_map"
    assert query(warehouse, "select count(*) as n from main.fct_status_intervals "
                            "where stage_kind = 'unmapped'")["n"].iloc[0] == 0
    listed = json.loads(run_cli("statuses", "--warehouse", str(warehouse), "--json").stdout)
    assert listed["map_source"] == "raw"
    assert all(row["current_map_source"] == "raw" for row in listed["statuses"])


def test_build_says_when_the_suggested_map_is_in_force(crafted: Path, tmp_path: Path):
    warehouse = tmp_path / "suggested.duckdb"
    shutil.copy(crafted, warehouse)
    with duckdb.connect(str(warehouse)) as con:  # what a build with a connector source and no shipped map leaves
        con.execute("update main.int_status_mappings_resolved set map_source = 'suggested'")
    assert suggested_map_note(resolve_target(None, warehouse)) == SUGGESTED_NOTE
    assert "flowmetrics statuses --write status_map.csv" in SUGGESTED_NOTE
    assert map_in_force(warehouse)[1] == "the suggested status map (int_status_mappings_suggested)"
    result = run_cli("statuses", "--warehouse", str(warehouse))
    assert result.returncode == 0 and result.stdout.rstrip().endswith(SUGGESTED_NOTE)


def test_a_writer_holding_the_file_fails_the_reader(crafted: Path, tmp_path: Path):
    from tests.python.detection.test_lock_messages import hold

    held = tmp_path / "held.duckdb"
    shutil.copy(crafted, held)
    holder = hold(held, read_only=False)
    try:
        result = run_cli("statuses", "--warehouse", str(held))
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"PID {holder.pid}) holds a write lock on {held}" in result.stderr, result.stderr


def test_before_a_build_it_says_to_build(tmp_path: Path):
    from flowmetrics.ingest import ingest_directory

    write_raw(tmp_path / "raw")
    ingest_directory(tmp_path / "raw", tmp_path / "unbuilt.duckdb")
    result = run_cli("statuses", "--warehouse", str(tmp_path / "unbuilt.duckdb"))
    assert result.returncode == 2
    assert "int_status_mappings_suggested" in result.stderr and "flowmetrics build" in result.stderr
