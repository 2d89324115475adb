"""The gate on a real build of the demo system: every check passes on the good build, and each bad state written
into a copy (a mart updated, a raw table edited, a status map rewritten, a relation grown or shrunk since the last
publish) fails the check that exists for it, while the range checks it slips past still pass."""

from __future__ import annotations

import re
import shutil
from datetime import timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from flowmetrics.quality.config import QualityConfig
from flowmetrics.quality.registry import default_registry
from flowmetrics.quality.runner import SnapshotGate, raise_for_failures, run_checks
from flowmetrics.quality.suite import SuiteRegistry
from flowmetrics.quality.suites.status_map import DEFAULT_MAP, stage_rules
from flowmetrics.results import QualityReport
from flowmetrics.warehouse.profile import resolve_target
from flowmetrics.warehouse.publish import publish


@pytest.fixture
def warehouse(demo_warehouse: Path, tmp_path: Path) -> Path:
    """A private copy of the demo build: the tests write bad states into it."""
    copy = tmp_path / "copy.duckdb"
    shutil.copy(demo_warehouse, copy)
    return copy


def sql(warehouse: Path, *statements: str) -> None:
    con = duckdb.connect(str(warehouse))
    try:
        for statement in statements:
            con.execute(statement)
    finally:
        con.close()


def nullable(warehouse: Path, table: str, *columns: str) -> None:
    """Lift the contract's NOT NULL from the columns (all of the table's when none named): DuckDB enforces it on
    the contracted marts, and these tests plant what a warehouse that does not (Spark's Parquet) would hold."""
    con = duckdb.connect(str(warehouse))
    try:
        schema, name = table.split(".")
        names = columns or tuple(r[0] for r in con.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
            [schema, name]).fetchall())
        for column in names:
            con.execute(f"alter table {table} alter column {column} drop not null")
    finally:
        con.close()


def scalar(warehouse: Path, query: str):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(query).fetchone()[0]
    finally:
        con.close()


def check(warehouse: Path, *suites: str, **config) -> QualityReport:
    """Run the named suites (all of them when none is named) one hour after the build's latest event."""
    latest = pd.Timestamp(scalar(warehouse, "select latest_event_at from main.dim_as_of")).to_pydatetime()
    registry = default_registry()
    if suites:
        registry = SuiteRegistry()
        registry.add(*(default_registry().get(name) for name in suites))
    return run_checks(resolve_target(None, warehouse), registry=registry, record=False,
                      config=QualityConfig(reference_time=latest + timedelta(hours=1), **config))


def failed(report: QualityReport) -> set[str]:
    return {r.check_id for r in report.results if r.status in ("failed", "error")}


def result(report: QualityReport, check_id: str):
    return next(r for r in report.results if r.check_id == check_id)


RECOMPUTED = (
    "flow.counts_consistent.difference",
    "flow.open_items_consistent.difference",
    "flow.flow_efficiency_recomputed.null_when_defined",
    "flow.flow_efficiency_recomputed.value_differs",
    "dim_as_of.matches_raw.seconds_apart",
    "finish_rate.cohorts_match_work_items.difference",
    "experiments.cohorts_match_experiments.difference",
    "experiments.finished_has_raw_events.finished_without_raw_events",
    "dora.weeks_match_deployments.difference",
    "status_map.one_done_stage",
    "status_map.terminal_before_flow",
    "status_map.queue_after_active",
    "status_map.mixes_kinds",
)


def test_the_good_build_passes_every_check(warehouse: Path):
    report = check(warehouse)
    assert report.passed, [(r.check_id, r.observed, r.message) for r in report.failures]
    statuses = {r.check_id: r.status for r in report.results}
    for check_id in RECOMPUTED:
        assert statuses[check_id] == "passed", check_id
    assert result(report, "flow.flow_efficiency_recomputed.null_when_defined").sample == ()
    assert scalar(warehouse, "select count(*) from main.fct_work_items where state = 'finished'") > 0


