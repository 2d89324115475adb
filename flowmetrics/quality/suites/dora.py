"""fct_deployments, fct_incidents, fct_dora_weekly and fct_dora_tiers, run by the gate when the marts exist. The
weekly counts are recomputed from fct_deployments and fct_incidents (other marts), so a week that lost or
double-counted deploys or incidents shows; the tiers' allowed values come from the YAML."""

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
from flowmetrics.quality.suites._derived import recomputed

D = "fct_deployments"
FCT_DEPLOYMENTS = model_suite(
    D,
    Layer.MART,
    volume=VolumeKind.HISTORY,
    key=("deploy_id",),
    columns=("deploy_id", "service", "deployed_at", "deploy_status", "restore_source", "lead_time_seconds",
             "time_to_restore_seconds"),
    checks=(
        duration(D, "lead_time_seconds"),
        duration(D, "time_to_restore_seconds"),
    ),
)

I = "fct_incidents"


def _derive_incidents(frame: pd.DataFrame, ctx: CheckContext) -> pd.DataFrame:
    frame = frame.copy()
    restored = frame["is_restored"].fillna(False).astype(bool)
    consistent = (restored == frame["resolved_at"].notna()) & (restored == frame["time_to_restore_seconds"].notna())
    frame["restored_without_resolution"] = (~consistent).astype("int64")
    return frame


FCT_INCIDENTS = model_suite(
    I,
    Layer.MART,
    volume=VolumeKind.HISTORY,
    key=("incident_id",),
    columns=("incident_id", "incident_source", "opened_at", "resolved_at", "is_restored", "time_to_restore_seconds"),
    derive=_derive_incidents,
    checks=(
        at_least(I, "resolved_at", "opened_at"),
        duration(I, "time_to_restore_seconds"),
        zero(I, "restored_without_resolution",
             "an incident is restored exactly when it has a resolved_at and a time to restore"),
    ),
)

W = "fct_dora_weekly"


KEY = ("week_start", "service", "environment")
FCT_DORA_WEEKLY = model_suite(
    W,
    Layer.MART,
    volume=VolumeKind.SUMMARY,
    key=KEY,
    columns=(*KEY, "deployments", "deployment_days", "failed_deployments", "rolled_back_deployments",
             "median_lead_time_seconds", "change_failure_rate", "median_time_to_restore_seconds",
             "ai_assisted_change_failure_rate", "not_ai_assisted_change_failure_rate", "ai_assisted_deployments",
             "not_ai_assisted_deployments", "restore_source"),
    checks=(
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
        "sum(case when is_failure then 1 else 0 end) as failed_deployments, "
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
        zero(C, "difference", "deploys, failed deploys (is_failure) and rolled-back deploys per ISO week x "
             "service x environment equal those recomputed from fct_deployments"),
    ),
)



def _weeks_vs_incidents(reader: GateReader, ctx: CheckContext) -> pd.DataFrame:
    weekly = reader.qualified(Layer.MART, W)
    incidents = reader.qualified(Layer.MART, I)
    week = "cast(date_trunc('week', opened_at) as date)"
    return recomputed(
        reader,
        f"select cast(week_start as date) as week_start, service, environment, incidents_opened, "
        f"unrestored_failures as unrestored_incidents from {weekly} where restore_source = 'incidents'",
        f"select {week} as week_start, attributed_service as service, attributed_environment as environment, "
        "count(*) as incidents_opened, sum(case when is_restored then 0 else 1 end) as unrestored_incidents "
        f"from {incidents} where attributed_environment is not null "
        f"and (attributed_service, attributed_environment) in (select service, environment from {weekly}) "
        f"and {week} >= (select min(week_start) from {weekly} as w where w.service = attributed_service "
        "and w.environment = attributed_environment) "
        f"group by {week}, attributed_service, attributed_environment",
        KEY,
        ("incidents_opened", "unrestored_incidents"),
    )


C_INCIDENTS = "dora.weeks_match_incidents"
WEEKS_MATCH_INCIDENTS = Suite(
    name=C_INCIDENTS,
    layer=Layer.MART,
    frame=_weeks_vs_incidents,
    requires=((Layer.MART, W), (Layer.MART, I)),
    checks=(
        zero(C_INCIDENTS, "difference", "incidents opened and still open per ISO week x service x environment "
             "equal those recomputed from fct_incidents, when the weeks take restore figures from incidents"),
    ),
)

T = "fct_dora_tiers"
TIERS_KEY = ("week_start", "service", "environment", "scope", "team")
FCT_DORA_TIERS = model_suite(
    T,
    Layer.MART,
    volume=VolumeKind.SUMMARY,
    key=TIERS_KEY,
    columns=(*TIERS_KEY, "deployments", "failed_deployments", "change_failure_rate", "median_lead_time_seconds",
             "median_time_to_restore_seconds", "deployment_frequency_tier", "lead_time_tier",
             "change_failure_rate_tier", "time_to_restore_tier", "overall_tier"),
    checks=(
        unique(T, TIERS_KEY),
        at_least(T, "deployments", "failed_deployments"),
        rate(T, "change_failure_rate"),
        not_null_when(T, "change_failure_rate", "the window has deploys", ("deployments", ">", 0)),
        duration(T, "median_lead_time_seconds"),
        duration(T, "median_time_to_restore_seconds"),
    ),
)

SUITES: tuple[Suite, ...] = (FCT_DEPLOYMENTS, FCT_INCIDENTS, FCT_DORA_WEEKLY, FCT_DORA_TIERS,
                             WEEKS_MATCH_DEPLOYMENTS, WEEKS_MATCH_INCIDENTS)
