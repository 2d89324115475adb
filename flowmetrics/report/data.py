"""Everything the report shows, read from schema `published` (what passed the quality gate) in one pass.

The report is the I/O edge: it reads here, then the charts and readings are pure functions of ReportData.
Large marts (stage visits) are aggregated in the warehouse; the rest are small and read whole.

A report of one scope (flowmetrics.scope: a team, a requesting function, a period) reads only that work's rows,
the values bound as parameters. A published mart without the scope's column (fct_stage_daily, fct_cycle_time_sle)
is recomputed here from the scoped rows it is built from; what the marts cannot scope (the constraint verdict,
which detection publishes for the whole system; deploys, which carry no team) stays the whole system's and
`scope_notes` says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from flowmetrics.errors import ConfigError, MartNotFoundError
from flowmetrics.report import sle as sle_lines
from flowmetrics.report.format import percent
from flowmetrics.scope import SCOPE_TABLE, Scope
from flowmetrics.warehouse.dbt_yaml import model as dbt_model
from flowmetrics.warehouse.forecasts import FORECAST_COLUMNS
from flowmetrics.warehouse.marts import MartReader
from flowmetrics.warehouse.optional_tables import absent_tables
from flowmetrics.warehouse.package_tables import PACKAGE_SCHEMA
from flowmetrics.warehouse.profile import Target
from flowmetrics.warehouse.sql import ident

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
    forecasts: pd.DataFrame = field(default_factory=pd.DataFrame)  # published forecasts (empty: none published)
    scope: Scope = field(default_factory=Scope)  # whose work: the whole system unless a team/function/period
    scope_notes: tuple[str, ...] = ()  # what a scoped report shows of the whole system, and why
    switched_off: tuple[str, ...] = ()  # domains the build switched off (their marts read as empty)


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
    """Started, finished and reworked items and the median cycle time, AI-assisted or not (fct_rework_rate's
    started and reworked counts, from the same fct_work_items rows)."""
    started = work_items[work_items["started_at"].notna()]
    grouped = started.groupby("ai_assisted", dropna=False)
    frame = pd.DataFrame(
        {
            "started": grouped.size(),
            "finished": grouped["state"].apply(lambda s: int((s == "finished").sum())),
            "median_cycle_time_seconds": grouped["cycle_time_seconds"].median(),
            "reworked_work_items": grouped["rework_count"].apply(lambda s: int((s > 0).sum())),
        }
    ).reset_index()
    frame["started_work_items"] = frame["started"]
    return frame


def _latest_run(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of the newest detection run in a history table (findings accumulate one run after another)."""
    if frame.empty:
        return frame
    latest = frame["run_id"].iloc[int(frame["detected_at"].to_numpy().argmax())]
    return frame[frame["run_id"] == latest].reset_index(drop=True)


def _conditions(scope: Scope, columns: tuple[str, ...] = ("team", "requested_by"), period: str | None = None,
                grain: str = "moment") -> tuple[list[str], list[Any]]:
    """The scope's conditions on one mart and their parameters: its team/requested_by columns in `columns`, and
    the period on the column `period` (grain "moment": a timestamp in [since, until); "day": a date from --from to
    --to; "month": a cohort month from --from's month to --to)."""
    conditions: list[str] = []
    params: list[Any] = []
    for column, value in scope.values.items():
        if column in columns:
            conditions.append(f"{column} = ?")
            params.append(value)
    if period is None:
        return conditions, params
    low: Any = scope.since if grain == "moment" else scope.start
    if low is not None and grain == "month":
        low = low.replace(day=1)
    high: Any = scope.until if grain == "moment" else scope.end
    if low is not None:
        conditions.append(f"{period} >= ?")
        params.append(low)
    if high is not None:
        conditions.append(f"{period} {'<' if grain == 'moment' else '<='} ?")
        params.append(high)
    return conditions, params


