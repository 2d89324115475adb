"""The what-if: the calibrated system before and after a change, replicated with common random numbers."""

from __future__ import annotations

import math

from flowmetrics.errors import ConfigError
from flowmetrics.results import Calibration, Interval, MetricChange, WhatIfResult
from flowmetrics.simulation.calibrated import config_from_calibration
from flowmetrics.simulation.config import scale_arrivals, scale_capacity
from flowmetrics.simulation.metrics import Comparison, Estimate, ReplicatedSummary, compare, replicate

METRICS = (
    ("throughput_per_week", "throughput / week"),
    ("lead_time_mean_hours", "lead time, mean h"),
    ("lead_time_p85_hours", "lead time, p85 h"),
    ("wip_time_average", "WIP (items)"),
)
BARELY = 0.02  # a relative throughput change smaller than this "barely moves" it
SATURATED = 0.97  # a stage busy at least this share of the time after the change caps throughput
WARMUP_WEEKS = 4.0  # the calibrated system starts empty: the first weeks fill it and are left out
CAPACITY_CHANGE = (-0.90, 10.0)  # the capacity change a what-if accepts: from -90% to +1000%
MAX_ARRIVALS_FACTOR = 100.0  # every arrival rate times a factor above 0 and at most this


def capacity_problem(factor: float) -> str | None:
    """Why a capacity factor (1.3 for +30%) is outside what a what-if accepts, or None when it is inside."""
    low, high = CAPACITY_CHANGE
    if not (math.isfinite(factor) and 1 + low - 1e-9 <= factor <= 1 + high + 1e-9):  # -90% is 0.0999...
        return (
            f"a capacity change is between {low:+.0%} and {high:+.0%} (a factor from x{1 + low:g} to x{1 + high:g})"
        )
    return None


def arrivals_problem(factor: float) -> str | None:
    """Why an arrivals factor (3 for x3) is outside what a what-if accepts, or None when it is inside."""
    if not (math.isfinite(factor) and 0 < factor <= MAX_ARRIVALS_FACTOR):
        return f"arrivals change by a factor above 0 and at most x{MAX_ARRIVALS_FACTOR:g} (e.g. x3, +50%, -20%)"
    return None


def _interval(e: Estimate) -> Interval:
    return Interval(e.mean, e.low, e.high)


def describe_change(stage: str | None, capacity_factor: float, arrivals_factor: float) -> str:
    parts = []
    if stage is not None and capacity_factor != 1.0:
        parts.append(f"{stage} has {capacity_factor - 1:+.0%} capacity")
    if arrivals_factor != 1.0:
        parts.append(f"arrivals are x{arrivals_factor:g}")
    return " and ".join(parts) or "nothing changes"


def _summary(c: Comparison, stage: str | None, capacity_factor: float, arrivals_factor: float) -> str:
    before = c.before.metrics["throughput_per_week"].mean
    gain = c.change["throughput_per_week"]
    rel = gain.mean / before if before else float("nan")
    lead = c.change["lead_time_mean_hours"].mean / c.before.metrics["lead_time_mean_hours"].mean
    wip = c.change["wip_time_average"].mean / c.before.metrics["wip_time_average"].mean
    util = {k: v.mean for k, v in c.after.stage_utilisation.items()}
    saturated = [k for k, u in util.items() if u >= SATURATED] or ([max(util, key=lambda k: util[k])] if util else [])
    text = f"Throughput {rel:+.1%}, mean lead time {lead:+.0%}, WIP {wip:+.0%}."
    if arrivals_factor != 1.0 and (stage is None or capacity_factor == 1.0):
        if arrivals_factor > 1 and rel < 0.5 * (arrivals_factor - 1):
            text += (
                " More intake mostly grows WIP and lead time, not throughput: "
                f"{', '.join(saturated)} (each busy at least {min(util[k] for k in saturated):.0%} of the time) cap "
                "what the system finishes."
            )
        return text
    if stage is not None and capacity_factor != 1.0:
        if abs(rel) < BARELY:
            text += f" Capacity at {stage} barely moves throughput: it is not what limits the flow."
        elif rel > 0 and gain.low > 0:
            text += f" Capacity at {stage} buys throughput: it is where the flow is limited."
    return text


def replicate_baseline(
    calibration: Calibration,
    *,
    replications: int = 10,
    weeks: float = 16.0,
    warmup_weeks: float = WARMUP_WEEKS,
    seed: int = 0,
    workers: int = 1,
) -> ReplicatedSummary:
    """The calibrated system as it is, replicated exactly as `what_if` replicates its "before"."""
    return replicate(config_from_calibration(calibration, weeks, warmup_weeks), replications, seed, workers=workers)


def what_if(
    calibration: Calibration,
    *,
    stage: str | None = None,
    capacity_factor: float = 1.0,
    arrivals_factor: float = 1.0,
    replications: int = 10,
    weeks: float = 16.0,
    warmup_weeks: float = WARMUP_WEEKS,
    seed: int = 0,
    workers: int = 1,
    baseline: ReplicatedSummary | None = None,
) -> WhatIfResult:
    """Simulate the calibrated system before and after `stage`'s capacity x `capacity_factor` and/or every
    arrival rate x `arrivals_factor`; metrics over the weeks after the warm-up, with 95% intervals.

    `workers`: processes for the replications. `baseline`: the unchanged system already replicated by
    `replicate_baseline` with the same arguments (a table of several changes simulates it once)."""
    problem = capacity_problem(capacity_factor) or arrivals_problem(arrivals_factor)
    if problem:
        raise ConfigError(f"what-if of capacity x{capacity_factor:g}, arrivals x{arrivals_factor:g}: {problem}")
    before = config_from_calibration(calibration, weeks, warmup_weeks)
    after = before
    if stage is not None and capacity_factor != 1.0:
        after = scale_capacity(after, stage, capacity_factor)
    if arrivals_factor != 1.0:
        after = scale_arrivals(after, arrivals_factor)
    c = compare(before, after, replications=replications, seed=seed, workers=workers, baseline=baseline)
    metrics = tuple(
        MetricChange(
            name,
            label,
            _interval(c.before.metrics[name]),
            _interval(c.after.metrics[name]),
            _interval(c.change[name]),
        )
        for name, label in METRICS
    )
    return WhatIfResult(
        change=describe_change(stage, capacity_factor, arrivals_factor),
        stage=stage,
        capacity_factor=capacity_factor,
        arrivals_factor=arrivals_factor,
        replications=replications,
        weeks=weeks - warmup_weeks,
        seed=seed,
        metrics=metrics,
        utilisation_before={k: v.mean for k, v in c.before.stage_utilisation.items()},
        utilisation_after={k: v.mean for k, v in c.after.stage_utilisation.items()},
        summary=_summary(c, stage, capacity_factor, arrivals_factor),
        calibration=calibration,
    )
