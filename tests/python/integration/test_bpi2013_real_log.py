"""The real BPI Challenge 2013 incident log goes through the raw contract, and the durations the dbt project
computes per status equal an independent pandas computation on the same log."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from flowmetrics.ingest import ingest_directory, write_raw_tables
from tests.python.fixtures.bpi2013 import LOG, read_log, status_durations, to_raw_tables


@pytest.fixture(scope="module")
def bpi_warehouse(tmp_path_factory: pytest.TempPathFactory, build_warehouse) -> tuple[Path, pd.DataFrame]:
    assert LOG.exists(), f"the shared BPI 2013 log is missing at {LOG} (see ../shared/data/README.md)"
    log = read_log()
    workdir = tmp_path_factory.mktemp("bpi")
    write_raw_tables(to_raw_tables(log), workdir / "raw")
    warehouse = workdir / "bpi.duckdb"
    summary = ingest_directory(workdir / "raw", warehouse)
    assert summary.rows_quarantined == 0
    build_warehouse(warehouse, workdir)
    return warehouse, log


def _read(warehouse: Path, sql: str) -> pd.DataFrame:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def test_every_event_and_incident_is_loaded(bpi_warehouse):
    warehouse, log = bpi_warehouse
    counts = _read(
        warehouse,
        "select (select count(*) from raw.ticket_status_changes) as changes,"
        " (select count(*) from main.fct_work_items) as tickets",
    )
    assert counts["changes"].iloc[0] == len(log) == 65_533
    assert counts["tickets"].iloc[0] == log["case_id"].nunique() == 7_554


def test_per_status_durations_equal_an_independent_pandas_computation(bpi_warehouse):
    warehouse, log = bpi_warehouse
    expected = status_durations(log)
    actual = _read(
        warehouse,
        "select ticket_id, from_status as status, sum(seconds_in_from_status) as seconds, count(*) as stays"
        " from main.fct_stage_transitions group by ticket_id, from_status",
    )
    merged = expected.merge(actual, on=["ticket_id", "status"], how="outer", suffixes=("_pandas", "_dbt"))
    assert len(merged) == len(expected) == len(actual), "the (ticket, status) pairs differ"
    assert (merged["stays_pandas"] == merged["stays_dbt"]).all()
    assert (merged["seconds_pandas"] - merged["seconds_dbt"]).abs().max() < 1e-6
    by_status = merged.groupby("status")["seconds_dbt"].sum()
    assert by_status["Accepted / In Progress"] > 0 and len(by_status) >= 12


def test_reassignments_are_not_transitions(bpi_warehouse):
    warehouse, log = bpi_warehouse
    log = log.sort_values(["case_id", "event_order"])
    repeats = int((log["status_pair"] == log.groupby("case_id")["status_pair"].shift(1)).sum())
    actual = _read(
        warehouse,
        "select (select count(*) from main.fct_stage_transitions) as transitions,"
        " (select sum(reassignment_count) from main.fct_work_items) as reassignments",
    )
    # every event is the first of its incident, a reassignment, or a transition
    assert actual["reassignments"].iloc[0] == repeats
    assert actual["transitions"].iloc[0] == len(log) - log["case_id"].nunique() - repeats


def test_unmatched_statuses_are_kept_as_unmapped_not_dropped(bpi_warehouse):
    warehouse, log = bpi_warehouse
    unmatched = _read(
        warehouse,
        "select count(*) as n from main.fct_stage_transitions where to_stage = 'unmapped'",
    )["n"].iloc[0]
    assert unmatched > 0
    assert unmatched <= int((log["status_pair"] == "Unmatched / Unmatched").sum())
