"""The Airbyte Jira adapter: the demo system landed as Airbyte's Jira source lands it gives the same flow marts as
the same system loaded through the raw contract, and each rule the adapter states holds on its staged relations."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.python.nightly import test_postgres as postgres_cluster
from tests.python.sources import fixtures_airbyte_jira as fx
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

# Columns the connector build cannot match, each for a reason of the source: Jira's key is `WEB-12` where the
# contract's is its ticket id; Jira has no requester, experiment or AI-assistance field; the change that entered a
# status has the connector's own id (`<history id>:<item position>`).
IGNORED = {
    "fct_work_items": ["ticket_key", "requested_by", "experiment_id", "ai_assisted"],
    "fct_status_intervals": ["entered_by_change_id"],
    "fct_stage_visits": ["requested_by", "ai_assisted"],
}


def land_connector(warehouse: Path, frames: dict[str, pd.DataFrame]) -> dict[str, dict[str, pd.DataFrame]]:
    """The connector's tables written as the destination types them (JSON columns as JSON)."""
    tables = fx.landed(frames)
    for schema, by_name in tables.items():
        land(warehouse, schema, by_name)
    with duckdb.connect(str(warehouse)) as con:
        for table, columns in fx.JSON_COLUMNS.items():
            for column in columns:
                con.execute(f'alter table "{fx.SCHEMA}"."{table}" alter "{column}" type json')
    return tables


def connector_vars(sources: list[dict[str, str]]) -> list[str]:
    return ["--vars", json.dumps({"flowmetrics_sources": sources, "team_map_relation": fx.TEAM_MAP_RELATION})]


@pytest.fixture(scope="module")
def system() -> dict[str, pd.DataFrame]:
    return fx.system_frames(demo_frames())


