"""The fivetran_jira source adapter: the demo system landed as Fivetran's Jira connector lands it gives the same
flow facts as through the raw contract, its rules hold on the connector's noise, it sits beside the contract as a
second source, and every command works on a warehouse whose only source is the connector."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from flowmetrics.warehouse.publish import published_relations
from tests.harness.compare import differences
from tests.harness.warehouse_query import query_df as query
from tests.python.sources import fixtures_fivetran_jira as fx
from tests.python.sources.harness import (
    assert_same_facts,
    assert_ticket_loads,
    build,
    contract_warehouse,
    demo_frames,
    land,
    latest_loads,
    loads_after,
    read,
    ticket_loads,
)

pytestmark = pytest.mark.slow

CLI = [sys.executable, "-m", "flowmetrics.cli"]
JIRA = {"name": fx.SOURCE, "adapter": "fivetran_jira", "schema": fx.SCHEMA}
TEAM_MAP = "mapping.jira_teams"
VARS = {"flowmetrics_sources": [JIRA], "team_map_relation": TEAM_MAP}
NO_RAW_CONTRACT = "no raw contract tables in this warehouse (schema raw has no tickets)"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    return demo_frames()


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fivetran_jira")


@pytest.fixture(scope="module")
def contract(frames: dict[str, pd.DataFrame], work: Path) -> Path:
    return contract_warehouse(frames, work)


@pytest.fixture(scope="module")
def connector_build(frames: dict[str, pd.DataFrame], work: Path) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """Only the connector's tables (schema jira), a team map (schema mapping) and the team's status map (raw
    status_map, the one table of schema raw: no raw contract tickets), built by `flowmetrics build -- --vars ...`,
    as a user would."""
    warehouse = work / "connector.duckdb"
    land(warehouse, fx.SCHEMA, fx.jira_tables(frames))
    land(warehouse, "raw", {"status_map": frames["status_map"]})
    land(warehouse, "mapping", {"jira_teams": fx.team_map_frame(frames)})
    built = cli("build", "--warehouse", str(warehouse), "--", "--vars", json.dumps(VARS),
                "--target-path", str(work / "connector-dbt" / "target"), "--log-path", str(work / "connector-dbt"))
    return warehouse, built


@pytest.fixture(scope="module")
def connector(connector_build: tuple[Path, subprocess.CompletedProcess[str]]) -> Path:
    warehouse, built = connector_build
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    return warehouse


def test_the_same_system_through_the_connector_gives_the_same_facts(contract: Path, connector: Path):
    # Jira has no requester function, experiment or AI flag
    jira_only = ("requested_by", "experiment_id", "ai_assisted")
    assert_same_facts(contract, connector, fx.map_id, ignore={
        "fct_work_items": ("ticket_key", *jira_only),  # the Jira key (WEB-12), not the contract's id
        "fct_status_intervals": ("entered_by",),  # Fivetran's field history carries no author
        "fct_stage_visits": jira_only,
    })
    keys = read(connector, "fct_work_items").set_index("ticket_id")["ticket_key"]
    tickets = read(contract, "fct_work_items").set_index("ticket_id")
    assert keys[fx.map_id("ticket_id", "FM-12")] == f"{tickets.loc['FM-12', 'team'].upper()}-12"


def test_a_soft_deleted_issue_and_its_history_are_dropped(connector: Path):
    landed = query(connector, "select count(*) as n from jira.issue_field_history "
                   f"where issue_id = {fx.DELETED_ISSUE_ID}")
    assert landed["n"].iloc[0] == 1
    ticket = f"{fx.SOURCE}:{fx.DELETED_ISSUE_ID}"
    for relation in ("stg_tickets__tickets", "stg_tickets__status_changes", "fct_work_items"):
        found = query(connector, f"select count(*) as n from main.{relation} where ticket_id = '{ticket}'")
        assert found["n"].iloc[0] == 0, relation


def test_re_synced_copies_count_once_and_the_latest_sync_wins(frames: dict[str, pd.DataFrame], connector: Path):
    first = frames["tickets"].iloc[0]
    copies = query(connector, f"select count(*) as n from jira.issue where id = {fx.issue_id(first.ticket_id)}")
    assert copies["n"].iloc[0] == 2
    tickets = read(connector, "stg_tickets__tickets").set_index("ticket_id")
    assert len(tickets) == len(frames["tickets"])
    assert tickets.loc[fx.map_id("ticket_id", first.ticket_id), "title"] == first.title
    changes = read(connector, "stg_tickets__status_changes")
    assert len(changes) == len(frames["ticket_status_changes"])
    assert changes["change_id"].is_unique


def test_only_status_rows_become_changes_with_status_names(frames: dict[str, pd.DataFrame], connector: Path):
    fields = set(query(connector, "select distinct field_id from jira.issue_field_history")["field_id"])
    assert {"status", "summary", "assignee"} <= fields
    changes = read(connector, "stg_tickets__status_changes")
    assert set(changes["to_status"]) == set(frames["ticket_status_changes"]["to_status"])
    assert set(changes["source_name"]) == {fx.SOURCE}
    assert changes["changed_by"].isna().all()


def test_from_status_is_the_previous_status_and_same_instant_changes_do_not_collide(
    frames: dict[str, pd.DataFrame], connector: Path
):
    expected = frames["ticket_status_changes"].assign(
        ticket_id=lambda f: f["ticket_id"].map(lambda t: fx.map_id("ticket_id", t)))
    ties = expected.duplicated(["ticket_id", "changed_at"], keep=False)
    assert ties.sum() > 100  # the demo moves many tickets twice at one instant
    actual = read(connector, "stg_tickets__status_changes")
    merged = expected.merge(actual, on=["ticket_id", "changed_at", "to_status"], how="outer", indicator=True,
                            suffixes=("_contract", "_jira"))
    assert (merged["_merge"] == "both").all()
    same = merged["from_status_contract"].fillna("<none>") == merged["from_status_jira"].fillna("<none>")
    assert same.all(), merged.loc[~same].head().to_dict("records")
    tied = actual[actual.duplicated(["ticket_id", "changed_at"], keep=False)]
    assert len(tied) == ties.sum() and tied["change_id"].is_unique


def test_statuses_take_the_jira_category(connector: Path):
    statuses = read(connector, "stg_tickets__statuses").set_index("raw_status")["status_category"]
    assert statuses["Backlog"] == "todo"
    assert statuses["In Progress"] == "in_progress"
    assert statuses["Done"] == "done" and statuses["Won't Do"] == "done"


def test_the_team_map_takes_a_label_before_a_component_before_the_project(
    frames: dict[str, pd.DataFrame], connector: Path
):
    teams = frames["tickets"].set_index("ticket_id")["team"]
    team_map = fx.team_map_frame(frames).set_index(["attribute", "value"])["team"]
    attributes = query(connector, "select * from main.stg_fivetran_jira__ticket_attributes")
    label_ticket = attributes[attributes["ticket_id"] == str(fx.issue_id(fx.LABEL_TICKET))]
    component_ticket = attributes[attributes["ticket_id"] == str(fx.issue_id(fx.COMPONENT_TICKET))]
    # the label ticket's component and the component ticket's project map to another team than the one they get
    assert set(zip(label_ticket["attribute"], label_ticket["value"], strict=True)) == {
        ("project", teams[fx.LABEL_TICKET].upper()), ("component", "Checkout"), ("label", "squad-label")}
    assert team_map["component", "Checkout"] != teams[fx.LABEL_TICKET]
    assert set(zip(component_ticket["attribute"], component_ticket["value"], strict=True)) == {
        ("project", "OPS"), ("component", "Payments API")}  # the emptied label and the replaced component are gone
    assert team_map["project", "OPS"] != teams[fx.COMPONENT_TICKET]
    staged = read(connector, "stg_tickets__tickets").set_index("ticket_id")["team"]
    for ticket in (fx.LABEL_TICKET, fx.COMPONENT_TICKET):
        assert staged[fx.map_id("ticket_id", ticket)] == teams[ticket], ticket


@pytest.fixture(scope="module")
def two_sources(frames: dict[str, pd.DataFrame], contract: Path, work: Path) -> Path:
    """The contract's warehouse with the connector's tables landed beside it, built with both sources."""
    warehouse = work / "both.duckdb"
    shutil.copy(contract, warehouse)
    land(warehouse, fx.SCHEMA, fx.jira_tables(frames))
    build(warehouse, work / "both-dbt", [{"name": "raw", "adapter": "contract"}, JIRA])
    return warehouse


def test_a_second_source_beside_the_contract_keeps_the_contract_ids(
    frames: dict[str, pd.DataFrame], contract: Path, two_sources: Path
):
    tickets = read(two_sources, "stg_tickets__tickets")
    by_source = tickets.groupby("source_name")["ticket_id"].apply(set)
    assert by_source["raw"] == set(frames["tickets"]["ticket_id"])
    assert by_source[fx.SOURCE] == {fx.map_id("ticket_id", t) for t in frames["tickets"]["ticket_id"]}
    # the contract's work items are the same rows as in a build of the contract alone
    contract_ids = set(frames["tickets"]["ticket_id"])
    both = read(two_sources, "fct_work_items")
    alone = read(contract, "fct_work_items")
    assert differences(alone, both[both["ticket_id"].isin(contract_ids)].reset_index(drop=True), ("ticket_id",)) == []
    # without a team map entry a Jira issue's team is its project's key
    jira_teams = set(tickets.loc[tickets["source_name"] == fx.SOURCE, "team"])
    assert jira_teams == {team.upper() for team in frames["tickets"]["team"]} | {"OPS"}


@pytest.fixture(scope="module")
def chain(connector_build: tuple[Path, subprocess.CompletedProcess[str]], connector: Path,
          work: Path) -> dict[str, subprocess.CompletedProcess[str]]:
    """check, detect, whatif, publish and report on a copy of the connector-only warehouse, after its build."""
    warehouse = work / "chain.duckdb"
    shutil.copy(connector, warehouse)
    wh = ["--warehouse", str(warehouse)]
    results = {"build": connector_build[1]}
    results["check"] = cli("check", *wh, "--report-dir", str(work / "q-check"), "--json")
    results["detect"] = cli("detect", *wh)
    results["whatif"] = cli("whatif", *wh, "--arrivals", "x2", "--replications", "2", "--weeks", "2")
    results["publish"] = cli("publish", *wh, "--report-dir", str(work / "q-publish"))
    results["report"] = cli("report", *wh, "--out", str(work / "report.html"), "--replications", "2")
    results["published"] = query(warehouse, "select count(*) as n from published.fct_work_items")
    results["raw"] = query(warehouse, "select count(*) as n from information_schema.tables where table_schema = 'raw'")
    results["daily"] = query(warehouse, "select relation, sum(row_count) as n from flowmetrics.published_daily_counts "
                                        "group by relation")
    return results


def test_every_command_works_on_a_connector_only_warehouse_and_says_what_is_absent(
    frames: dict[str, pd.DataFrame], chain: dict
):
    for command in ("build", "check", "detect", "whatif", "publish", "report"):
        result = chain[command]
        assert result.returncode == 0, (command, result.stdout[-2000:], result.stderr[-2000:])
        assert "Traceback" not in result.stderr, (command, result.stderr[-2000:])
    for command in ("detect", "whatif", "publish", "report"):
        out = chain[command].stdout
        assert NO_RAW_CONTRACT in out, command
        for table in ("deploys", "experiments"):
            assert f"no {table} in this warehouse" in out, (command, table)
        assert "no status_map" not in out, command  # the team shipped its map
    assert chain["published"]["n"].iloc[0] == len(frames["tickets"])
    assert chain["raw"]["n"].iloc[0] == 1  # the shipped status map alone: nothing wrote raw contract tables
    # the publish recorded the events per day of the connector's changes, for the next volume check
    daily = chain["daily"].set_index("relation")["n"]
    assert daily.to_dict() == {"ticket_status_changes": len(frames["ticket_status_changes"])}


def test_the_gate_skips_the_raw_suites_once_and_recomputes_from_the_staged_sources(chain: dict):
    report = json.loads(chain["check"].stdout)
    assert report["passed"]
    results = {r["check_id"]: r for r in report["results"]}
    skipped = results["raw.contract_tables"]
    assert skipped["status"] == "skipped" and NO_RAW_CONTRACT in skipped["message"]
    assert "raw.tickets" in skipped["message"] and "ingest.quarantine_share" in skipped["message"]
    not_built = {r["check_id"] for r in report["results"] if r["status"] == "not_built"}
    # neither detect nor forecast has run yet when check does: the package's own tables are the only ones absent
    package_tables = {p.name for p in published_relations() if p.layer == "flowmetrics"}
    assert package_tables >= {"constraint_findings", "constraint_stage_signals"}
    assert not_built == {f"flowmetrics.{name}.built" for name in package_tables}
    for check_id in ("flow.open_items_consistent.difference", "dim_as_of.matches_raw.seconds_apart",
                     "flow.counts_consistent.difference"):
        assert results[check_id]["status"] == "passed", check_id
    assert "note: " + NO_RAW_CONTRACT in chain["publish"].stdout


def test_the_gate_judges_the_connector_changes(connector: Path, work: Path):
    """A status change synced after the build (an open ticket moved to Done at the as-of): the open backlog and
    the finished count no longer match the connector's changes, and the check fails naming both."""
    warehouse = work / "late.duckdb"
    shutil.copy(connector, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        as_of, ticket = con.execute(
            "select (select as_of from main.dim_as_of), min(ticket_id) from main.fct_open_work_items").fetchone()
        done = con.execute("select id from jira.status where name = 'Done'").fetchone()[0]
        con.execute("insert into jira.issue_field_history (field_id, issue_id, time, _fivetran_synced, value) "
                    "values ('status', ?, ?, ?, ?)", [int(ticket.split(":")[1]), as_of, as_of, str(done)])
    result = cli("check", "--warehouse", str(warehouse), "--report-dir", str(work / "q-late"), "--json")
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr[-2000:]
    report = json.loads(result.stdout)
    assert set(report["failures"]) == {"flow.open_items_consistent.difference", "flow.counts_consistent.difference"}


def test_change_ids_survive_a_later_sync(connector: Path, work: Path):
    """A later sync that re-writes a status row and brings an older change of an issue (history arriving late)
    renames no change: the staged view gives every earlier change its id, and the older change one of its own."""
    warehouse = work / "resync.duckdb"
    shutil.copy(connector, warehouse)
    changes = "select change_id from main.stg_fivetran_jira__ticket_status_changes"
    before = set(query(warehouse, changes)["change_id"])
    with duckdb.connect(str(warehouse)) as con:
        issue, first_at, status = con.execute(
            "select issue_id, time, value from jira.issue_field_history where field_id = 'status' "
            "order by issue_id, time limit 1").fetchone()
        later = pd.Timestamp(first_at) + pd.Timedelta(days=90)
        con.execute("insert into jira.issue_field_history select field_id, issue_id, time, ?, value "
                    "from jira.issue_field_history where issue_id = ? and field_id = 'status'", [later, issue])
        older = pd.Timestamp(first_at) - pd.Timedelta(minutes=1)
        con.execute("insert into jira.issue_field_history (field_id, issue_id, time, _fivetran_synced, value) "
                    "values ('status', ?, ?, ?, ?)", [issue, older, later, status])
    after = set(query(warehouse, changes)["change_id"])
    assert before < after and len(after - before) == 1
    assert (after - before).pop().startswith(f"{issue}:{older}")


def test_each_issue_was_loaded_when_its_latest_raw_row_was(frames: dict[str, pd.DataFrame], connector: Path):
    tables = fx.jira_tables(frames)
    issue, history, multiselect = (tables[name] for name in ("issue", "issue_field_history",
                                                             "issue_multiselect_history"))
    expected = latest_loads(issue["id"], (issue["id"], issue["_fivetran_synced"]),
                            (history["issue_id"], history["_fivetran_synced"]),
                            (multiselect["issue_id"], multiselect["_fivetran_synced"]))
    # the issue deleted in Jira keeps its row: its deletion was a load
    assert_ticket_loads(connector, "fivetran_jira", expected, deleted={str(fx.DELETED_ISSUE_ID)})


def test_an_issue_deleted_by_a_later_sync_is_loaded_then_and_no_other_issue_moves(
    frames: dict[str, pd.DataFrame], connector: Path, work: Path
):
    before = ticket_loads(connector, "fivetran_jira")
    issue = str(fx.issue_id(frames["tickets"]["ticket_id"].iloc[3]))
    deleted_at = before.max() + pd.Timedelta(hours=20)
    after = loads_after(connector, work, "fivetran_jira", (
        "update jira.issue set _fivetran_deleted = true, _fivetran_synced = ? where id = ?", [deleted_at, int(issue)]))
    assert after[issue] == deleted_at > before[issue]
    assert after.drop(issue).equals(before.drop(issue))
