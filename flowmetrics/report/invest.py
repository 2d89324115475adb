"""Section 5's numbers: the what-if at every work stage (+30% capacity) and for tripled arrivals.

Calibrated from the published marts once, then one simulation per change (common random numbers), so the table
compares like with like.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypedDict

import pandas as pd

from flowmetrics.results import Calibration, WhatIfResult
from flowmetrics.simulation.metrics import default_workers
from flowmetrics.simulation.whatif import WARMUP_WEEKS, replicate_baseline, what_if

CAPACITY_FACTOR = 1.3
ARRIVALS_FACTOR = 3.0


@dataclass(frozen=True)
class InvestmentRow:
    change: str
    stage: str | None
    throughput_before: float
    throughput_change: float  # relative
    throughput_interval: tuple[float, float]  # absolute change per week, 95%
    lead_time_change: float  # relative
    wip_change: float  # relative


def _row(result: WhatIfResult) -> InvestmentRow:
    throughput = result.metric("throughput_per_week")
    lead = result.metric("lead_time_mean_hours")
    wip = result.metric("wip_time_average")
    return InvestmentRow(
        change=result.change,
        stage=result.stage,
        throughput_before=throughput.before.mean,
        throughput_change=throughput.relative,
        throughput_interval=(throughput.change.low, throughput.change.high),
        lead_time_change=lead.relative,
        wip_change=wip.relative,
    )


class _Replications(TypedDict):
    """The keywords every replicated run of the table shares."""

    replications: int
    weeks: float
    seed: int
    workers: int


def investment_table(
    calibration: Calibration,
    *,
    replications: int = 10,
    weeks: float = 12.0,
    seed: int = 0,
    workers: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """One row per change: +30% capacity at each work stage, then arrivals x3.

    The unchanged system is replicated once and every change is paired with it (common random numbers);
    replications run in `workers` processes (default: one per available core)."""
    say = progress or (lambda message: None)
    run = _Replications(replications=replications, weeks=weeks + WARMUP_WEEKS, seed=seed,
                        workers=default_workers() if workers is None else workers)
    say("what-if: the system as it is")
    baseline = replicate_baseline(calibration, **run)
    rows = []
    for stage in (s.stage for s in calibration.stages if s.kind == "work"):
        say(f"what-if: {stage} +30% capacity")
        rows.append(_row(what_if(calibration, stage=stage, capacity_factor=CAPACITY_FACTOR, baseline=baseline, **run)))
    say("what-if: arrivals x3")
    rows.append(_row(what_if(calibration, arrivals_factor=ARRIVALS_FACTOR, baseline=baseline, **run)))
    return pd.DataFrame([r.__dict__ for r in rows])
