"""The fivetran_github adapter: the demo system landed as Fivetran's GitHub connector lands it gives the same flow
and deployment facts as the same system through the raw contract, and the adapter's stated rules hold on small
hand-made cases (status from state and labels, deploy outcome from deployment statuses, deploy → ticket links)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

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
    return fx.fivetran_tables(system)


@pytest.fixture(scope="module")
def contract(system: dict[str, pd.DataFrame], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return contract_warehouse(system, tmp_path_factory.mktemp("contract"))


@pytest.fixture(scope="module")
def connector(landed: tuple[dict[str, pd.DataFrame], dict[str, int]], system: dict[str, pd.DataFrame],
              tmp_path_factory: pytest.TempPathFactory) -> Path:
    workdir = tmp_path_factory.mktemp("fivetran_github")
    warehouse = workdir / "connector.duckdb"
    land(warehouse, "github", landed[0])
    land(warehouse, "raw", {"status_map": system["status_map"], "github_team_map": fx.team_map()})
    build(warehouse, workdir / "dbt", None, "--vars", json.dumps(fx.build_vars()))
    return warehouse


def test_same_facts_through_the_contract_and_through_fivetran_github(
        contract: Path, connector: Path, landed: tuple[dict[str, pd.DataFrame], dict[str, int]],
        system: dict[str, pd.DataFrame]) -> None:
    issue_ids = landed[1]
    deployment_ids = fx.deployment_ids(system)

    def map_id(column: str, value: str) -> str:
        native = deployment_ids[value] if column in ("deploy_id", "restored_by_deploy_id") else issue_ids[value]
        return f"{fx.SOURCE}:{native}"

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
             read(connector, "stg_fivetran_github__deploy_tickets")[["deploy_id", "ticket_id"]].itertuples(index=False)}
    precision = len(found & truth) / len(found)
    recall = len(found & truth) / len(truth)
    assert (precision, recall) == (1.0, 1.0), sorted(found ^ truth)[:10]


def test_noise_of_the_sync_is_ignored(connector: Path, landed: tuple[dict[str, pd.DataFrame], dict[str, int]],
                                      system: dict[str, pd.DataFrame]) -> None:
    tickets = read(connector, "stg_tickets__tickets")
    assert len(tickets) == len(system["tickets"])  # the deleted issue and the pull requests are not tickets
    assert not tickets["ticket_id"].eq(f"{fx.SOURCE}:{fx.ISSUE_ID_BASE - 1}").any()
    assert "stale title" not in set(tickets["title"])  # the latest sync of a re-synced issue wins
    changes = read(connector, "stg_tickets__status_changes")
    assert changes["change_id"].is_unique  # re-synced label history counted once
    assert len(changes) == len(system["ticket_status_changes"])  # "good first issue" and type labels change nothing
    deploys = read(connector, "stg_deploys__deploys")
    assert len(deploys) == len(system["deploys"])  # the running and the deleted deployments are not deploys
    assert deploys["source_name"].eq(fx.SOURCE).all()


RULES_SOURCE = "gh"


@pytest.fixture(scope="module")
def rules(system: dict[str, pd.DataFrame], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hand-made rule cases as a second source (`gh`) beside a contract source holding the demo."""
    from flowmetrics.ingest import ingest_directory, write_raw_tables

    workdir = tmp_path_factory.mktemp("fivetran_github_rules")
    warehouse = workdir / "rules.duckdb"
    write_raw_tables(dict(system), workdir / "raw")
    ingest_directory(workdir / "raw", warehouse)
    land(warehouse, "github_rules", fx.rule_cases()[0])
    sources = [{"name": "raw", "adapter": "contract", "schema": "raw"},
               {"name": RULES_SOURCE, "adapter": "fivetran_github", "schema": "github_rules"}]
    build(warehouse, workdir / "dbt", None, "--vars", json.dumps({"flowmetrics_sources": sources}))
    return warehouse


def _changes(warehouse: Path, ticket: int) -> list[tuple[str | None, str, str]]:
    changes = read(warehouse, "stg_tickets__status_changes")
    mine = changes[changes["ticket_id"] == f"{RULES_SOURCE}:{ticket}"].sort_values("changed_at")
    return [(None if pd.isna(f) else f, to, str(when.time()))
            for f, to, when in mine[["from_status", "to_status", "changed_at"]].itertuples(index=False)]


