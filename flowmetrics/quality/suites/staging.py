"""Suites over the staging models (renamed and cast raw tables): keys, enums and not-nulls as each model's YAML
states them (``model_suite``), and timestamps not in the future after the casts."""

from __future__ import annotations

from flowmetrics.quality.suite import Check, Layer, Suite, model_suite, not_future


def _suite(name: str, columns: tuple[str, ...], key: tuple[str, ...], *extra: Check) -> Suite:
    return model_suite(name, Layer.STAGING, columns=columns, key=key, checks=extra)


S = "stg_tickets__tickets"
C = "stg_tickets__status_changes"
M = "stg_tickets__status_map"
D = "stg_deploys__deploys"
INC = "stg_deploys__incidents"
E = "stg_experiments__events"

SUITES: tuple[Suite, ...] = (
    _suite(S, ("ticket_id", "team", "created_at"), ("ticket_id",), not_future(S, "created_at")),
    _suite(C, ("change_id", "ticket_id", "changed_at", "to_status"), ("change_id",), not_future(C, "changed_at")),
    _suite(M, ("raw_status", "stage", "stage_kind"), ("raw_status",)),
    _suite(D, ("deploy_id", "deployed_at", "deploy_status"), ("deploy_id",), not_future(D, "deployed_at")),
    _suite(
        INC,
        ("incident_id", "opened_at", "resolved_at"),
        ("incident_id",),
        not_future(INC, "opened_at"),
        not_future(INC, "resolved_at"),
    ),
    _suite(
        E,
        ("event_id", "experiment_id", "event_type", "occurred_at"),
        ("event_id",),
        not_future(E, "occurred_at"),
    ),
)
