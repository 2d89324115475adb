"""fct_experiments and fct_experiment_finish_rate (issue 3), run by the gate when the marts exist.

Every launched experiment has a computed SRM p-value or a stated reason why not (``measurement_issue``: the
first rule of "measured cleanly" that fails); an experiment measured cleanly has an SRM p-value of at least 0.001.
"""

from __future__ import annotations

import pandas as pd

from flowmetrics.quality.reader import GateReader
from flowmetrics.quality.suite import (
    CheckContext,
    Layer,
    Suite,
    accepted,
    at_least,
    non_negative,
    not_after_as_of,
    not_null,
    rate,
    unique,
    zero,
)
from flowmetrics.quality.suites._derived import identities

SRM_CLEAN_MIN_P = 0.001
SRM_REASON = "measurement_issue"
MEASUREMENT_ISSUES = ("fewer_than_two_variants", "missing_variant", "too_few_units", "sample_ratio_mismatch",
                      "below_min_sample")

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
    frame["finished_but_not_measured_cleanly"] = _flag(frame["is_finished"].fillna(False).astype(bool) & ~clean)
    return frame


FCT_EXPERIMENTS = Suite(
    name=E,
    layer=Layer.MART,
    relation=E,
    key=("experiment_id",),
    columns=("experiment_id", "team", "launched_at", "decided_at", "units_exposed", "srm_p_value",
             "measured_cleanly", "is_finished", "state"),
    optional_columns=(SRM_REASON,),  # read when present, so the rule still says "no reason" without it
    derive=_derive_experiments,
    checks=(
        not_null(E, "experiment_id"),
        unique(E, ("experiment_id",)),
        rate(E, "srm_p_value"),
        accepted(E, SRM_REASON, MEASUREMENT_ISSUES),
        non_negative(E, "units_exposed"),
        not_after_as_of(E, "launched_at"),
        at_least(E, "decided_at", "launched_at"),
        zero(E, "launched_without_srm_p_value_or_reason",
             "every launched experiment has a computed SRM p-value or a stated reason why not"),
        zero(E, "clean_with_sample_ratio_mismatch",
             f"an experiment measured cleanly has an SRM p-value >= {SRM_CLEAN_MIN_P}"),
        zero(E, "finished_but_not_measured_cleanly", "a finished experiment was measured cleanly"),
    ),
)

R = "fct_experiment_finish_rate"
KEY = ("cohort_month", "team")
FCT_EXPERIMENT_FINISH_RATE = Suite(
    name=R,
    layer=Layer.MART,
    relation=R,
    key=KEY,
    columns=(*KEY, "launched", "measured_cleanly", "decided", "shipped", "finished", "finish_rate"),
    checks=(
        not_null(R, "cohort_month"),
        unique(R, KEY),
        non_negative(R, "launched"),
        at_least(R, "launched", "measured_cleanly"),
        at_least(R, "launched", "decided"),
        at_least(R, "launched", "finished"),
        rate(R, "finish_rate"),
    ),
)


def _launched_vs_experiments(reader: GateReader, ctx: CheckContext) -> pd.DataFrame:
    rates = reader.qualified(Layer.MART, R)
    experiments = reader.qualified(Layer.MART, E)
    return identities(
        reader,
        [
            ("launched: sum over cohorts = launched experiments",
             f"select sum(launched) from {rates}",
             f"select count(*) from {experiments} where launched_at is not null"),
            ("finished: sum over cohorts = finished experiments",
             f"select sum(finished) from {rates}",
             f"select count(*) from {experiments} where launched_at is not null and is_finished"),
        ],
    )


L = "experiments.cohorts_sum_to_experiments"
COHORTS_SUM_TO_EXPERIMENTS = Suite(
    name=L,
    layer=Layer.MART,
    frame=_launched_vs_experiments,
    requires=((Layer.MART, R), (Layer.MART, E)),
    checks=(zero(L, "difference", "the sum over launch cohorts equals the launched experiments"),),
)

SUITES: tuple[Suite, ...] = (FCT_EXPERIMENTS, FCT_EXPERIMENT_FINISH_RATE, COHORTS_SUM_TO_EXPERIMENTS)