@pytest.fixture(scope="module")
def contract(system: dict[str, pd.DataFrame], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return contract_warehouse(system, tmp_path_factory.mktemp("airbyte-jira-contract"))


@pytest.fixture(scope="module")
def connector(system: dict[str, pd.DataFrame], tmp_path_factory: pytest.TempPathFactory
              ) -> tuple[Path, dict[str, dict[str, pd.DataFrame]]]:
    workdir = tmp_path_factory.mktemp("airbyte-jira")
    warehouse = workdir / "connector.duckdb"
    tables = land_connector(warehouse, system)
    build(warehouse, workdir / "dbt", None, *connector_vars(fx.SOURCES))
    return warehouse, tables


def test_same_facts_through_the_adapter_as_through_the_contract(contract: Path, connector) -> None:
    warehouse, _ = connector
    assert_same_facts(contract, warehouse, fx.map_id, ignore=IGNORED)


def test_a_resynced_issue_counts_once_and_its_latest_extraction_wins(connector, system) -> None:
    warehouse, tables = connector
    landed = tables[fx.SCHEMA]["issues"]
    resynced = landed["id"][landed["id"].duplicated()]
    assert len(resynced) >= 5, "the fixture must land issues twice"
    tickets = read(warehouse, "stg_airbyte_jira__tickets")
    assert len(tickets) == len(system["tickets"]) == tickets["ticket_id"].nunique()
    changes = read(warehouse, "stg_airbyte_jira__ticket_status_changes")
    assert len(changes) == len(system["ticket_status_changes"])
    assert changes["change_id"].is_unique
    # The older extraction holds half the changelog: every change is there once, with its time, names and author.
    columns = ["ticket_id", "changed_at", "from_status", "to_status", "changed_by"]
    expected = system["ticket_status_changes"][columns].assign(ticket_id=lambda f: f["ticket_id"].map(fx.issue_id))
    assert sorted(map(tuple, changes[columns].fillna("-").astype(str).values)) == sorted(
        map(tuple, expected.fillna("-").astype(str).values))


def test_only_status_items_of_jira_own_field_are_changes(connector) -> None:
    warehouse, tables = connector
    changes = read(warehouse, "stg_airbyte_jira__ticket_status_changes")
    other = []
    for raw in tables[fx.SCHEMA]["issues"]["changelog"]:
        for history in json.loads(raw)["histories"]:
            for position, entry in enumerate(history["items"]):
                if not (entry["field"] == "status" and entry["fieldtype"] == "jira"):
                    other.append(f"{history['id']}:{position}")
    assert len(other) > 50, "the fixture must hold items of other fields"
    assert not set(other) & set(changes["change_id"])
    assert {"green", "amber", "needs-triage"}.isdisjoint(set(changes["to_status"]) | set(changes["from_status"]))


def test_change_ids_are_history_id_and_item_position_and_the_creation_entry(connector, system) -> None:
    warehouse, _ = connector
    changes = read(warehouse, "stg_airbyte_jira__ticket_status_changes")
    created = changes[changes["change_id"].str.startswith("created:")]
    assert sorted(created["change_id"]) == sorted(f"created:{fx.issue_id(t)}" for t in system["tickets"]["ticket_id"])
    assert created["from_status"].isna().all()
    moves = changes.drop(created.index)
    assert moves["change_id"].str.fullmatch(r"\d+:\d").all()
    # A history whose first item is an assignee change has its status item at position 1.
    assert (moves["change_id"].str.endswith(":1")).sum() > 10


def test_a_renamed_status_is_named_by_its_id(connector, system) -> None:
    warehouse, tables = connector
    current, old = fx.RENAMED
    assert old in tables[fx.SCHEMA]["issues"]["changelog"].str.cat(), "the fixture must write the old name"
    changes = read(warehouse, "stg_airbyte_jira__ticket_status_changes")
    assert old not in set(changes["to_status"]) | set(changes["from_status"].dropna())
    expected = (system["ticket_status_changes"]["to_status"] == current).sum()
    assert (changes["to_status"] == current).sum() == expected > 0
    statuses = read(warehouse, "stg_airbyte_jira__statuses")
    assert old not in set(statuses["raw_status"])


def test_changelog_times_with_an_offset_are_utc(connector, system) -> None:
    warehouse, _ = connector
    changes = read(warehouse, "stg_airbyte_jira__ticket_status_changes").set_index("change_id")
    tickets = system["tickets"].set_index("ticket_id")
    ticket = tickets.index[tickets["team"] == "platform"][0]  # written with +0530
    first_move = (system["ticket_status_changes"].query("ticket_id == @ticket").sort_values("changed_at")
                  .iloc[1]["changed_at"])
    moved = changes[(changes["ticket_id"] == fx.issue_id(ticket)) & ~changes.index.str.startswith("created:")]
    assert moved["changed_at"].min() == first_move
    assert changes.loc[f"created:{fx.issue_id(ticket)}", "changed_at"] == tickets.loc[ticket, "created_at"]


def test_statuses_carry_jira_categories(connector) -> None:
    warehouse, _ = connector
    statuses = read(warehouse, "stg_airbyte_jira__statuses").set_index("raw_status")["status_category"]
    assert statuses["Backlog"] == "todo"
    assert statuses["In Progress"] == "in_progress"
    assert statuses["Done"] == "done"
    assert statuses.index.is_unique


def test_attributes_are_project_components_and_labels(connector, system) -> None:
    warehouse, _ = connector
    attributes = read(warehouse, "stg_airbyte_jira__ticket_attributes")
    projects = attributes[attributes["attribute"] == "project"]
    assert len(projects) == len(system["tickets"])
    assert set(projects["value"]) == {project for project, _ in fx.PROJECTS.values()}
    assert set(attributes.loc[attributes["attribute"] == "label", "value"]) == {"customer"}
    assert set(attributes.loc[attributes["attribute"] == "component", "value"]) <= {
        f"{team}-core" for team in fx.PROJECTS}
    work_items = read(warehouse, "fct_work_items")
    assert set(work_items["team"]) == set(system["tickets"]["team"]), "the team map maps project keys to teams"


def test_a_second_source_alongside_the_contract_keeps_the_contract_ids(contract: Path, system,
                                                                      tmp_path_factory) -> None:
    from flowmetrics.ingest import ingest_directory, write_raw_tables

    workdir = tmp_path_factory.mktemp("airbyte-jira-both")
    warehouse = workdir / "both.duckdb"
    write_raw_tables(dict(system), workdir / "raw")
    ingest_directory(workdir / "raw", warehouse)
    land_connector(warehouse, system)
    build(warehouse, workdir / "dbt", None,
          *connector_vars([{"name": "raw", "adapter": "contract"}, *fx.SOURCES]))
    work_items = read(warehouse, "fct_work_items")
    contract_ids = set(read(contract, "fct_work_items")["ticket_id"])
    from_jira = work_items["ticket_id"].str.startswith(f"{fx.SOURCE}:")
    assert set(work_items.loc[~from_jira, "ticket_id"]) == contract_ids
    assert set(work_items.loc[from_jira, "ticket_id"]) == {fx.map_id("ticket_id", ticket) for ticket in contract_ids}


def test_a_truncated_or_unexpanded_changelog_is_a_warning(connector, tmp_path: Path) -> None:
    from flowmetrics.warehouse.dbt_runner import run_dbt

    warehouse, _ = connector
    copy = tmp_path / "truncated.duckdb"
    copy.write_bytes(warehouse.read_bytes())
    with duckdb.connect(str(copy)) as con:
        ids = [row[0] for row in con.execute(f'select id from "{fx.SCHEMA}".issues order by id limit 2').fetchall()]
        con.execute(f"""update "{fx.SCHEMA}".issues set changelog = json_merge_patch(changelog, '{{"total": 150}}')
                        where id = ?""", [ids[0]])
        con.execute(f'update "{fx.SCHEMA}".issues set changelog = null where id = ?', [ids[1]])
    names = ["airbyte_jira_changelogs_hold_every_history", "airbyte_jira_issues_have_their_changelog_expanded"]
    run_dbt("test", warehouse=copy, capture=True,
            extra_args=["--select", *names, "--target-path", str(tmp_path / "target"), "--log-path",
                        str(tmp_path / "logs"), *connector_vars(fx.SOURCES)])
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    found = {result["unique_id"].split(".")[2]: (result["status"], result["failures"]) for result in results}
    assert found == {name: ("warn", 1) for name in names}
    built = json.loads((warehouse.parent / "dbt" / "target" / "run_results.json").read_text())["results"]
    assert {r["unique_id"].split(".")[2]: r["status"] for r in built if r["unique_id"].split(".")[2] in names} == {
        name: "pass" for name in names}, "the complete changelogs of the fixture pass"



def test_a_creation_time_the_destination_could_not_type_comes_from_the_fields(connector, system,
                                                                              tmp_path: Path) -> None:
    warehouse, _ = connector
    copy = tmp_path / "untyped.duckdb"
    copy.write_bytes(warehouse.read_bytes())
    ticket = system["tickets"].iloc[7]
    with duckdb.connect(str(copy)) as con:  # the staged relations are views: they read the changed table
        con.execute(f'update "{fx.SCHEMA}".issues set created = null where id = ?', [fx.issue_id(ticket["ticket_id"])])
    tickets = read(copy, "stg_airbyte_jira__tickets").set_index("ticket_id")
    assert tickets.loc[fx.issue_id(ticket["ticket_id"]), "created_at"] == ticket["created_at"]
    assert tickets["created_at"].notna().all()

# The Postgres cluster of the publish tests (skipped where PostgreSQL's server binaries are not installed).
postgres = postgres_cluster.postgres


def land_postgres(target, tables: dict[str, dict[str, pd.DataFrame]]) -> None:
    """The connector's tables as Airbyte's Postgres destination writes them: lower-case column names, JSON as jsonb,
    timestamps with time zone."""
    import psycopg2
    from psycopg2.extras import execute_values

    s = target.settings
    con = psycopg2.connect(host=s["host"], port=int(s["port"]), user=s["user"], dbname=s["dbname"])
    con.autocommit = True

    def column_type(table: str, column: str, values: pd.Series) -> str:
        if column in fx.JSON_COLUMNS.get(table, ()):
            return "jsonb"
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            return "timestamptz"
        return "bigint" if pd.api.types.is_integer_dtype(values) else "text"

    def plain(value: object) -> object:
        if isinstance(value, pd.Timestamp):
            return value.to_pydatetime()
        return None if pd.isna(value) else value

    with con.cursor() as cur:
        for schema, by_name in tables.items():
            cur.execute(f'create schema if not exists "{schema}"')
            for name, frame in by_name.items():
                spec = ", ".join(f'"{c.lower()}" {column_type(name, c, frame[c])}' for c in frame.columns)
                cur.execute(f'drop table if exists "{schema}"."{name}"')
                cur.execute(f'create table "{schema}"."{name}" ({spec})')
                rows = [tuple(plain(v) for v in row) for row in frame.itertuples(index=False)]
                execute_values(cur, f'insert into "{schema}"."{name}" values %s', rows)
    con.close()


@pytest.mark.slow
def test_the_staged_relations_are_the_same_on_postgres(connector, postgres, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from flowmetrics.warehouse.connection import PostgresConnection
    from flowmetrics.warehouse.dbt_runner import run_dbt

    warehouse, tables = connector
    land_postgres(postgres, tables)
    s = postgres.settings
    for name, value in {"HOST": s["host"], "PORT": str(s["port"]), "USER": s["user"], "DB": s["dbname"],
                        "SCHEMA": "analytics"}.items():
        monkeypatch.setenv(f"FLOWMETRICS_PG_{name}", value)
    run_dbt("build", target="postgres", capture=True,
            extra_args=["--select", "path:models/staging/airbyte_jira", "--target-path", str(tmp_path / "target"),
                        "--log-path", str(tmp_path / "logs"), *connector_vars(fx.SOURCES)])
    con = PostgresConnection(postgres)
    try:
        for relation in ("stg_airbyte_jira__tickets", "stg_airbyte_jira__ticket_status_changes",
                         "stg_airbyte_jira__statuses", "stg_airbyte_jira__ticket_attributes",
                         "stg_airbyte_jira__ticket_loads"):
            expected = read(warehouse, relation)
            actual = con.query_df(f"select * from analytics.{relation}")[list(expected.columns)]
            as_text = [frame.astype(str).sort_values(list(frame.columns)).reset_index(drop=True)
                       for frame in (expected, actual)]
            assert len(actual) == len(expected) > 0, relation
            pd.testing.assert_frame_equal(*as_text, obj=relation)
    finally:
        con.close()


def test_each_issue_was_loaded_when_it_was_last_extracted(connector) -> None:
    warehouse, tables = connector
    issues = tables[fx.SCHEMA]["issues"]
    expected = latest_loads(issues["id"], (issues["id"], issues["_airbyte_extracted_at"]))
    assert_ticket_loads(warehouse, "airbyte_jira", expected)


def test_an_issue_extracted_again_is_loaded_then_and_no_other_issue_moves(connector, tmp_path: Path) -> None:
    """Airbyte's Jira source reports no deletions: a change to an issue (a move, an edit, a history gone) reaches the
    warehouse as a new extraction of its record, which moves that issue's load time and no other's."""
    warehouse, tables = connector
    before = ticket_loads(warehouse, "airbyte_jira")
    issue = tables[fx.SCHEMA]["issues"]["id"].iloc[7]
    extracted_at = before.max() + pd.Timedelta(hours=20)
    after = loads_after(warehouse, tmp_path, "airbyte_jira", (
        "insert into jira.issues select * replace (? as _airbyte_extracted_at, 'again' as _airbyte_raw_id) "
        "from jira.issues where id = ? order by _airbyte_extracted_at desc limit 1",
        [extracted_at.tz_localize("UTC"), issue]))
    assert after[issue] == extracted_at > before[issue]
    assert after.drop(issue).equals(before.drop(issue))
