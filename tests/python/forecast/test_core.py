"""The pure forecast core on hand-made frames: throughput sampling, the quantiles' reading, the as-of cut, the
scope, thin data; and the simulation run forward from the items in the flow."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from flowmetrics.analysis.forecast import (
    count_quantiles,
    daily_throughput,
    finish_times,
    items_in_flow,
    scope_mask,
    throughput_forecast,
)
from flowmetrics.errors import ConfigError
from flowmetrics.simulation.config import Demand, InitialItem, SimulationConfig, WaitStep, WorkStage
from flowmetrics.simulation.distributions import fixed
from flowmetrics.simulation.forecast import simulated_counts, simulated_days

AS_OF = pd.Timestamp("2026-03-01 00:00:00")


def finishes(per_day: list[int], weeks: int = 12) -> pd.Series:
    """Finish times: per_day[k % len] items on each of the weeks*7 days before AS_OF, at noon."""
    days = weeks * 7
    stamps = [AS_OF - pd.Timedelta(days=days - d) + pd.Timedelta(hours=12)
              for d in range(days) for _ in range(per_day[d % len(per_day)])]
    return pd.Series(pd.to_datetime(stamps))


def test_a_constant_two_a_day_finishes_ten_items_in_five_days():
    f = throughput_forecast(finishes([2]), AS_OF, history_days=365, items=10, seed=1)
    assert f.status == "ok" and f.days == {"p50": 5.0, "p85": 5.0, "p95": 5.0}
    assert f.dates == {"p50": "2026-03-06", "p85": "2026-03-06", "p95": "2026-03-06"}
    counts = throughput_forecast(finishes([2]), AS_OF, history_days=365, horizon_days=14, seed=1)
    assert counts.items == {"p5": 28, "p50": 28, "p85": 28, "p95": 28}


def test_days_without_finishes_are_drawn_too():
    # 4 on even days, none on odd ones: 2 a day on average; dropping the zero days would double the forecast
    f = throughput_forecast(finishes([4, 0]), AS_OF, history_days=365, horizon_days=10, seed=2)
    assert f.basis["zero_days"] == 42 and f.basis["mean_per_day"] == pytest.approx(2.0)
    assert f.items is not None and 16 <= f.items["p50"] <= 24
    assert f.items["p95"] <= f.items["p85"] <= f.items["p50"] <= f.items["p5"]
    assert f.items["p95"] < f.items["p5"]  # the zeros make it uncertain


def test_each_day_is_drawn_from_its_own_weekday():
    # two a day on weekdays, none at weekends: any 14 days hold exactly ten weekdays, so exactly 20 items
    data = finishes([2, 2, 2, 2, 2, 0, 0])
    f = throughput_forecast(data, AS_OF, history_days=365, horizon_days=14, seed=4)
    assert f.items == {"p5": 20, "p50": 20, "p85": 20, "p95": 20}
    # the sample ends on its weekend, so the next five days are weekdays: 10 items, then the weekend adds none
    assert throughput_forecast(data, AS_OF, history_days=365, horizon_days=7, seed=4).items["p5"] == 10
    assert throughput_forecast(data, AS_OF, history_days=365, items=11, seed=4).days == {
        "p50": 8.0, "p85": 8.0, "p95": 8.0}


def test_the_same_seed_gives_the_same_forecast_and_another_seed_may_not():
    data = finishes([3, 0, 1, 5, 0, 2])
    a = throughput_forecast(data, AS_OF, history_days=365, items=60, seed=7)
    assert a == throughput_forecast(data, AS_OF, history_days=365, items=60, seed=7)
    draws = {throughput_forecast(data, AS_OF, history_days=365, horizon_days=3, trials=50, seed=s).items["p50"]
             for s in range(10)}
    assert len(draws) > 1


def test_pxx_of_a_count_is_the_number_finished_at_least_that_often():
    counts = np.arange(100)  # 0..99 equally likely
    q = count_quantiles(counts)
    assert q == {"p5": 95, "p50": 50, "p85": 15, "p95": 5}
    for name, likelihood in (("p50", 0.50), ("p85", 0.85), ("p95", 0.95)):
        assert (counts >= q[name]).mean() >= likelihood


def test_data_after_the_as_of_is_not_used():
    intervals = pd.DataFrame({
        "ticket_id": ["a", "a", "b", "b", "c", "c", "c"],
        "interval_number": [1, 2, 1, 2, 1, 2, 3],
        "stage_kind": ["active", "done", "active", "done", "active", "done", "active"],
        "entered_at": pd.to_datetime(["2026-02-20", "2026-02-25", "2026-02-20", "2026-03-02",
                                      "2026-02-20", "2026-02-26", "2026-03-03"]),
        "exited_at": pd.to_datetime(["2026-02-25", None, "2026-03-02", None, "2026-02-26", "2026-03-03", None]),
    })
    done = finish_times(intervals, AS_OF)
    # b finishes after the as-of; c was done at the as-of and reopened only later
    assert done.to_dict() == {"a": pd.Timestamp("2026-02-25"), "c": pd.Timestamp("2026-02-26")}
    assert set(finish_times(intervals, pd.Timestamp("2026-03-05")).index) == {"a", "b"}
    later = pd.Series(pd.to_datetime(["2026-02-28 12:00:00", "2026-03-01 00:00:01", "2026-03-04 00:00:00"]))
    assert daily_throughput(later, AS_OF, 3).tolist() == [0, 0, 1]


def test_the_scope_keeps_its_items_and_an_unknown_value_lists_the_known_ones():
    items = pd.DataFrame({"team": ["core", "web", None], "requested_by": ["growth", "growth", "product"],
                          "ticket_type": ["bug", "story", "story"]})
    assert scope_mask(items, {"team": "web", "requested_by": "growth", "ticket_type": None}).tolist() == [
        False, True, False]
    with pytest.raises(ConfigError, match=r"--requested-by 'sales' is not in fct_work_items.requested_by; "
                                          r"known: growth, product") as raised:
        scope_mask(items, {"requested_by": "sales"})
    assert raised.value.exit_code == 2


def test_thin_data_is_insufficient_not_a_wild_forecast():
    thin = finishes([1, 0, 0, 0, 0, 0, 0], weeks=1)  # one item in the week before the as-of
    f = throughput_forecast(thin, AS_OF, history_days=365, items=30)
    assert f.status == "insufficient_data" and f.days is None and f.items is None
    assert f.reason == "1 item(s) finished in the 84 days before the as-of; throughput sampling needs at least 10"


def _system(initial: int) -> SimulationConfig:
    """One reviewer taking 6 hours an item; a trickle of new work (one a week)."""
    return SimulationConfig(
        demand=(Demand("product", 1 / 7, {"core": 1.0}),),
        steps=(WaitStep("backlog", 1, "Backlog", fixed(1.0), kind="queue"),
               WorkStage("review", 2, "In Review", fixed(6.0), servers=1)),
        horizon_hours=24.0,
        initial_wip=tuple(InitialItem("review", "core", "product") for _ in range(initial)),
    )


def test_the_simulation_runs_forward_from_the_items_in_the_flow():
    # 20 items queued at review, one person at 6 h each: 4 finish a day, 20 take 5 days
    counts = simulated_counts(_system(20), 3, scope={}, replications=3)
    assert counts.tolist() == [12, 12, 12]
    assert simulated_days(_system(20), 20, scope={}, replications=3).tolist() == [5.0, 5.0, 5.0]
    assert simulated_counts(_system(0), 3, scope={}, replications=3).max() <= 2
    assert simulated_counts(_system(20), 3, scope={"team": "web"}, replications=3).tolist() == [0, 0, 0]


def test_items_in_flow_are_where_they_are_at_the_as_of():
    intervals = pd.DataFrame({
        "ticket_id": ["a", "a", "b", "c"],
        "stage": ["dev", "review", "dev", "unmapped"],
        "entered_at": pd.to_datetime(["2026-02-20", "2026-02-25", "2026-03-02", "2026-02-01"]),
        "exited_at": pd.to_datetime(["2026-02-25", None, None, None]),
    })
    items = pd.DataFrame({"ticket_id": ["a", "b", "c"], "team": ["core", "core", None],
                          "requested_by": [None, "growth", "growth"], "ai_assisted": [True, None, False]})
    flowing = items_in_flow(intervals, items, AS_OF, ["dev", "review"])
    assert flowing.to_dict("records") == [
        {"ticket_id": "a", "stage": "review", "team": "core", "requested_by": "(unknown)", "ai_assisted": True}]


def test_by_a_date_counts_the_whole_days_to_the_end_of_that_day():
    from datetime import date

    from flowmetrics.steps.forecast import Question

    as_of = pd.Timestamp("2026-02-07 07:13")
    assert Question(by=date(2026, 2, 20)).horizon_days(as_of) == 14  # 13.7 days, to midnight after the 20th
    assert Question(by=date(2026, 2, 7)).horizon_days(as_of) == 1
    assert Question(days=5).horizon_days(as_of) == 5 and Question(items=3).horizon_days(as_of) is None
    with pytest.raises(ConfigError, match="--by 2026-02-06 is not after the as-of"):
        Question(by=date(2026, 2, 6)).horizon_days(as_of)


def test_items_that_would_take_beyond_ten_years_have_no_date():
    slow = finishes([1] + [0] * 6)  # one item a week
    f = throughput_forecast(slow, AS_OF, history_days=365, items=600, trials=100)
    assert f.status == "ok" and f.days == {"p50": None, "p85": None, "p95": None}
    assert f.dates == {"p50": None, "p85": None, "p95": None}
    assert throughput_forecast(slow, AS_OF, history_days=365, items=52, trials=100).days["p95"] <= 371
