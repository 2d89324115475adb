"""The suggested status map of the real BPI Challenge 2013 incident log, loaded without its status map."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from flowmetrics.ingest import ingest_directory, write_raw_tables
from flowmetrics.quality.suites.status_map import stage_rules
from tests.python.fixtures.bpi2013 import LOG, read_log, to_raw_tables

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not LOG.exists(), reason=f"the shared BPI 2013 log is absent from {LOG.parent}"),
]


@pytest.fixture(scope="module")
def suggestion(tmp_path_factory: pytest.TempPathFactory, build_warehouse) -> pd.DataFrame:
    workdir = tmp_path_factory.mktemp("bpi-statuses")
    tables = to_raw_tables(read_log())
    del tables["status_map"]  # no map shipped: what would the project suggest?
    write_raw_tables(tables, workdir / "raw")
    warehouse = workdir / "bpi.duckdb"
    ingest_directory(workdir / "raw", warehouse)
    build_warehouse(warehouse, workdir)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("select * from main.int_status_mappings_suggested").df().set_index("raw_status")


def test_every_status_of_the_log_is_suggested(suggestion: pd.DataFrame):
    log = read_log()
    assert set(suggestion.index) == set(log["status_pair"])
    assert suggestion["change_count"].sum() == len(log)


def test_the_suggestion_reads_the_log_sensibly(suggestion: pd.DataFrame):
    def kind(status: str) -> str:
        return str(suggestion.loc[status, "stage_kind"])

    assert kind("Queued / Awaiting Assignment") == "queue"
    assert kind("Accepted / In Progress") == "active"
    assert {kind(s) for s in suggestion.index if s.startswith("Accepted / Wait")} == {"wait"}
    assert kind("Completed / Closed") == kind("Completed / In Call") == "done"
    assert kind("Completed / Cancelled") == "abandoned"
    # the waits are waits of the work they interrupt, not stages of their own
    waits = suggestion[suggestion.index.str.startswith("Accepted / Wait")]
    assert set(waits["stage"]) == {suggestion.loc["Accepted / In Progress", "stage"]}
    rules = stage_rules(suggestion.reset_index()[["raw_status", "stage", "stage_kind", "stage_order"]], "suggested")
    assert rules[["mixes_kinds", "queue_after_active", "terminal_before_flow"]].sum().sum() == 0
    assert set(rules["done_stages"]) == {1}
