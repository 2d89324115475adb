"""Every scenario family plants the answer it claims: the ground truth says so, and so does the run."""

from __future__ import annotations

import numpy as np
import pytest

from flowmetrics.simulation import SimulationResult, simulate
from flowmetrics.simulation.metrics import pool_utilisation, stage_summaries, status_durations, summarise
from flowmetrics.simulation.scenarios import (
    FAMILIES,
    Scenario,
    all_scenarios,
    kanban_limits,
    moving_constraint,
    no_constraint,
    overwhelmed_by_arrivals,
)

SCENARIOS = {s.name: s for s in all_scenarios()}
# constraints that need not queue longest: many people saturated with short queues, a second stage near saturation,
# weekly bursts of work that queue in front of every stage
NOT_THE_LONGEST_QUEUE = {"wide_constraint", "two_saturated", "batch_releases"}
TEAM_BOUND = {"team_bound"}  # the busiest pool, not necessarily the busiest stage, is the constraint
SEED = 21


@pytest.fixture(scope="module")
def runs() -> dict[str, SimulationResult]:
    return {name: simulate(s.config, SEED) for name, s in SCENARIOS.items()}


def test_every_family_is_covered() -> None:
    assert {s.family for s in SCENARIOS.values()} == set(FAMILIES)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_ground_truth_is_what_the_scenario_claims(name: str, runs: dict[str, SimulationResult]) -> None:
    expected, truth = SCENARIOS[name].expected, runs[name].ground_truth
    assert truth.constraint_stage == expected.constraint_stage
    assert truth.constraint_team == expected.constraint_team
    assert truth.kind == expected.kind
    assert set(truth.acceptable_stages) == set(expected.acceptable_stages)
    if expected.kind == "shifting":
        (shift,) = truth.shifts
        assert (shift.at_hours, shift.from_stage, shift.to_stage) == (
            expected.shift_at_hours,
            expected.shift_from,
            expected.shift_to,
        )
    else:
        assert truth.shifts == ()


def _planted(s: Scenario) -> bool:
    return s.expected.constraint_stage is not None and s.expected.kind == "sole"


@pytest.mark.parametrize("name", sorted(n for n, s in SCENARIOS.items() if _planted(s)))
def test_planted_constraint_is_the_busiest_and_queues_most(name: str, runs: dict[str, SimulationResult]) -> None:
    scenario, run = SCENARIOS[name], runs[name]
    start = run.config.warmup_hours
    stages = {s.stage: s for s in stage_summaries(run, start, run.end_hours)}
    if scenario.family in TEAM_BOUND:  # one team's people in a shared stage: the stage's average hides them
        pools = pool_utilisation(run, start, run.end_hours)
        assert max(pools, key=lambda p: pools[p]) == run.ground_truth.constraint_pool, pools
        return
    busiest = max(stages, key=lambda s: stages[s].utilisation)
    assert busiest in scenario.expected.acceptable_stages, stages
    if scenario.family in NOT_THE_LONGEST_QUEUE:
        return
    longest_queue = max(stages, key=lambda s: stages[s].mean_queue_hours)
    assert longest_queue in scenario.expected.acceptable_stages, stages
    mine = stages[scenario.expected.constraint_stage]  # type: ignore[index]
    others = [s for name, s in stages.items() if name not in scenario.expected.acceptable_stages]
    assert mine.mean_queue_hours > 3 * max(s.mean_queue_hours for s in others)
    assert max(stages, key=lambda s: stages[s].queue_share) in scenario.expected.acceptable_stages
    if scenario.expected.constraint_team is not None:
        pools = pool_utilisation(run, start, run.end_hours)
        assert max(pools, key=lambda p: pools[p]) == run.ground_truth.constraint_pool


def _time_in(run: SimulationResult, stage_or_status: str) -> float:
    """Mean hours per item in a stage's statuses (or one status), finished stays only."""
    d = status_durations(run)
    d = d[d["exited_hours"].notna()]
    statuses = [s.name for s in run.config.statuses if stage_or_status in (s.stage, s.name)]
    per_item = d[d["status"].isin(statuses)].groupby("item")["hours"].sum()
    return float(per_item.mean())


@pytest.mark.parametrize("name", ["decoy_long_wait", "decoy_ample_staff", "deploy_trains"])
def test_decoys_are_longer_than_the_constraint_yet_never_queue(name: str, runs: dict[str, SimulationResult]) -> None:
    scenario, run = SCENARIOS[name], runs[name]
    constraint = scenario.expected.constraint_stage
    assert constraint is not None
    for decoy in scenario.expected.decoys:
        assert _time_in(run, decoy) > 2 * _time_in(run, constraint), decoy
        visits = run.visits[run.visits["stage"] == decoy]
        if len(visits):  # a work stage with ample people: no one waits for them
            assert (visits["started_hours"] - visits["queued_hours"]).max() == 0
        else:  # a pure wait: no queue status, no servers
            assert decoy not in {p for pools in run.pools["stages"] for p in pools.split(",")}