def _select(reader: MartReader, mart: str, select: list[str], where: tuple[list[str], list[Any]] = ([], []),
            group_by: tuple[str, ...] = ()) -> pd.DataFrame:
    """A scoped read or aggregate of a published mart: conditions joined by `and`, values bound as parameters."""
    conditions, params = where
    sql = f"select {', '.join(select)} from {_relation(reader, mart)}"
    if conditions:
        sql += " where " + " and ".join(f"({c})" for c in conditions)
    if group_by:
        sql += f" group by {', '.join(group_by)} order by {', '.join(group_by)}"
    return reader.connection.query_df(sql, params)


def _relation(reader: MartReader, mart: str) -> str:
    """The published mart, or, for a mart of a domain the build switched off (publish leaves those out and requires
    every other), an empty stand-in with the columns and types of its contract: the report reads it as a domain
    without data."""
    relation = reader.relation(mart)
    if reader.exists(mart):
        return relation
    found = dbt_model(mart)
    if found.domain is None:
        raise MartNotFoundError(f"mart {relation} does not exist: run `flowmetrics publish` first")
    columns = ", ".join(f"cast(null as {c.data_type}) as {ident(c.name)}" for c in found.columns)
    return f"(select {columns} where 1 = 0) as {ident(mart)}"


def _and(where: tuple[list[str], list[Any]], *conditions: str) -> tuple[list[str], list[Any]]:
    return [*conditions, *where[0]], where[1]


def check_scope(reader: MartReader, scope: Scope, as_of: pd.Timestamp) -> None:
    """A ConfigError (exit 2) for a team or function fct_work_items does not hold (the known ones listed), a period
    that starts after the published as-of, or a scope without a stage visit in its period."""
    if scope.is_whole:
        return
    if scope.start is not None and pd.Timestamp(scope.start) > as_of:
        raise ConfigError(f"--from {scope.start.isoformat()} is after the published as-of {as_of}: the period holds "
                          "no work yet")
    known = {
        column: _select(reader, SCOPE_TABLE, [f"distinct {column} as value"], ([f"{column} is not null"], []))[
            "value"
        ].astype(str)
        for column in scope.values
    }
    scope.check(known)
    conditions, params = _conditions(scope)  # the visits in the scope that overlap the period
    if scope.until is not None:
        conditions.append("entered_at < ?")
        params.append(scope.until)
    if scope.since is not None:
        conditions.append("exited_at is null or exited_at >= ?")
        params.append(scope.since)
    visits = int(_select(reader, "fct_stage_visits", ["count(*) as n"], (conditions, params))["n"].iloc[0])
    if visits == 0:
        raise ConfigError(
            f"no work of {scope.label()} in {reader.relation('fct_stage_visits')}: 0 stage visits in that scope; "
            "widen --from/--to or pick another --team/--requested-by"
        )


def check_report_scope(resolved: Target, scope: Scope) -> None:
    """check_scope against the published marts of `resolved`."""
    with MartReader.open(resolved, schema=PUBLISHED) as reader:
        check_scope(reader, scope, pd.Timestamp(_published_info(reader)["as_of"]))


def known_teams(resolved: Target) -> list[str]:
    """The teams of published fct_work_items, sorted."""
    with MartReader.open(resolved, schema=PUBLISHED) as reader:
        _published_info(reader)
        teams = _select(reader, SCOPE_TABLE, ["distinct team as value"], (["team is not null"], []))
    return sorted(teams["value"].astype(str))


def _utc_day(values: pd.Series) -> pd.Series:
    stamps = pd.to_datetime(values)
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    return stamps.dt.floor("D")


