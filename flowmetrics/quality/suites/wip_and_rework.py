"""fct_stage_daily, fct_open_work_items, fct_rework, fct_rework_rate, fct_shipped_decisions and fct_cycle_time_sle,
run by the gate when the marts exist."""

from __future__ import annotations

import pandas as pd

from flowmetrics.quality.reader import GateReader
from flowmetrics.quality.suite import (
    CheckContext,
    Layer,
    Suite,
    VolumeKind,
    at_least,
    duration,
    model_suite,
    non_negative,
    not_null_when,
    rate,
    unique,
    zero,
)
from flowmetrics.quality.suites._derived import STAGED_TICKET_RELATIONS, identities, raw_state_identity

D = "fct_stage_daily"
FCT_STAGE_DAILY = model_suite(
    D,
    Layer.MART,
    volume=VolumeKind.SUMMARY,
    key=("date_day", "stage"),
    columns=("date_day", "stage", "arrivals", "departures", "wip_end_of_day", "queue_wip", "avg_wip_age_seconds",
             "p85_wip_age_seconds"),
    checks=(
        unique(D, ("date_day", "stage")),
        non_negative(D, "arrivals"),
        non_negative(D, "departures"),
        non_negative(D, "wip_end_of_day"),
        non_negative(D, "queue_wip"),
        at_least(D, "wip_end_of_day", "queue_wip"),
        duration(D, "avg_wip_age_seconds"),
        duration(D, "p85_wip_age_seconds"),
    ),
)

O = "fct_open_work_items"
FCT_OPEN_WORK_ITEMS = model_suite(
    O,
    Layer.MART,
    volume=VolumeKind.SNAPSHOT,
    key=("ticket_id",),
    columns=("ticket_id", "team", "current_stage", "current_stage_kind", "created_at", "entered_current_stage_at",
             "age_in_stage_seconds", "age_seconds", "age_since_created_seconds"),
    checks=(
        duration(O, "age_in_stage_seconds"),
        duration(O, "age_seconds"),
        duration(O, "age_since_created_seconds"),
    ),
)


def _open_vs_raw(reader: GateReader, ctx: CheckContext) -> pd.DataFrame:
    """The backlog against the raw changes: fct_open_work_items keeps the work items in state open, so comparing the
    two marts cannot fail; the tickets whose latest raw status (as staged, from every source) is neither done nor
    abandoned can disagree."""
    opened = reader.qualified(Layer.MART, O)
    return identities(reader, raw_state_identity(
        reader, "open work items = tickets whose latest raw status change (if any) goes into a status that is "
        "not done or abandoned in the map in force", f"select count(*) from {opened}",
        "not in ('done', 'abandoned')"))


C = "flow.open_items_consistent"
OPEN_ITEMS_CONSISTENT = Suite(
    name=C,
    layer=Layer.MART,
    frame=_open_vs_raw,
    requires=((Layer.MART, O), (Layer.MART, "dim_as_of"),
              *((Layer.STAGING, name) for name in STAGED_TICKET_RELATIONS)),
    checks=(zero(C, "difference", "the unified backlog holds exactly the tickets that are open in raw"),),
)

R = "fct_rework"
FCT_REWORK = model_suite(
    R,
    Layer.MART,
    volume=VolumeKind.HISTORY,
    key=("ticket_id", "rework_number"),
    columns=("ticket_id", "rework_number", "moved_at", "loop_outcome", "loop_ended_at", "seconds_lost"),
    checks=(
        unique(R, ("ticket_id", "rework_number")),
        at_least(R, "loop_ended_at", "moved_at"),
        duration(R, "seconds_lost"),
    ),
)

RR = "fct_rework_rate"
FCT_REWORK_RATE = model_suite(
    RR,
    Layer.MART,
    volume=VolumeKind.SUMMARY,
    key=("team", "ai_assisted"),
    columns=("team", "ai_assisted", "started_work_items", "reworked_work_items", "rework_rate",
             "finished_work_items", "finished_reworked_work_items", "finished_rework_rate", "seconds_lost_in_rework"),
    checks=(
        unique(RR, ("team", "ai_assisted")),
        non_negative(RR, "started_work_items"),
        at_least(RR, "started_work_items", "reworked_work_items"),
        at_least(RR, "finished_work_items", "finished_reworked_work_items"),
        rate(RR, "rework_rate"),
        rate(RR, "finished_rework_rate"),
        not_null_when(RR, "rework_rate", "the row has started work items", ("started_work_items", ">", 0)),
        not_null_when(RR, "finished_rework_rate", "the row has finished work items", ("finished_work_items", ">", 0)),
        non_negative(RR, "seconds_lost_in_rework"),
    ),
)

S = "fct_shipped_decisions"
FCT_SHIPPED_DECISIONS = model_suite(
    S,
    Layer.MART,
    volume=VolumeKind.SUMMARY,
    key=("week_start", "team"),
    columns=("week_start", "team", "experiments_launched", "shipped_decisions", "cleanly_stopped_decisions",
             "finished_decisions"),
    checks=(
        unique(S, ("week_start", "team")),
        non_negative(S, "experiments_launched"),
        non_negative(S, "shipped_decisions"),
        non_negative(S, "cleanly_stopped_decisions"),
        non_negative(S, "finished_decisions"),
    ),
)

L = "fct_cycle_time_sle"
SLE_KEY = ("sle_scope", "ticket_type")
FCT_CYCLE_TIME_SLE = model_suite(
    L,
    Layer.MART,
    # the trailing window's lines: a ticket type without finished items in it has no row, so rows come and go
    volume=VolumeKind.SNAPSHOT,
    key=SLE_KEY,
    columns=(*SLE_KEY, "window_start", "window_end", "finished_items", "p50_cycle_time_seconds",
             "p85_cycle_time_seconds", "p95_cycle_time_seconds"),
    checks=(
        unique(L, SLE_KEY),
        non_negative(L, "finished_items"),
        duration(L, "p50_cycle_time_seconds"),
        duration(L, "p85_cycle_time_seconds"),
        duration(L, "p95_cycle_time_seconds"),
        at_least(L, "p85_cycle_time_seconds", "p50_cycle_time_seconds"),
        at_least(L, "p95_cycle_time_seconds", "p85_cycle_time_seconds"),
    ),
)

SUITES: tuple[Suite, ...] = (
    FCT_STAGE_DAILY,
    FCT_OPEN_WORK_ITEMS,
    OPEN_ITEMS_CONSISTENT,
    FCT_REWORK,
    FCT_REWORK_RATE,
    FCT_SHIPPED_DECISIONS,
    FCT_CYCLE_TIME_SLE,
)
