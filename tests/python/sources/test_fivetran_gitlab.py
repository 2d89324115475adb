"""The fivetran_gitlab adapter: the demo system landed as Fivetran's GitLab connector lands it builds the same flow and
deployment facts as through the raw contract, and the adapter's rules (Open / Closed / status labels, the label
prefix, soft deletes, re-syncs, finished deployments only, deploy → ticket links through merge request references)
hold."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.python.sources import fixtures_fivetran_gitlab as gitlab
from tests.python.sources.harness import (
    assert_same_facts,
    assert_ticket_loads,
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
    return gitlab.gitlab_system(demo_frames())


@pytest.fixture(scope="module")
def landed(system: dict[str, pd.DataFrame]) -> dict[str, dict[str, pd.DataFrame]]:
    return gitlab.landed(system)


@pytest.fixture(scope="module")
def contract(system: dict[str, pd.DataFrame], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return contract_warehouse(system, tmp_path_factory.mktemp("gitlab-contract"))


@pytest.fixture(scope="module")
def connector(landed: dict[str, dict[str, pd.DataFrame]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return connector_warehouse(landed, [gitlab.SOURCE], tmp_path_factory.mktemp("gitlab-connector"))


def query(warehouse: Path, sql: str, *params: object) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, list(params)).df()


def staged_changes(warehouse: Path) -> pd.DataFrame:
    return query(warehouse, "select * from main.stg_tickets__status_changes where source_name = 'gitlab'")


def test_gitlab_builds_the_same_facts_as_the_contract(contract: Path, connector: Path,
                                                      system: dict[str, pd.DataFrame]) -> None:
    assert_same_facts(contract, connector, gitlab.id_mapper(system), ignore={
        # GitLab has no requester, experiment link or AI flag (null) and its issue type is not read; its key is
        # `<project>#<iid>` (web-app#1), not the contract's ticket id (FM-1).
        "fct_work_items": ["ticket_key", "ticket_type", "requested_by", "experiment_id", "ai_assisted",
                           # GitLab records a reassignment as an assignee change, not as a status change.
                           "reassignment_count"],
        "fct_stage_visits": ["requested_by", "ai_assisted"],
        # A deploy's AI assistance comes from its tickets' flag, which GitLab does not have.
        "fct_deployments": ["ai_assisted", "ai_assisted_tickets", "not_ai_assisted_tickets",
                            "is_mixed_ai_assistance"],
    }, relations=("fct_status_intervals", "fct_work_items", "fct_stage_visits", "fct_deployments"))


def test_deploy_links_from_merge_request_references_are_exact_despite_decoys(
        connector: Path, system: dict[str, pd.DataFrame], landed: dict[str, dict[str, pd.DataFrame]]) -> None:
    map_id = gitlab.id_mapper(system)
    truth = {(map_id("deploy_id", d), map_id("ticket_id", t))
             for d, t in system["deploy_tickets"].itertuples(index=False)}
    links = query(connector, "select deploy_id, ticket_id from main.stg_deploys__deploy_tickets")
    found = set(links.itertuples(index=False, name=None))
    requests = landed[gitlab.SCHEMA]["merge_request"]
    decoy_lines = requests["description"].str.count(r"guide#|api#|!\d|widget#|issue#").sum()
    decoy_requests = (requests["state"] != "merged") | (requests["target_branch"] != "main") | (
        requests["project_id"] == gitlab.DOCS_PROJECT)
    assert decoy_lines > 50 and decoy_requests.sum() > 30  # the rule is measured against many decoys
    true_positives = len(found & truth)
    precision, recall = true_positives / len(found), true_positives / len(truth)
    assert (precision, recall) == (1.0, 1.0), json.dumps({
        "precision": precision, "recall": recall,
        "false": sorted(found - truth)[:10], "missed": sorted(truth - found)[:10]})


REFERENCE_CASES: list[tuple[str, list[str]]] = [
    ("Closes #12", ["12"]),
    ("#7 tidy up", ["7"]),
    ("Fix (#12), also #13, #14", ["12", "13", "14"]),
    ("Fixes #1 #2\nCloses #3", ["1", "2", "3"]),
    ("https://docs.example.com/guide#12", []),
    ("http://host/#12", []),
    ("other-group/project#12", []),
    ("issue#12 and widget#3", []),
    ("merge request !12, epic &12", []),
    ("colour #12ab, #ff0000", []),
    ("release v1.2.3", []),
]


def test_the_reference_rule_on_its_own(compile_sql) -> None:
    rows = ", ".join(f"({n}, '{text.replace(chr(39), chr(39) * 2)}')" for n, (text, _) in enumerate(REFERENCE_CASES))
    sql = compile_sql(
        "select text_id, {{ flowmetrics.regex_all_matches('body', flowmetrics.gitlab_issue_reference_pattern()) }}"
        f" as iid from (values {rows}) as texts (text_id, body)"
    )
    with duckdb.connect() as con:
        found = con.execute(sql).fetchall()
    for n, (text, expected) in enumerate(REFERENCE_CASES):
        assert [iid for text_id, iid in found if text_id == n] == expected, text


def test_status_scheme_open_closed_and_workflow_labels(connector: Path, system: dict[str, pd.DataFrame]) -> None:
    statuses = query(connector, "select raw_status, status_category from main.stg_tickets__statuses "
                                "where source_name = 'gitlab'")
    declared = dict(zip(statuses["raw_status"], statuses["status_category"], strict=True))
    assert declared.pop("Open") == "todo" and declared.pop("Closed") == "done"
    label_statuses = set(system["ticket_status_changes"]["to_status"]) - {"Open", "Closed"}
    assert declared == dict.fromkeys(label_statuses, "in_progress")  # not the `bug` or `customer` labels
    changes = staged_changes(connector)
    assert set(changes["to_status"]) == set(system["ticket_status_changes"]["to_status"])
    assert not changes["to_status"].str.startswith(gitlab.PREFIX).any()
    assert changes["change_id"].str.fullmatch(r"gitlab:(\d+:created|state:\d+|label:\d+)").all()


def test_deleted_rows_dropped_and_resynced_rows_counted_once(connector: Path, system: dict[str, pd.DataFrame],
                                                              landed: dict[str, dict[str, pd.DataFrame]]) -> None:
    tables = landed[gitlab.SCHEMA]
    tickets = query(connector, "select ticket_id, title from main.stg_tickets__tickets where source_name = 'gitlab'")
    assert f"gitlab:{gitlab.GONE_ISSUE}" not in set(tickets["ticket_id"])
    assert len(tickets) == len(system["tickets"])
    issue = tables["issue"]
    resynced = issue[issue["id"].duplicated(keep=False) & (issue["id"] != gitlab.GONE_ISSUE)]
    newest = resynced.sort_values("_fivetran_synced").iloc[-1]
    assert tickets.loc[tickets["ticket_id"] == f"gitlab:{newest['id']}", "title"].tolist() == [newest["title"]]
    changes = staged_changes(connector)
    assert f"gitlab:{gitlab.GONE_ISSUE}" not in set(changes["ticket_id"])
    deleted = tables["resource_state_event"].query("_fivetran_deleted")
    assert f"gitlab:state:{deleted['id'].iloc[0]}" not in set(changes["change_id"])
    assert changes["change_id"].is_unique


def test_only_finished_deployments_are_deploys(connector: Path, system: dict[str, pd.DataFrame]) -> None:
    deploys = query(connector, "select deploy_id, deploy_status, service, environment, first_commit_at "
                               "from main.stg_deploys__deploys where source_name = 'gitlab'")
    map_id = gitlab.id_mapper(system)
    assert set(deploys["deploy_id"]) == {map_id("deploy_id", d) for d in system["deploys"]["deploy_id"]}
    assert set(deploys["deploy_status"]) == {"success", "failed"}
    assert set(deploys["service"]) == set(gitlab.TEAM_PROJECTS.values())
    assert set(deploys["environment"]) == {"production"}
    assert deploys["first_commit_at"].isna().all()


@pytest.fixture(scope="module")
def other_prefix(landed: dict[str, dict[str, pd.DataFrame]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The GitLab tables built with var gitlab_status_label_prefix `status::` (no label has it): the status
    changes and statuses only."""
    from tests.python.conftest import dbt_build_into

    workdir = tmp_path_factory.mktemp("gitlab-prefix")
    warehouse = workdir / "prefix.duckdb"
    land(warehouse, gitlab.SCHEMA, landed[gitlab.SCHEMA])
    dbt_build_into(warehouse, workdir, "--vars", json.dumps({
        "flowmetrics_sources": [gitlab.SOURCE], "gitlab_status_label_prefix": "status::"}),
        "--select", "stg_fivetran_gitlab__ticket_status_changes", "stg_fivetran_gitlab__statuses",
        "base_fivetran_gitlab__issues", "--exclude-resource-type", "test")
    return warehouse


