"""The `make demo` data gives the finish-rate marts something to say: mature cohorts that lost started work, at
rates that differ, and experiments under the finish-rate line."""

from __future__ import annotations

from pathlib import Path

from flowmetrics.warehouse.dbt_yaml import project_var
from tests.harness.warehouse_query import query_df as read


def test_mature_cohorts_lost_started_work_at_rates_that_differ(make_demo_warehouse: Path) -> None:
    cohorts = read(
        make_demo_warehouse,
        "select cohort_month, sum(started) as started, sum(finished) as finished, sum(abandoned) as abandoned "
        "from main.fct_work_item_finish_rate where is_mature group by cohort_month order by cohort_month",
    )
    assert len(cohorts) >= 3
    rate = cohorts["finished"] / cohorts["started"]
    assert (cohorts["abandoned"] > 0).all()  # started work was given up in every mature cohort
    assert rate.between(0.7, 0.95).all() and rate.max() - rate.min() > 0.08
    abandoned = cohorts["abandoned"].sum() / cohorts["started"].sum()
    assert 0.05 < abandoned < 0.2


def test_experiments_of_mature_cohorts_finish_under_the_line(make_demo_warehouse: Path) -> None:
    mature = read(
        make_demo_warehouse,
        "select sum(launched) as launched, sum(finished) as finished, sum(measured_cleanly) as clean, "
        "sum(decided) as decided from main.fct_experiment_finish_rate where is_mature",
    ).iloc[0]
    assert mature["launched"] >= 30
    assert mature["finished"] / mature["launched"] < project_var("finish_rate_threshold")
    # not measured cleanly and never decided both cost finished experiments
    assert mature["clean"] < mature["launched"] and mature["decided"] < mature["launched"]