def stage_daily_from_visits(days: pd.DataFrame, visits: pd.DataFrame) -> pd.DataFrame:
    """fct_stage_daily's counts (arrivals, departures, their running sums, the WIP at the end of each UTC day) from
    stage visits (stage, entered_at, exited_at), on the days and stages of `days` (the published mart's grid)."""
    grid = days[["date_day", "stage", "stage_order", "is_terminal_stage", "is_partial_day"]].copy()
    grid["date_day"] = pd.to_datetime(grid["date_day"])
    moves = []
    for column, name in (("entered_at", "arrivals"), ("exited_at", "departures")):
        dated = visits.loc[visits[column].notna(), ["stage"]].assign(date_day=_utc_day(visits[column].dropna()))
        moves.append(dated.groupby(["stage", "date_day"]).size().rename(name))
    counts = pd.concat(moves, axis=1).reset_index() if len(visits) else pd.DataFrame(
        columns=["stage", "date_day", "arrivals", "departures"])
    counts["date_day"] = pd.to_datetime(counts["date_day"])
    frame = grid.merge(counts, on=["stage", "date_day"], how="left").sort_values(["stage", "date_day"])
    frame[["arrivals", "departures"]] = frame[["arrivals", "departures"]].fillna(0).astype("int64")
    frame["cumulative_arrivals"] = frame.groupby("stage")["arrivals"].cumsum()
    frame["cumulative_departures"] = frame.groupby("stage")["departures"].cumsum()
    frame["wip_end_of_day"] = frame["cumulative_arrivals"] - frame["cumulative_departures"]
    return frame.sort_values(["date_day", "stage_order", "stage"]).reset_index(drop=True)


def sle_from_items(finished: pd.DataFrame, window_start: Any, window_end: Any) -> pd.DataFrame:
    """fct_cycle_time_sle's rows (overall, then one per ticket type) from finished items' cycle times in its window:
    linearly interpolated percentiles (percentile_cont) rounded half up to whole seconds, as the mart does."""
    rows = []

    def add(sle_scope: str, ticket_type: Any, seconds: np.ndarray) -> None:
        lines = {
            sle_lines.column(p): float(np.floor(np.quantile(seconds, p / 100) + 0.5)) if len(seconds) else np.nan
            for p in sle_lines.PERCENTILES
        }
        rows.append({"sle_scope": sle_scope, "ticket_type": ticket_type, "window_start": window_start,
                     "window_end": window_end, "finished_items": len(seconds), **lines})

    add("overall", None, finished["cycle_time_seconds"].to_numpy(dtype=float))
    for ticket_type, part in finished.groupby("ticket_type", sort=True):
        add("ticket_type", ticket_type, part["cycle_time_seconds"].to_numpy(dtype=float))
    return pd.DataFrame(rows)


def _cut_days(frame: pd.DataFrame, column: str, scope: Scope) -> pd.DataFrame:
    """The rows whose UTC day `column` lies in the scope's period."""
    days = pd.to_datetime(frame[column])
    keep = pd.Series(True, index=frame.index)
    if scope.start is not None:
        keep &= days >= pd.Timestamp(scope.start)
    if scope.end is not None:
        keep &= days <= pd.Timestamp(scope.end)
    return frame[keep].reset_index(drop=True)


def team_at_constraint(scope: Scope, findings: pd.DataFrame, signals: pd.DataFrame) -> str | None:
    """The team's own signal at the constraint stage, which detection publishes per team beside its verdict."""
    overall = findings[findings["scope"] == "overall"] if not findings.empty else findings
    if scope.team is None or overall.empty or pd.isna(overall["constraint_stage"].iloc[0]):
        return None
    stage = overall["constraint_stage"].iloc[0]
    own = signals[(signals["stage"] == stage) & (signals["team"] == scope.team)]
    if own.empty:
        return None
    bound = "capacity-bound" if own["classification"].iloc[0] == "constraint" else "not capacity-bound"
    return (f"team {scope.team} at {stage}: {percent(own['waiting_share'].iloc[0])} of its time there waiting in "
            f"the queue, {bound}")


