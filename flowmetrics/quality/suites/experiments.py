"""fct_experiments and fct_experiment_finish_rate, run by the gate when the marts exist.

Every launched experiment has a computed SRM p-value or a stated reason why not (``measurement_issue``: the
first rule of "measured cleanly" that fails); an experiment measured cleanly has an SRM p-value of at least the
project's var ``srm_min_p_value`` (dbt_project.yml, which fct_experiments reads too).
A finished experiment is checked against the raw lifecycle events, and every launch cohort is recomputed from
fct_experiments: rules read off the mart's own row (finished => measured cleanly, launched >= finished) cannot
fail, since the mart defines the one from the other.
"""

from __future__ import annotations

import pandas as pd

from flowmetrics.quality.reader import GateReader
from flowmetrics.quality.suite import (
    CheckContext,
    Layer,
    Suite,
    VolumeKind,
    at_least,
    model_suite,
    non_negative,
    not_null_when,
    rate,
    unique,
    zero,
)
from flowmetrics.quality.suites._derived import recomputed
from flowmetrics.warehouse import dbt_yaml

SRM_CLEAN_MIN_P = float(dbt_yaml.project_var("srm_min_p_value"))
SRM_REASON = "measurement_issue"

E = "fct_experiments"


def _flag(mask: pd.Series) -> pd.Series:
    return mask.fillna(False).astype(bool).astype("int64")


def _derive_experiments(frame: pd.DataFrame, ctx: CheckContext) -> pd.DataFrame:
    frame = frame.copy()
    launched = frame["launched_at"].notna()
    reason = frame[SRM_REASON] if SRM_REASON in frame else pd.Series(pd.NA, index=frame.index, dtype="object")
    has_reason = reason.notna() & (reason.astype("string").str.strip() != "")
    frame["launched_without_srm_p_value_or_reason"] = _flag(launched & frame["srm_p_value"].isna() & ~has_reason)
    clean = frame["measured_cleanly"].fillna(False).astype(bool)
    frame["clean_with_sample_ratio_mismatch"] = _flag(
        clean & ~(frame["srm_p_value"].fillna(-1.0) >= SRM_CLEAN_MIN_P)
    )
    return frame


FCT_EXPERIMENTS = model_suite(
    E,
    Layer.MART,
    volume=VolumeKind.HISTORY,
    key=("experiment_id",),
    columns=("experiment_id", "team", "launched_at", "decided_at", "units_exposed", "srm_p_value",
             "measured_cleanly", "is_finished", "state"),
    optional_columns=(SRM_REASON,),  # read when present, so the rule still says "no reason" without it
    derive=_derive_experiments,
    checks=(
        rate(E, "srm_p_value"),
        non_negative(E, "units_exposed"),
        at_least(E, "decided_at", "launched_at"),
        zero(E, "launched_without_srm_p_value_or_reason",
             "every launched experiment has a computed SRM p-value or a stated reason why not"),
        zero(E, "clean_with_sample_ratio_mismatch",
             f"an experiment measured cleanly has an SRM p-value >= {SRM_CLEAN_MIN_P}"),
    ),
)

R = "fct_experiment_finish_rate"
KEY = ("cohort_month", "team")
COHORT_MEASURES = ("launched", "measured_cleanly", "decided", "shipped", "finished")
FCT_EXPERIMENT_FINISH_RATE = model_suite(
    R,
    Layer.MART,
    volume=VolumeKind.SUMMARY,
    key=KEY,
    columns=(*KEY, "launched", "finish_rate"),
    checks=(
        unique(R, KEY),
        non_negative(R, "launched"),
        rate(R, "finish_rate"),
        not_null_when(R, "finish_rate", "the cohort has launched experiments (finished / launched)",
                      ("launched", ">", 0)),
    ),
)


def _cohorts_vs_experiments(reader: GateReader, ctx: CheckContext) -> pd.DataFrame:
    rates = reader.qualified(Layer.MART, R)
    experiments = reader.qualified(Layer.MART, E)
    month = "cast(date_trunc('month', launched_at) as date)"
    return recomputed(
        reader,
        f"select cast(cohort_month as date) as cohort_month, team, {', '.join(COHORT_MEASURES)} from {rates}",
        f"select {month} as cohort_month, team, count(*) as launched, "
        "sum(case when measured_cleanly then 1 else 0 end) as measured_cleanly, "
        "sum(case when decision is not null then 1 else 0 end) as decided, "
        "sum(case when shipped_at is not null then 1 else 0 end) as shipped, "
        "sum(case when is_finished then 1 else 0 end) as finished "
        f"from {experiments} where launched_at is not null group by {month}, team",
        KEY,
        COHORT_MEASURES,
    )


L = "experiments.cohorts_match_experiments"
COHORTS_MATCH_EXPERIMENTS = Suite(
    name=L,
    layer=Layer.MART,
    frame=_cohorts_vs_experiments,
    requires=((Layer.MART, R), (Layer.MART, E)),
    checks=(
        zero(L, "difference", "launched, measured cleanly, decided, shipped and finished experiments of every "
             "launch cohort equal those recomputed from fct_experiments"),
    ),
)


def _finished_vs_raw_events(reader: GateReader, ctx: CheckContext) -> pd.DataFrame:
    """Per finished experiment, the lifecycle events raw holds at or before the as-of (read through the staged
    view of the raw events, so it holds whichever source the events come from)."""
    experiments = reader.qualified(Layer.MART, E)
    events = reader.qualified(Layer.STAGING, "stg_experiments__events")
    as_of = reader.qualified(Layer.MART, "dim_as_of")
    frame = reader.df(
        "with kept as ("
        f"    select experiment_id, event_type from {events} where occurred_at <= (select as_of from {as_of})"
        "), seen as ("
        "    select experiment_id, "
        "    max(case when event_type = 'launched' then 1 else 0 end) as launched_events, "
        "    max(case when event_type = 'decided' then 1 else 0 end) as decided_events, "
        "    max(case when event_type = 'shipped' then 1 else 0 end) as shipped_events "
        "    from kept group by experiment_id"
        ") "
        "select e.experiment_id, e.decision, coalesce(s.launched_events, 0) as launched_events, "
        "coalesce(s.decided_events, 0) as decided_events, coalesce(s.shipped_events, 0) as shipped_events "
        f"from {experiments} as e left join seen as s on e.experiment_id = s.experiment_id "
        "where e.is_finished order by e.experiment_id"
    )
    ship = frame["decision"].astype("string").fillna("") == "ship"
    missing = (frame["launched_events"] == 0) | (frame["decided_events"] == 0) | (ship & (frame["shipped_events"] == 0))
    frame["finished_without_raw_events"] = missing.astype("int64")
    return frame


X = "experiments.finished_has_raw_events"
FINISHED_HAS_RAW_EVENTS = Suite(
    name=X,
    layer=Layer.MART,
    frame=_finished_vs_raw_events,
    requires=((Layer.MART, E), (Layer.MART, "dim_as_of"), (Layer.STAGING, "stg_experiments__events")),
    checks=(
        zero(X, "finished_without_raw_events", "every finished experiment has, in raw experiment_events at or "
             "before the as-of, a launched event, a decided event, and a shipped event when the decision is ship"),
    ),
)

SUITES: tuple[Suite, ...] = (FCT_EXPERIMENTS, FCT_EXPERIMENT_FINISH_RATE, COHORTS_MATCH_EXPERIMENTS,
                             FINISHED_HAS_RAW_EVENTS)
