"""Constraint detection finds the planted answer in every scenario family, through the real pipeline.

The families are built where naive answers fail: long pure waits, a long stage with ample people, rework loops,
deploy trains, staff shared by two stages, a constraint that moves, no constraint at all, and a queue that tripled
arrivals overwhelm. Sizes are small (800-1200 tickets each); bench/bench_detection.py sweeps many seeds.
"""

from __future__ import annotations

import math

import pytest

from flowmetrics.simulation import FAMILIES, all_scenarios
from tests.python.detection.conftest import Detected
from tests.python.detection.scenario_warehouse import judge

NAMES = sorted(s.name for s in all_scenarios())


def test_every_family_is_in_the_suite(detected: dict[str, Detected]) -> None:
    assert {d.run.scenario.family for d in detected.values()} == set(FAMILIES)


@pytest.mark.parametrize("name", NAMES)
def test_the_verdict_is_the_planted_answer(name: str, detected: dict[str, Detected]) -> None:
    d = detected[name]
    expected, f = d.run.scenario.expected, d.finding
    j = judge(d.run, f)
    got = (f.constraint_stage, f.constraint_team, f.kind, [(s.at, s.from_stage, s.to_stage) for s in f.shifts])
    assert j.stage_ok, got
    assert j.kind_ok, got
    assert j.team_ok, got
    assert j.shift_ok, (got, j.shift_error_days)
    if expected.constraint_stage is not None:
        assert f.confidence >= 0.8
        assert f.stage(f.constraint_stage).classification == "constraint"


@pytest.mark.parametrize("name", ["decoy_long_wait", "decoy_ample_staff", "deploy_trains"])
def test_the_longest_stage_is_a_delay_not_the_constraint(name: str, detected: dict[str, Detected]) -> None:
    """The trap: time alone would name the decoy."""
    d = detected[name]
    f = d.finding
    timed = [v for v in f.stages if not math.isnan(v.signals.median_hours)]
    longest = max(timed, key=lambda v: v.signals.median_hours)
    assert longest.stage != d.run.scenario.expected.constraint_stage
    assert longest.classification == "delay"
    decoy_stages = {s.stage for s in f.stages} & set(d.run.scenario.expected.decoys)
    for stage in decoy_stages:
        assert f.stage(stage).classification == "delay", stage
    assert f.stage("backlog").classification != "constraint"


def test_no_constraint_says_none_with_low_confidence(detected: dict[str, Detected]) -> None:
    f = detected["no_constraint"].finding
    assert (f.constraint_stage, f.kind) == (None, "none")
    assert f.confidence < 0.5
    assert all(v.classification != "constraint" for v in f.stages)
    assert all(w.constraint_stage is None for w in f.windows)


def test_the_moving_constraint_shifts_once_within_a_window(detected: dict[str, Detected]) -> None:
    d = detected["moving_constraint"]
    (shift,) = d.finding.shifts
    assert (shift.from_stage, shift.to_stage) == ("review", "test")
    assert judge(d.run, d.finding).shift_error_days <= 7
    assert d.finding.windows[0].constraint_stage in ("review", None)
    assert d.finding.windows[-1].constraint_stage == "test"


def test_a_team_bound_constraint_names_the_team(detected: dict[str, Detected]) -> None:
    f = detected["constraint_at_review_alpha"].finding
    assert (f.constraint_stage, f.constraint_team) == ("review", "alpha")
    top = f.teams[0]
    assert top.team == "alpha" and top.capacity_bound
    assert top.mean_queue_hours > 2 * max(t.mean_queue_hours for t in f.teams[1:])
    # a pool shared by every team makes them wait alike: no team is named
    shared = detected["constraint_at_review"].finding
    assert shared.constraint_team is None and len(shared.teams) == 2


def test_shared_staff_is_one_constraint_not_a_shift(detected: dict[str, Detected]) -> None:
    f = detected["shared_staff"].finding
    assert f.kind == "sole" and f.constraint_stage in ("build", "test")
    assert {v.stage for v in f.stages if v.classification == "constraint"} == {"build", "test"}
