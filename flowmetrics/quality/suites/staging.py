"""Suites over the staging models (renamed and cast raw tables): keys, enums and timestamps after the casts."""

from __future__ import annotations

from flowmetrics.contract import DEPLOY_STATUSES, EXPERIMENT_EVENT_TYPES, STAGE_KINDS
from flowmetrics.quality.suite import Check, Layer, Suite, accepted, not_future, not_null, unique


def _suite(name: str, columns: tuple[str, ...], key: tuple[str, ...], *extra: Check) -> Suite:
    checks = [*(not_null(name, k) for k in key), unique(name, key), *extra]
    return Suite(name=name, layer=Layer.STAGING, relation=name, columns=columns, key=key, checks=tuple(checks))


S = "stg_tickets__tickets"
C = "stg_tickets__status_changes"
M = "stg_tickets__status_map"
D = "stg_deploys__deploys"
INC = "stg_deploys__incidents"
E = "stg_experiments__events"

SUITES: tuple[Suite, ...] = (
    _suite(S, ("ticket_id", "team", "created_at"), ("ticket_id",), not_null(S, "team"), not_future(S, "created_at")),
    _suite(
        C,
        ("change_id", "ticket_id", "changed_at", "to_status"),
        ("change_id",),
        not_null(C, "ticket_id"),
        not_null(C, "to_status"),
        not_future(C, "changed_at"),
    ),
    _suite(M, ("raw_status", "stage", "stage_kind"), ("raw_status",), accepted(M, "stage_kind", STAGE_KINDS)),
    _suite(
        D,
        ("deploy_id", "deployed_at", "deploy_status"),
        ("deploy_id",),
        accepted(D, "deploy_status", DEPLOY_STATUSES),
        not_future(D, "deployed_at"),
    ),
    _suite(
        INC,
        ("incident_id", "opened_at", "resolved_at"),
        ("incident_id",),
        not_null(INC, "opened_at"),
        not_future(INC, "opened_at"),
        not_future(INC, "resolved_at"),
    ),
    _suite(
        E,
        ("event_id", "experiment_id", "event_type", "occurred_at"),
        ("event_id",),
        accepted(E, "event_type", EXPERIMENT_EVENT_TYPES),
        not_future(E, "occurred_at"),
    ),
)