def _scope_notes(scope: Scope, team_signal: str | None = None) -> tuple[str, ...]:
    """What a scoped report shows of the whole system, and why (the subtitle says it)."""
    if scope.is_whole:
        return ()
    notes = ["constraint verdict and what-if: whole system (detection publishes one verdict for the whole flow)"]
    if team_signal is not None:
        notes.append(team_signal)
    if scope.values:
        notes.append("DORA tiles and the change failure rate: whole system (a deploy carries no team or function)")
    if scope.requested_by is not None:
        notes.append(
            "experiments: " + (f"team {scope.team}'s" if scope.team is not None else "whole system")
            + " (an experiment has no requesting function)"
        )
        if scope.team is None:
            notes.append("DORA tiers: whole system (they are published per service and per team)")
    if scope.start is not None or scope.end is not None:
        notes.append("the period cuts the history; the service levels and the open items are as of the as-of")
    return tuple(notes)


def load_report_data(resolved: Target, scope: Scope | None = None) -> ReportData:
    """Everything the report shows, of the whole system or of one scope (its values bound, never in the SQL)."""
    scope = scope or Scope()
    who = _conditions(scope)  # team and requesting function, for the marts that carry both
    with MartReader.open(resolved, schema=PUBLISHED) as reader:
        info = _published_info(reader)
        check_scope(reader, scope, pd.Timestamp(info["as_of"]))
        absent = absent_tables(reader.connection)
        run_id = str(info["published_run_id"])
        stage_time = _select(
            reader,
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
            _and(_conditions(scope, period="exited_at"), "not is_terminal and not is_open and stage <> 'unmapped'"),
            group_by=("stage",),
        )
        stage_daily = _select(
            reader,
            "fct_stage_daily",
            ["date_day", "stage", "stage_order", "is_terminal_stage", "arrivals", "departures",
             "cumulative_arrivals", "cumulative_departures", "wip_end_of_day", "queue_wip",
             "avg_wip_age_seconds", "p85_wip_age_seconds", "is_partial_day"],
        )
        if scope.values:  # the mart has no team: its counts again, from the scope's stage visits
            visits = _select(reader, "fct_stage_visits", ["stage", "entered_at", "exited_at"], who)
            stage_daily = stage_daily_from_visits(stage_daily, visits)
        stage_daily = _cut_days(stage_daily, "date_day", scope)
        open_items = _select(
            reader,
            "fct_open_work_items",
            ["ticket_id", "team", "requested_by", "current_stage", "current_stage_kind", "age_in_stage_seconds",
             "stage_p85_seconds", "is_past_stage_p85", "age_seconds"],
            who,
        )
        sle = _select(
            reader,
            "fct_cycle_time_sle",
            ["sle_scope", "ticket_type", "window_start", "window_end", "finished_items", "p50_cycle_time_seconds",
             "p85_cycle_time_seconds", "p95_cycle_time_seconds"],
        )
        # the finished items behind the lines, in the mart's own window (stated once, in the mart)
        lines = reader.relation("fct_cycle_time_sle")
        finished_items = _select(
            reader,
            "fct_work_items",
            ["ticket_id", "ticket_type", "finished_at", "cycle_time_seconds"],
            _and(who, "state = 'finished' and cycle_time_seconds is not null",
                 f"finished_at > (select max(window_start) from {lines})",
                 f"finished_at <= (select max(window_end) from {lines})"),
        )
        if scope.values and not sle.empty:  # the mart has no team: its lines again, from the scope's items
            sle = sle_from_items(finished_items, sle["window_start"].max(), sle["window_end"].max())
        work_item_finish = _select(
            reader,
            "fct_work_item_finish_rate",
            ["cohort_month", "sum(started) as started", "sum(finished) as finished",
             "sum(abandoned) as abandoned", "sum(still_open) as still_open", "bool_and(is_mature) as is_mature"],
            _conditions(scope, period="cohort_month", grain="month"),
            group_by=("cohort_month",),
        )
        experiment_finish = _select(
            reader,
            "fct_experiment_finish_rate",
            ["cohort_month", "sum(launched) as launched", "sum(measured_cleanly) as measured_cleanly",
             "sum(decided) as decided", "sum(shipped) as shipped", "sum(finished) as finished",
             "bool_and(is_mature) as is_mature"],
            _conditions(scope, columns=("team",), period="cohort_month", grain="month"),
            group_by=("cohort_month",),
        )
        experiment_funnel = _select(
            reader,
            "fct_experiments",
            [
                "count(launched_at) as launched",
                "sum(case when launched_at is not null and measured_cleanly then 1 else 0 end) as measured_cleanly",
                "sum(case when launched_at is not null and measured_cleanly and decided_at is not null"
                " then 1 else 0 end) as decided",
                "sum(case when launched_at is not null and is_finished then 1 else 0 end) as finished",
            ],
            _conditions(scope, columns=("team",), period="launched_at"),
        )
        shipped_decisions = _select(
            reader,
            "fct_shipped_decisions",
            ["week_start", "sum(experiments_launched) as experiments_launched",
             "sum(shipped_decisions) as shipped_decisions",
             "sum(cleanly_stopped_decisions) as cleanly_stopped_decisions",
             "sum(finished_decisions) as finished_decisions", "bool_and(is_complete_week) as is_complete_week"],
            _conditions(scope, columns=("team",), period="week_start", grain="day"),
            group_by=("week_start",),
        )
        work_items = _select(
            reader,
            "fct_work_items",
            ["ai_assisted", "started_at", "state", "cycle_time_seconds", "rework_count"],
            _conditions(scope, period="started_at"),
        )
        deploys_ai = _select(
            reader,
            "fct_deployments",
            ["ai_assisted", "count(*) as deployments", "sum(case when is_failure then 1 else 0 end) as failures"],
            _conditions(scope, columns=(), period="deployed_at"),
            group_by=("ai_assisted",),
        )
        deployments = _select(
            reader,
            "fct_deployments",
            ["deployed_at", "environment", "deploy_status", "is_failure", "lead_time_seconds",
             "time_to_restore_seconds", "restore_source"],
        )
        dora_tiers = _optional(
            reader,
            "fct_dora_tiers",
            ["week_start", "service", "environment", "scope", "team", "is_complete_week", "window_weeks",
             "deployments_per_week", "deployment_frequency_tier", "median_lead_time_seconds", "lead_time_tier",
             "change_failure_rate", "change_failure_rate_tier", "median_time_to_restore_seconds",
             "time_to_restore_tier", "overall_tier", "bands_version"],
        )
        quality = _quality(reader, _quality_run_id(reader, run_id))
        forecasts = _optional(reader, "forecasts", [c for c, _ in FORECAST_COLUMNS])
        # publish publishes a domain's marts together, so one mart the report reads tells whether it is switched off
        switched_off = tuple(sorted({str(dbt_model(m).domain) for m in ("fct_work_items", "fct_experiments",
                                                                       "fct_deployments") if not reader.exists(m)}))
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
    dora_tiers = _scoped_tiers(dora_tiers, scope)
    ai = _work_items_by_ai(work_items).merge(deploys_ai, on="ai_assisted", how="outer")
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
        forecasts=forecasts,
        scope=scope,
        scope_notes=_scope_notes(scope, team_at_constraint(scope, findings, signals)),
        switched_off=switched_off,
    )


def _scoped_tiers(tiers: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    """fct_dora_tiers for the report: the services' rows, or for a team the team's deploys to each service (the
    mart's team rows, shown where the services' are); weeks starting in the period."""
    if scope.team is not None:
        tiers = tiers[(tiers["scope"] == "team") & (tiers["team"] == scope.team)].assign(scope="service")
    else:
        tiers = tiers[tiers["scope"] != "team"]
    return _cut_days(tiers, "week_start", scope) if not tiers.empty else tiers.reset_index(drop=True)
