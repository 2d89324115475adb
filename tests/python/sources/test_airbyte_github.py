"""The airbyte_github adapter: the demo system landed as Airbyte's GitHub source lands it gives the same flow and
deployment facts as the same system through the raw contract. The rules it shares with fivetran_github
(macros/sources/github.sql) are exercised case by case in test_fivetran_github.py."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.python.sources import fixtures_airbyte_github as ab
from tests.python.sources import fixtures_fivetran_github as fx
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


@pytest.fixture(scope="module")
def system() -> dict[str, pd.DataFrame]:
    return fx.github_system(demo_frames())


@pytest.fixture(scope="module")
def landed(system: dict[str, pd.DataFrame]) -> tuple[dict[str, pd.DataFrame], dict[str, int]]:
    tables, issue_ids = fx.fivetran_tables(system)
    return ab.airbyte_tables(tables), issue_ids


@pytest.fixture(scope="module")
def contract(system: dict[str, pd.DataFrame], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return contract_warehouse(system, tmp_path_factory.mktemp("contract"))


@pytest.fixture(scope="module")
def connector(landed: tuple[dict[str, pd.DataFrame], dict[str, int]], system: dict[str, pd.DataFrame],
              tmp_path_factory: pytest.TempPathFactory) -> Path:
    workdir = tmp_path_factory.mktemp("airbyte_github")
    warehouse = workdir / "connector.duckdb"
    land(warehouse, "github", landed[0])
    land(warehouse, "raw", {"status_map": system["status_map"], "github_team_map": fx.team_map()})
    build(warehouse, workdir / "dbt", None, "--vars", json.dumps(ab.build_vars()))
    return warehouse


def test_same_facts_through_the_contract_and_through_airbyte_github(
        contract: Path, connector: Path, landed: tuple[dict[str, pd.DataFrame], dict[str, int]],
        system: dict[str, pd.DataFrame]) -> None:
    issue_ids, deployment_ids = landed[1], fx.deployment_ids(system)

    def map_id(column: str, value: str) -> str:
        native = deployment_ids[value] if column in ("deploy_id", "restored_by_deploy_id") else issue_ids[value]
        return f"{ab.SOURCE}:{native}"

    # ticket_key is the contract's ticket id there and `owner/repo#number` here; the change ids an interval was
    # entered and left by are each source's own (GitHub's are `<issue id>:<epoch second>`).
    change_ids = ["entered_by_change_id", "exited_by_change_id"]
    assert_same_facts(
        contract, connector, map_id,
        relations=("fct_status_intervals", "fct_work_items", "fct_stage_visits", "fct_deployments"),
        ignore={"fct_work_items": ["ticket_key"], "fct_status_intervals": change_ids,
                "fct_stage_visits": change_ids},
    )


def test_deploy_ticket_links_have_full_precision_and_recall_on_the_planted_references(
        connector: Path, landed: tuple[dict[str, pd.DataFrame], dict[str, int]],
        system: dict[str, pd.DataFrame]) -> None:
    issue_ids, deployment_ids = landed[1], fx.deployment_ids(system)
    truth = {(str(deployment_ids[d]), str(issue_ids[t])) for d, t in system["deploy_tickets"].itertuples(index=False)}
    found = {(str(d), str(t)) for d, t in
             read(connector, "stg_airbyte_github__deploy_tickets")[["deploy_id", "ticket_id"]].itertuples(index=False)}
    assert found == truth, sorted(found ^ truth)[:10]


def test_re_extracted_records_and_other_events_are_ignored(connector: Path, system: dict[str, pd.DataFrame]) -> None:
    tickets = read(connector, "stg_tickets__tickets")
    assert len(tickets) == len(system["tickets"])  # pull requests are not tickets; a re-extracted issue once
    changes = read(connector, "stg_tickets__status_changes")
    assert changes["change_id"].is_unique
    assert len(changes) == len(system["ticket_status_changes"])  # assigned, renamed, card moves change nothing
    assert len(read(connector, "stg_deploys__deploys")) == len(system["deploys"])  # a running deployment is not


def test_each_issue_was_loaded_when_it_or_one_of_its_events_was_last_extracted(
        connector: Path, landed: tuple[dict[str, pd.DataFrame], dict[str, int]]) -> None:
    issues, events = landed[0]["issues"], landed[0]["issue_events"]
    event_issues = events["issue"].map(lambda issue: json.loads(issue)["id"])
    expected = latest_loads(issues.loc[issues["pull_request"].isna(), "id"],
                            (issues["id"], issues["_airbyte_extracted_at"]),
                            (event_issues, events["_airbyte_extracted_at"]))
    assert_ticket_loads(connector, "airbyte_github", expected)


def test_an_event_extracted_again_is_loaded_then_and_no_other_issue_moves(
        connector: Path, landed: tuple[dict[str, pd.DataFrame], dict[str, int]], tmp_path: Path) -> None:
    """GitHub forgets deleted records and Airbyte reports no deletions: what reaches the warehouse is a record
    extracted again, which moves its issue's load time and no other's."""
    before = ticket_loads(connector, "airbyte_github")
    issue = str(list(landed[1].values())[7])
    extracted_at = before.max() + pd.Timedelta(hours=20)
    after = loads_after(connector, tmp_path, "airbyte_github", (
        "insert into github.issue_events select * replace (? as _airbyte_extracted_at, 'again' as _airbyte_raw_id) "
        "from github.issue_events where json_extract_string(issue, '$.id') = ? limit 1",
        [extracted_at.tz_localize("UTC"), issue]))
    assert after[issue] == extracted_at > before[issue]
    assert after.drop(issue).equals(before.drop(issue))
