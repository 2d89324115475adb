"""fct_work_item_finish_rate: one row per start cohort month x team x requested_by x ai_assisted.

Every cohort's counts are recomputed from fct_work_items (another mart): counts read off the cohort row itself
(finished <= started, started = finished + abandoned + still_open) cannot fail, since the mart counts subsets
of the same rows.
"""

from __future__ import annotations

import pandas as pd

from flowmetrics.quality.reader import GateReader
from flowmetrics.quality.suite import (
    CheckContext,
    Layer,
    Suite,
    VolumeKind,
    duration,
    model_suite,
    non_negative,
    not_null_when,
    rate,
    unique,
    zero,
)
from flowmetrics.quality.suites._derived import recomputed

F = "fct_work_item_finish_rate"
KEY = ("cohort_month", "team", "requested_by", "ai_assisted")
MEASURES = ("started", "finished", "abandoned", "still_open")

FCT_WORK_ITEM_FINISH_RATE = model_suite(
    F,
    Layer.MART,
    volume=VolumeKind.SUMMARY,
    key=KEY,
    columns=(*KEY, "started", "finished", "finish_rate", "median_cycle_time_seconds"),
    checks=(
        unique(F, KEY),
        non_negative(F, "started"),
        rate(F, "finish_rate"),
        not_null_when(F, "finish_rate", "the cohort has started items (finished / started)", ("started", ">", 0)),
        duration(F, "median_cycle_time_seconds"),
        not_null_when(F, "median_cycle_time_seconds", "the cohort has finished items (each has a start, so a "
                      "cycle time)", ("finished", ">", 0)),
    ),
)


def _cohorts_vs_items(reader: GateReader, ctx: CheckContext) -> pd.DataFrame:
    rates = reader.qualified(Layer.MART, F)
    items = reader.qualified(Layer.MART, "fct_work_items")
    month = "cast(date_trunc('month', started_at) as date)"
    return recomputed(
        reader,
        f"select cast(cohort_month as date) as cohort_month, team, requested_by, ai_assisted, "
        f"{', '.join(MEASURES)} from {rates}",
        f"select {month} as cohort_month, team, coalesce(requested_by, 'unknown') as requested_by, ai_assisted, "
        "count(*) as started, sum(case when state = 'finished' then 1 else 0 end) as finished, "
        "sum(case when state = 'abandoned' then 1 else 0 end) as abandoned, "
        "sum(case when state = 'open' then 1 else 0 end) as still_open "
        f"from {items} where started_at is not null "
        f"group by {month}, team, coalesce(requested_by, 'unknown'), ai_assisted",
        KEY,
        MEASURES,
    )


C = "finish_rate.cohorts_match_work_items"
COHORTS_MATCH_WORK_ITEMS = Suite(
    name=C,
    layer=Layer.MART,
    frame=_cohorts_vs_items,
    requires=((Layer.MART, F), (Layer.MART, "fct_work_items")),
    checks=(
        zero(C, "difference", "started, finished, abandoned and still-open items of every start cohort equal "
             "those recomputed from fct_work_items"),
    ),
    description="Counts consistent across marts: cohorts of fct_work_item_finish_rate vs fct_work_items.",
)

SUITES: tuple[Suite, ...] = (FCT_WORK_ITEM_FINISH_RATE, COHORTS_MATCH_WORK_ITEMS)
