"""Var flowmetrics_sources: refused when it cannot name sources unambiguously, and the user's --vars joining the
package's own as-of instead of replacing it."""

from __future__ import annotations

import json

import duckdb
import pandas as pd
import pytest

from flowmetrics.errors import ConfigError, DbtRunError
from flowmetrics.warehouse.dbt_runner import dbt_command, run_dbt, split_vars
from tests.python.sources.harness import contract_warehouse, demo_frames, read, same_facts


def test_user_vars_join_the_as_of() -> None:
    args = dbt_command("build", as_of="2026-01-31", extra_args=[
        "--vars", "{flowmetrics_sources: [{name: jira, adapter: fivetran_jira}]}", "--full-refresh",
    ])
    assert args.count("--vars") == 1
    given = json.loads(args[args.index("--vars") + 1])
    assert given == {"flowmetrics_sources": [{"name": "jira", "adapter": "fivetran_jira"}],
                     "as_of": "2026-01-31 00:00:00"}
    assert args[-1] == "--full-refresh"


def test_several_vars_merge_the_later_winning() -> None:
    rest, given = split_vars(["--vars", "{a: 1, b: 1}", "-s", "x", "--vars={b: 2}"])
    assert rest == ["-s", "x"]
    assert given == {"a": 1, "b": 2}


@pytest.mark.parametrize("args, message", [
    (["--vars"], "--vars needs a value"),
    (["--vars", "[1, 2]"], "must be a mapping"),
    (["--vars", "{a: [}"], "not YAML or JSON"),
])
def test_bad_vars_are_usage_errors(args: list[str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        split_vars(args)


@pytest.mark.parametrize("sources, message", [
    ([{"name": "jira", "adapter": "no_such_tracker"}], "unknown adapter 'no_such_tracker'"),
    ([{"name": "raw", "adapter": "contract"}, {"name": "raw", "adapter": "contract"}], "appears twice"),
    ([{"name": "Jira-Cloud", "adapter": "contract"}], "must be lower-case letters"),
    ([{"name": "raw", "adapter": "contract", "schema": "elsewhere"}], "set raw_schema instead"),
    ([], "non-empty list"),
    ([{"name": "raw", "adapter": "contract", "loaded_at": "synced_at; drop table raw.tickets"}],
     "must be a column name"),
    ([{"name": "jira", "adapter": "fivetran_jira", "loaded_at": "synced_at"}], "reads its connector's own"),
])
def test_unusable_sources_stop_the_parse_naming_the_entry(tmp_path, sources, message) -> None:
    with pytest.raises(DbtRunError, match=message):
        run_dbt("parse", warehouse=tmp_path / "w.duckdb", capture=True, extra_args=[
            "--vars", json.dumps({"flowmetrics_sources": sources}),
            "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs"),
        ])


@pytest.fixture(scope="module")
def contract_build(tmp_path_factory):
    return contract_warehouse(demo_frames(items=120, seed=5), tmp_path_factory.mktemp("contract"))


def test_the_contract_source_keeps_its_ids_and_its_key_is_the_id(contract_build) -> None:
    tickets = read(contract_build, "stg_tickets__tickets")
    assert len(tickets) > 0
    assert (tickets["ticket_key"] == tickets["ticket_id"]).all()
    assert set(tickets["source_name"]) == {"raw"}
    assert not tickets["ticket_id"].str.startswith("raw:").any()
    work_items = read(contract_build, "fct_work_items")
    assert (work_items["ticket_key"] == work_items["ticket_id"]).all()


def test_the_comparison_finds_a_changed_fact(contract_build, tmp_path) -> None:
    import shutil

    same = same_facts(contract_build, contract_build, lambda column, value: value)
    assert all(not diffs for diffs in same.values()), same
    changed = tmp_path / "changed.duckdb"
    shutil.copy(contract_build, changed)
    with duckdb.connect(str(changed)) as con:
        schema = con.execute("select table_schema from information_schema.tables "
                             "where table_name = 'fct_status_intervals'").fetchone()[0]
        con.execute(f'update "{schema}".fct_status_intervals set seconds_in_status = seconds_in_status + 1 '
                    "where interval_number = 2")
    found = same_facts(contract_build, changed, lambda column, value: value)
    assert any("seconds_in_status" in line for line in found["fct_status_intervals"]), found
    assert not found["fct_work_items"]


def test_the_contract_tables_landed_by_another_tool_give_their_declared_load_column(contract_build, tmp_path) -> None:
    """Without ingest's stamps the load time comes from the column the source entry names; without one it is NULL
    (the event-time lookback decides)."""
    import shutil

    from tests.python.sources.harness import build

    landed = tmp_path / "landed.duckdb"
    shutil.copy(contract_build, landed)
    with duckdb.connect(str(landed)) as con:
        for table in ("tickets", "ticket_status_changes"):
            con.execute(f"alter table raw.{table} add column synced_at timestamp")
            con.execute(f"update raw.{table} set synced_at = timestamp '2026-02-01 00:00:00'")
            for stamp in ("_ingest_run_id", "_loaded_at", "_file_row"):
                con.execute(f"alter table raw.{table} drop column {stamp}")
        con.execute("update raw.ticket_status_changes set synced_at = timestamp '2026-02-03 00:00:00' "
                    "where ticket_id = (select min(ticket_id) from raw.ticket_status_changes)")
    select = ("--select", "stg_tickets__ticket_loads", "--exclude-resource-type", "test")

    build(landed, tmp_path / "declared", [{"name": "raw", "adapter": "contract", "loaded_at": "synced_at"}], *select)

    loads = read(landed, "stg_tickets__ticket_loads").set_index("ticket_id")["loaded_at"]
    assert len(loads) == len(read(contract_build, "stg_tickets__tickets"))
    assert loads.max() == pd.Timestamp("2026-02-03") and (loads == pd.Timestamp("2026-02-03")).sum() == 1
    assert (loads >= pd.Timestamp("2026-02-01")).all()

    build(landed, tmp_path / "unstamped", None, *select)

    assert read(landed, "stg_tickets__ticket_loads")["loaded_at"].isna().all()
