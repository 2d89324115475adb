"""Summary metrics, replications and the what-if comparison show the theory-of-constraints results."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from flowmetrics.simulation import (
    SimulationConfig,
    SimulationResult,
    constraint_at,
    demo_config,
    no_constraint,
    scale_arrivals,
    scale_capacity,
    simulate,
)
from flowmetrics.simulation.config import HOURS_PER_WEEK
from flowmetrics.simulation.ground_truth import ground_truth, visit_ratios
from flowmetrics.simulation.metrics import compare, estimate, replicate, summarise
from flowmetrics.simulation.scenarios import plant


@pytest.fixture(scope="module")
def whatif_base() -> SimulationConfig:
    """The demo system over a fixed horizon (what-if runs compare rates, not a number of tickets)."""
    return replace(
        demo_config(), items=None, horizon_hours=16 * HOURS_PER_WEEK, experiments=None, warmup_hours=3 * HOURS_PER_WEEK
    )


def test_summary_of_the_saturated_demo(demo_result: SimulationResult) -> None:
    s = summarise(demo_result)
    assert s.start_hours == demo_result.config.warmup_hours
    cfg = demo_result.config
    per_day = sum(d.per_day for d in cfg.demand)
    ai_share = sum(d.per_day * d.ai_share for d in cfg.demand) / per_day
    # the share of the intake that reaches deploy: less the backlog drops and the blocked work dropped
    reach = ai_share * visit_ratios(cfg, True)[-1] + (1 - ai_share) * visit_ratios(cfg, False)[-1]
    # the reviewers' load at the base rate, outside the campaign's surge of demand
    rho = ground_truth(replace(cfg, arrival_changes=()), demo_result.end_hours).pool_utilisation["code_review"]
    assert rho > 1  # demand exceeds what the reviewers can do: they set the pace
    assert s.throughput_per_week == pytest.approx(per_day * 7 * reach / rho, rel=0.12)
    assert s.lead_time_median_hours <= s.lead_time_p85_hours
    assert max(s.stage_utilisation, key=lambda k: s.stage_utilisation[k]) == "code_review"
    assert s.stage_utilisation["code_review"] > 0.85
    with pytest.raises(ValueError, match="warm-up"):
        summarise(demo_result, warmup_hours=demo_result.end_hours + 1)


def test_littles_law_holds_in_a_stable_system() -> None:
    run = simulate(no_constraint(items=1500).config, 3)
    s = summarise(run)
    assert s.wip_littles_law == pytest.approx(s.wip_time_average, rel=0.1)
    assert s.throughput_per_week == pytest.approx(24 * 7 * 0.96, rel=0.1)


def test_estimate_interval() -> None:
    e = estimate([1.0, 2.0, 3.0])
    assert e.mean == 2.0 and e.n == 3
    assert e.low == pytest.approx(2.0 - 4.303 * 1.0 / math.sqrt(3), rel=1e-3)
    single = estimate([5.0])
    assert (single.low, single.high) == (5.0, 5.0)
    assert estimate([]).n == 0


def test_replications_vary_by_seed_and_give_intervals(whatif_base: SimulationConfig) -> None:
    rep = replicate(whatif_base, replications=3, seed=4)
    assert len(rep.runs) == 3
    assert len({r.lead_time_mean_hours for r in rep.runs}) == 3
    for m in rep.metrics.values():
        assert m.low <= m.mean <= m.high and m.n == 3
    assert set(rep.stage_utilisation) == {"development", "code_review", "qa"}
    assert rep.to_dict()["metrics"]["throughput_per_week"]["n"] == 3


def test_replications_in_worker_processes_equal_those_run_here(whatif_base: SimulationConfig) -> None:
    here = replicate(whatif_base, replications=3, seed=9)
    in_workers = replicate(whatif_base, replications=3, seed=9, workers=2)
    assert in_workers.runs == here.runs
    assert in_workers.metrics == here.metrics


def test_a_shared_baseline_gives_the_comparison_a_fresh_one_gives(whatif_base: SimulationConfig) -> None:
    after = scale_capacity(whatif_base, "code_review", 1.3)
    fresh = compare(whatif_base, after, replications=2, seed=5)
    shared = compare(whatif_base, after, replications=2, seed=5, baseline=replicate(whatif_base, 2, seed=5))
    assert shared.change == fresh.change and shared.before.runs == fresh.before.runs
    with pytest.raises(ValueError, match="3 replications, not 2"):
        compare(whatif_base, after, replications=2, seed=5, baseline=replicate(whatif_base, 3, seed=5))


def test_theory_of_constraints_on_an_over_capacity_system() -> None:
    """Review gets 1.2 times the work it can do: only capacity there raises throughput."""
    cfg = plant(constraint_at("review").config, {"review": 1.2})
    cfg = replace(cfg, items=None, horizon_hours=8 * HOURS_PER_WEEK, warmup_hours=HOURS_PER_WEEK)
    at_constraint = compare(cfg, scale_capacity(cfg, "review", 1.3), replications=3, seed=40)
    elsewhere = compare(cfg, scale_capacity(cfg, "build", 1.3), replications=3, seed=40)
    throughput = at_constraint.before.metrics["throughput_per_week"].mean
    gain = at_constraint.change["throughput_per_week"]
    assert gain.low > 0 and gain.mean > 0.1 * throughput
    assert abs(elsewhere.change["throughput_per_week"].mean) < 0.01 * throughput
    assert at_constraint.change["lead_time_mean_hours"].high < 0


def test_on_the_demo_capacity_at_review_moves_throughput_elsewhere_nothing_moves(
    whatif_base: SimulationConfig,
) -> None:
    at_constraint = compare(whatif_base, scale_capacity(whatif_base, "code_review", 1.3), replications=4, seed=1)
    elsewhere = compare(whatif_base, scale_capacity(whatif_base, "qa", 1.3), replications=4, seed=1)
    before = at_constraint.before.metrics
    assert at_constraint.change["throughput_per_week"].mean > 0.03 * before["throughput_per_week"].mean
    assert at_constraint.change["lead_time_mean_hours"].mean < -0.1 * before["lead_time_mean_hours"].mean
    assert abs(elsewhere.change["throughput_per_week"].mean) < 0.02 * before["throughput_per_week"].mean
    assert abs(elsewhere.change["lead_time_mean_hours"].mean) < 0.05 * before["lead_time_mean_hours"].mean


def test_tripled_arrivals_grow_wip_and_lead_time_not_throughput(whatif_base: SimulationConfig) -> None:
    c = compare(whatif_base, scale_arrivals(whatif_base, 3.0), replications=2, seed=2)
    before, after = c.before.metrics, c.after.metrics
    assert after["throughput_per_week"].mean < 1.05 * before["throughput_per_week"].mean
    assert after["wip_time_average"].mean > 5 * before["wip_time_average"].mean
    assert after["lead_time_mean_hours"].mean > 2 * before["lead_time_mean_hours"].mean
    util = c.after.stage_utilisation
    assert util["code_review"].mean > 0.97 and util["qa"].mean < 0.8


def test_scale_capacity_keeps_people_whole_and_capacity_exact(whatif_base: SimulationConfig) -> None:
    review = scale_capacity(whatif_base, "code_review", 1.3).stage("code_review")
    assert review.servers == 2 and review.speed == pytest.approx(1.3)
    dev = scale_capacity(whatif_base, "development", 1.5).stage("development")
    assert dev.team_servers == {"web": 9, "mobile": 6, "platform": 3}
    one_team = scale_capacity(whatif_base, "development", 1.5, team="platform").stage("development")
    assert one_team.team_servers == {"web": 6, "mobile": 4, "platform": 3}
    before = whatif_base.stage("code_review")
    gt_before = scale_capacity(whatif_base, "code_review", 1.0)
    assert gt_before.stage("code_review") == before
    with pytest.raises(ValueError):
        scale_capacity(whatif_base, "code_review", 0)
    with pytest.raises(KeyError):
        scale_capacity(whatif_base, "nope", 1.3)
