"""A `Calibration` (estimated from the marts by `flowmetrics.analysis.calibration`) as a `SimulationConfig`.

The adapter between the two halves of the what-if: analysis estimates, simulation runs. Work stages become
`WorkStage`s with one pool of people each (the most items ever in work at once), lognormal service times with
the measured mean and CV, rework to the earlier stage items most often go back to, and blocking in the stage's
wait status; pure delays become `WaitStep`s. Arrivals are the created tickets' rates per requesting function.
"""

from __future__ import annotations

import math

from flowmetrics.results import Calibration, StageCalibration
from flowmetrics.simulation.config import (
    HOURS_PER_WEEK,
    Blocking,
    Demand,
    Rework,
    SimulationConfig,
    Status,
    WaitStep,
    WorkStage,
)
from flowmetrics.simulation.distributions import Distribution, fixed, lognormal

MIN_HOURS = 1 / 60  # a stage measured at zero time still takes a minute in the simulation


def _distribution(mean: float, cv: float) -> Distribution:
    if not math.isfinite(mean) or mean <= 0:
        return fixed(MIN_HOURS)
    if not math.isfinite(cv) or cv <= 0:
        return fixed(mean)
    return lognormal(mean, cv)


def _work(s: StageCalibration, earlier: set[str]) -> WorkStage:
    rework = None
    if s.rework_to in earlier and (s.rework_probability > 0 or (s.rework_probability_ai or 0) > 0):
        rework = Rework(s.rework_to, s.rework_probability, ai_probability=s.rework_probability_ai)
    blocking = None
    if s.wait_status and s.blocking_probability > 0:
        blocking = Blocking(s.wait_status, s.blocking_probability, _distribution(s.blocking_mean_hours, s.blocking_cv))
    return WorkStage(
        s.stage,
        s.order,
        s.active_status or f"{s.stage} (active)",
        _distribution(s.service_mean_hours, s.service_cv),
        queue_status=s.queue_status,
        servers=max(1, s.servers),
        rework=rework,
        blocking=blocking,
    )


def _wait(s: StageCalibration) -> WaitStep:
    abandon = s.abandon_probability if math.isfinite(s.abandon_mean_hours) else 0.0
    return WaitStep(
        s.stage,
        s.order,
        s.wait_status or f"{s.stage} (waiting)",
        _distribution(s.delay_mean_hours, s.delay_cv),
        kind="queue" if s.wait_kind == "queue" else "wait",
        probability=min(1.0, max(0.0, s.visit_share)),
        abandon_probability=abandon,
        abandon_after=_distribution(s.abandon_mean_hours, 1.0) if abandon > 0 else None,
    )


def config_from_calibration(
    calibration: Calibration, weeks: float = 16.0, warmup_weeks: float = 4.0
) -> SimulationConfig:
    """The calibrated system run for `weeks` from empty, its first `warmup_weeks` left out of the metrics."""
    steps: list[WorkStage | WaitStep] = []
    earlier: set[str] = set()
    for s in calibration.stages:
        if s.kind == "work":
            steps.append(_work(s, earlier))
            earlier.add(s.stage)
        else:
            steps.append(_wait(s))
    demand = tuple(
        Demand(d.requested_by, d.per_day, dict(d.teams), ai_share=d.ai_share)
        for d in calibration.demand
        if d.per_day > 0
    )
    orders = [s.order for s in calibration.stages] or [0]
    return SimulationConfig(
        demand=demand,
        steps=tuple(steps),
        horizon_hours=weeks * HOURS_PER_WEEK,
        done=Status(calibration.done_status, "done", "done", max(orders) + 1),
        abandoned=Status(calibration.abandoned_status, "abandoned", "abandoned", max(orders) + 2),
        warmup_hours=warmup_weeks * HOURS_PER_WEEK,
        experiments=None,
        name="calibrated",
    )
