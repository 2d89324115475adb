"""The fivetran_linear adapter: the demo system landed as Fivetran's Linear connector lands it builds the same flow
facts as through the raw contract, and the adapter's rules (soft deletes, re-syncs, non-state history, state ids to
names, Linear's state types, archived issues, a second source beside the contract) hold."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.python.sources import fixtures_fivetran_linear as linear
from tests.python.sources.harness import (
    assert_same_facts,
    assert_ticket_loads,
    build,
    connector_warehouse,
    contract_warehouse,
    demo_frames,
    land,
    latest_loads,
    loads_after,
    ticket_loads,
)


@pytest.fixture(scope="module")
def system() -> dict[str, pd.DataFrame]:
    return linear.linear_system(demo_frames())


@pytest.fixture(scope="module")
def landed(system: dict[str, pd.DataFrame]) -> dict[str, dict[str, pd.DataFrame]]:
    return linear.landed(system)


@pytest.fixture(scope="module")
def contract(system: dict[str, pd.DataFrame], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return contract_warehouse(system, tmp_path_factory.mktemp("linear-contract"))


@pytest.fixture(scope="module")
def connector(landed: dict[str, dict[str, pd.DataFrame]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return connector_warehouse(landed, [linear.SOURCE], tmp_path_factory.mktemp("linear-connector"))


@pytest.fixture(scope="module")
def beside_contract(system: dict[str, pd.DataFrame], landed: dict[str, dict[str, pd.DataFrame]],
                    tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The contract source and the Linear source in one build (fct_work_items and what it reads, no tests)."""
    from flowmetrics.ingest import ingest_directory, write_raw_tables

    workdir = tmp_path_factory.mktemp("linear-beside")
    write_raw_tables(dict(system), workdir / "raw")
    warehouse = workdir / "both.duckdb"
    ingest_directory(workdir / "raw", warehouse)
    land(warehouse, linear.SCHEMA, landed[linear.SCHEMA])
    build(warehouse, workdir / "dbt", [{"name": "raw", "adapter": "contract"}, linear.SOURCE],
          "--select", "+fct_work_items", "--exclude-resource-type", "test")
    return warehouse


def query(warehouse: Path, sql: str, *params: object) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, list(params)).df()


def staged_changes(warehouse: Path) -> pd.DataFrame:
    return query(warehouse, "select * from main.stg_tickets__status_changes where source_name = 'linear'")


def test_linear_builds_the_same_facts_as_the_contract(contract: Path, connector: Path) -> None:
    assert_same_facts(contract, connector, linear.map_id, ignore={
        # Linear has no issue type, requester, experiment link or AI flag (null), and its key is the identifier
        # (WEB-17), not the contract's ticket id (FM-17).
        "fct_work_items": ["ticket_key", "ticket_type", "requested_by", "experiment_id", "ai_assisted",
                           # Linear records a reassignment as an assignee change, not as a status change.
                           "reassignment_count"],
        "fct_stage_visits": ["requested_by", "ai_assisted"],
    })


def test_a_soft_deleted_issue_and_its_history_are_dropped(connector: Path) -> None:
    gone = f"linear:{linear.linear_id('issue', 'gone')}"
    assert query(connector, "select * from main.stg_tickets__tickets where ticket_id = ?", gone).empty
    changes = staged_changes(connector)
    assert gone not in set(changes["ticket_id"])
    assert f"linear:{linear.linear_id('history', 'gone')}" not in set(changes["change_id"])
    assert f"linear:{linear.linear_id('history', 'deleted-change')}" not in set(changes["change_id"])
    assert query(connector, "select * from main.fct_work_items where ticket_id = ?", gone).empty


