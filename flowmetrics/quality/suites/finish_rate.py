"""fct_work_item_finish_rate (issue 3): one row per start cohort month x team x requested_by x ai_assisted.

Run by the gate when the mart exists; reported as "not built" otherwise. Column names follow issue 3.
"""

from __future__ import annotations

from flowmetrics.quality.reader import GateReader
from flowmetrics.quality.suite import (
    CheckContext,
    Layer,
    Suite,
    at_least,
    duration,
    non_negative,
    not_null,
    rate,
    unique,
    zero,
)
from flowmetrics.quality.suites._derived import identities

F = "fct_work_item_finish_rate"
KEY = ("cohort_month", "team", "requested_by", "ai_assisted")


def _derive(frame, ctx: CheckContext):
    frame = frame.copy()
    frame["unaccounted_items"] = frame["started"] - frame["finished"] - frame["abandoned"] - frame["still_open"]
    return frame


FCT_WORK_ITEM_FINISH_RATE = Suite(
    name=F,
    layer=Layer.MART,
    relation=F,
    key=KEY,
    columns=(*KEY, "started", "finished", "abandoned", "still_open", "finish_rate", "median_cycle_time_seconds"),
    derive=_derive,
    checks=(
        not_null(F, "cohort_month"),
        unique(F, KEY),
        non_negative(F, "started"),
        non_negative(F, "finished"),
        at_least(F, "started", "finished"),
        at_least(F, "started", "abandoned"),
        at_least(F, "started", "still_open"),
        zero(F, "unaccounted_items", "started = finished + abandoned + still_open in every cohort"),
        rate(F, "finish_rate"),
        duration(F, "median_cycle_time_seconds"),
    ),
)


def _cohorts_vs_items(reader: GateReader, ctx: CheckContext):
    rates = reader.qualified(Layer.MART, F)
    items = reader.qualified(Layer.MART, "fct_work_items")
    return identities(
        reader,
        [
            ("started: sum over cohorts = work items started",
             f"select sum(started) from {rates}",
             f"select count(*) from {items} where started_at is not null"),
            ("finished: sum over cohorts = started work items finished",
             f"select sum(finished) from {rates}",
             f"select count(*) from {items} where started_at is not null and state = 'finished'"),
        ],
    )


C = "finish_rate.cohorts_sum_to_work_items"
COHORTS_SUM_TO_WORK_ITEMS = Suite(
    name=C,
    layer=Layer.MART,
    frame=_cohorts_vs_items,
    requires=((Layer.MART, F), (Layer.MART, "fct_work_items")),
    checks=(zero(C, "difference", "the sum over start cohorts equals the work-item total"),),
    description="Counts consistent across marts: cohorts of fct_work_item_finish_rate vs fct_work_items.",
)

SUITES: tuple[Suite, ...] = (FCT_WORK_ITEM_FINISH_RATE, COHORTS_SUM_TO_WORK_ITEMS)
