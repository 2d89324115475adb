"""Service-time and delay distributions, parameterised by mean and coefficient of variation.

Mean and CV are what a calibration from marts can estimate directly, so every distribution takes them.
Times are in hours.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np

Kind = Literal["lognormal", "gamma", "exponential", "fixed"]
KINDS: tuple[str, ...] = ("lognormal", "gamma", "exponential", "fixed")


@dataclass(frozen=True)
class Distribution:
    """Non-negative durations (hours) with the given mean and CV (fixed and exponential ignore `cv`)."""

    kind: Kind
    mean: float
    cv: float = 1.0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown distribution kind {self.kind!r}; expected one of {', '.join(KINDS)}")
        if self.mean < 0 or self.cv < 0:
            raise ValueError(f"distribution mean and cv must be >= 0, got mean={self.mean}, cv={self.cv}")

    @property
    def variance(self) -> float:
        """Var[X]; exponential has CV 1 and fixed has CV 0 whatever `cv` says."""
        return (self.mean * self.effective_cv) ** 2

    @property
    def effective_cv(self) -> float:
        return {"fixed": 0.0, "exponential": 1.0}.get(self.kind, self.cv)

    def scaled(self, factor: float) -> Distribution:
        """The same shape with every duration multiplied by `factor` (a faster or slower server)."""
        return Distribution(self.kind, self.mean * factor, self.cv)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """`size` independent draws."""
        cv = self.effective_cv
        if self.mean == 0 or cv == 0:
            return np.full(size, float(self.mean))
        if self.kind == "exponential":
            return rng.exponential(self.mean, size)
        if self.kind == "gamma":
            shape = 1.0 / cv**2
            return rng.gamma(shape, self.mean / shape, size)
        sigma2 = math.log1p(cv**2)
        return rng.lognormal(math.log(self.mean) - sigma2 / 2, math.sqrt(sigma2), size)


def lognormal(mean: float, cv: float = 1.0) -> Distribution:
    return Distribution("lognormal", mean, cv)


def gamma(mean: float, cv: float = 1.0) -> Distribution:
    return Distribution("gamma", mean, cv)


def exponential(mean: float) -> Distribution:
    return Distribution("exponential", mean, 1.0)


def fixed(value: float) -> Distribution:
    return Distribution("fixed", value, 0.0)


def stream(dist: Distribution, rng: np.random.Generator, chunk: int = 4096) -> Iterator[float]:
    """An endless iterator of draws, sampled in vectorised chunks (the event loop calls next() per item)."""
    while True:
        yield from dist.sample(rng, chunk).tolist()


def uniform_stream(rng: np.random.Generator, chunk: int = 8192) -> Iterator[float]:
    """An endless iterator of U(0, 1) draws for routing decisions."""
    while True:
        yield from rng.random(chunk).tolist()
