"""Step functions of time built by sorted event sweeps: how many items are in a state at each instant, its
integral between any two times, and the periods when it is positive. O(n log n) in the number of intervals.

Times are float seconds (any origin); an interval is [start, end).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class StepFunction:
    """A right-continuous step function: `values[k]` holds on [times[k], times[k+1]), 0 before times[0] and
    `values[-1]` after the last time (0 for counts of finite intervals)."""

    times: np.ndarray
    values: np.ndarray

    @property
    def cumulative(self) -> np.ndarray:
        """Integral from times[0] up to each times[k]."""
        if len(self.times) == 0:
            return np.zeros(0)
        return np.concatenate([[0.0], np.cumsum(self.values[:-1] * np.diff(self.times))])

    @classmethod
    def empty(cls) -> StepFunction:
        return cls(np.zeros(0), np.zeros(0))

    @classmethod
    def count(cls, start: np.ndarray, end: np.ndarray) -> StepFunction:
        """The number of intervals [start, end) that hold each instant (ends at or before starts are skipped)."""
        start = np.asarray(start, dtype=float)
        end = np.asarray(end, dtype=float)
        keep = end > start
        start, end = start[keep], end[keep]
        if len(start) == 0:
            return cls.empty()
        t = np.concatenate([start, end])
        d = np.concatenate([np.ones(len(start)), -np.ones(len(end))])
        order = np.argsort(t)  # ties need no order: their changes are summed
        t, d = t[order], d[order]
        first = np.flatnonzero(np.concatenate([[True], t[1:] != t[:-1]]))
        values = np.cumsum(np.add.reduceat(d, first))
        return cls(t[first], values)

    @classmethod
    def indicator(cls, starts: np.ndarray, ends: np.ndarray) -> StepFunction:
        """1 on the union of the intervals, else 0."""
        f = cls.count(starts, ends)
        return cls(f.times, (f.values > 0).astype(float))

    def at(self, t: np.ndarray) -> np.ndarray:
        """The value at each time t (right-continuous: an interval starting at t counts)."""
        k = np.searchsorted(self.times, t, side="right") - 1
        return np.where(k >= 0, self.values[np.clip(k, 0, None)] if len(self.values) else 0.0, 0.0)

    def before(self, t: np.ndarray) -> np.ndarray:
        """The value just before each time t (the left limit: an interval starting at t does not count)."""
        k = np.searchsorted(self.times, t, side="left") - 1
        return np.where(k >= 0, self.values[np.clip(k, 0, None)] if len(self.values) else 0.0, 0.0)

    def integral_to(self, t: np.ndarray) -> np.ndarray:
        """The integral from -inf to each time t."""
        t = np.asarray(t, dtype=float)
        if len(self.times) == 0:
            return np.zeros(t.shape)
        k = np.searchsorted(self.times, t, side="right") - 1
        kc = np.clip(k, 0, None)
        out = self.cumulative[kc] + self.values[kc] * (t - self.times[kc])
        return np.where(k >= 0, out, 0.0)

    def integrals(self, edges: np.ndarray) -> np.ndarray:
        """The integral over each [edges[i], edges[i+1])."""
        return np.diff(self.integral_to(edges))

    def positive_periods(self) -> tuple[np.ndarray, np.ndarray]:
        """Maximal periods [start, end) during which the function is > 0."""
        if len(self.times) == 0:
            return np.zeros(0), np.zeros(0)
        pos = self.values > 0
        prev = np.concatenate([[False], pos[:-1]])
        nxt = np.concatenate([pos[1:], [False]])
        starts = self.times[pos & ~prev]
        last = np.flatnonzero(pos & ~nxt)
        # a period still running after the last time never ends (cannot happen for finite intervals)
        ends = np.where(last + 1 < len(self.times), self.times[np.clip(last + 1, None, len(self.times) - 1)], np.inf)
        return starts, ends
