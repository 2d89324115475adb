"""The constraint-aware forecast: the system calibrated from the marts (as `whatif` builds it) run forward from the
items in the flow at the as-of, replicated; what each run finishes is counted.

Unlike throughput sampling it sees where the flow is limited: tripled intake piles up before the constraint
instead of tripling what finishes, and items already queued there finish at the constraint's pace. It assumes the
calibration period's demand, people and service times go on; an item in the flow starts its stage's work over.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np

from flowmetrics.results import Calibration
from flowmetrics.simulation.calibrated import config_from_calibration
from flowmetrics.simulation.config import HOURS_PER_DAY, InitialItem, SimulationConfig, scale_arrivals, scale_capacity
from flowmetrics.simulation.engine import simulate

REPLICATIONS = 200  # runs of the calibrated system per forecast
MAX_DAYS = 3_650  # a forecast of when N items finish looks at most this many days ahead


def forecast_config(
    calibration: Calibration,
    initial: Sequence[InitialItem],
    *,
    stage: str | None = None,
    capacity_factor: float = 1.0,
    arrivals_factor: float = 1.0,
) -> SimulationConfig:
    """The calibrated system from the as-of on: no warm-up, the items in the flow placed where they are."""
    config = replace(config_from_calibration(calibration, weeks=1.0, warmup_weeks=0.0), initial_wip=tuple(initial))
    if stage is not None and capacity_factor != 1.0:
        config = scale_capacity(config, stage, capacity_factor)
    if arrivals_factor != 1.0:
        config = scale_arrivals(config, arrivals_factor)
    return config


def _finish_hours(config: SimulationConfig, hours: float, seed: int, scope: Mapping[str, str | None]) -> np.ndarray:
    """When the in-scope items of one run over `hours` finished, sorted."""
    items = simulate(replace(config, horizon_hours=hours), seed).items
    mask = np.ones(len(items), dtype=bool)
    for column, value in scope.items():
        if value is not None:
            mask &= (items[column].astype(str) == value).to_numpy()
    finished = items["finished_hours"].to_numpy()[mask]
    return np.sort(finished[np.isfinite(finished)])


def simulated_counts(
    config: SimulationConfig,
    horizon_days: int,
    *,
    scope: Mapping[str, str | None],
    replications: int = REPLICATIONS,
    seed: int = 0,
) -> np.ndarray:
    """Items (of the scope) finished within `horizon_days` days, one count per replication (seeds seed, seed+1...)."""
    hours = horizon_days * HOURS_PER_DAY
    return np.array(
        [len(_finish_hours(config, hours, seed + k, scope)) for k in range(replications)], dtype=np.int64
    )


def simulated_days(
    config: SimulationConfig,
    items: int,
    *,
    scope: Mapping[str, str | None],
    replications: int = REPLICATIONS,
    seed: int = 0,
    first_guess_days: float = 28.0,
) -> np.ndarray:
    """Days until `items` items (of the scope) have finished, one per replication (inf: not within MAX_DAYS).

    Every replication runs over one horizon, doubled (and every replication run again) until each holds `items`
    finishes or MAX_DAYS is reached: a run is never kept or redone for its own outcome."""
    days = max(1.0, min(first_guess_days, MAX_DAYS))
    while True:
        out = np.full(replications, np.inf)
        for k in range(replications):
            finished = _finish_hours(config, days * HOURS_PER_DAY, seed + k, scope)
            if len(finished) >= items:
                out[k] = max(1.0, math.ceil(finished[items - 1] / HOURS_PER_DAY - 1e-9))
        if np.isfinite(out).all() or days >= MAX_DAYS:
            return out
        days = min(MAX_DAYS, days * 2)
