"""The planted truth of a config: offered utilisation of every pool of people, the constraint and its shifts.

Computed from the config alone (rates, visit ratios, service means, servers) as rho = lambda x E[S] / c per
pool and per time segment between schedule changes. That is the answer a detector has to find; the
run itself is only a sample of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from flowmetrics.results import Result
from flowmetrics.simulation.config import HOURS_PER_DAY, SimulationConfig, WaitStep, WorkStage


@dataclass(frozen=True)
class PoolLoad(Result):
    """Offered utilisation of one pool of people in one segment of time."""

    pool: str
    stages: tuple[str, ...]
    team: str | None
    servers: int
    utilisation: float  # offered load / capacity; above 1 the queue grows without bound


@dataclass(frozen=True)
class Segment(Result):
    """A stretch of time with constant rates and capacity, and its constraint (None: nothing is bound)."""

    start_hours: float
    end_hours: float
    loads: tuple[PoolLoad, ...]
    constraint_stage: str | None
    constraint_team: str | None
    constraint_pool: str | None


@dataclass(frozen=True)
class Shift(Result):
    """The constraint moved from one stage to another at `at_hours`."""

    at_hours: float
    from_stage: str
    to_stage: str


@dataclass(frozen=True)
class GroundTruth(Result):
    """The planted answer: the constraint at the end of the run, where and when it moved, every pool's load.

    `kind` is `sole` (one constraint throughout the time something is bound), `shifting` (it moved between
    stages) or `none` (no pool reaches `threshold`). `stage_utilisation` is time-weighted per stage (a
    team-split stage counts its total work over its total people; a shared pool counts for each stage it
    serves). `wait_statuses` are pure delays (wait steps, blocking, the deploy-train wait): long, never
    capacity-bound.
    """

    constraint_stage: str | None
    constraint_team: str | None
    constraint_pool: str | None
    kind: str
    shifts: tuple[Shift, ...]
    segments: tuple[Segment, ...]
    stage_utilisation: dict[str, float] = field(default_factory=dict)
    pool_utilisation: dict[str, float] = field(default_factory=dict)
    acceptable_stages: tuple[str, ...] = ()  # every stage served by the constraint's pool
    wait_statuses: tuple[str, ...] = ()
    threshold: float = 0.8


def visit_ratios(config: SimulationConfig, ai_assisted: bool) -> np.ndarray:
    """Expected visits per arriving item to each step (rework loops, backlog and blocked-work abandonment included).

    As the engine does, an item is sent back at most `max_loops` times in all (its loops count across stages), so
    the flow is a Markov chain over (step, loops so far) rather than over steps alone: without the cap, frequent
    rework (e.g. half of AI-assisted work) would overstate the load it plants.
    """
    steps = config.steps
    n = len(steps)
    index = {s.stage: j for j, s in enumerate(steps) if isinstance(s, WorkStage)}
    loops = max([s.rework.max_loops for s in steps if isinstance(s, WorkStage) and s.rework is not None] or [0])
    width = loops + 1

    def state(j: int, k: int) -> int:
        return j * width + k

    size = (n + 1) * width
    m = np.zeros((size, size))  # m[to, from]: share of the flow through `from` that goes to `to`
    for j, s in enumerate(steps):
        for k in range(width):
            onward = 1.0
            if isinstance(s, WaitStep):
                onward = 1.0 - s.probability * s.abandon_probability
            elif isinstance(s, WorkStage) and s.blocking is not None:
                onward = 1.0 - s.blocking.probability * s.blocking.abandon_probability  # blocked work dropped
            if isinstance(s, WorkStage) and s.rework is not None and k < s.rework.max_loops:
                p = s.rework.probability_for(ai_assisted)
                m[state(index[s.rework.to_stage], k + 1), state(j, k)] += onward * p
                onward *= 1.0 - p
            m[state(j + 1, k), state(j, k)] += onward
    start = np.zeros(size)
    start[state(0, 0)] = 1.0
    visits = np.linalg.solve(np.eye(size) - m, start)
    return visits.reshape(n + 1, width).sum(axis=1)[:n]


def _arrival_mix(config: SimulationConfig) -> dict[tuple[str, bool], float]:
    """Base arrivals per hour by (owning team, AI-assisted)."""
    mix: dict[tuple[str, bool], float] = {}
    for d in config.demand:
        total = sum(w for w in d.teams.values() if w > 0)
        for team, w in d.teams.items():
            if w <= 0:
                continue
            rate = d.per_day / HOURS_PER_DAY * w / total
            for ai, share in ((True, d.ai_share), (False, 1.0 - d.ai_share)):
                mix[(team, ai)] = mix.get((team, ai), 0.0) + rate * share
    return mix


def pools_of(config: SimulationConfig) -> dict[str, tuple[tuple[str, ...], str | None, int]]:
    """Pool name -> (stages served, owning team, initial servers); names as the engine gives them."""
    pools: dict[str, tuple[tuple[str, ...], str | None, int]] = {}
    for s in config.work_stages:
        if s.shared_pool is not None:
            stages = pools.get(s.shared_pool, ((), None, 0))[0]
            pools[s.shared_pool] = ((*stages, s.stage), None, config.shared_pools[s.shared_pool])
        elif s.team_servers is not None:
            for team in config.teams:
                pools[f"{team}.{s.stage}"] = ((s.stage,), team, s.team_servers[team])
        else:
            assert s.servers is not None
            pools[s.stage] = ((s.stage,), None, s.servers)
    return pools


def _pool_name(stage: WorkStage, team: str) -> str:
    if stage.shared_pool is not None:
        return stage.shared_pool
    return f"{team}.{stage.stage}" if stage.team_servers is not None else stage.stage


def offered_work(config: SimulationConfig) -> dict[str, dict[str, float]]:
    """Offered work at base rates (server-hours per hour) per pool, split by the stage that asks for it."""
    visits = {ai: visit_ratios(config, ai) for ai in (False, True)}
    work: dict[str, dict[str, float]] = {}
    for (team, ai), rate in _arrival_mix(config).items():
        for j, s in enumerate(config.steps):
            if isinstance(s, WorkStage):
                per = work.setdefault(_pool_name(s, team), {})
                per[s.stage] = per.get(s.stage, 0.0) + rate * visits[ai][j] * s.service.mean / s.speed
    return work


def ground_truth(config: SimulationConfig, end_hours: float) -> GroundTruth:
    """The offered load of every pool per segment, the constraint per segment and overall, and its shifts."""
    pools = pools_of(config)
    work = offered_work(config)
    cuts = {0.0, float(end_hours)}
    cuts |= {float(c.at_hours) for c in config.capacity_changes if 0 < c.at_hours < end_hours}
    cuts |= {float(r.at_hours) for r in config.arrival_changes if 0 < r.at_hours < end_hours}
    bounds = sorted(cuts)
    segments: list[Segment] = []
    for start, end in zip(bounds[:-1], bounds[1:], strict=True):
        factor = _factor(config, start)
        loads = []
        for name, (stages, team, servers) in pools.items():
            c = _servers_at(config, name, stages, team, servers, start)
            offered = factor * sum(work.get(name, {}).values())
            rho = offered / c if c > 0 else (np.inf if offered > 0 else 0.0)
            loads.append(PoolLoad(name, stages, team, c, float(rho)))
        top = max(loads, key=lambda pl: pl.utilisation, default=None)
        bound = top is not None and top.utilisation >= config.constraint_threshold
        segments.append(
            Segment(
                start,
                end,
                tuple(loads),
                _main_stage(top.pool, work) if bound and top else None,
                top.team if bound and top else None,
                top.pool if bound and top else None,
            )
        )
    return _summarise(config, segments, pools, work)


def _main_stage(pool: str, work: dict[str, dict[str, float]]) -> str:
    """The stage that brings the most work to a pool (a shared pool serves several)."""
    per = work[pool]
    return max(per, key=lambda s: per[s])


def _factor(config: SimulationConfig, t: float) -> float:
    factor = 1.0
    for r in sorted(config.arrival_changes, key=lambda r: r.at_hours):
        if r.at_hours <= t:
            factor = r.factor
    return factor


def _servers_at(
    config: SimulationConfig, pool: str, stages: tuple[str, ...], team: str | None, initial: int, t: float
) -> int:
    servers = initial
    target = pool if pool in config.shared_pools else stages[0]
    for c in sorted(config.capacity_changes, key=lambda c: c.at_hours):
        if c.at_hours <= t and c.stage == target and (c.team is None or c.team == team):
            servers = c.servers
    return servers


def _summarise(
    config: SimulationConfig,
    segments: list[Segment],
    pools: dict[str, tuple[tuple[str, ...], str | None, int]],
    work: dict[str, dict[str, float]],
) -> GroundTruth:
    shifts: list[Shift] = []
    named = [s for s in segments if s.constraint_stage is not None]
    for prev, cur in zip(named[:-1], named[1:], strict=True):
        if prev.constraint_stage != cur.constraint_stage:
            assert prev.constraint_stage is not None and cur.constraint_stage is not None
            shifts.append(Shift(cur.start_hours, prev.constraint_stage, cur.constraint_stage))
    last = named[-1] if named else None
    span = sum(s.end_hours - s.start_hours for s in segments) or 1.0
    pool_rho = {p: sum(_rho(s, p) * (s.end_hours - s.start_hours) for s in segments) / span for p in pools}
    stage_rho: dict[str, float] = {}
    for st in config.work_stages:
        serving = [p for p, (stages, _, _) in pools.items() if st.stage in stages]
        if st.shared_pool is not None:
            stage_rho[st.stage] = pool_rho[st.shared_pool]
            continue
        total = 0.0
        for s in segments:
            busy = sum(_rho(s, p) * _load(s, p).servers for p in serving)
            people = sum(_load(s, p).servers for p in serving)
            total += (busy / people if people else 0.0) * (s.end_hours - s.start_hours)
        stage_rho[st.stage] = total / span
    acceptable = pools[last.constraint_pool][0] if last and last.constraint_pool else ()
    waits = tuple(s.name for s in config.statuses if s.kind == "wait") + tuple(
        s.status for s in config.steps if isinstance(s, WaitStep) and s.kind != "wait"
    )
    return GroundTruth(
        constraint_stage=last.constraint_stage if last else None,
        constraint_team=last.constraint_team if last else None,
        constraint_pool=last.constraint_pool if last else None,
        kind="none" if last is None else ("shifting" if shifts else "sole"),
        shifts=tuple(shifts),
        segments=tuple(segments),
        stage_utilisation=stage_rho,
        pool_utilisation=pool_rho,
        acceptable_stages=tuple(acceptable),
        wait_statuses=waits,
        threshold=config.constraint_threshold,
    )


def _load(segment: Segment, pool: str) -> PoolLoad:
    return next(pl for pl in segment.loads if pl.pool == pool)


def _rho(segment: Segment, pool: str) -> float:
    return _load(segment, pool).utilisation