def test_no_constraint_keeps_every_stage_well_below_capacity(runs: dict[str, SimulationResult]) -> None:
    run = runs[no_constraint().name]
    assert run.ground_truth.constraint_stage is None
    assert max(run.ground_truth.pool_utilisation.values()) <= 0.5 + 1e-9
    for s in stage_summaries(run, run.config.warmup_hours, run.end_hours):
        assert s.utilisation < 0.65
        assert s.mean_queue_hours < s.mean_active_hours


def test_moving_constraint_moves(runs: dict[str, SimulationResult]) -> None:
    scenario = moving_constraint()
    run = runs[scenario.name]
    at = scenario.expected.shift_at_hours
    assert at is not None
    settle = 48.0
    before = {s.stage: s for s in stage_summaries(run, run.config.warmup_hours, at)}
    after = {s.stage: s for s in stage_summaries(run, at + settle, run.end_hours)}
    assert max(before, key=lambda s: before[s].utilisation) == "review"
    assert max(after, key=lambda s: after[s].utilisation) == "test"
    assert before["review"].mean_queue_hours > 3 * before["test"].mean_queue_hours
    assert after["test"].mean_queue_hours > 3 * after["review"].mean_queue_hours


def _queue_length(run: SimulationResult, stage: str, t: float) -> int:
    v = run.visits[run.visits["stage"] == stage]
    started = v["started_hours"].fillna(np.inf)
    return int(((v["queued_hours"] <= t) & (started > t)).sum())


def test_tripled_arrivals_grow_the_queue_until_the_end(runs: dict[str, SimulationResult]) -> None:
    scenario = overwhelmed_by_arrivals()
    run = runs[scenario.name]
    (change,) = run.config.arrival_changes
    end = run.end_hours
    lengths = [_queue_length(run, "review", change.at_hours + f * (end - change.at_hours)) for f in (0, 0.5, 0.75, 1)]
    assert lengths[0] < 10 and lengths[1] < lengths[2] < lengths[3] and lengths[3] > 100
    before = summarise(run, run.config.warmup_hours)
    review = {s.stage: s for s in stage_summaries(run, change.at_hours + 24, end)}["review"]
    assert review.utilisation > 0.97  # saturated: the reviewers never idle again
    assert before.wip_time_average > 0


def test_demo_constraint_is_code_review_and_blocked_is_a_decoy(demo_result: SimulationResult) -> None:
    run = demo_result
    assert (run.ground_truth.constraint_stage, run.ground_truth.kind) == ("code_review", "sole")
    stages = {s.stage: s for s in stage_summaries(run, run.config.warmup_hours, run.end_hours)}
    assert max(stages, key=lambda s: stages[s].utilisation) == "code_review"
    assert max(stages, key=lambda s: stages[s].mean_queue_hours) == "code_review"
    assert max(stages, key=lambda s: stages[s].queue_share) == "code_review"
    # the decoys: Blocked is the longest status, the backlog as long a wait as the review queue
    d = status_durations(run)
    median = d[d["exited_hours"].notna()].groupby("status", observed=True)["hours"].median()
    assert median.idxmax() == "Blocked"
    assert _time_in(run, "backlog") > 0.7 * _time_in(run, "code_review")
    assert {"Blocked", "Backlog", "Ready to Deploy"} <= set(run.ground_truth.wait_statuses)


def _most_at_once(stays, status: str) -> int:
    """The most items in `status` at once (stays as from status_durations)."""
    mine = stays[stays["status"] == status]
    t = np.concatenate([mine["entered_hours"], mine["entered_hours"] + mine["hours"]])
    d = np.concatenate([np.ones(len(mine)), -np.ones(len(mine))])
    order = np.lexsort((d, t))  # at one instant, leave before enter
    return int(np.cumsum(d[order]).max())


def test_a_kanban_limit_caps_the_queue_and_the_rest_waits_in_the_column_before(
    runs: dict[str, SimulationResult],
) -> None:
    scenario = kanban_limits()
    run = runs[scenario.name]
    test = scenario.config.stage("test")
    stays = status_durations(run)
    assert _most_at_once(stays, "Ready for Test") == test.wip_limit == 3
    overflow = stays[stays["status"] == test.overflow_status]
    assert len(overflow) > 100 and _most_at_once(stays, "Review Done") > 3 * test.wip_limit
    # oldest first: the overflow empties in the order it filled
    left = overflow.dropna(subset=["exited_hours"]).sort_values("entered_hours")["exited_hours"].to_numpy()
    assert (np.diff(left) >= 0).all()
    assert {(s.name, s.stage, s.kind) for s in test.statuses} >= {("Review Done", "test", "queue")}