NULL_MEASURES = {
    "fct_work_items.lead_time_seconds.not_null_when_defined":
        "update main.fct_work_items set lead_time_seconds = null",
    "fct_work_items.cycle_time_seconds.not_null_when_defined":
        "update main.fct_work_items set cycle_time_seconds = null",
    "flow.flow_efficiency_recomputed.null_when_defined": "update main.fct_work_items set flow_efficiency = null",
    "fct_work_item_finish_rate.finish_rate.not_null_when_defined":
        "update main.fct_work_item_finish_rate set finish_rate = null",
    "fct_work_item_finish_rate.median_cycle_time_seconds.not_null_when_defined":
        "update main.fct_work_item_finish_rate set median_cycle_time_seconds = null",
    "fct_experiment_finish_rate.finish_rate.not_null_when_defined":
        "update main.fct_experiment_finish_rate set finish_rate = null",
    "fct_dora_weekly.change_failure_rate.not_null_when_defined":
        "update main.fct_dora_weekly set change_failure_rate = null",
    "fct_dora_weekly.ai_assisted_change_failure_rate.not_null_when_defined":
        "update main.fct_dora_weekly set ai_assisted_change_failure_rate = null",
    "fct_dora_weekly.not_ai_assisted_change_failure_rate.not_null_when_defined":
        "update main.fct_dora_weekly set not_ai_assisted_change_failure_rate = null",
    "fct_rework_rate.rework_rate.not_null_when_defined": "update main.fct_rework_rate set rework_rate = null",
    "fct_rework_rate.finished_rework_rate.not_null_when_defined":
        "update main.fct_rework_rate set finished_rework_rate = null",
}


def test_null_measures_fail_where_the_marts_define_them_and_only_there(warehouse: Path):
    for statement in NULL_MEASURES.values():
        table, column = re.match(r"update (\S+) set (\w+) = null", statement).groups()
        nullable(warehouse, table, column)
    sql(warehouse, *NULL_MEASURES.values())
    suites = ("fct_work_items", "flow.flow_efficiency_recomputed", "fct_work_item_finish_rate",
              "fct_experiment_finish_rate", "fct_dora_weekly", "fct_rework_rate")
    report = check(warehouse, *suites)
    assert failed(report) == set(NULL_MEASURES)
    # the range checks they used to slip past still pass: a null is in no range
    for check_id in ("fct_work_items.lead_time_seconds.duration_range", "fct_work_items.flow_efficiency.rate_range",
                     "fct_work_item_finish_rate.finish_rate.rate_range",
                     "fct_dora_weekly.change_failure_rate.rate_range"):
        assert result(report, check_id).status == "passed", check_id
    finished = scalar(warehouse, "select count(*) from main.fct_work_items where state = 'finished'")
    lead = result(report, "fct_work_items.lead_time_seconds.not_null_when_defined")
    assert lead.unexpected_count == lead.element_count == finished  # open items are not judged
    assert lead.sample[0]["ticket_id"] and lead.sample[0]["lead_time_seconds"] is None
    assert "the item is finished" in lead.description
    weeks = result(report, "fct_dora_weekly.change_failure_rate.not_null_when_defined")
    with_deploys = scalar(warehouse, "select count(*) from main.fct_dora_weekly where deployments > 0")
    assert weeks.element_count == weeks.unexpected_count == with_deploys > 0
    with pytest.raises(Exception) as info:
        raise_for_failures(report)
    assert info.value.exit_code == 1 and "lead_time_seconds.not_null_when_defined" in str(info.value)


# --- the status map ------------------------------------------------------------------------------------------

GOOD_MAP = [
    ("Backlog", "backlog", "queue", 10), ("Ready for Dev", "development", "queue", 30),
    ("In Progress", "development", "active", 30), ("Ready for Review", "code_review", "queue", 40),
    ("In Review", "code_review", "active", 40), ("Done", "done", "done", 90),
    ("Won't Do", "abandoned", "abandoned", 99),
]


def write_map(warehouse: Path, rows: list[tuple[str, str, str, int]]) -> None:
    con = duckdb.connect(str(warehouse))
    try:
        con.execute("delete from raw.status_map")
        con.executemany("insert into raw.status_map (raw_status, stage, stage_kind, stage_order) values (?, ?, ?, ?)",
                        rows)
    finally:
        con.close()


def changed(rows, **edits: tuple[str, str, int]):
    out = [r for r in rows if r[0] not in edits]
    return out + [(status, *edit) for status, edit in edits.items()]


