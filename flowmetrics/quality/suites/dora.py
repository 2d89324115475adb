"""fct_deployments and fct_dora_weekly, run by the gate when the marts exist. The weekly counts are recomputed
from fct_deployments (another mart), so a week that lost or double-counted deploys shows."""

from __future__ import annotations

import pandas as pd

from flowmetrics.contract import DEPLOY_STATUSES
from flowmetrics.quality.reader import GateReader
from flowmetrics.quality.suite import (
    CheckContext,
    Layer,
    Suite,
    VolumeKind,
    accepted,
    at_least,
    duration,
    non_negative,
    not_null,
    not_null_when,
    rate,
    unique,
    zero,
)
from flowmetrics.quality.suites._derived import recomputed

D = "fct_deployments"
FCT_DEPLOYMENTS = Suite(
    name=D,
    layer=Layer.MART,
    relation=D,
    volume=VolumeKind.HISTORY,
    key=("deploy_id",),
    columns=("deploy_id", "service", "deployed_at", "deploy_status", "lead_time_seconds", "time_to_restore_seconds"),
    checks=(
        not_null(D, "deploy_id"),
        unique(D, ("deploy_id",)),
        accepted(D, "deploy_status", DEPLOY_STATUSES),
        duration(D, "lead_time_seconds"),
        duration(D, "time_to_restore_seconds"),
    ),
)

W = "fct_dora_weekly"


KEY = ("week_start", "service", "environment")
FCT_DORA_WEEKLY = Suite(
    name=W,
    layer=Layer.MART,
    relation=W,
    volume=VolumeKind.SUMMARY,
    key=KEY,
    columns=(*KEY, "deployments", "deployment_days", "failed_deployments", "rolled_back_deployments",
             "median_lead_time_seconds", "change_failure_rate", "median_time_to_restore_seconds",
             "ai_assisted_change_failure_rate", "not_ai_assisted_change_failure_rate", "ai_assisted_deployments",
             "not_ai_assisted_deployments"),
    checks=(
        not_null(W, "week_start"),
        unique(W, KEY),
        non_negative(W, "deployments"),
        at_least(W, "deployments", "deployment_days"),
        rate(W, "change_failure_rate"),
        rate(W, "ai_assisted_change_failure_rate"),
        rate(W, "not_ai_assisted_change_failure_rate"),
        not_null_when(W, "change_failure_rate", "the week has deploys", ("deployments", ">", 0)),
        not_null_when(W, "ai_assisted_change_failure_rate", "the week has AI-assisted deploys",
                      ("ai_assisted_deployments", ">", 0)),
        not_null_when(W, "not_ai_assisted_change_failure_rate", "the week has deploys not AI-assisted",
                      ("not_ai_assisted_deployments", ">", 0)),
        duration(W, "median_lead_time_seconds"),
        duration(W, "median_time_to_restore_seconds"),
    ),
)



def _weeks_vs_deployments(reader: GateReader, ctx: CheckContext) -> pd.DataFrame:
    weekly = reader.qualified(Layer.MART, W)
    deployments = reader.qualified(Layer.MART, D)
    week = "cast(date_trunc('week', deployed_at) as date)"
    return recomputed(
        reader,
        f"select cast(week_start as date) as week_start, service, environment, deployments, failed_deployments, "
        f"rolled_back_deployments from {weekly} where deployments > 0",
        f"select {week} as week_start, service, environment, count(*) as deployments, "
        "sum(case when deploy_status in ('failed', 'rolled_back') then 1 else 0 end) as failed_deployments, "
        "sum(case when deploy_status = 'rolled_back' then 1 else 0 end) as rolled_back_deployments "
        f"from {deployments} group by {week}, service, environment",
        KEY,
        ("deployments", "failed_deployments", "rolled_back_deployments"),
    )


C = "dora.weeks_match_deployments"
WEEKS_MATCH_DEPLOYMENTS = Suite(
    name=C,
    layer=Layer.MART,
    frame=_weeks_vs_deployments,
    requires=((Layer.MART, W), (Layer.MART, D)),
    checks=(
        zero(C, "difference", "deploys, failed (failed or rolled back) and rolled-back deploys per ISO week x "
             "service x environment equal those recomputed from fct_deployments"),
    ),
)

SUITES: tuple[Suite, ...] = (FCT_DEPLOYMENTS, FCT_DORA_WEEKLY, WEEKS_MATCH_DEPLOYMENTS)