def test_the_status_label_prefix_is_a_var(other_prefix: Path) -> None:
    changes = query(other_prefix, "select to_status from main.stg_fivetran_gitlab__ticket_status_changes")
    assert set(changes["to_status"]) == {"Open", "Closed"}
    statuses = query(other_prefix, "select raw_status from main.stg_fivetran_gitlab__statuses")
    assert set(statuses["raw_status"]) == {"Open", "Closed"}


def test_each_issue_was_loaded_when_its_latest_raw_row_was(connector: Path,
                                                           landed: dict[str, dict[str, pd.DataFrame]]) -> None:
    tables = landed[gitlab.SCHEMA]
    issue = tables["issue"]
    events = [tables[name].query("resource_type == 'Issue'") for name in ("resource_state_event",
                                                                           "resource_label_event")]
    expected = latest_loads(issue["id"], (issue["id"], issue["_fivetran_synced"]),
                            *((frame["resource_id"], frame["_fivetran_synced"]) for frame in events))
    # soft-deleted rows count: the deleted issue keeps its row, its deletion was a load
    assert_ticket_loads(connector, "fivetran_gitlab", expected, deleted={str(gitlab.GONE_ISSUE)})


def test_a_state_event_soft_deleted_by_a_later_sync_moves_its_issue_and_no_other(
        connector: Path, landed: dict[str, dict[str, pd.DataFrame]], tmp_path: Path) -> None:
    before = ticket_loads(connector, "fivetran_gitlab")
    events = landed[gitlab.SCHEMA]["resource_state_event"]
    event = events[(events["resource_type"] == "Issue") & ~events["_fivetran_deleted"]
                   & (events["resource_id"] != gitlab.GONE_ISSUE) & ~events["id"].duplicated(keep=False)].iloc[10]
    issue = str(event["resource_id"])
    deleted_at = before.max() + pd.Timedelta(hours=20)
    after = loads_after(connector, tmp_path, "fivetran_gitlab", (
        "update gitlab.resource_state_event set _fivetran_deleted = true, _fivetran_synced = ? where id = ?",
        [deleted_at, int(event["id"])]))
    assert after[issue] == deleted_at > before[issue]
    assert after.drop(issue).equals(before.drop(issue))
