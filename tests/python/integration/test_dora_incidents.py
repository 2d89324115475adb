"""DORA with and without incidents, on a small hand-written warehouse built by the real dbt project.

Service checkout deploys to production in the ISO week of Monday 2026-01-05: D-2 fails and D-3 restores it an
hour later; D-4 and D-5 succeed but cause incidents (INC-1 restored after two hours, INC-2 still open at the
as-of); INC-3 names a deploy that is not in the data. Ticket T-2 is of type incident, resolved three hours after
it was created. Without incidents the week's figures are those of the deploy-status rule; with them, failures
add the deploys that caused incidents and the restore figures come from the incidents."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from flowmetrics.ingest import ingest_directory
from flowmetrics.quality.config import QualityConfig
from flowmetrics.quality.registry import default_registry
from flowmetrics.quality.runner import run_checks
from flowmetrics.quality.suite import SuiteRegistry
from flowmetrics.results import QualityReport
from flowmetrics.warehouse.profile import resolve_target
from tests.python.ingest.helpers import write_text

pytestmark = pytest.mark.slow

# the DORA marts and what they are built from; tests of other marts are left out (cautious)
SELECT = ("--select", "+fct_dora_weekly", "+fct_incidents", "dim_as_of", "--indirect-selection", "cautious")
GATE_SUITES = ("dim_as_of.matches_raw", "stg_deploys__incidents", "fct_incidents", "fct_deployments",
               "fct_dora_weekly", "dora.weeks_match_deployments", "dora.weeks_match_incidents")
WEEK_COLUMNS = ("deployments", "failed_deployments", "rolled_back_deployments", "change_failure_rate",
                "median_time_to_restore_seconds", "unrestored_failures", "restore_source", "incidents_opened")


def write_raw(raw: Path, *, incidents: bool) -> None:
    write_text(raw, "tickets.csv",
               "ticket_id,ticket_type,team,created_at\n"
               "T-1,story,web,2026-01-05T08:00:00Z\n"
               "T-2,incident,checkout,2026-01-05T09:00:00Z\n")
    write_text(raw, "ticket_status_changes.csv",
               "change_id,ticket_id,changed_at,from_status,to_status\n"
               "C-1,T-1,2026-01-05T08:00:00Z,,To Do\n"
               "C-2,T-1,2026-01-05T09:00:00Z,To Do,In Progress\n"
               "C-3,T-2,2026-01-05T09:00:00Z,,To Do\n"
               "C-4,T-2,2026-01-05T12:00:00Z,To Do,Done\n"
               "C-5,T-2,2026-01-06T12:00:00Z,Done,In Progress\n"
               "C-6,T-2,2026-01-07T12:00:00Z,In Progress,Done\n")
    write_text(raw, "deploys.csv",
               "deploy_id,service,environment,deployed_at,status\n"
               "D-1,checkout,production,2026-01-05T10:00:00Z,success\n"
               "D-2,checkout,production,2026-01-06T10:00:00Z,failed\n"
               "D-3,checkout,production,2026-01-06T11:00:00Z,success\n"
               "D-4,checkout,production,2026-01-07T10:00:00Z,success\n"
               "D-5,checkout,production,2026-01-08T10:00:00Z,success\n")
    if incidents:
        write_text(raw, "incidents.csv",
                   "incident_id,service,opened_at,resolved_at,severity,caused_by_deploy_id\n"
                   "INC-1,checkout,2026-01-07T10:30:00Z,2026-01-07T12:30:00Z,sev2,D-4\n"
                   "INC-2,checkout,2026-01-08T10:15:00Z,,sev1,D-5\n"
                   "INC-3,checkout,2026-01-08T09:00:00Z,2026-01-08T09:30:00Z,,D-999\n")


@pytest.fixture(scope="module")
def dbt_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """dbt's target/ shared by the builds of this module (partial parse keeps each build short)."""
    return tmp_path_factory.mktemp("dbt")


def built(tmp_path: Path, dbt_dir: Path, build_warehouse: Callable[..., None], *, incidents: bool,
          extra: tuple[str, ...] = ()) -> duckdb.DuckDBPyConnection:
    raw, warehouse = tmp_path / "raw", tmp_path / "wh.duckdb"
    write_raw(raw, incidents=incidents)
    ingest_directory(raw, warehouse)
    build_warehouse(warehouse, dbt_dir, *SELECT, *extra)
    return duckdb.connect(str(warehouse), read_only=True)


