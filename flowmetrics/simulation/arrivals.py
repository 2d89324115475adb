"""Arrivals: a Poisson stream per requesting function under a piecewise-constant rate schedule.

Drawn vectorised before the event loop (the superposition of the functions' Poisson processes is one
Poisson process whose arrivals pick their function in proportion to its rate), so the loop only merges a
sorted array.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from flowmetrics.simulation.config import HOURS_PER_DAY, SimulationConfig


@dataclass(frozen=True)
class Arrivals:
    """One entry per ticket, in arrival order. Categorical columns are codes into the name tuples."""

    hours: np.ndarray
    function: np.ndarray
    team: np.ndarray
    ai_assisted: np.ndarray
    ticket_type: np.ndarray
    experiment: np.ndarray
    functions: tuple[str, ...]
    teams: tuple[str, ...]
    ticket_types: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.hours)


def rate_schedule(config: SimulationConfig) -> tuple[np.ndarray, np.ndarray]:
    """Breakpoints (hours) and the total arrival rate (items per hour) from each breakpoint on."""
    base = sum(d.per_day for d in config.demand) / HOURS_PER_DAY
    changes = sorted(config.arrival_changes, key=lambda c: c.at_hours)
    starts = [0.0] + [c.at_hours for c in changes if c.at_hours > 0]
    factors = [next((c.factor for c in changes if c.at_hours <= 0), 1.0)]
    factors += [c.factor for c in changes if c.at_hours > 0]
    return np.asarray(starts, dtype=float), base * np.asarray(factors, dtype=float)


def arrival_times(config: SimulationConfig, rng: np.random.Generator) -> np.ndarray:
    """Arrival times of a Poisson process with the config's rate schedule, until `items` or the horizon."""
    starts, rates = rate_schedule(config)
    # cumulative intensity at each breakpoint; invert it on unit-rate exponential sums
    cum = np.concatenate([[0.0], np.cumsum(np.diff(starts) * rates[:-1])])
    horizon = config.horizon_hours
    if config.items is not None:
        unit = np.cumsum(rng.exponential(1.0, config.items))
    else:
        assert horizon is not None
        total = _intensity(horizon, starts, rates, cum)
        n = rng.poisson(total)
        unit = np.sort(rng.uniform(0.0, total, n))
    seg = np.searchsorted(cum, unit, side="right") - 1
    times = starts[seg] + (unit - cum[seg]) / rates[seg]
    if horizon is not None:
        times = times[times <= horizon]
    return times


def _intensity(t: float, starts: np.ndarray, rates: np.ndarray, cum: np.ndarray) -> float:
    seg = int(np.searchsorted(starts, t, side="right") - 1)
    return float(cum[seg] + (t - starts[seg]) * rates[seg])


def draw_arrivals(config: SimulationConfig, rng: np.random.Generator) -> Arrivals:
    """Every ticket's arrival time, requesting function, owning team, AI flag, type and experiment flag."""
    hours = arrival_times(config, rng)
    n = len(hours)
    demand = config.demand
    rates = np.array([d.per_day for d in demand], dtype=float)
    function = rng.choice(len(demand), size=n, p=rates / rates.sum())
    teams = config.teams
    team = np.zeros(n, dtype=np.int64)
    ai = np.zeros(n, dtype=bool)
    types: dict[str, None] = {}
    for d in demand:
        types.update(dict.fromkeys(d.ticket_types))
    type_names = tuple(types)
    ticket_type = np.zeros(n, dtype=np.int64)
    for f, d in enumerate(demand):
        mask = function == f
        k = int(mask.sum())
        team[mask] = _pick(rng, k, {teams.index(t): w for t, w in d.teams.items() if w > 0})
        ai[mask] = rng.random(k) < d.ai_share
        ticket_type[mask] = _pick(rng, k, {type_names.index(t): w for t, w in d.ticket_types.items()})
    share = config.experiments.share if config.experiments is not None else 0.0
    experiment = rng.random(n) < share
    return Arrivals(
        hours=hours,
        function=function,
        team=team,
        ai_assisted=ai,
        ticket_type=ticket_type,
        experiment=experiment,
        functions=tuple(d.requested_by for d in demand),
        teams=teams,
        ticket_types=type_names,
    )


def with_initial(arrivals: Arrivals, config: SimulationConfig) -> tuple[Arrivals, list[int]]:
    """`arrivals` with the config's initial items first (created at hour 0; a team or function the demand does
    not name is added to the names), and the step each item enters first (0 for an arrival)."""
    initial = config.initial_wip
    if not initial:
        return arrivals, [0] * len(arrivals)
    teams, functions = list(arrivals.teams), list(arrivals.functions)
    for item in initial:
        if item.team not in teams:
            teams.append(item.team)
        if item.requested_by not in functions:
            functions.append(item.requested_by)
    step_of = {getattr(step, "stage", None): j for j, step in enumerate(config.steps)}
    k = len(initial)
    merged = Arrivals(
        hours=np.concatenate([np.zeros(k), arrivals.hours]),
        function=np.concatenate([[functions.index(i.requested_by) for i in initial], arrivals.function]).astype(
            np.int64),
        team=np.concatenate([[teams.index(i.team) for i in initial], arrivals.team]).astype(np.int64),
        ai_assisted=np.concatenate([[i.ai_assisted for i in initial], arrivals.ai_assisted]).astype(bool),
        ticket_type=np.concatenate([np.zeros(k, dtype=np.int64), arrivals.ticket_type]),
        experiment=np.concatenate([np.zeros(k, dtype=bool), arrivals.experiment]),
        functions=tuple(functions),
        teams=tuple(teams),
        ticket_types=arrivals.ticket_types or ("story",),
    )
    return merged, [step_of[i.stage] for i in initial] + [0] * len(arrivals)


def _pick(rng: np.random.Generator, size: int, weights: dict[int, float]) -> np.ndarray:
    codes = np.fromiter(weights.keys(), dtype=np.int64)
    w = np.fromiter(weights.values(), dtype=float)
    return codes[rng.choice(len(codes), size=size, p=w / w.sum())]
