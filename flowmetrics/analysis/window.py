"""The window length detection judges in, chosen from the data when none is given.

A window must hold enough finished visits at the work stages for its signals to mean something: a thin flow judged
week by week flips its verdict on chance. The window is the shortest of WINDOW_CHOICES in which the work stage in
the middle (the median one) sees at least MIN_WINDOW_VISITS visits finish a window at the rate of the last
RECENT_DAYS days before the as-of.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from flowmetrics.analysis.flow import Flow
from flowmetrics.analysis.signals import DAY

WINDOW_CHOICES = (7, 14, 28, 56)
"""Window lengths (days) the automatic choice picks from, shortest first."""
MIN_WINDOW_VISITS = 30
"""Finished visits a window must hold at the median work stage (a rank correlation on 30 has a standard error of
about 0.19, the size of the load-dependence threshold)."""
RECENT_DAYS = 84
"""The days before the as-of over which the rate of finished visits is measured (the default look-back of twelve
weekly windows, so the shortest window's read serves the choice)."""


def work_stages(flow: Flow) -> np.ndarray:
    """Indices of the stages with people: a queue status and an active one."""
    return np.flatnonzero(flow.has_work & flow.has_queue)


def visits_per_window(flow: Flow, days: int) -> float:
    """Finished visits a `days`-long window holds at the median work stage, over the recent windows (0 without a
    work stage)."""
    stages = work_stages(flow)
    if not len(stages):
        return 0.0
    span = min(RECENT_DAYS * DAY, flow.as_of - flow.first_at)
    if span <= 0:
        return 0.0
    left = ~flow.v_open & (flow.v_end > flow.as_of - span)
    counts = np.bincount(flow.v_stage[left], minlength=len(flow.stages))[stages]
    return float(np.median(counts)) * days * DAY / span


def choose_window(flow: Flow, choices: Sequence[int] = WINDOW_CHOICES) -> tuple[int, str]:
    """The shortest window of `choices` whose median work stage sees MIN_WINDOW_VISITS visits finish, and why."""
    if not len(work_stages(flow)):
        return choices[0], (
            f"{choices[0]}-day windows: no stage has both a queue and an active status to count visits at"
        )
    for days in choices:
        n = visits_per_window(flow, days)
        if n >= MIN_WINDOW_VISITS:
            return days, (
                f"{days}-day windows, chosen from the data: the median work stage sees {n:.0f} visits finish a "
                f"window (at least {MIN_WINDOW_VISITS} needed)"
            )
    days = choices[-1]
    return days, (
        f"{days}-day windows, the longest the history allows: even they see only "
        f"{visits_per_window(flow, days):.0f} visits finish at the median work stage ({MIN_WINDOW_VISITS} wanted)"
    )
