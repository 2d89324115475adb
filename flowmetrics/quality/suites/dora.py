"""fct_deployments and fct_dora_weekly (issue 3), run by the gate when the marts exist."""

from __future__ import annotations

from flowmetrics.contract import DEPLOY_STATUSES
from flowmetrics.quality.suite import (
    Layer,
    Suite,
    accepted,
    at_least,
    duration,
    non_negative,
    not_after_as_of,
    not_null,
    rate,
    unique,
    zero,
)

D = "fct_deployments"
FCT_DEPLOYMENTS = Suite(
    name=D,
    layer=Layer.MART,
    relation=D,
    key=("deploy_id",),
    columns=("deploy_id", "service", "deployed_at", "deploy_status", "lead_time_seconds", "time_to_restore_seconds"),
    checks=(
        not_null(D, "deploy_id"),
        unique(D, ("deploy_id",)),
        accepted(D, "deploy_status", DEPLOY_STATUSES),
        not_after_as_of(D, "deployed_at"),
        duration(D, "lead_time_seconds"),
        duration(D, "time_to_restore_seconds"),
    ),
)

W = "fct_dora_weekly"


def _derive(frame, ctx):
    frame = frame.copy()
    failures = frame["failed_deployments"].fillna(0) + frame["rolled_back_deployments"].fillna(0)
    frame["failures_above_deployments"] = (failures - frame["deployments"].fillna(0)).clip(lower=0)
    return frame


KEY = ("week_start", "service", "environment")
FCT_DORA_WEEKLY = Suite(
    name=W,
    layer=Layer.MART,
    relation=W,
    key=KEY,
    columns=(*KEY, "deployments", "deployment_days", "failed_deployments", "rolled_back_deployments",
             "median_lead_time_seconds", "change_failure_rate", "median_time_to_restore_seconds",
             "ai_assisted_change_failure_rate", "not_ai_assisted_change_failure_rate"),
    derive=_derive,
    checks=(
        not_null(W, "week_start"),
        unique(W, KEY),
        non_negative(W, "deployments"),
        at_least(W, "deployments", "deployment_days"),
        rate(W, "change_failure_rate"),
        rate(W, "ai_assisted_change_failure_rate"),
        rate(W, "not_ai_assisted_change_failure_rate"),
        zero(W, "failures_above_deployments", "failed + rolled-back deploys never exceed the deploys of the week"),
        duration(W, "median_lead_time_seconds"),
        duration(W, "median_time_to_restore_seconds"),
    ),
)

SUITES: tuple[Suite, ...] = (FCT_DEPLOYMENTS, FCT_DORA_WEEKLY)
