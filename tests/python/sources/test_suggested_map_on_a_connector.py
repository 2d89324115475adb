"""A connector source without a shipped status map: the build maps every status by the map suggested from the data
(the source's categories first), says so, and `flowmetrics statuses` lists it and writes it for editing."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from tests.harness.warehouse_query import query_df as query
from tests.python.sources import fixtures_fivetran_linear as linear
from tests.python.sources.harness import demo_frames, land

pytestmark = pytest.mark.slow

CLI = [sys.executable, "-m", "flowmetrics.cli"]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def system() -> dict[str, pd.DataFrame]:
    return linear.linear_system(demo_frames(items=120, seed=13))


@pytest.fixture(scope="module")
def built(system: dict[str, pd.DataFrame], tmp_path_factory: pytest.TempPathFactory):
    """Only Linear's tables (no schema raw at all), built by `flowmetrics build -- --vars ...` as a user would."""
    work = tmp_path_factory.mktemp("suggested")
    warehouse = work / "tracker.duckdb"  # not linear.duckdb: the catalog would clash with schema linear
    land(warehouse, linear.SCHEMA, linear.landed(system)[linear.SCHEMA])
    result = cli("build", "--warehouse", str(warehouse), "--", "--vars",
                 json.dumps({"flowmetrics_sources": [linear.SOURCE]}),
                 "--target-path", str(work / "dbt" / "target"), "--log-path", str(work / "dbt"))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return warehouse, result, work


def test_every_status_is_mapped_by_the_suggested_map_and_the_build_says_so(built, system) -> None:
    warehouse, result, _ = built
    assert "statuses mapped by the suggested map" in result.stdout + result.stderr
    in_force = query(warehouse, "select * from main.int_status_mappings_resolved")
    assert set(in_force["map_source"]) == {"suggested"}
    observed = set(system["ticket_status_changes"]["to_status"].dropna())
    assert observed <= set(in_force["raw_status"])
    stages = query(warehouse, "select distinct stage from main.fct_status_intervals")
    assert "unmapped" not in set(stages["stage"])


def test_the_source_categories_decide_terminal_kinds(built) -> None:
    warehouse, _, _ = built
    kinds = query(warehouse, """
        select s.status_category, m.stage_kind
        from main.stg_tickets__statuses as s
        join main.int_status_mappings_resolved as m on s.raw_status = m.raw_status
    """)
    assert len(kinds) > 0
    assert set(kinds.loc[kinds["status_category"] == "done", "stage_kind"]) == {"done"}
    assert set(kinds.loc[kinds["status_category"] == "canceled", "stage_kind"]) <= {"abandoned"}
    finished = query(warehouse, "select count(*) as n from main.fct_work_items where state = 'finished'")
    assert finished["n"].iloc[0] > 0


def test_statuses_lists_the_suggested_map_and_writes_it_to_edit(built) -> None:
    warehouse, _, work = built
    listed = cli("statuses", "--warehouse", str(warehouse), "--json")
    assert listed.returncode == 0, listed.stderr
    document = json.loads(listed.stdout)
    assert document["map_source"] == "suggested"
    assert {row["current_map_source"] for row in document["statuses"]} == {"suggested"}
    written = work / "map" / "status_map.csv"
    written.parent.mkdir()
    wrote = cli("statuses", "--warehouse", str(warehouse), "--write", str(written))
    assert wrote.returncode == 0, wrote.stderr
    status_map = pd.read_csv(written)
    assert list(status_map.columns) == ["raw_status", "stage", "stage_kind", "stage_order"]
    assert set(status_map["raw_status"]) == {row["raw_status"] for row in document["statuses"]}