@pytest.mark.parametrize(
    "rows, check_id, stage",
    [
        # done ordered first: every finish is a move to a lower stage_order, i.e. counted as rework
        (changed(GOOD_MAP, Done=("done", "done", 5)), "status_map.terminal_before_flow", "done"),
        (changed(GOOD_MAP, Released=("released", "done", 95)), "status_map.one_done_stage", "done"),
        (changed(GOOD_MAP, Done=("archive", "abandoned", 99)), "status_map.one_done_stage", "abandoned"),
        (changed(GOOD_MAP, **{"Ready for Review": ("code_review", "queue", 45)}), "status_map.queue_after_active",
         "code_review"),
        (changed(GOOD_MAP, Dropped=("qa", "abandoned", 50), **{"In QA": ("qa", "active", 50)}),
         "status_map.mixes_kinds", "qa"),
        (changed(GOOD_MAP, Cancelled=("done", "abandoned", 90)), "status_map.mixes_kinds", "done"),
    ],
    ids=["done_first", "two_done_stages", "no_done_stage", "queue_after_active", "terminal_and_flow",
         "done_and_abandoned"],
)
def test_a_broken_status_map_fails_its_rule(warehouse: Path, rows, check_id: str, stage: str):
    write_map(warehouse, GOOD_MAP)
    assert not failed(check(warehouse, "status_map"))
    write_map(warehouse, rows)
    report = check(warehouse, "status_map")
    assert failed(report) == {check_id}
    bad = result(report, check_id)
    assert bad.severity == "error" and stage in {row["stage"] for row in bad.sample}
    assert all(row["map_source"] == "raw.status_map" for row in bad.sample)


def test_the_status_map_suite_runs_before_the_build_and_the_default_seed_passes_it(warehouse: Path):
    assert default_registry().get("status_map") in default_registry().raw_only().suites
    seed = pd.read_csv(DEFAULT_MAP)
    stages = stage_rules(seed, "default_status_map (seed)")
    assert set(stages["stage"]) >= {"backlog", "development", "done", "abandoned"}
    assert (stages[["mixes_kinds", "queue_after_active", "terminal_before_flow"]] == 0).all().all()
    assert set(stages["done_stages"]) == {1}
    # an empty raw map: the build falls back to the seed, and so does the check
    sql(warehouse, "delete from raw.status_map")
    report = check(warehouse, "status_map")
    assert not failed(report)
    assert result(report, "status_map.one_done_stage").element_count == len(stages)


# --- volume since the last published run ----------------------------------------------------------------------


def published(warehouse: Path) -> None:
    """Publish the build as it is, through the whole gate on its snapshot: the baseline the volume checks compare
    with."""
    latest = pd.Timestamp(scalar(warehouse, "select latest_event_at from main.dim_as_of")).to_pydatetime()
    target = resolve_target(None, warehouse)
    gate = SnapshotGate(target, config=QualityConfig(reference_time=latest + timedelta(hours=1)), run_id="baseline")
    publish(target, run_id="baseline", gate=gate)


def test_snapshots_may_shrink_histories_may_not(warehouse: Path):
    published(warehouse)
    assert not failed(check(warehouse, "volume.row_counts"))
    open_items = scalar(warehouse, "select count(*) from main.fct_open_work_items")
    sql(warehouse,
        "delete from main.fct_open_work_items where ticket_id in "
        "(select ticket_id from main.fct_open_work_items order by ticket_id limit 40)")
    report = check(warehouse, "volume.row_counts")
    assert not failed(report)  # open work caught up: fewer open items is a good night
    assert result(report, "volume.row_counts").status == "passed"
    transitions = scalar(warehouse, "select count(*) from main.fct_stage_transitions")
    sql(warehouse, f"delete from main.fct_stage_transitions where change_id in (select change_id from "
        f"main.fct_stage_transitions order by change_id limit {transitions // 10})")
    report = check(warehouse, "volume.row_counts")
    assert failed(report) == {"volume.row_counts"}
    rows = result(report, "volume.row_counts").sample
    assert [r["relation"] for r in rows] == ["mart.fct_stage_transitions"]
    assert rows[0]["kind"] == "history" and rows[0]["rows_now"] == transitions - transitions // 10
    assert open_items > 40


