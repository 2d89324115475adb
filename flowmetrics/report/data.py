"""Everything the report shows, read from schema `published` (what passed the quality gate) in one pass.

The report is the I/O edge: it reads here, then the charts and readings are pure functions of ReportData.
Large marts (stage visits) are aggregated in the warehouse; the rest are small and read whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from flowmetrics.errors import MartNotFoundError
from flowmetrics.warehouse.marts import MartReader
from flowmetrics.warehouse.optional_tables import absent_tables
from flowmetrics.warehouse.package_tables import PACKAGE_SCHEMA
from flowmetrics.warehouse.profile import Target

PUBLISHED = "published"


@dataclass(frozen=True)
class ReportData:
    """The published run and the frames each section charts. Seconds stay seconds; formatting is later."""

    warehouse: str
    published_run_id: str
    published_at: pd.Timestamp
    as_of: pd.Timestamp
    stage_time: pd.DataFrame  # stage, stage_order, visits, queue/active/wait seconds (completed visits)
    stage_daily: pd.DataFrame  # date_day, stage, stage_order, wip_end_of_day, arrivals, departures, ...
    open_items: pd.DataFrame  # ticket_id, current_stage, age_in_stage_seconds, stage_p85_seconds, ...
    work_item_finish: pd.DataFrame  # cohort_month, started, finished, is_mature (over teams)
    experiment_finish: pd.DataFrame  # cohort_month, launched, finished, is_mature (over teams)
    experiment_funnel: pd.DataFrame  # step, experiments
    shipped_decisions: pd.DataFrame  # week_start, experiments_launched, finished_decisions, is_complete_week
    ai_comparison: pd.DataFrame  # ai_assisted, finish_rate, rework_rate, median_cycle_time_seconds, cfr
    deployments: pd.DataFrame  # deployed_at, deploy_status, is_failure, lead time, time to restore and its source
    quality: pd.DataFrame  # check_id, severity, status, description, observed (the published run's checks)
    constraint_findings: pd.DataFrame  # one row per window x stage of the published detect run
    constraint_signals: pd.DataFrame
    absent: tuple[str, ...] = ()  # the optional raw tables this warehouse lacks (their marts are empty)
    dora_tiers: pd.DataFrame = field(default_factory=pd.DataFrame)  # fct_dora_tiers (empty: an older publish)
    sle: pd.DataFrame = field(default_factory=pd.DataFrame)  # fct_cycle_time_sle: overall and per-type lines
    finished_items: pd.DataFrame = field(default_factory=pd.DataFrame)  # the items behind them (the scatter)


def _published_info(reader: MartReader) -> pd.Series:
    con = reader.connection
    if not con.relation_exists(PUBLISHED, "publish_info"):
        raise MartNotFoundError(
            "nothing is published yet in schema `published`: run `flowmetrics publish` (or `flowmetrics nightly`)"
        )
    info = con.query_df(f"select published_run_id, published_at, as_of from {con.qualify(PUBLISHED, 'publish_info')}")
    return info.iloc[0]


def _optional(reader: MartReader, name: str, columns: list[str]) -> pd.DataFrame:
    """A published relation that an older publish may lack: empty with the columns when absent; a column an older
    version did not write yet (e.g. the findings' `reasons`) is null."""
    con = reader.connection
    if not con.relation_exists(PUBLISHED, name):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    relation = con.qualify(PUBLISHED, name)
    present = set(con.query_df(f"select * from {relation} where 1 = 0").columns)
    frame = con.query_df(f"select {', '.join(c for c in columns if c in present)} from {relation}")
    for c in columns:
        if c not in present:
            frame[c] = None
    return frame[columns]


def _quality(reader: MartReader, quality_run_id: str) -> pd.DataFrame:
    con = reader.connection
    columns = ["check_id", "suite", "severity", "status", "description", "observed", "checked_at"]
    if not con.relation_exists(PACKAGE_SCHEMA, "quality_runs"):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    return con.query_df(
        f"select {', '.join(columns)} from {con.qualify(PACKAGE_SCHEMA, 'quality_runs')} where run_id = ?",
        [quality_run_id],
    )


def _quality_run_id(reader: MartReader, published_run_id: str) -> str:
    con = reader.connection
    if not con.relation_exists(PACKAGE_SCHEMA, "publish_runs"):
        return published_run_id
    runs = con.query_df(
        f"select quality_run_id from {con.qualify(PACKAGE_SCHEMA, 'publish_runs')} where run_id = ?",
        [published_run_id],
    )
    if runs.empty or pd.isna(runs["quality_run_id"].iloc[0]):
        return published_run_id
    return str(runs["quality_run_id"].iloc[0])


def _work_items_by_ai(work_items: pd.DataFrame) -> pd.DataFrame:
    started = work_items[work_items["started_at"].notna()]
    grouped = started.groupby("ai_assisted", dropna=False)
    return pd.DataFrame(
        {
            "started": grouped.size(),
            "finished": grouped["state"].apply(lambda s: int((s == "finished").sum())),
            "median_cycle_time_seconds": grouped["cycle_time_seconds"].median(),
        }
    ).reset_index()


def _latest_run(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of the newest detection run in a history table (findings accumulate one run after another)."""
    if frame.empty:
        return frame
    latest = frame["run_id"].iloc[int(frame["detected_at"].to_numpy().argmax())]
    return frame[frame["run_id"] == latest].reset_index(drop=True)


def load_report_data(resolved: Target) -> ReportData:
    with MartReader.open(resolved, schema=PUBLISHED) as reader:
        info = _published_info(reader)
        absent = absent_tables(reader.connection)
        run_id = str(info["published_run_id"])
        stage_time = reader.aggregate(
            "fct_stage_visits",
            [
                "stage",
                "min(stage_order) as stage_order",
                "count(*) as visits",
                "avg(queue_seconds) as queue_seconds",
                "avg(active_seconds) as active_seconds",
                "avg(wait_seconds) as wait_seconds",
                "sum(queue_seconds) as total_queue_seconds",
                "sum(active_seconds) as total_active_seconds",
                "sum(wait_seconds) as total_wait_seconds",
            ],
            group_by=["stage"],
            where="not is_terminal and not is_open and stage <> 'unmapped'",
        )
        stage_daily = reader.read(
            "fct_stage_daily",
            ["date_day", "stage", "stage_order", "is_terminal_stage", "arrivals", "departures",
             "cumulative_arrivals", "cumulative_departures", "wip_end_of_day", "queue_wip",
             "avg_wip_age_seconds", "p85_wip_age_seconds", "is_partial_day"],
        )
        open_items = reader.read(
            "fct_open_work_items",
            ["ticket_id", "team", "requested_by", "current_stage", "current_stage_kind", "age_in_stage_seconds",
             "stage_p85_seconds", "is_past_stage_p85", "age_seconds"],
        )
        sle = reader.read(
            "fct_cycle_time_sle",
            ["sle_scope", "ticket_type", "window_start", "window_end", "finished_items", "p50_cycle_time_seconds",
             "p85_cycle_time_seconds", "p95_cycle_time_seconds"],
        )
        # the finished items behind the lines, in the mart's own window (stated once, in the mart)
        lines = reader.relation("fct_cycle_time_sle")
        finished_items = reader.read(
            "fct_work_items",
            ["ticket_id", "ticket_type", "finished_at", "cycle_time_seconds"],
            where=f"state = 'finished' and cycle_time_seconds is not null"
            f" and finished_at > (select max(window_start) from {lines})"
            f" and finished_at <= (select max(window_end) from {lines})",
        )
        work_item_finish = reader.aggregate(
            "fct_work_item_finish_rate",
            ["cohort_month", "sum(started) as started", "sum(finished) as finished",
             "sum(abandoned) as abandoned", "sum(still_open) as still_open", "bool_and(is_mature) as is_mature"],
            group_by=["cohort_month"],
        )
        experiment_finish = reader.aggregate(
            "fct_experiment_finish_rate",
            ["cohort_month", "sum(launched) as launched", "sum(measured_cleanly) as measured_cleanly",
             "sum(decided) as decided", "sum(shipped) as shipped", "sum(finished) as finished",
             "bool_and(is_mature) as is_mature"],
            group_by=["cohort_month"],
        )
        experiment_funnel = reader.aggregate(
            "fct_experiments",
            [
                "count(launched_at) as launched",
                "sum(case when launched_at is not null and measured_cleanly then 1 else 0 end) as measured_cleanly",
                "sum(case when launched_at is not null and measured_cleanly and decided_at is not null"
                " then 1 else 0 end) as decided",
                "sum(case when launched_at is not null and is_finished then 1 else 0 end) as finished",
            ],
        )
        shipped_decisions = reader.aggregate(
            "fct_shipped_decisions",
            ["week_start", "sum(experiments_launched) as experiments_launched",
             "sum(shipped_decisions) as shipped_decisions",
             "sum(cleanly_stopped_decisions) as cleanly_stopped_decisions",
             "sum(finished_decisions) as finished_decisions", "bool_and(is_complete_week) as is_complete_week"],
            group_by=["week_start"],
        )
        work_items = reader.read("fct_work_items", ["ai_assisted", "started_at", "state", "cycle_time_seconds"])
        rework_ai = reader.aggregate(
            "fct_rework_rate",
            ["ai_assisted", "sum(started_work_items) as started_work_items",
             "sum(reworked_work_items) as reworked_work_items"],
            group_by=["ai_assisted"],
        )
        deploys_ai = reader.aggregate(
            "fct_deployments",
            ["ai_assisted", "count(*) as deployments", "sum(case when is_failure then 1 else 0 end) as failures"],
            group_by=["ai_assisted"],
        )
        deployments = reader.read(
            "fct_deployments",
            ["deployed_at", "environment", "deploy_status", "is_failure", "lead_time_seconds",
             "time_to_restore_seconds", "restore_source"],
        )
        dora_tiers = _optional(
            reader,
            "fct_dora_tiers",
            ["week_start", "service", "environment", "scope", "is_complete_week", "window_weeks",
             "deployments_per_week", "deployment_frequency_tier", "median_lead_time_seconds", "lead_time_tier",
             "change_failure_rate", "change_failure_rate_tier", "median_time_to_restore_seconds",
             "time_to_restore_tier", "overall_tier", "bands_version"],
        )
        quality = _quality(reader, _quality_run_id(reader, run_id))
        findings = _latest_run(
            _optional(
                reader,
                "constraint_findings",
                ["run_id", "detected_at", "scope", "window_start", "window_end", "constraint_stage",
                 "constraint_team", "kind", "confidence", "shifted_from_stage", "reasons", "window_reason"],
            )
        )
        signals = _latest_run(
            _optional(
                reader,
                "constraint_stage_signals",
                ["run_id", "detected_at", "scope", "window_start", "stage", "team", "rank", "classification",
                 "confidence", "waiting_share", "wait_share", "queue_nonempty_share", "load_dependence",
                 "queue_growth_per_week", "median_hours", "mean_queue_hours", "occupancy", "at_ceiling_share",
                 "burst_response", "bound_by"],
            )
        )
    ai = _work_items_by_ai(work_items).merge(rework_ai, on="ai_assisted", how="outer")
    ai = ai.merge(deploys_ai, on="ai_assisted", how="outer")
    ai["finish_rate"] = ai["finished"] / ai["started"].where(ai["started"] > 0)
    ai["rework_rate"] = ai["reworked_work_items"] / ai["started_work_items"].where(ai["started_work_items"] > 0)
    ai["change_failure_rate"] = ai["failures"] / ai["deployments"].where(ai["deployments"] > 0)
    funnel = experiment_funnel.iloc[0] if not experiment_funnel.empty else pd.Series(dtype=float)
    steps = ("launched", "measured_cleanly", "decided", "finished")
    counts = [funnel.get(k) for k in steps]  # a sum over no experiments is null
    funnel_frame = pd.DataFrame(
        {"step": [s.replace("_", " ") for s in steps], "experiments": [0 if pd.isna(n) else int(n) for n in counts]}
    )
    return ReportData(
        warehouse=str(resolved.path or resolved.name),
        published_run_id=run_id,
        published_at=pd.Timestamp(info["published_at"]),
        as_of=pd.Timestamp(info["as_of"]),
        stage_time=stage_time,
        stage_daily=stage_daily,
        open_items=open_items,
        work_item_finish=work_item_finish,
        experiment_finish=experiment_finish,
        experiment_funnel=funnel_frame,
        shipped_decisions=shipped_decisions,
        ai_comparison=ai,
        deployments=deployments,
        quality=quality,
        constraint_findings=findings,
        constraint_signals=signals,
        absent=absent,
        dora_tiers=dora_tiers,
        sle=sle,
        finished_items=finished_items,
    )