def test_closed_wins_over_a_status_label_and_reopening_returns_to_it(rules: Path) -> None:
    assert _changes(rules, 101) == [
        (None, "Open", "09:00:00"), ("Open", "In Progress", "10:00:00"), ("In Progress", "Closed", "11:00:00"),
        ("Closed", "In Progress", "12:00:00"), ("In Progress", "Open", "13:00:00"),
    ]  # the `bug` label put on at 10:30 changes nothing


def test_a_label_swap_is_one_change_and_not_planned_closes_as_canceled(rules: Path) -> None:
    assert _changes(rules, 102) == [
        (None, "Review", "09:00:00"), ("Review", "QA", "11:00:00"), ("QA", "Not planned", "14:00:00"),
    ]
    statuses = read(rules, "stg_tickets__statuses")
    categories = dict(statuses.loc[statuses["source_name"] == RULES_SOURCE, ["raw_status", "status_category"]]
                      .itertuples(index=False))
    assert categories == {"Open": "todo", "Closed": "done", "Not planned": "canceled", "In Progress": "in_progress",
                          "Review": "in_progress", "QA": "in_progress"}


def test_deleted_issues_drop_and_resynced_rows_count_once(rules: Path) -> None:
    tickets = read(rules, "stg_tickets__tickets")
    mine = tickets[tickets["source_name"] == RULES_SOURCE].set_index("ticket_id")
    assert sorted(mine.index) == [f"{RULES_SOURCE}:{i}" for i in (101, 102, 103, 105)]  # not #4, no pull request
    assert mine.loc[f"{RULES_SOURCE}:105", "title"] == "Flaky test"
    assert mine.loc[f"{RULES_SOURCE}:105", "ticket_key"] == "acme/tools#5"
    assert _changes(rules, 105) == [(None, "Open", "09:00:00"), ("Open", "In Progress", "10:00:00")]


def test_a_second_source_keeps_the_contract_ids(rules: Path, system: dict[str, pd.DataFrame]) -> None:
    tickets = read(rules, "stg_tickets__tickets")
    contract = tickets[tickets["source_name"] == "raw"]
    assert set(contract["ticket_id"]) == set(system["tickets"]["ticket_id"])
    assert set(read(rules, "fct_work_items")["ticket_id"]) >= set(system["tickets"]["ticket_id"])


def test_a_deploy_is_its_last_real_outcome(rules: Path) -> None:
    deploys = read(rules, "stg_deploys__deploys")
    mine = deploys[deploys["source_name"] == RULES_SOURCE].set_index("deploy_id")
    outcome = {deploy_id.split(":")[1]: (row.deploy_status, str(row.deployed_at.time()))
               for deploy_id, row in mine.iterrows()}
    assert outcome == {
        "301": ("success", "19:12:00"),  # pending, in_progress, success
        "302": ("failed", "22:30:00"),  # a failure reported after its success
        "303": ("success", "01:24:00"),  # a retry's success after its failure
        "304": ("success", "08:12:00"),  # inactive (superseded) keeps the success, and its time
    }  # 305 is still in progress: not a deploy
    first_commit = mine["first_commit_at"].dropna()
    assert sorted(first_commit.index) == [f"{RULES_SOURCE}:302", f"{RULES_SOURCE}:303"]


def test_deploy_ticket_links_on_the_hard_cases_measure_their_precision_and_recall(rules: Path) -> None:
    links = read(rules, "stg_deploys__deploy_tickets")
    found = {(int(d.split(":")[1]), int(t.split(":")[1]) - 100) for d, t in
             links[links["deploy_id"].str.startswith(f"{RULES_SOURCE}:")].itertuples(index=False)}
    truth = {(deploy, number) for deploy, numbers in fx.rule_cases()[1].items() for number in numbers}
    # the failed deploy's pull requests ship again with the next one; found: #1 and `acme/tools#2` (true), #3
    # from "see #3 for context" and #5 from branch hotfix/5-3 (both wrong)
    assert found == {(302, 1), (302, 2), (302, 3), (302, 5), (303, 1), (303, 2), (303, 3), (303, 5), (304, 3)}
    precision = len(found & truth) / len(found)
    recall = len(found & truth) / len(truth)
    assert (round(precision, 3), round(recall, 3)) == (0.556, 1.0)


