"""How sure a shift's location is: a sharp change is located within a window with confidence; a change seen only
after days where neither stage is the bottleneck is not (the old constraint may have cleared at the start of
those days, the new one filled at their end)."""

from __future__ import annotations

import numpy as np

from flowmetrics.analysis.detect import _best_split, location_confidence

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
