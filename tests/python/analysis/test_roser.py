"""Roser's active-period method: the longest uninterrupted active period is the momentary bottleneck; where the
periods of consecutive bottlenecks overlap, both are shifting bottlenecks."""

from __future__ import annotations

import numpy as np
import pytest

from flowmetrics.analysis.roser import momentary_bottlenecks


def _share(f, lo: float, hi: float) -> float:
    return float(f.integrals(np.array([lo, hi]))[0])


def test_sole_and_shifting_bottlenecks() -> None:
    # A active [0, 10), B active [8, 20) (longer): B takes over at 8; [8, 10) is the overlap: shifting for both.
    # C active [12, 13): shorter than B's period, never the bottleneck.
    a = (np.array([0.0]), np.array([10.0]))
    b = (np.array([8.0]), np.array([20.0]))
    c = (np.array([12.0]), np.array([13.0]))
    bn = momentary_bottlenecks([a, b, c])
    assert _share(bn.sole[0], 0, 30) == pytest.approx(8.0)
    assert _share(bn.shifting[0], 0, 30) == pytest.approx(2.0)
    assert _share(bn.sole[1], 0, 30) == pytest.approx(10.0)
    assert _share(bn.shifting[1], 0, 30) == pytest.approx(2.0)
    assert _share(bn.sole[2], 0, 30) == 0 and _share(bn.shifting[2], 0, 30) == 0


def test_no_overlap_no_shifting_and_idle_time_has_no_bottleneck() -> None:
    bn = momentary_bottlenecks([(np.array([0.0]), np.array([5.0])), (np.array([7.0]), np.array([9.0]))])
    assert _share(bn.sole[0], 0, 10) == pytest.approx(5.0)
    assert _share(bn.sole[1], 0, 10) == pytest.approx(2.0)
    assert _share(bn.shifting[0], 0, 10) == 0 and _share(bn.shifting[1], 0, 10) == 0


def test_a_stage_with_no_periods_and_no_stages() -> None:
    bn = momentary_bottlenecks([(np.zeros(0), np.zeros(0)), (np.array([1.0]), np.array([2.0]))])
    assert _share(bn.sole[0], 0, 3) == 0 and _share(bn.sole[1], 0, 3) == pytest.approx(1.0)
    assert momentary_bottlenecks([]).sole == ()
