"""The momentary bottleneck after Roser's active-period method (Roser, Nakano and Tanaka, 2001/2002).

A stage is *active* while work waits in its queue (its people cannot keep up at that moment). At each instant
the momentary bottleneck is the active stage whose uninterrupted active period is the longest. Where the
active periods of the bottleneck before a change and the bottleneck after it overlap, both are *shifting*
bottlenecks for the overlap; the rest of a stage's bottleneck time is *sole*.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from flowmetrics.analysis.timeline import StepFunction


@dataclass(frozen=True)
class Bottlenecks:
    """Per stage: when it is the sole bottleneck and when it is a shifting one (0/1 step functions)."""

    sole: tuple[StepFunction, ...]
    shifting: tuple[StepFunction, ...]


def momentary_bottlenecks(periods: list[tuple[np.ndarray, np.ndarray]]) -> Bottlenecks:
    """Sole and shifting bottleneck indicators per stage, from each stage's sorted, disjoint active periods.

    Ties between equally long periods go to the stage listed first.
    """
    k = len(periods)
    empty = Bottlenecks(tuple(StepFunction.empty() for _ in range(k)), tuple(StepFunction.empty() for _ in range(k)))
    if k == 0:
        return empty
    starts = [np.asarray(s, dtype=float) for s, _ in periods]
    ends = [np.asarray(e, dtype=float) for _, e in periods]
    bounds = np.unique(np.concatenate([*starts, *ends, np.zeros(0)]))
    if len(bounds) < 2:
        return empty
    mids = (bounds[:-1] + bounds[1:]) / 2
    n = len(mids)
    offsets = np.concatenate([[0], np.cumsum([len(s) for s in starts])])
    flat_start = np.concatenate(starts)
    flat_end = np.concatenate(ends)
    length = np.zeros((n, k))
    period = np.full((n, k), -1, dtype=np.int64)
    for j in range(k):
        if len(starts[j]) == 0:
            continue
        idx = np.searchsorted(starts[j], mids, side="right") - 1
        active = (idx >= 0) & (ends[j][np.clip(idx, 0, None)] > mids)
        length[active, j] = ends[j][idx[active]] - starts[j][idx[active]]
        period[active, j] = offsets[j] + idx[active]
    best = np.argmax(length, axis=1)
    busy = length[np.arange(n), best] > 0
    stage = np.where(busy, best, -1)
    pid = np.where(busy, period[np.arange(n), best], -1)

    # runs of one bottleneck period; where two consecutive runs touch, their periods' overlap is shifting
    change = np.flatnonzero((stage[1:] != stage[:-1]) | (pid[1:] != pid[:-1])) + 1
    first = np.concatenate([[0], change])
    a_stage, b_stage = stage[first][:-1], stage[first][1:]
    a_pid, b_pid = pid[first][:-1], pid[first][1:]
    touching = (a_stage >= 0) & (b_stage >= 0)
    lo = np.maximum(flat_start[a_pid[touching]], flat_start[b_pid[touching]])
    hi = np.minimum(flat_end[a_pid[touching]], flat_end[b_pid[touching]])
    real = hi > lo
    lo, hi = lo[real], hi[real]
    pair = np.stack([a_stage[touching][real], b_stage[touching][real]])
    j_lo = np.searchsorted(bounds, lo)
    j_hi = np.searchsorted(bounds, hi)
    diff = np.zeros((n + 1, k), dtype=np.int64)
    for side in (0, 1):
        np.add.at(diff, (j_lo, pair[side]), 1)
        np.add.at(diff, (j_hi, pair[side]), -1)
    shifting = np.cumsum(diff, axis=0)[:n] > 0

    sole, shift = [], []
    for j in range(k):
        is_sole = (stage == j) & ~shifting[:, j]
        sole.append(StepFunction(bounds, np.concatenate([is_sole, [False]]).astype(float)))
        shift.append(StepFunction(bounds, np.concatenate([shifting[:, j], [False]]).astype(float)))
    return Bottlenecks(tuple(sole), tuple(shift))
