"""The verdict's confidence counts where the shift is: a sharp change is located within a window with confidence;
a change seen only after days where neither stage is the bottleneck is not (the old constraint may have cleared at
the start of those days, the new one filled at their end). It counts a shift that may have been missed, and a
"none" right after a constraint is not a confident none."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from flowmetrics.analysis.detect import _best_split, _Detector, location_confidence

WINDOW = 7


def _shares(old_days: int, gap_days: int, new_days: int, seed: int = 3) -> np.ndarray:
    """Daily bottleneck shares (old constraint, new constraint): the old one busy, then neither, then the new."""
    level = np.array([[0.9, 0.05]] * old_days + [[0.1, 0.1]] * gap_days + [[0.05, 0.9]] * new_days)
    return np.clip(level + np.random.default_rng(seed).normal(0, 0.1, level.shape), 0, 1)


def test_a_sharp_shift_is_located_within_a_window_with_confidence() -> None:
    x = _shares(30, 0, 30)
    assert _best_split(x) == 30
    got = location_confidence(x, 30, WINDOW, (30, 30), 2000, np.random.default_rng(0))
    assert got >= 0.95


def test_a_shift_seen_after_days_without_a_constraint_is_not_located_with_confidence() -> None:
    """The old constraint clears at day 28, the new one fills at day 49: a shift placed where the new one starts
    may be three windows late; placed in the middle of the gap, most of it is within a window."""
    x = _shares(28, 21, 21)
    late = location_confidence(x, 49, WINDOW, (28, 49), 2000, np.random.default_rng(0))
    middle = location_confidence(x, 38, WINDOW, (28, 49), 2000, np.random.default_rng(0))
    assert late <= 0.4
    assert late < middle
    sharp = location_confidence(x, 49, WINDOW, (49, 49), 2000, np.random.default_rng(0))  # no gap named
    assert sharp > 0.9  # the gap, not the resampling, is what lowers it


def test_the_best_split_of_many_series_at_once() -> None:
    """Vectorised over leading axes: each replicate's best split, the first of equal statistics."""
    x = np.stack([_shares(10, 0, 20, seed) for seed in range(5)])
    assert (_best_split(x) == 10).all()
    assert _best_split(np.zeros((6, 2))) == 1


def _segment(verdict: int, confidence: float, replicates: list[int], lo: int = 0, hi: int = 7) -> SimpleNamespace:
    """A stand-in for a judged segment: its verdict (-1 none), confidence, and each replicate's constraint."""
    return SimpleNamespace(
        verdict=verdict, confidence=confidence, lo=lo, hi=hi,
        boot=SimpleNamespace(constraint=lambda: np.array(replicates)),
    )


def _detector(stretched: SimpleNamespace | None = None) -> _Detector:
    detector = _Detector.__new__(_Detector)
    detector.window_days = WINDOW
    detector.evaluate = lambda lo, hi: stretched
    return detector


def test_a_sole_verdict_after_weeks_where_another_stage_was_nearly_the_constraint_is_not_sure_it_is_sole() -> None:
    """Weeks without a constraint whose replicates name stage 2 four times in ten, then stage 1 in every
    replicate: the constraint is stage 1 (1.00), that it is sole 0.6."""
    earlier = _segment(-1, 0.5, [2, 2, 2, 2, -1, -1, -1, -1, 1, 1], 0, 28)
    final = _segment(1, 1.0, [1] * 10, 28, 56)
    assert _detector().verdict_confidence([earlier, final], []) == pytest.approx(0.6)
    # and each shift's location confidence multiplies in
    first = _segment(2, 1.0, [2] * 10, 0, 28)
    assert _detector().verdict_confidence([first, final], [(first, final, 28, 0.5)]) == pytest.approx(0.5)


def test_a_none_right_after_a_constraint_counts_the_window_before_it() -> None:
    """The constraint cleared two windows ago; stretched back one window, three replicates in ten still find one:
    the share finding one is 0.3, not the final segment's 0.1 (a none at 0.7, not 0.9)."""
    before = _segment(1, 1.0, [1] * 10, 0, 42)
    final = _segment(-1, 0.1, [-1] * 9 + [1], 42, 56)
    stretched = _segment(-1, 0.3, [1, 1, 1] + [-1] * 7, 35, 56)
    assert _detector(stretched).verdict_confidence([before, final], []) == pytest.approx(0.3)
    alone = _segment(-1, 0.1, [-1] * 9 + [1], 0, 56)  # no constraint before: the final segment's own share
    assert _detector(stretched).verdict_confidence([alone], []) == pytest.approx(0.1)