def test_a_history_that_grows_beyond_a_nights_worth_fails(warehouse: Path):
    published(warehouse)
    tickets = scalar(warehouse, "select count(*) from raw.tickets")
    # every ticket loaded again under a new id, with its status changes
    sql(warehouse,
        "insert into raw.tickets select * replace ('DUP-' || ticket_id as ticket_id) from raw.tickets",
        "insert into raw.ticket_status_changes select * replace ('DUP-' || change_id as change_id, "
        "'DUP-' || ticket_id as ticket_id) from raw.ticket_status_changes")
    report = check(warehouse, "volume.row_counts")
    assert failed(report) == {"volume.row_counts.growth"}
    grown = {r["relation"]: r for r in result(report, "volume.row_counts.growth").sample}
    assert set(grown) == {"raw.tickets", "raw.ticket_status_changes"}
    assert grown["raw.tickets"]["added_rows"] == tickets
    assert grown["raw.tickets"]["allowed_added_rows"] == max(100, int(0.1 * tickets))
    # a bound the operator raises for a backfill night lets the same growth through
    assert not failed(check(warehouse, "volume.row_counts", max_volume_growth=1.5))


def test_summaries_and_snapshots_grow_freely(warehouse: Path):
    published(warehouse)
    sql(warehouse,
        "insert into main.fct_stage_daily select * replace (date_day + 3650 as date_day) "
        "from main.fct_stage_daily",
        "insert into main.fct_open_work_items select * replace ('NEW-' || ticket_id as ticket_id) "
        "from main.fct_open_work_items")
    report = check(warehouse, "volume.row_counts")
    assert not failed(report)
    assert result(report, "volume.row_counts.growth").status == "passed"


# --- recomputations that replace checks which could not fail -------------------------------------------------


def test_items_marked_finished_without_a_done_status_in_raw(warehouse: Path):
    # state and current_stage_kind agree (the old identity between them still holds); raw says otherwise
    sql(warehouse, "update main.fct_work_items set state = 'finished', current_stage_kind = 'done' "
        "where ticket_id in (select ticket_id from main.fct_work_items where state = 'open' order by ticket_id "
        "limit 3)")
    report = check(warehouse, "flow.counts_consistent")
    assert failed(report) == {"flow.counts_consistent.difference"}
    row = next(r for r in result(report, "flow.counts_consistent.difference").sample if r["difference"])
    assert "latest raw status change" in row["identity"] and row["difference"] == 3


def test_flow_efficiency_that_differs_from_the_status_intervals(warehouse: Path):
    sql(warehouse, "update main.fct_work_items set flow_efficiency = flow_efficiency / 2 "
        "where ticket_id in (select ticket_id from main.fct_work_items where flow_efficiency > 0 "
        "order by ticket_id limit 2)")
    report = check(warehouse, "fct_work_items", "flow.flow_efficiency_recomputed")
    assert failed(report) == {"flow.flow_efficiency_recomputed.value_differs"}
    assert result(report, "flow.flow_efficiency_recomputed.value_differs").sample[0]["value_differs"] == 2


def test_marts_built_from_other_raw_data_than_the_raw_tables_now(warehouse: Path):
    latest = scalar(warehouse, "select latest_event_at from main.dim_as_of")
    sql(warehouse, "insert into raw.ticket_status_changes select * replace ('LATE-' || change_id as change_id, "
        f"timestamp '{latest}' + interval 2 hour as changed_at) from raw.ticket_status_changes limit 1")
    report = check(warehouse, "dim_as_of", "dim_as_of.matches_raw")
    assert failed(report) == {"dim_as_of.matches_raw.seconds_apart"}
    assert result(report, "dim_as_of.matches_raw.seconds_apart").sample[0]["seconds_apart"] == 7200


