"""Constraint detection finds the planted answer in every scenario family, through the real pipeline.

The families are built where naive answers fail: long pure waits, a long stage with ample people, rework loops,
deploy trains, staff shared by two stages, a constraint that moves, no constraint at all, a queue that tripled
arrivals overwhelm, a stage of many people saturated with short queues (and a shift from or to one), two stages
near saturation at once and work released in weekly batches. Sizes are small (800-1600 tickets each);
bench/bench_detection.py sweeps many seeds and the variants.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from flowmetrics.analysis import detect_constraint, verdict_sentence
from flowmetrics.analysis.detect import MIN_CLASS_AGREEMENT
from flowmetrics.analysis.explain import finding_table
from flowmetrics.analysis.signals import MIN_OCCUPANCY, MIN_QUEUE_NONEMPTY, MIN_WAITING_SHARE
from flowmetrics.simulation import FAMILIES, all_scenarios
from flowmetrics.warehouse.findings import finding_rows
from tests.python.detection.conftest import Detected
from tests.python.detection.scenario_warehouse import judge

NAMES = sorted(s.name for s in all_scenarios(variants=False))


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


def test_a_wide_stage_near_saturation_is_the_constraint_with_short_queues(detected: dict[str, Detected]) -> None:
    """Twenty-four builders at 0.93: the queue rule alone misses them (work waits little next to long work); their
    occupancy finds them."""
    f = detected["wide_constraint_24_at_93"].finding
    assert (f.constraint_stage, f.kind) == ("build", "sole")
    build = f.stage("build")
    assert build.classification == "constraint" and build.rank == 1
    assert build.signals.occupancy >= MIN_OCCUPANCY
    queued = (
        build.signals.queue_nonempty_share >= MIN_QUEUE_NONEMPTY and build.signals.waiting_share >= MIN_WAITING_SHARE
    )
    assert not queued, build.signals
    for v in f.stages:
        if v.stage != "build" and v.signals.has_work:
            assert v.signals.occupancy < build.signals.occupancy, v
    assert build.signals.bound_by == "saturation"
    assert {v.signals.bound_by for v in f.stages if v.classification != "constraint"} == {None}
    sentence = verdict_sentence(f)
    assert sentence.startswith("build is the constraint: its people are saturated: at capacity"), sentence
    table = finding_table(f)
    assert "occupancy" in table and "at cap" in table and "burst" in table
    rows = finding_rows(f, "run", f.as_of)["constraint_stage_signals"]
    (written,) = [r for r in rows if r["scope"] == "overall" and r["stage"] == "build" and r["team"] is None]
    assert written["bound_by"] == "saturation" and written["occupancy"] == build.signals.occupancy
    assert written["at_ceiling_share"] == build.signals.at_ceiling_share
    assert written["burst_response"] == build.signals.burst_response


def test_two_stages_near_saturation_are_both_named(detected: dict[str, Detected]) -> None:
    f = detected["two_saturated"].finding
    (also,) = f.also_saturated
    assert {f.constraint_stage, also.stage} == {"review", "test"}
    assert also.confidence >= 0.5
    assert f.stage(also.stage).classification == "constraint"
    assert f.to_dict()["constraint"]["also_saturated"] == [{"stage": also.stage, "confidence": also.confidence}]
    assert f"Also saturated, less often the bottleneck: {also.stage} ({also.confidence:.2f} confidence)." in (
        verdict_sentence(f)
    )
    # one constraint alone has nothing beside it
    assert detected["constraint_at_review"].finding.also_saturated == ()


def test_the_shift_from_a_wide_stage_to_a_narrow_one_is_reported(detected: dict[str, Detected]) -> None:
    f = detected["wide_to_narrow"].finding
    (shift,) = f.shifts
    assert (shift.from_stage, shift.to_stage) == ("build", "review")
    assert "build" in {w.constraint_stage for w in f.windows if w.end <= shift.at}


def test_confidence_moves_less_than_two_hundredths_with_the_seed(detected: dict[str, Detected]) -> None:
    """On the window whose verdict is the least certain (confidence nearest 0.5, where the Monte Carlo error is
    largest), three seeds agree to within 0.02 of their middle."""
    d, k = min(
        ((d, k) for d in detected.values() for k in range(len(d.finding.windows))),
        key=lambda dk: abs(dk[0].finding.windows[dk[1]].confidence - 0.5),
    )
    confidences = [detect_constraint(d.intervals, d.as_of, seed=seed).windows[k].confidence for seed in (0, 1, 2)]
    assert 0.2 < confidences[0] < 0.8, confidences
    middle = (max(confidences) + min(confidences)) / 2
    assert all(abs(c - middle) <= 0.02 for c in confidences), confidences


def test_a_stage_near_a_cut_is_borderline(detected: dict[str, Detected]) -> None:
    """A stage that is not capacity-bound and whose class fewer than MIN_CLASS_AGREEMENT of the replicates share
    is shown as borderline, not as delay or healthy; every stage the replicates agree on keeps its class."""
    seen = []
    for d in detected.values():
        for v in d.finding.stages:
            if v.classification != "constraint":
                assert (v.classification == "borderline") == (v.confidence < MIN_CLASS_AGREEMENT), (d.run.key, v)
            seen.append(v.classification)
    assert "borderline" in seen and {"delay", "healthy"} <= set(seen)
    assert np.isfinite([v.confidence for d in detected.values() for v in d.finding.stages]).all()