def _label_statuses(compile_sql, labels: list[str], scheme: object = None) -> list[str | None]:
    argument = "" if scheme is None else f", {json.dumps(scheme)}"
    expressions = [compile_sql("{{ flowmetrics.github_label_status(\"" + f"'{label}'" + "\"" + argument + ") }}")
                   for label in labels]
    with duckdb.connect() as con:
        return [con.execute(f"select {expression}").fetchone()[0] for expression in expressions]


def test_status_labels_by_prefix_or_by_the_configured_scheme(compile_sql) -> None:
    assert _label_statuses(compile_sql, ["Status:  QA", "statusbar", "bug"]) == ["QA", None, None]
    scheme = {"status: in progress": "In Progress", "Won't fix": "Won't fix"}
    # the scheme matches names in any case and replaces the prefix rule; its text stays data (a quote)
    assert _label_statuses(compile_sql, [" STATUS: In Progress", "won''t fix", "status: QA"], scheme) == [
        "In Progress", "Won't fix", None]


def test_a_malformed_status_scheme_or_state_name_is_refused_by_name(compile_sql) -> None:
    with pytest.raises(AssertionError, match="github_status_labels must be a non-empty mapping"):
        compile_sql("{{ flowmetrics.github_label_status('name', ['status: done']) }}")
    with pytest.raises(AssertionError, match="github_state_statuses: unknown state 'opened'"):
        compile_sql("{{ flowmetrics.github_state_statuses({'opened': 'New'}) }}")


def test_a_table_the_connector_did_not_land_is_refused_by_name(tmp_path) -> None:
    from tests.python.conftest import dbt_compile_inline

    sql = "{{ flowmetrics.fivetran_github_current_rows('deployment', ['id']) }}"
    configured = ["--vars", json.dumps({"flowmetrics_sources": [
        {"name": "github", "adapter": "fivetran_github", "schema": "github"}]})]
    with pytest.raises(AssertionError, match=r"fivetran_github: table github\.deployment is not in the warehouse"):
        dbt_compile_inline(sql, tmp_path, None, *configured)
    # not configured (the linter compiles every adapter): no tables needed
    assert "deployment" in dbt_compile_inline(sql, tmp_path, None)


def test_each_issue_was_loaded_when_its_latest_raw_row_was(
        connector: Path, landed: tuple[dict[str, pd.DataFrame], dict[str, int]]) -> None:
    tables = landed[0]
    issue = tables["issue"]
    issues = issue[~issue["pull_request"].astype(bool)]
    expected = latest_loads(issues["id"], *((tables[name]["id" if name == "issue" else "issue_id"],
                                             tables[name]["_fivetran_synced"])
                                            for name in ("issue", "issue_closed_history", "issue_label_history",
                                                         "issue_label")))
    # the issue deleted in GitHub keeps its row: its deletion was a load
    deleted = {str(row) for row in issues.loc[issues["_fivetran_deleted"].astype(bool), "id"]}
    assert deleted
    assert_ticket_loads(connector, "fivetran_github", expected, deleted=deleted)


def test_an_issue_deleted_by_a_later_sync_is_loaded_then_and_no_other_issue_moves(
        connector: Path, landed: tuple[dict[str, pd.DataFrame], dict[str, int]], tmp_path: Path) -> None:
    before = ticket_loads(connector, "fivetran_github")
    issue = str(list(landed[1].values())[7])
    deleted_at = before.max() + pd.Timedelta(hours=20)
    after = loads_after(connector, tmp_path, "fivetran_github", (
        "update github.issue set _fivetran_deleted = true, _fivetran_synced = ? where id = ?",
        [deleted_at, int(issue)]))
    assert after[issue] == deleted_at > before[issue]
    assert after.drop(issue).equals(before.drop(issue))