def test_a_resynced_row_counts_once_in_its_latest_version(connector: Path, system: dict[str, pd.DataFrame],
                                                          landed: dict[str, dict[str, pd.DataFrame]]) -> None:
    tables = landed[linear.SCHEMA]
    history = tables["issue_history"]
    duplicated = history[history["id"].duplicated()]["id"]
    assert len(duplicated) == 1
    changes = staged_changes(connector)
    assert (changes["change_id"] == f"linear:{duplicated.iloc[0]}").sum() == 1
    issue = tables["issue"]
    resynced = issue[issue["id"].duplicated(keep=False) & (issue["id"] != linear.linear_id("issue", "gone"))]
    newest = resynced.sort_values("_fivetran_synced").iloc[-1]
    tickets = query(connector, "select title from main.stg_tickets__tickets where ticket_id = ?",
                    f"linear:{newest['id']}")
    assert tickets["title"].tolist() == [newest["title"]] != ["an older title"]
    assert len(query(connector, "select * from main.stg_tickets__tickets")) == len(system["tickets"])


def test_history_rows_of_other_fields_are_not_status_changes(connector: Path, system: dict[str, pd.DataFrame],
                                                             landed: dict[str, dict[str, pd.DataFrame]]) -> None:
    history = landed[linear.SCHEMA]["issue_history"]
    other_fields = history[history["to_state_id"].isna()]
    assert len(other_fields) > 100  # priority and assignee changes
    changes = staged_changes(connector)
    assert not set(changes["change_id"]) & {f"linear:{i}" for i in other_fields["id"]}
    contract_changes = system["ticket_status_changes"]
    transitions = contract_changes[contract_changes["from_status"] != contract_changes["to_status"]]
    # Every contract transition once; the creation rows only where Linear recorded one (a tenth of the tickets).
    recorded = history[history["from_state_id"].isna() & history["to_state_id"].notna() & ~history["_fivetran_deleted"]]
    moved = set(transitions.loc[transitions["from_status"].notna(), "ticket_id"])
    unmoved = set(system["tickets"]["ticket_id"]) - moved - {
        t for t in system["tickets"]["ticket_id"] if linear.native_ticket_id(t) in set(recorded["issue_id"])}
    assert unmoved
    assert len(changes) == int(transitions["from_status"].notna().sum()) + len(recorded) + len(unmoved)
    created = changes[changes["change_id"].str.endswith(":created")]
    assert set(created["ticket_id"]) == {linear.map_id("ticket_id", t) for t in unmoved}


def test_state_ids_are_resolved_to_state_names(connector: Path) -> None:
    changes = staged_changes(connector)
    assert changes["to_status"].notna().all()
    names = set(linear.STATE_TYPES)
    assert set(changes["to_status"]) <= names
    assert set(changes["from_status"].dropna()) <= names
    assert changes["changed_by"].str.fullmatch(r"[a-z0-9_.-]+").all()  # display names, not user ids


def test_statuses_carry_linear_state_types_as_categories(connector: Path) -> None:
    statuses = query(connector, "select raw_status, status_category from main.stg_tickets__statuses "
                                "where source_name = 'linear'")
    assert dict(zip(statuses["raw_status"], statuses["status_category"], strict=True)) == {
        "Backlog": "backlog", "Triage": "backlog", "Ready for Dev": "todo", "In Progress": "in_progress",
        "Ready for Review": "in_progress", "In Review": "in_progress", "Ready for QA": "in_progress",
        "In QA": "in_progress", "Blocked": "in_progress", "Ready to Deploy": "in_progress", "Done": "done",
        "Won't Do": "canceled",
    }


def test_archived_issues_are_kept_with_their_keys_and_teams(connector: Path,
                                                             landed: dict[str, dict[str, pd.DataFrame]]) -> None:
    issue = landed[linear.SCHEMA]["issue"]
    archived = issue[issue["archived_at"].notna() & (issue["id"] != linear.linear_id("issue", "gone"))]
    assert len(archived) > 5
    tickets = query(connector, "select ticket_id, ticket_key, team from main.stg_tickets__tickets")
    assert {f"linear:{i}" for i in archived["id"]} <= set(tickets["ticket_id"])
    assert tickets["ticket_key"].str.fullmatch(r"(WEB|MOB|PLAT)-\d+").all()
    assert (tickets["ticket_key"].str.split("-").str[0] == tickets["team"]).all()


