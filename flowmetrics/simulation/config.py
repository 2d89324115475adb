"""The shape of a simulated delivery system: demand, the route of stages, people, schedules.

Plain frozen dataclasses so a config can be built by hand (demo, scenarios) or from a calibration of the
marts (what-if), compared, and changed with `scale_capacity` / `scale_arrivals`. Times are hours since the
config's epoch.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

from flowmetrics.simulation.distributions import Distribution, lognormal

StatusKind = Literal["queue", "active", "wait", "done", "abandoned"]
DEFAULT_EPOCH = datetime(2026, 1, 5)  # a Monday, 00:00 UTC: output never depends on the wall clock
HOURS_PER_DAY = 24.0
HOURS_PER_WEEK = 168.0


@dataclass(frozen=True)
class Status:
    """One raw status and where the status map puts it."""

    name: str
    stage: str
    kind: StatusKind
    order: int


@dataclass(frozen=True)
class Rework:
    """After its stage, an item goes back to an earlier work stage with this probability (a backward move)."""

    to_stage: str
    probability: float
    ai_probability: float | None = None  # for AI-assisted items; None: the same as `probability`
    max_loops: int = 3  # an item is sent back at most this many times in total

    def probability_for(self, ai_assisted: bool) -> float:
        return self.ai_probability if ai_assisted and self.ai_probability is not None else self.probability


@dataclass(frozen=True)
class Blocking:
    """Work at a stage gets blocked on an outside party: a pure wait inside the stage, never capacity-bound.

    With `probability` (per visit) the work stops at a random point and the person moves on; the item
    waits in `status` for `delay`, then queues for the stage again and resumes the work that was left. With
    `abandon_probability` blocked work is dropped instead (to the abandoned status) at the end of the delay:
    started work that never finishes.
    """

    status: str
    probability: float
    delay: Distribution
    abandon_probability: float = 0.0


@dataclass(frozen=True)
class Staleness:
    """Work that waited in a stage's queue longer than `after_hours` is dropped (to the abandoned status) with
    `probability` when a person picks it up: it is no longer wanted. The longer the queue, the more work is lost.
    """

    after_hours: float
    probability: float


@dataclass(frozen=True)
class WorkStage:
    """A stage done by a limited number of people: a FIFO queue status, then an active status while served.

    Capacity is exactly one of: `servers` (one pool), `team_servers` (a separate pool per owning team) or
    `shared_pool` (a pool named in `SimulationConfig.shared_pools`, shared with other stages). `speed`
    divides service times, so servers x speed is the stage's capacity (fractional capacity changes).
    With `queue_status` None an item waiting for a server stays in its previous status. `blocking` parks
    some work mid-way in a wait status of the stage (e.g. `Blocked`); `staleness` drops work that waited too long
    in its queue. A kanban `wip_limit` caps the items in
    `queue_status`; the rest wait in `overflow_status` (the upstream column's `… Done`, which the status map
    marks as this stage's queue) and are pulled into the queue, oldest first, as it makes room.
    """

    stage: str
    order: int
    active_status: str
    service: Distribution
    queue_status: str | None = None
    servers: int | None = 1
    team_servers: Mapping[str, int] | None = None
    shared_pool: str | None = None
    speed: float = 1.0
    rework: Rework | None = None
    blocking: Blocking | None = None
    staleness: Staleness | None = None
    wip_limit: int | None = None
    overflow_status: str | None = None

    def __post_init__(self) -> None:
        given = [self.team_servers is not None, self.shared_pool is not None]
        if sum(given) > 1:
            raise ValueError(f"stage {self.stage!r}: give team_servers or shared_pool, not both")
        if any(given):
            object.__setattr__(self, "servers", None)
        elif self.servers is None or self.servers < 1:
            raise ValueError(f"stage {self.stage!r}: servers must be >= 1")
        if self.speed <= 0:
            raise ValueError(f"stage {self.stage!r}: speed must be > 0")
        if (self.wip_limit is None) != (self.overflow_status is None):
            raise ValueError(f"stage {self.stage!r}: give wip_limit and overflow_status together")
        if self.staleness is not None and self.staleness.after_hours < 0:
            raise ValueError(f"stage {self.stage!r}: staleness after_hours must be >= 0")
        if self.wip_limit is not None and (self.wip_limit < 1 or self.queue_status is None or self.servers is None):
            raise ValueError(f"stage {self.stage!r}: a wip_limit >= 1 needs a queue status and one pool of servers")

    @property
    def statuses(self) -> tuple[Status, ...]:
        out = [Status(self.active_status, self.stage, "active", self.order)]
        if self.queue_status is not None:
            out.insert(0, Status(self.queue_status, self.stage, "queue", self.order))
        if self.overflow_status is not None:
            out.insert(0, Status(self.overflow_status, self.stage, "queue", self.order))
        if self.blocking is not None:
            out.append(Status(self.blocking.status, self.stage, "wait", self.order))
        return tuple(out)


@dataclass(frozen=True)
class WaitStep:
    """A pure delay with unlimited servers (blocked on an outside party, a backlog, a wait before close).

    Taken with `probability`; long but never capacity-bound. With `abandon_probability` an item leaves from
    here to the abandoned status after `abandon_after` (default: the same delay) instead of moving on.
    `kind` is what the status map says ("queue" for a backlog that the default map calls a queue).
    """

    stage: str
    order: int
    status: str
    delay: Distribution
    kind: Literal["wait", "queue"] = "wait"
    probability: float = 1.0
    abandon_probability: float = 0.0
    abandon_after: Distribution | None = None

    @property
    def statuses(self) -> tuple[Status, ...]:
        return (Status(self.status, self.stage, self.kind, self.order),)


@dataclass(frozen=True)
class DeployTrains:
    """Items wait in `status` for the next train (e.g. weekdays 14:00 UTC); a train ships all waiting items
    of a service as one deploy. A failed or rolled-back deploy is redeployed successfully `redeploy_after`
    later.
    """

    status: str = "Ready to Deploy"
    stage: str = "deploy"
    order: int = 60
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)  # Monday = 0
    hours_utc: tuple[float, ...] = (14.0,)
    failure_probability: float = 0.05
    rollback_probability: float = 0.03
    redeploy_after: Distribution = field(default_factory=lambda: lognormal(3.0, 0.5))
    environment: str = "production"
    team_services: Mapping[str, str] | None = None  # owning team -> service; None: every team ships `service`
    service: str = "app"
    missing_first_commit_share: float = 0.05

    def __post_init__(self) -> None:
        if not self.weekdays or not self.hours_utc:
            raise ValueError("deploy trains need at least one weekday and one hour")
        if self.failure_probability + self.rollback_probability >= 1:
            raise ValueError("deploy failure + rollback probability must be < 1")

    @property
    def statuses(self) -> tuple[Status, ...]:
        return (Status(self.status, self.stage, "wait", self.order),)

    def service_of(self, team: str) -> str:
        return (self.team_services or {}).get(team, self.service)


Step = WorkStage | WaitStep | DeployTrains


@dataclass(frozen=True)
class Demand:
    """Poisson arrivals from one requesting function, with its owning teams (weights) and AI share."""

    requested_by: str
    per_day: float
    teams: Mapping[str, float]
    ai_share: float = 0.3
    ticket_types: Mapping[str, float] = field(default_factory=lambda: {"story": 0.6, "bug": 0.25, "task": 0.15})


@dataclass(frozen=True)
class RateChange:
    """From `at_hours` on, every arrival rate is its base rate times `factor` (e.g. 3: AI triples intake)."""

    at_hours: float
    factor: float


@dataclass(frozen=True)
class InitialItem:
    """An item already in the flow when the run starts: it enters `stage` (a work stage or a wait step) at hour 0,
    its work there starting over (the time it already spent is not known to the run)."""

    stage: str
    team: str
    requested_by: str
    ai_assisted: bool = False


@dataclass(frozen=True)
class CapacityChange:
    """From `at_hours` on, a stage's (or a shared pool's) pool has `servers` people (one team's if `team`)."""

    at_hours: float
    stage: str
    servers: int
    team: str | None = None


@dataclass(frozen=True)
class ExperimentConfig:
    """Which tickets build experiments, and how their lifecycle and exposures go once the ticket ships."""

    share: float = 0.12  # of tickets
    units_per_day: float = 30.0  # median new units exposed per running day; the exposure-volume knob
    exposures_per_unit: float = 1.5  # mean exposures of one unit
    runtime_days: tuple[int, ...] = (7, 14, 21)
    three_variant_share: float = 0.2
    srm_share: float = 0.1  # actual allocation off the planned weights
    srm_skew: float = 0.4  # relative shift of the last variant's allocation when SRM (then renormalised)
    low_traffic_share: float = 0.12  # traffic at 5% of normal: never reaches min_sample_size
    pause_share: float = 0.1
    abandoned_share: float = 0.05
    undecided_share: float = 0.12  # stopped, never decided
    decisions: Mapping[str, float] = field(
        default_factory=lambda: {"ship": 0.45, "rollback": 0.15, "iterate": 0.2, "inconclusive": 0.2}
    )
    missing_shipped_share: float = 0.2  # decided ship, never shipped
    unit_population: int = 500_000


@dataclass(frozen=True)
class SimulationConfig:
    """One delivery system: demand, the route every item takes, capacity, schedules and log noise.

    Arrivals stop after `items` tickets or at `horizon_hours`, whichever comes first (at least one is given);
    the flow runs on `run_on_hours` after the last arrival (or to the horizon). Items then still in the flow
    stay open, as in a real export.
    """

    demand: tuple[Demand, ...]
    steps: tuple[Step, ...]
    items: int | None = None
    horizon_hours: float | None = None
    run_on_hours: float = 0.0
    done: Status = Status("Done", "done", "done", 90)
    abandoned: Status = Status("Won't Do", "abandoned", "abandoned", 99)
    shared_pools: Mapping[str, int] = field(default_factory=dict)
    arrival_changes: tuple[RateChange, ...] = ()
    capacity_changes: tuple[CapacityChange, ...] = ()
    experiments: ExperimentConfig | None = None
    reassign_probability: float = 0.05  # per visit to a queue/active status: a same-status change by someone else
    epoch: datetime = DEFAULT_EPOCH
    warmup_hours: float = 0.0  # excluded by the summary metrics
    initial_wip: tuple[InitialItem, ...] = ()  # items in the flow at hour 0 (items 0..k-1 of the run)
    constraint_threshold: float = 0.8  # ground truth: a pool at or above this utilisation is capacity-bound
    name: str = "system"

    def __post_init__(self) -> None:
        _validate(self)

    @property
    def work_stages(self) -> tuple[WorkStage, ...]:
        return tuple(s for s in self.steps if isinstance(s, WorkStage))

    @property
    def deploy_trains(self) -> DeployTrains | None:
        return next((s for s in self.steps if isinstance(s, DeployTrains)), None)

    @property
    def teams(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for d in self.demand:
            seen.update(dict.fromkeys(t for t, w in d.teams.items() if w > 0))
        return tuple(seen)

    @property
    def statuses(self) -> tuple[Status, ...]:
        """Every status the run can use, in route order, each once."""
        out: dict[str, Status] = {}
        for step in self.steps:
            for s in step.statuses:
                out.setdefault(s.name, s)
        out.setdefault(self.done.name, self.done)
        out.setdefault(self.abandoned.name, self.abandoned)
        return tuple(out.values())

    def stage(self, name: str) -> WorkStage:
        for s in self.work_stages:
            if s.stage == name:
                return s
        raise KeyError(f"config {self.name!r} has no work stage {name!r}")


def _validate(cfg: SimulationConfig) -> None:
    if cfg.items is None and cfg.horizon_hours is None:
        raise ValueError("give items, horizon_hours or both")
    if not cfg.demand or sum(d.per_day for d in cfg.demand) <= 0:
        raise ValueError("demand needs at least one function with a positive rate")
    names = [s.stage for s in cfg.work_stages]
    if len(set(names)) != len(names):
        raise ValueError(f"work stage names must be unique, got {names}")
    seen_status: dict[str, Status] = {}
    for step in cfg.steps:
        for s in step.statuses:
            if s.name in seen_status and seen_status[s.name] != s:
                raise ValueError(f"status {s.name!r} is used with two meanings")
            seen_status[s.name] = s
    teams = set(cfg.teams)
    for i, step in enumerate(cfg.steps):
        if isinstance(step, WorkStage):
            if step.shared_pool is not None and step.shared_pool not in cfg.shared_pools:
                raise ValueError(f"stage {step.stage!r} uses unknown shared pool {step.shared_pool!r}")
            if step.team_servers is not None and not teams <= set(step.team_servers):
                missing = sorted(teams - set(step.team_servers))
                raise ValueError(f"stage {step.stage!r} has no servers for team(s) {missing}")
            if step.rework is not None and step.rework.to_stage not in names[: names.index(step.stage)]:
                raise ValueError(f"stage {step.stage!r} reworks to {step.rework.to_stage!r}, not an earlier stage")
        if isinstance(step, DeployTrains) and i != len(cfg.steps) - 1:
            raise ValueError("deploy trains must be the last step of the route")
    for name, p in _probabilities(cfg):
        if not 0 <= p <= 1:
            raise ValueError(f"{name} must be a probability in [0, 1], got {p}")
    targets = set(names) | set(cfg.shared_pools)
    for c in cfg.capacity_changes:
        if c.stage not in targets:
            raise ValueError(f"capacity change for unknown stage or pool {c.stage!r}")
        if c.servers < 0:
            raise ValueError("capacity change servers must be >= 0")
    if any(r.factor <= 0 for r in cfg.arrival_changes):
        raise ValueError("arrival rate factors must be > 0")
    step_names = {getattr(step, "stage", None) for step in cfg.steps}
    unknown = sorted({i.stage for i in cfg.initial_wip} - step_names)
    if unknown:
        raise ValueError(f"initial items in unknown stage(s) {unknown}")


def _probabilities(cfg: SimulationConfig) -> list[tuple[str, float]]:
    out: list[tuple[str, float]] = []
    for step in cfg.steps:
        if isinstance(step, WorkStage):
            if step.rework is not None:
                r = step.rework
                out += [(f"{step.stage} rework", r.probability), (f"{step.stage} rework (AI)", r.probability_for(True))]
            if step.blocking is not None:
                out.append((f"{step.stage} blocking", step.blocking.probability))
                out.append((f"{step.stage} blocked abandon", step.blocking.abandon_probability))
            if step.staleness is not None:
                out.append((f"{step.stage} staleness", step.staleness.probability))
        elif isinstance(step, WaitStep):
            out += [
                (f"{step.status} probability", step.probability),
                (f"{step.status} abandon", step.abandon_probability),
            ]
    out += [(f"{d.requested_by} ai_share", d.ai_share) for d in cfg.demand]
    out.append(("reassign_probability", cfg.reassign_probability))
    if cfg.experiments is not None:
        out.append(("experiments share", cfg.experiments.share))
    return out


def _scaled_servers(servers: int, factor: float) -> int:
    return max(1, math.floor(servers * factor + 1e-9))


def scale_capacity(config: SimulationConfig, stage: str, factor: float, team: str | None = None) -> SimulationConfig:
    """The config with `stage`'s capacity (people x speed) times `factor`: e.g. 1.3 for "+30% at review".

    People are whole, so servers become floor(c x factor) (at least 1) and speed makes up the rest; a shared
    pool is scaled for every stage that uses it; `team` scales one team's pool only, in whole people
    (rounded to the nearest). Scheduled capacity changes of the stage scale by rounding their head count.
    """
    if factor <= 0:
        raise ValueError("capacity factor must be > 0")
    target = config.stage(stage)
    if target.shared_pool is not None:
        pool = target.shared_pool
        before = config.shared_pools[pool]
        after = _scaled_servers(before, factor)
        pools = {**config.shared_pools, pool: after}
        steps = tuple(
            replace(s, speed=s.speed * before * factor / after)
            if isinstance(s, WorkStage) and s.shared_pool == pool
            else s
            for s in config.steps
        )
        name = pool
        config = replace(config, shared_pools=pools, steps=steps)
    elif target.team_servers is not None:
        teams = dict(target.team_servers)
        if team is None:
            scaled = {t: _scaled_servers(c, factor) for t, c in teams.items()}
            # one speed for the stage keeps its total capacity at factor x before
            speed = target.speed * factor * sum(teams.values()) / sum(scaled.values())
        else:
            # one team's pool: whole people, rounded to the nearest
            scaled = {**teams, team: max(1, round(teams[team] * factor))}
            speed = target.speed
        config = _replace_step(config, stage, replace(target, team_servers=scaled, speed=speed))
        name = stage
    else:
        assert target.servers is not None
        after = _scaled_servers(target.servers, factor)
        speed = target.speed * target.servers * factor / after
        config = _replace_step(config, stage, replace(target, servers=after, speed=speed))
        name = stage
    changes = tuple(
        replace(c, servers=max(1, round(c.servers * factor)))
        if c.stage == name and (team is None or c.team == team)
        else c
        for c in config.capacity_changes
    )
    return replace(config, capacity_changes=changes)


def scale_arrivals(config: SimulationConfig, factor: float) -> SimulationConfig:
    """The config with every arrival rate times `factor` (e.g. 3: "AI triples upstream output")."""
    if factor <= 0:
        raise ValueError("arrival factor must be > 0")
    demand = tuple(replace(d, per_day=d.per_day * factor) for d in config.demand)
    return replace(config, demand=demand)


def _replace_step(config: SimulationConfig, stage: str, new: WorkStage) -> SimulationConfig:
    steps = tuple(new if isinstance(s, WorkStage) and s.stage == stage else s for s in config.steps)
    return replace(config, steps=steps)
