"""Step functions from interval sweeps: counts, integrals, left/right limits and positive periods."""

from __future__ import annotations

import numpy as np
import pytest

from flowmetrics.analysis.timeline import StepFunction


def test_count_of_overlapping_intervals() -> None:
    f = StepFunction.count(np.array([0.0, 1.0, 1.0, 5.0]), np.array([2.0, 3.0, 4.0, 6.0]))
    assert f.at(np.array([-1.0, 0.0, 1.0, 2.0, 3.5, 4.0, 5.5, 6.0])).tolist() == [0, 1, 3, 2, 1, 0, 1, 0]
    # the left limit leaves out intervals that start exactly then
    assert f.before(np.array([1.0, 2.0, 6.0])).tolist() == [1, 3, 1]


def test_integrals_between_edges() -> None:
    f = StepFunction.count(np.array([0.0, 1.0]), np.array([2.0, 4.0]))
    # 1 on [0,1), 2 on [1,2), 1 on [2,4)
    assert f.integrals(np.array([-5.0, 0.0, 1.5, 3.0, 10.0])).tolist() == pytest.approx([0.0, 2.0, 2.0, 1.0])
    assert f.integral_to(np.array([100.0]))[0] == pytest.approx(5.0)


def test_positive_periods_merge_touching_intervals() -> None:
    f = StepFunction.count(np.array([0.0, 2.0, 5.0]), np.array([2.0, 3.0, 7.0]))
    starts, ends = f.positive_periods()
    assert starts.tolist() == [0.0, 5.0] and ends.tolist() == [3.0, 7.0]
    ind = StepFunction.indicator(starts, ends)
    assert ind.integrals(np.array([0.0, 10.0]))[0] == pytest.approx(5.0)


def test_empty_and_zero_length_intervals() -> None:
    f = StepFunction.count(np.array([1.0]), np.array([1.0]))
    assert len(f.times) == 0
    assert f.at(np.array([1.0]))[0] == 0 and f.integrals(np.array([0.0, 2.0]))[0] == 0
    assert [len(x) for x in f.positive_periods()] == [0, 0]