def test_attributes_are_projects_and_labels_on_the_issue_now(connector: Path,
                                                              landed: dict[str, dict[str, pd.DataFrame]]) -> None:
    attributes = query(connector, "select * from main.stg_fivetran_linear__ticket_attributes")
    assert set(attributes["attribute"]) == {"project", "label"}
    assert set(attributes.loc[attributes["attribute"] == "project", "value"]) == {
        "WEB roadmap", "MOB roadmap", "PLAT roadmap"}
    links = landed[linear.SCHEMA]["issue_label"]
    removed = links[links["_fivetran_deleted"]]
    customer = linear.linear_id("label", "customer")
    removed_only = set(removed[removed["label_id"] == customer]["issue_id"]) - set(
        links[~links["_fivetran_deleted"] & (links["label_id"] == customer)]["issue_id"])
    assert removed_only
    labelled = attributes[(attributes["attribute"] == "label") & (attributes["value"] == "customer")]
    assert not removed_only & set(labelled["ticket_id"])


def test_beside_the_contract_each_source_keeps_its_ids(beside_contract: Path, system: dict[str, pd.DataFrame]) -> None:
    tickets = query(beside_contract, "select ticket_id, source_name from main.fct_work_items "
                                     "join main.stg_tickets__tickets using (ticket_id)")
    by_source = tickets.groupby("source_name")["ticket_id"].apply(set)
    assert by_source["raw"] == set(system["tickets"]["ticket_id"])
    assert by_source["linear"] == {linear.map_id("ticket_id", t) for t in system["tickets"]["ticket_id"]}


def test_an_issue_never_moved_sits_in_its_current_state(connector: Path) -> None:
    intervals = query(connector, "select interval_number, status, entered_at, exited_at "
                                 "from main.fct_status_intervals where ticket_id = ?",
                      linear.map_id("ticket_id", linear.UNMOVED))
    assert intervals[["interval_number", "status"]].values.tolist() == [[0, "In Progress"]]
    assert intervals["entered_at"].iloc[0] == linear.UNMOVED_AT
    assert pd.isna(intervals["exited_at"].iloc[0])


def test_each_issue_was_loaded_when_its_latest_raw_row_was(connector: Path,
                                                           landed: dict[str, dict[str, pd.DataFrame]]) -> None:
    tables = landed[linear.SCHEMA]
    issue, history, labels = tables["issue"], tables["issue_history"], tables["issue_label"]
    expected = latest_loads(issue["id"], (issue["id"], issue["_fivetran_synced"]),
                            (history["issue_id"], history["_fivetran_synced"]),
                            (labels["issue_id"], labels["_fivetran_synced"]))
    # soft-deleted rows count: the deleted issue keeps its row, its deletion was a load
    assert_ticket_loads(connector, "fivetran_linear", expected, deleted={linear.linear_id("issue", "gone")})


def test_a_state_change_soft_deleted_by_a_later_sync_moves_its_issue_and_no_other(
        connector: Path, landed: dict[str, dict[str, pd.DataFrame]], tmp_path: Path) -> None:
    before = ticket_loads(connector, "fivetran_linear")
    history = landed[linear.SCHEMA]["issue_history"]
    change = history[history["to_state_id"].notna() & ~history["_fivetran_deleted"]
                     & ~history["id"].duplicated(keep=False)].iloc[10]
    deleted_at = before.max() + pd.Timedelta(hours=20)
    after = loads_after(connector, tmp_path, "fivetran_linear", (
        "update linear.issue_history set _fivetran_deleted = true, _fivetran_synced = ? where id = ?",
        [deleted_at, change["id"]]))
    assert after[change["issue_id"]] == deleted_at > before[change["issue_id"]]
    assert after.drop(change["issue_id"]).equals(before.drop(change["issue_id"]))
