"""Change points in a sequence of feature vectors with known noise: binary segmentation on mean shifts.

Each split must be significant on its own: the standardised squared distance between the two sides' means
(a chi-square statistic with one degree of freedom per feature under "no change") must exceed `threshold`.
Hand-written rather than a dependency: a few dozen windows need nothing more.
"""

from __future__ import annotations

import numpy as np


def split_statistic(
    values: np.ndarray, variances: np.ndarray, lo: int, hi: int, min_size: int = 1
) -> tuple[int, float]:
    """The best split point k of values[lo:hi] leaving at least `min_size` points on each side, and its statistic
    (k = -1 when there is none)."""
    best_k, best = -1, 0.0
    for k in range(lo + min_size, hi - min_size + 1):
        n1, n2 = k - lo, hi - k
        m1 = values[lo:k].mean(axis=0)
        m2 = values[k:hi].mean(axis=0)
        v = variances[lo:k].sum(axis=0) / n1**2 + variances[k:hi].sum(axis=0) / n2**2
        stat = float(np.sum((m1 - m2) ** 2 / v))
        if stat > best:
            best_k, best = k, stat
    return best_k, best


def binary_segmentation(values: np.ndarray, variances: np.ndarray, threshold: float, min_size: int = 1) -> list[int]:
    """Boundaries (indices where a new segment starts, sorted) of `values` (n x p) with per-point
    `variances` (n x p, > 0); every segment holds at least `min_size` points."""
    values = np.asarray(values, dtype=float)
    variances = np.asarray(variances, dtype=float)
    cuts: list[int] = []
    todo = [(0, len(values))]
    while todo:
        lo, hi = todo.pop()
        if hi - lo < 2 * min_size:
            continue
        k, stat = split_statistic(values, variances, lo, hi, min_size)
        if k > 0 and stat >= threshold:
            cuts.append(k)
            todo += [(lo, k), (k, hi)]
    return sorted(cuts)