def test_cohort_counts_moved_without_changing_their_sum(warehouse: Path):
    # finished + 1 and still_open − 1: started = finished + abandoned + still_open still holds on the row
    sql(warehouse, "update main.fct_work_item_finish_rate set finished = finished + 1, still_open = still_open - 1, "
        "finish_rate = (finished + 1) / started where still_open > 0 and finished > 0 and cohort_month = "
        "(select max(cohort_month) from main.fct_work_item_finish_rate where still_open > 0 and finished > 0)")
    sql(warehouse, "update main.fct_experiment_finish_rate set measured_cleanly = measured_cleanly - 1 "
        "where measured_cleanly > 0 and cohort_month = (select min(cohort_month) from main.fct_experiment_finish_rate "
        "where measured_cleanly > 0)")
    report = check(warehouse, "fct_work_item_finish_rate", "finish_rate.cohorts_match_work_items",
                   "fct_experiment_finish_rate", "experiments.cohorts_match_experiments")
    assert failed(report) == {"finish_rate.cohorts_match_work_items.difference",
                              "experiments.cohorts_match_experiments.difference"}
    row = result(report, "finish_rate.cohorts_match_work_items.difference").sample[0]
    assert row["finished"] == row["finished_recomputed"] + 1 and row["difference"] == 2


def test_a_finished_experiment_without_its_decision_in_raw(warehouse: Path):
    finished = scalar(warehouse, "select min(experiment_id) from main.fct_experiments where is_finished")
    sql(warehouse, f"delete from raw.experiment_events where experiment_id = '{finished}' "
        "and event_type = 'decided'")
    report = check(warehouse, "experiments.finished_has_raw_events")
    assert failed(report) == {"experiments.finished_has_raw_events.finished_without_raw_events"}
    sample = result(report, "experiments.finished_has_raw_events.finished_without_raw_events").sample
    assert [(r["experiment_id"], r["decided_events"]) for r in sample] == [(finished, 0)]


def test_a_week_that_lost_a_deploy(warehouse: Path):
    sql(warehouse, "delete from main.fct_deployments where deploy_id = (select min(deploy_id) "
        "from main.fct_deployments)")
    report = check(warehouse, "fct_dora_weekly", "dora.weeks_match_deployments")
    assert failed(report) == {"dora.weeks_match_deployments.difference"}
    row = result(report, "dora.weeks_match_deployments.difference").sample[0]
    assert row["deployments"] == row["deployments_recomputed"] + 1


def test_a_week_that_lost_an_incident_or_marks_an_open_one_restored(warehouse: Path):
    first = "(select min(incident_id) from main.fct_incidents where attributed_environment is not null)"
    assert scalar(warehouse, f"select count(*) from main.fct_incidents where incident_id = {first}") == 1
    sql(warehouse, f"delete from main.fct_incidents where incident_id = {first}")
    report = check(warehouse, "fct_incidents", "dora.weeks_match_incidents")
    assert failed(report) == {"dora.weeks_match_incidents.difference"}
    row = result(report, "dora.weeks_match_incidents.difference").sample[0]
    assert row["incidents_opened"] == row["incidents_opened_recomputed"] + 1
    sql(warehouse, "update main.fct_incidents set resolved_at = null where incident_id = "
        "(select max(incident_id) from main.fct_incidents where is_restored)")
    report = check(warehouse, "fct_incidents")
    assert failed(report) == {"fct_incidents.restored_without_resolution"}
    assert result(report, "fct_incidents.restored_without_resolution").unexpected_count == 1


def test_items_open_in_both_marts_but_finished_in_raw(warehouse: Path):
    # both marts agree (the old identity between them still holds); raw says the items finished
    reopened = "(select ticket_id from main.fct_work_items where state = 'finished' order by ticket_id limit 2)"
    nullable(warehouse, "main.fct_open_work_items")
    sql(warehouse,
        f"insert into main.fct_open_work_items by name select ticket_id, team, created_at from main.fct_work_items "
        f"where ticket_id in {reopened}",
        f"update main.fct_work_items set state = 'open' where ticket_id in {reopened}")
    assert scalar(warehouse, "select count(*) from main.fct_open_work_items") == scalar(
        warehouse, "select count(*) from main.fct_work_items where state = 'open'")
    report = check(warehouse, "flow.open_items_consistent", "flow.counts_consistent")
    assert failed(report) == {"flow.open_items_consistent.difference", "flow.counts_consistent.difference"}
    row = result(report, "flow.open_items_consistent.difference").sample[0]
    assert row["left"] == row["right"] + 2 and "latest raw status" in row["identity"]
