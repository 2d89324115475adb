"""Binary segmentation finds a real mean shift and leaves noise alone."""

from __future__ import annotations

import numpy as np

from flowmetrics.analysis.changepoint import binary_segmentation


def test_one_shift_is_found_where_it_is() -> None:
    rng = np.random.default_rng(1)
    values = np.concatenate([np.full((5, 2), [0.9, 0.1]), np.full((4, 2), [0.1, 0.9])]) + rng.normal(0, 0.05, (9, 2))
    assert binary_segmentation(values, np.full((9, 2), 0.05**2), threshold=20.0) == [5]


def test_noise_alone_is_not_split() -> None:
    rng = np.random.default_rng(2)
    values = 0.5 + rng.normal(0, 0.05, (12, 3))
    assert binary_segmentation(values, np.full((12, 3), 0.05**2), threshold=20.0) == []


def test_two_shifts() -> None:
    values = np.array([[0.0]] * 3 + [[1.0]] * 3 + [[0.0]] * 3)
    assert binary_segmentation(values, np.full((9, 1), 0.01), threshold=20.0) == [3, 6]
