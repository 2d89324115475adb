"""Suites over the flow marts of the foundation: dim_as_of, fct_stage_transitions, fct_stage_visits,
fct_status_intervals (the input of detection and the what-if), fct_work_items.

The marts keep only events at or before the as-of, so "not after the as-of" cannot fail on them; what can go
wrong is the as-of itself, so ``dim_as_of.latest_event_at`` is recomputed from the raw tables instead. Each suite's
not-null, unique and accepted-values checks come from the mart's YAML (``model_suite``); the checks here are what
the YAML cannot say."""

from __future__ import annotations

from flowmetrics.quality.suite import (
    Check,
    Layer,
    Suite,
    VolumeKind,
    _gxe,
    at_least,
    duration,
    model_suite,
    non_negative,
    not_future,
    not_null_when,
    rate,
)

A = "dim_as_of"
DIM_AS_OF = model_suite(
    A,
    Layer.MART,
    columns=("as_of", "latest_event_at"),
    volume=VolumeKind.SNAPSHOT,
    checks=(
        Check(  # the YAML's unique as_of, said of the whole table (the suite has no key to count rows by)
            f"{A}.one_row",
            "exactly one row: the as-of of the build",
            lambda ctx: _gxe().ExpectTableRowCountToEqual(value=1),
            threshold=lambda ctx: "1 row",
        ),
        not_future(A, "as_of"),
        not_future(A, "latest_event_at"),
    ),
)

T = "fct_stage_transitions"
FCT_STAGE_TRANSITIONS = model_suite(
    T,
    Layer.MART,
    volume=VolumeKind.HISTORY,
    key=("change_id",),
    columns=("change_id", "ticket_id", "changed_at", "to_stage", "from_stage_kind", "to_stage_kind",
             "seconds_in_from_status"),
    checks=(duration(T, "seconds_in_from_status"),),
)

V = "fct_stage_visits"
FCT_STAGE_VISITS = model_suite(
    V,
    Layer.MART,
    volume=VolumeKind.HISTORY,
    key=("visit_id",),
    columns=("visit_id", "ticket_id", "stage", "visit_number", "entered_at", "exited_at", "queue_seconds",
             "active_seconds", "wait_seconds", "unmapped_seconds"),
    checks=(
        at_least(V, "exited_at", "entered_at"),
        duration(V, "queue_seconds"),
        duration(V, "active_seconds"),
        duration(V, "wait_seconds"),
        duration(V, "unmapped_seconds"),
    ),
)

I = "fct_status_intervals"
FCT_STATUS_INTERVALS = model_suite(
    I,
    Layer.MART,
    volume=VolumeKind.HISTORY,
    key=("status_interval_id",),
    columns=("status_interval_id", "ticket_id", "interval_number", "stage", "stage_kind", "entered_at", "exited_at",
             "seconds_in_status"),
    checks=(
        at_least(I, "exited_at", "entered_at"),
        duration(I, "seconds_in_status"),
        non_negative(I, "interval_number"),
    ),
)

W = "fct_work_items"
FCT_WORK_ITEMS = model_suite(
    W,
    Layer.MART,
    volume=VolumeKind.HISTORY,
    key=("ticket_id",),
    columns=("ticket_id", "team", "created_at", "started_at", "finished_at", "abandoned_at", "state",
             "lead_time_seconds", "cycle_time_seconds", "flow_efficiency", "rework_count", "current_stage_kind",
             "age_seconds", "age_in_stage_seconds"),
    checks=(
        at_least(W, "finished_at", "created_at"),
        duration(W, "lead_time_seconds"),
        duration(W, "cycle_time_seconds"),
        not_null_when(W, "lead_time_seconds", "the item is finished (created_at to finished_at)",
                      ("state", "==", "finished")),
        not_null_when(W, "cycle_time_seconds", "the item is finished and has a start (started_at to finished_at)",
                      ("state", "==", "finished"), ("started_at", "not_null", None)),
        duration(W, "age_seconds"),
        duration(W, "age_in_stage_seconds"),
        rate(W, "flow_efficiency"),
        non_negative(W, "rework_count"),
    ),
)

SUITES: tuple[Suite, ...] = (DIM_AS_OF, FCT_STAGE_TRANSITIONS, FCT_STAGE_VISITS, FCT_STATUS_INTERVALS, FCT_WORK_ITEMS)
