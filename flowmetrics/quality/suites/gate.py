"""Suites over aggregates that span relations or runs: the ingest run's quarantine, unmapped statuses,
freshness, volume since the last published run, Little's law per stage, counts consistent across marts, and the
as-of and finished items recomputed from the raw tables."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from flowmetrics.quality.reader import GateReader
from flowmetrics.quality.suite import CheckContext, Layer, Suite, VolumeKind, at_most, zero
from flowmetrics.quality.suites._derived import identities, raw_state_identity
from flowmetrics.warehouse.package_tables import daily_event_counts

UNREADABLE = "unreadable CSV line%"


def _ingest_run(ctx: CheckContext) -> str | None:
    """Why the quarantine suites have nothing to judge, or None: without an ingest run there is no share."""
    if ctx.ingest_run_id is None:
        return "no ingest run to judge: raw.ingest_runs records none (raw was landed without `flowmetrics ingest`)"
    return None


def _quarantine_share(reader: GateReader, ctx: CheckContext) -> pd.DataFrame:
    columns = ["table_name", "source_file", "rows_read", "rows_quarantined", "quarantined_share"]
    if ctx.ingest_run_id is None:
        return pd.DataFrame(columns=columns)
    runs = reader.qualified(Layer.RAW, "ingest_runs")
    frame = reader.df(
        f"select table_name, source_file, rows_read, rows_quarantined from {runs} "
        "where ingest_run_id = ? and source_file is not null order by table_name",
        [ctx.ingest_run_id],
    )
    frame["quarantined_share"] = (frame["rows_quarantined"] / frame["rows_read"].where(frame["rows_read"] > 0)).fillna(
        0.0
    )
    return frame[columns]


Q = "ingest.quarantine_share"
QUARANTINE_SHARE = Suite(
    name=Q,
    layer=Layer.RAW,
    frame=_quarantine_share,
    requires=((Layer.RAW, "ingest_runs"),),
    applies=_ingest_run,
    checks=(
        at_most(
            Q,
            "quarantined_share",
            "quarantined rows ÷ rows read, per table, in the ingest run being checked",
            lambda ctx: ctx.config.max_quarantine_share,
            lambda ctx: f"<= {ctx.config.max_quarantine_share:.2%} per table",
        ),
    ),
    description="A flood of contract-breaking rows (null keys, duplicates, bad values) stops the night.",
)


def _unreadable_lines(reader: GateReader, ctx: CheckContext) -> pd.DataFrame:
    columns = ["table_name", "source_file", "unreadable_lines", "first_line", "reason"]
    if ctx.ingest_run_id is None:
        return pd.DataFrame(columns=columns)
    quarantine = reader.qualified(Layer.RAW, "quarantine")
    return reader.df(
        f"select table_name, source_file, count(*) as unreadable_lines, min(row_number) as first_line, "
        f"min(reason) as reason from {quarantine} where ingest_run_id = ? and reason like '{UNREADABLE}' "
        "group by table_name, source_file order by table_name",
        [ctx.ingest_run_id],
    )[columns]


U = "ingest.unreadable_lines"
UNREADABLE_LINES = Suite(
    name=U,
    layer=Layer.RAW,
    frame=_unreadable_lines,
    requires=((Layer.RAW, "quarantine"),),
    applies=_ingest_run,
    checks=(
        at_most(
            U,
            "unreadable_lines",
            "CSV lines the parser could not read in this run (a truncated or damaged file: rows may be missing)",
            lambda ctx: ctx.config.max_unreadable_lines,
            lambda ctx: f"<= {ctx.config.max_unreadable_lines} per file",
        ),
    ),
)


def _unmapped_share(reader: GateReader, ctx: CheckContext) -> pd.DataFrame:
    transitions = reader.qualified(Layer.MART, "fct_stage_transitions")
    since = (ctx.as_of or ctx.reference_time) - timedelta(days=ctx.config.unmapped_window_days)
    totals = reader.df(
        "select count(*) as transitions, "
        "sum(case when to_stage_kind = 'unmapped' then 1 else 0 end) as unmapped_transitions "
        f"from {transitions} where changed_at > ?",
        [since],
    )
    top = reader.df(
        f"select to_status, count(*) as n from {transitions} where changed_at > ? and to_stage_kind = 'unmapped' "
        "group by to_status order by n desc, to_status limit 5",
        [since],
    )
    n = int(totals["transitions"].iloc[0] or 0)
    unmapped = int(totals["unmapped_transitions"].iloc[0] or 0)
    return pd.DataFrame(
        [
            {
                "window_start": since,
                "transitions": n,
                "unmapped_transitions": unmapped,
                "unmapped_share": unmapped / n if n else 0.0,
                "top_unmapped_statuses": ", ".join(f"{r.to_status} ({r.n})" for r in top.itertuples()) or None,
            }
        ]
    )


M = "flow.unmapped_share"
UNMAPPED_SHARE = Suite(
    name=M,
    layer=Layer.MART,
    frame=_unmapped_share,
    requires=((Layer.MART, "fct_stage_transitions"), (Layer.MART, "dim_as_of")),
    checks=(
        at_most(
            M,
            "unmapped_share",
            "transitions into statuses missing from the status map ÷ all transitions, over the recent window",
            lambda ctx: ctx.config.max_unmapped_share,
            lambda ctx: f"<= {ctx.config.max_unmapped_share:.2%} over {ctx.config.unmapped_window_days:g} days",
        ),
    ),
)


def _freshness(reader: GateReader, ctx: CheckContext) -> pd.DataFrame:
    latest = ctx.latest_event_at
    age = None if latest is None else (ctx.reference_time - latest).total_seconds() / 3600.0
    return pd.DataFrame([{"latest_event_at": latest, "reference_time": ctx.reference_time, "age_hours": age}])


R = "freshness"
FRESHNESS = Suite(
    name=R,
    layer=Layer.MART,
    frame=_freshness,
    requires=((Layer.MART, "dim_as_of"),),
    checks=(
        at_most(
            f"{R}.newest_event_age",
            "age_hours",
            "the newest event is at most the configured age at the reference time (stale numbers are still "
            "correct numbers: warn by default)",
            lambda ctx: ctx.config.freshness_max_age_hours,
            lambda ctx: f"<= {ctx.config.freshness_max_age_hours:g} h",
            severity="warn",
        ),
    ),
)


def _volume_kinds() -> dict[str, VolumeKind]:
    from flowmetrics.quality.registry import default_registry  # the registry imports this module

    return default_registry().volume_kinds()


def _row_counts(reader: GateReader, ctx: CheckContext) -> pd.DataFrame:
    """Per relation the last published run recorded: rows then and now, judged by the relation's volume kind.

    A history may lose at most ``max_volume_drop`` and gain at most ``max_volume_growth`` of its rows (or
    ``volume_growth_min_rows``, whichever is more); a summary may lose at most ``max_volume_drop`` and grows in
    steps; a snapshot moves freely. A relation no suite states a kind for is judged as a history.
    """
    columns = ["relation", "kind", "rows_published", "rows_now", "drop_share", "added_rows", "allowed_added_rows",
               "excess_added_rows", "published_run_id"]
    last = ctx.last_publish
    if last is None:
        return pd.DataFrame(columns=columns)
    kinds = _volume_kinds()
    config = ctx.config
    rows = []
    for name, published in sorted(last.row_counts.items()):
        layer, relation = name.split(".", 1)
        lay = Layer(layer)
        now = reader.scalar(f"select count(*) from {reader.qualified(lay, relation)}") if reader.exists(
            lay, relation
        ) else 0
        now = int(now or 0)
        kind = kinds.get(name, VolumeKind.HISTORY)
        drop = max(0.0, (published - now) / published) if published else 0.0
        added = now - published
        allowed = max(config.max_volume_growth * published, float(config.volume_growth_min_rows))
        history = kind is VolumeKind.HISTORY
        rows.append({
            "relation": name,
            "kind": kind.value,
            "rows_published": published,
            "rows_now": now,
            "drop_share": drop if kind is not VolumeKind.SNAPSHOT else float("nan"),
            "added_rows": added,
            "allowed_added_rows": float(int(allowed)) if history else float("nan"),
            "excess_added_rows": float(max(0, added - int(allowed))) if history else float("nan"),
            "published_run_id": last.run_id,
        })
    frame = pd.DataFrame(rows, columns=columns)
    for column in ("drop_share", "allowed_added_rows", "excess_added_rows"):
        frame[column] = frame[column].astype("float64")
    return frame


V = "volume.row_counts"
VOLUME_ROW_COUNTS = Suite(
    name=V,
    layer=Layer.MART,
    frame=_row_counts,
    checks=(
        at_most(
            V,
            "drop_share",
            "rows a history (events, work items, experiments) or a summary (daily, weekly, cohort rows, detection "
            "runs) lost since the last published run: neither shrinks; a snapshot of open work is not judged",
            lambda ctx: ctx.config.max_volume_drop,
            lambda ctx: f"drop <= {ctx.config.max_volume_drop:.0%} (histories and summaries)",
            sample_columns=("relation", "kind", "rows_published", "rows_now", "drop_share"),
        ),
        at_most(
            f"{V}.growth",
            "excess_added_rows",
            "rows a history gained since the last published run, beyond a night's worth: tickets or events "
            "loaded twice under new ids inflate every count downstream",
            lambda ctx: 0,
            lambda ctx: f"added <= {ctx.config.max_volume_growth:.0%} of the published rows or "
            f"{ctx.config.volume_growth_min_rows:,} rows, whichever is more (histories)",
            sample_columns=("relation", "rows_published", "rows_now", "added_rows", "allowed_added_rows"),
        ),
    ),
)


def _daily_events(reader: GateReader, ctx: CheckContext) -> pd.DataFrame:
    columns = ["relation", "day", "rows_published", "rows_now", "drop_share", "published_run_id"]
    last = ctx.last_publish
    if last is None or last.daily.empty:
        return pd.DataFrame(columns=columns)
    now = daily_event_counts(reader.connection).rename(columns={"n": "rows_now"})
    then = last.daily.rename(columns={"n": "rows_published"})
    merged = then.merge(now, on=["relation", "day"], how="left")
    merged["rows_now"] = merged["rows_now"].fillna(0).astype("int64")
    merged["drop_share"] = ((merged["rows_published"] - merged["rows_now"]).clip(lower=0)
                            / merged["rows_published"].where(merged["rows_published"] > 0)).fillna(0.0)
    merged["published_run_id"] = last.run_id
    merged["day"] = merged["day"].astype(str)
    return merged.sort_values(["drop_share", "relation", "day"], ascending=[False, True, True])[columns]


D = "volume.daily_events"
VOLUME_DAILY_EVENTS = Suite(
    name=D,
    layer=Layer.RAW,
    frame=_daily_events,
    checks=(
        at_most(
            D,
            "drop_share",
            "events per UTC day (status changes, deploys, experiment events) dropped by at most the configured "
            "share since the last published run: a lost day of events",
            lambda ctx: ctx.config.max_volume_drop,
            lambda ctx: f"drop <= {ctx.config.max_volume_drop:.0%} per day",
        ),
    ),
)


def _littles_law(reader: GateReader, ctx: CheckContext) -> pd.DataFrame:
    """Per stage over the window [as_of − W, as_of]: L (time-average WIP) against λ·W (arrivals per second x
    mean time in stage of the visits that entered and left in the window). Terminal and unmapped stages are
    not judged (done and abandoned never exit), nor stages with too few arrivals to say anything."""
    columns = ["stage", "arrivals", "avg_wip", "throughput_per_day", "mean_days_in_stage", "predicted_wip",
               "relative_error"]
    as_of = ctx.as_of
    if as_of is None:
        return pd.DataFrame(columns=columns)
    start = as_of - timedelta(days=ctx.config.littles_law_window_days)
    seconds = (as_of - start).total_seconds()
    visits = reader.qualified(Layer.MART, "fct_stage_visits")
    frame = reader.df(
        "select stage, "
        "sum(greatest(0.0, extract(epoch from least(coalesce(exited_at, ?), ?)) "
        "- extract(epoch from greatest(entered_at, ?)))) as wip_seconds, "
        "sum(case when entered_at >= ? then 1 else 0 end) as arrivals, "
        "avg(case when entered_at >= ? and exited_at is not null "
        "then extract(epoch from exited_at) - extract(epoch from entered_at) end) as mean_seconds "
        f"from {visits} where not is_terminal and stage <> 'unmapped' "
        "and entered_at <= ? and (exited_at is null or exited_at > ?) "
        "group by stage order by stage",
        [as_of, as_of, start, start, start, as_of, start],
    )
    frame = frame[frame["arrivals"] >= ctx.config.littles_law_min_arrivals].copy()
    frame["avg_wip"] = frame["wip_seconds"].astype(float) / seconds
    throughput = frame["arrivals"].astype(float) / seconds
    frame["predicted_wip"] = throughput * frame["mean_seconds"].astype(float)
    frame["relative_error"] = ((frame["avg_wip"] - frame["predicted_wip"]).abs()
                               / frame["avg_wip"].where(frame["avg_wip"] > 0)).fillna(0.0)
    frame["throughput_per_day"] = throughput * 86400
    frame["mean_days_in_stage"] = frame["mean_seconds"].astype(float) / 86400
    return frame[columns].round(4)


L = "flow.littles_law"
LITTLES_LAW = Suite(
    name=L,
    layer=Layer.MART,
    frame=_littles_law,
    requires=((Layer.MART, "fct_stage_visits"), (Layer.MART, "dim_as_of")),
    checks=(
        at_most(
            L,
            "relative_error",
            "Little's law per stage: average WIP ≈ throughput x time in stage, within the tolerance (missing or "
            "duplicated events pull them apart; so does a queue that keeps growing: warn by default)",
            lambda ctx: ctx.config.littles_law_tolerance,
            lambda ctx: f"|L − λW| ÷ L <= {ctx.config.littles_law_tolerance:g} "
            f"over {ctx.config.littles_law_window_days:g} days",
            severity="warn",
        ),
    ),
)


def _flow_counts(reader: GateReader, ctx: CheckContext) -> pd.DataFrame:
    items = reader.qualified(Layer.MART, "fct_work_items")
    visits = reader.qualified(Layer.MART, "fct_stage_visits")
    tickets = reader.qualified(Layer.STAGING, "stg_tickets__tickets")
    as_of = reader.qualified(Layer.MART, "dim_as_of")
    # "stage-changing transitions = visits after each ticket's first" is dbt's error-level test
    # assert_stage_changing_transitions_match_visits, per ticket: the nightly publishes nothing when it fails
    return identities(
        reader,
        [
            ("work items = tickets created by the as-of",
             f"select count(*) from {items}",
             f"select count(distinct ticket_id) from {tickets} where created_at <= (select as_of from {as_of})"),
            ("every work item has stage visits",
             f"select count(*) from {items}",
             f"select count(distinct ticket_id) from {visits}"),
            *raw_state_identity(
                reader, "finished work items = tickets whose latest raw status change goes into a done status of "
                "the map in force", f"select count(*) from {items} where state = 'finished'", "= 'done'"),
        ],
    )


C = "flow.counts_consistent"
FLOW_COUNTS = Suite(
    name=C,
    layer=Layer.MART,
    frame=_flow_counts,
    requires=(
        (Layer.MART, "fct_work_items"),
        (Layer.MART, "fct_stage_visits"),
        (Layer.MART, "dim_as_of"),
        (Layer.STAGING, "stg_tickets__tickets"),
    ),
    checks=(zero(C, "difference", "counts agree across the flow marts, the tickets and the raw status changes"),),
)


def _flow_efficiency(reader: GateReader, ctx: CheckContext) -> pd.DataFrame:
    """fct_work_items.flow_efficiency against the same ratio recomputed from fct_status_intervals: active ÷
    (queue + active + wait) seconds of the intervals between started_at and finished_at of each finished item."""
    items = reader.qualified(Layer.MART, "fct_work_items")
    intervals = reader.qualified(Layer.MART, "fct_status_intervals")
    frame = reader.df(
        "with finished as ("
        f"    select ticket_id, started_at, finished_at, flow_efficiency from {items} "
        "    where state = 'finished' and started_at is not null"
        "), sums as ("
        "    select f.ticket_id, "
        "    sum(case when i.stage_kind = 'active' then i.seconds_in_status else 0 end) as active_seconds, "
        "    sum(case when i.stage_kind in ('queue', 'active', 'wait') then i.seconds_in_status else 0 end) "
        "    as flow_seconds "
        f"    from finished as f inner join {intervals} as i on f.ticket_id = i.ticket_id "
        "    and f.started_at <= i.entered_at and f.finished_at >= i.exited_at group by f.ticket_id"
        "), compared as ("
        "    select f.ticket_id, f.flow_efficiency, "
        "    case when s.flow_seconds > 0 then s.active_seconds / s.flow_seconds end as recomputed "
        "    from finished as f left join sums as s on f.ticket_id = s.ticket_id"
        ") "
        "select count(*) as finished_items, "
        "sum(case when recomputed is not null then 1 else 0 end) as defined_items, "
        "sum(case when recomputed is not null and flow_efficiency is null then 1 else 0 end) as null_when_defined, "
        "sum(case when abs(recomputed - flow_efficiency) > 1e-9 or (recomputed is null and flow_efficiency "
        "is not null) then 1 else 0 end) as value_differs, "
        "min(case when (recomputed is not null and flow_efficiency is null) or abs(recomputed - flow_efficiency) "
        "> 1e-9 or (recomputed is null and flow_efficiency is not null) then ticket_id end) as first_ticket_id "
        "from compared"
    )
    for column in ("finished_items", "defined_items", "null_when_defined", "value_differs"):
        frame[column] = frame[column].fillna(0).astype("int64")
    return frame


E = "flow.flow_efficiency_recomputed"
FLOW_EFFICIENCY = Suite(
    name=E,
    layer=Layer.MART,
    frame=_flow_efficiency,
    requires=((Layer.MART, "fct_work_items"), (Layer.MART, "fct_status_intervals")),
    checks=(
        zero(E, "null_when_defined", "flow_efficiency is not null when the item is finished, has a start and "
             "spent queue, active or wait seconds between start and finish (recomputed from fct_status_intervals)"),
        zero(E, "value_differs", "flow_efficiency equals active ÷ (queue + active + wait) seconds between start "
             "and finish, recomputed from fct_status_intervals"),
    ),
)


# Event columns whose latest value is the build's latest event (dim_as_of.latest_event_at), in the staged views:
# they read every configured source's raw tables as they are now (the contract's schema raw or a connector's).
LATEST_EVENT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("stg_tickets__status_changes", "changed_at"),
    ("stg_tickets__tickets", "created_at"),
    ("stg_deploys__deploys", "deployed_at"),
    ("stg_deploys__incidents", "opened_at"),
    ("stg_deploys__incidents", "resolved_at"),
    ("stg_experiments__events", "occurred_at"),
    ("stg_experiments__exposures", "exposed_at"),
)


def _latest_event(reader: GateReader, ctx: CheckContext) -> pd.DataFrame:
    latest = None
    for relation, column in LATEST_EVENT_COLUMNS:
        if reader.exists(Layer.STAGING, relation):
            value = reader.scalar(f"select max({column}) from {reader.qualified(Layer.STAGING, relation)}")
            if value is not None:
                value = pd.Timestamp(value)
                latest = value if latest is None or value > latest else latest
    built = ctx.latest_event_at
    apart = None
    if latest is not None and built is not None:
        apart = abs((pd.Timestamp(built) - latest).total_seconds())
    elif latest is not None or built is not None:
        apart = float("inf")
    return pd.DataFrame([{"latest_event_at_built": built, "latest_event_at_raw": latest,
                          "seconds_apart": apart}]).astype({"seconds_apart": "float64"})


A = "dim_as_of.matches_raw"
AS_OF_MATCHES_RAW = Suite(
    name=A,
    layer=Layer.MART,
    frame=_latest_event,
    requires=((Layer.MART, "dim_as_of"), (Layer.STAGING, "stg_tickets__status_changes")),
    checks=(
        zero(A, "seconds_apart", "the build's latest event (dim_as_of.latest_event_at) is the latest event in the "
             "raw tables now (read through the staged views of every configured source): the marts were built "
             "from the raw data being checked (every mart keeps events at or before the as-of, so a stale or "
             "wrong as-of shows here)"),
    ),
)

SUITES: tuple[Suite, ...] = (
    QUARANTINE_SHARE,
    UNREADABLE_LINES,
    UNMAPPED_SHARE,
    FRESHNESS,
    VOLUME_ROW_COUNTS,
    VOLUME_DAILY_EVENTS,
    LITTLES_LAW,
    FLOW_COUNTS,
    FLOW_EFFICIENCY,
    AS_OF_MATCHES_RAW,
)