def gate(warehouse: Path) -> QualityReport:
    registry = SuiteRegistry()
    registry.add(*(default_registry().get(name) for name in GATE_SUITES))
    return run_checks(resolve_target(None, warehouse), registry=registry, record=False,
                      config=QualityConfig(reference_time=datetime(2026, 1, 9)))


def week(con: duckdb.DuckDBPyConnection) -> dict:
    rows = con.execute(f"select {', '.join(WEEK_COLUMNS)} from main.fct_dora_weekly").fetchall()
    assert len(rows) == 1  # one ISO week x service x environment up to the as-of
    return dict(zip(WEEK_COLUMNS, rows[0], strict=True))


def deployments(con: duckdb.DuckDBPyConnection) -> dict[str, tuple]:
    return {r[0]: r[1:] for r in con.execute(
        "select deploy_id, is_failure, restore_source, is_restored, restored_by_deploy_id, time_to_restore_seconds "
        "from main.fct_deployments").fetchall()}


def incidents(con: duckdb.DuckDBPyConnection) -> dict[str, tuple]:
    return {r[0]: r[1:] for r in con.execute(
        "select incident_id, incident_source, is_restored, time_to_restore_seconds, is_caused_by_known_deploy, "
        "attributed_environment from main.fct_incidents").fetchall()}


def test_without_incidents_dora_keeps_the_deploy_status_rule(tmp_path: Path, dbt_dir: Path, build_warehouse):
    con = built(tmp_path, dbt_dir, build_warehouse, incidents=False)
    try:
        assert week(con) == {
            "deployments": 5, "failed_deployments": 1, "rolled_back_deployments": 0, "change_failure_rate": 0.2,
            "median_time_to_restore_seconds": 3600.0, "unrestored_failures": 0, "restore_source": "deploy_status",
            "incidents_opened": 0,
        }
        assert deployments(con)["D-2"] == (True, "deploy_status", True, "D-3", 3600.0)
        assert {d for d, row in deployments(con).items() if row[0]} == {"D-2"}
        assert incidents(con) == {}
    finally:
        con.close()


def test_incidents_make_failures_and_give_the_restore_figures(tmp_path: Path, dbt_dir: Path, build_warehouse):
    con = built(tmp_path, dbt_dir, build_warehouse, incidents=True)
    try:
        assert week(con) == {
            "deployments": 5, "failed_deployments": 3, "rolled_back_deployments": 0, "change_failure_rate": 0.6,
            # restored INC-1 (7200 s) and INC-3 (1800 s); the open INC-2 is censored and counted
            "median_time_to_restore_seconds": 4500.0, "unrestored_failures": 1, "restore_source": "incidents",
            "incidents_opened": 3,
        }
        assert incidents(con) == {
            "INC-1": ("incidents", True, 7200.0, True, "production"),
            "INC-2": ("incidents", False, None, True, "production"),
            "INC-3": ("incidents", True, 1800.0, False, "production"),
        }
        rows = deployments(con)
        assert rows["D-2"] == (True, "deploy_status", True, "D-3", 3600.0)  # failed, no incident: as before
        assert rows["D-4"] == (True, "incidents", True, None, 9000.0)  # deployed 10:00, INC-1 resolved 12:30
        assert rows["D-5"] == (True, "incidents", False, None, None)
        assert rows["D-1"][0] is False and rows["D-3"][0] is False
    finally:
        con.close()
    # the open INC-2, opened after the last deploy, is the latest event: the as-of and the gate agree on it
    report = gate(tmp_path / "wh.duckdb")
    assert {r.check_id: r.status for r in report.results if r.status != "passed"} == {}
    assert any(r.check_id == "dora.weeks_match_incidents.difference" for r in report.results)


def test_tickets_of_an_incident_type_are_incidents_too(tmp_path: Path, dbt_dir: Path, build_warehouse):
    con = built(tmp_path, dbt_dir, build_warehouse, incidents=True,
                extra=("--vars", "{incident_ticket_types: ['incident', \"it's\"]}"))
    try:
        found = incidents(con)
        # created 09:00, first entry into Done at 12:00 (not the later one after a reopen)
        assert found["T-2"] == ("ticket", True, 10800.0, False, "production")
        assert "T-1" not in found and len(found) == 4
        figures = week(con)
        assert figures["incidents_opened"] == 4 and figures["unrestored_failures"] == 1
        assert figures["median_time_to_restore_seconds"] == 7200.0  # of 1800, 7200 and 10800 s
        assert figures["failed_deployments"] == 3  # a ticket names no deploy
    finally:
        con.close()
