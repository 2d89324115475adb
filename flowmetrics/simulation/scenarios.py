"""Scenario families with a planted ground truth, for testing constraint detection where naive answers fail.

Each builder returns a `Scenario`: a config and what a detector should conclude (the constraint stage or
None, its team, the shift). Loads are planted as utilisations (rho = lambda x E[S] / c per pool): the
builders scale service means until every pool carries exactly the load its family needs. Scenarios use
their own status names and ship their own status map.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TypedDict, Unpack

from flowmetrics.results import Result
from flowmetrics.simulation.config import (
    HOURS_PER_DAY,
    Blocking,
    CapacityChange,
    Demand,
    DeployTrains,
    RateChange,
    Rework,
    SimulationConfig,
    Status,
    Step,
    WaitStep,
    WorkStage,
)
from flowmetrics.simulation.distributions import fixed, gamma, lognormal
from flowmetrics.simulation.ground_truth import offered_work, pools_of

STAGES = ("analysis", "build", "review", "test")
RATE_PER_DAY = 24.0  # one ticket an hour
BUSY = 0.92  # planted utilisation of a constraint
CALM = 0.5  # planted utilisation of every other pool


@dataclass(frozen=True)
class Expected(Result):
    """What a detector should conclude on a scenario.

    `acceptable_stages` are every stage a correct verdict may name (a pool shared by two stages makes
    both right); `decoys` are stages or statuses that look long but are not capacity-bound.
    """

    constraint_stage: str | None
    constraint_team: str | None = None
    kind: str = "sole"  # sole | shifting | none
    shift_at_hours: float | None = None
    shift_from: str | None = None
    shift_to: str | None = None
    acceptable_stages: tuple[str, ...] = ()
    decoys: tuple[str, ...] = ()
    saturated: tuple[str, ...] = ()  # stages near saturation at once: a right verdict names all of them


@dataclass(frozen=True)
class Scenario:
    """A named system of a family and its planted answer."""

    name: str
    family: str
    config: SimulationConfig
    expected: Expected


def _demand() -> tuple[Demand, ...]:
    return (
        Demand("product", 14.0, {"alpha": 0.6, "beta": 0.4}, ai_share=0.3),
        Demand("growth", 6.0, {"alpha": 0.5, "beta": 0.5}, ai_share=0.45),
        Demand("marketing", 4.0, {"alpha": 0.3, "beta": 0.7}, ai_share=0.5),
    )


def _work_stage(
    stage: str, servers: int | None = 2, rework: Rework | None = None, shared_pool: str | None = None
) -> WorkStage:
    queue, active = {
        "analysis": ("Ready for Analysis", "Analysing"),
        "build": ("Ready to Build", "Building"),
        "review": ("Awaiting Review", "Reviewing"),
        "test": ("Ready for Test", "Testing"),
    }[stage]
    order = 20 + 10 * STAGES.index(stage)
    return WorkStage(
        stage,
        order,
        active,
        gamma(4.0, 0.8),
        queue_status=queue,
        servers=servers,
        rework=rework,
        shared_pool=shared_pool,
    )


def _backlog() -> WaitStep:
    return WaitStep(
        "backlog",
        10,
        "New",
        lognormal(8.0, 1.0),
        kind="queue",
        abandon_probability=0.04,
        abandon_after=lognormal(48.0, 1.0),
    )


class _Extras(TypedDict, total=False):
    """The SimulationConfig fields a scenario sets beyond the base pipeline."""

    shared_pools: Mapping[str, int]
    arrival_changes: tuple[RateChange, ...]
    capacity_changes: tuple[CapacityChange, ...]


def _config(
    name: str,
    items: int,
    stages: Mapping[str, WorkStage] | None = None,
    extra: Mapping[int, Step] | None = None,
    **kw: Unpack[_Extras],
) -> SimulationConfig:
    """The base pipeline New -> analysis -> build -> review -> test -> Closed, with stages replaced or
    steps inserted (at a position in the route: 0 = before the backlog, 5 = after test)."""
    work = {s: _work_stage(s) for s in STAGES}
    work.update(stages or {})
    route: list[Step] = [_backlog(), *(work[s] for s in STAGES)]
    for pos in sorted(extra or {}, reverse=True):
        route.insert(pos, (extra or {})[pos])
    return SimulationConfig(
        demand=_demand(),
        steps=tuple(route),
        items=items,
        done=Status("Closed", "done", "done", 90),
        abandoned=Status("Rejected", "abandoned", "abandoned", 99),
        warmup_hours=min(7 * HOURS_PER_DAY, 0.15 * items / RATE_PER_DAY * HOURS_PER_DAY),
        name=name,
        **kw,
    )


def plant(config: SimulationConfig, loads: Mapping[str, float], default: float | None = CALM) -> SimulationConfig:
    """Scale service means so each pool (named as in the ground truth) has its planted load at base rates.

    Pools not named get `default` (None leaves them alone). A stage is scaled once, by the first pool that
    names it, so a team-split stage is planted through one team's pool and the others follow from their
    head counts.
    """
    pools = pools_of(config)
    work = offered_work(config)
    targets = dict(loads)
    if default is not None:
        for p in pools:
            targets.setdefault(p, default)
    factors: dict[str, float] = {}
    for pool in sorted(targets, key=lambda p: p not in loads):
        stages, _, servers = pools[pool]
        if any(s in factors for s in stages):
            continue
        current = sum(work[pool].values()) / servers
        for s in stages:
            factors[s] = targets[pool] / current
    steps = tuple(
        replace(s, service=s.service.scaled(factors[s.stage])) if isinstance(s, WorkStage) and s.stage in factors else s
        for s in config.steps
    )
    return replace(config, steps=steps)


def _duration(items: int) -> float:
    """Hours over which `items` tickets arrive at the base rate."""
    return items / RATE_PER_DAY * HOURS_PER_DAY


def constraint_at(stage: str = "review", items: int = 800, team: str | None = None) -> Scenario:
    """One stage (or one team's people at it) at 0.92 utilisation, every other pool at 0.5."""
    name = f"constraint_at_{stage}" + (f"_{team}" if team else "")
    return _bound_stage(name, "team_bound" if team else "constraint_at", stage, items, team)


def team_bound(stage: str = "review", items: int = 800, team: str = "alpha") -> Scenario:
    """The constraint is one team's people inside a stage shared with another team: `team`'s two at 0.92, the
    other team's at 0.5 (the stage as a whole is not saturated; the verdict names the stage and the team)."""
    return constraint_at(stage, items, team)


def _bound_stage(
    name: str,
    family: str,
    stage: str,
    items: int,
    team: str | None = None,
    servers: int = 2,
    load: float = BUSY,
    others: float = CALM,
) -> Scenario:
    """`stage` (or `team`'s people at it, `servers` of them) at `load`, every other pool at `others`."""
    if stage not in STAGES:
        raise ValueError(f"stage must be one of {', '.join(STAGES)}")
    stages: dict[str, WorkStage] = {}
    pool = stage
    if team is not None:
        stages[stage] = replace(_work_stage(stage), servers=None, team_servers={"alpha": servers, "beta": 3})
        pool = f"{team}.{stage}"
    elif servers != 2:
        stages[stage] = _work_stage(stage, servers=servers)
    config = plant(_config(name, items, stages), {pool: load}, default=others)
    if team is not None:
        # the other team's head count brings its pool down to CALM at the same service time
        other = "beta" if team == "alpha" else "alpha"
        need = max(1, round(sum(offered_work(config)[f"{other}.{stage}"].values()) / others))
        target = config.stage(stage)
        assert target.team_servers is not None
        ts = {**target.team_servers, other: need}
        steps = tuple(replace(target, team_servers=ts) if s is target else s for s in config.steps)
        config = replace(config, steps=steps)
    return Scenario(config.name, family, config, Expected(stage, team, acceptable_stages=(stage,)))


def wide_constraint(items: int = 1000, servers: int = 24, load: float = 0.93, team: str | None = None) -> Scenario:
    """Build done by many people (10-40) near saturation, every other pool at 0.6: each item waits little next
    to its long work (a short queue, non-empty about half of the time) although build limits throughput. With
    `team`, the many people are that team's inside a build stage shared with another team."""
    name = f"wide_constraint_{servers}_at_{round(load * 100)}" + (f"_{team}" if team else "")
    family = "team_bound" if team else "wide_constraint"
    return _bound_stage(name, family, "build", items, team, servers, load, others=0.6)


def _shift(name: str, items: int, before: Mapping[str, tuple[int, float]], after: Mapping[str, int]) -> Scenario:
    """Build and review at planted (servers, load) before mid-period, then with `after` servers: the constraint
    moves from the loaded one to the other."""
    stages = {s: _work_stage(s, servers=n) for s, (n, _) in before.items()}
    at = float(round(_duration(items) / 2))
    changes = tuple(CapacityChange(at, s, n) for s, n in after.items())
    config = _config(name, items, stages, capacity_changes=changes)
    config = plant(config, {s: load for s, (_, load) in before.items()})
    first = max(before, key=lambda s: before[s][1])
    then = max(after, key=lambda s: before[s][0] * before[s][1] / after[s])
    return Scenario(
        config.name,
        "wide_shift",
        config,
        Expected(then, kind="shifting", shift_at_hours=at, shift_from=first, shift_to=then, acceptable_stages=(then,)),
    )


def wide_to_narrow(items: int = 1600) -> Scenario:
    """Twenty-four builders at 0.93 limit the flow until six more join and a reviewer of three leaves: then two
    reviewers at 0.9 do (the build stage drops to 0.74)."""
    return _shift("wide_to_narrow", items, {"build": (24, 0.93), "review": (3, 0.6)}, {"build": 30, "review": 2})


def narrow_to_wide(items: int = 1600) -> Scenario:
    """Two reviewers at 0.9 limit the flow until a third joins and six of thirty builders leave: then the
    twenty-four builders at 0.93 do."""
    return _shift("narrow_to_wide", items, {"build": (30, 0.744), "review": (2, 0.9)}, {"build": 24, "review": 3})


def two_saturated(items: int = 1000) -> Scenario:
    """Review (two people at 0.93) and test (three at 0.9) near saturation at once: the verdict names one and
    says the other is saturated too."""
    stages = {"test": _work_stage("test", servers=3)}
    config = plant(_config("two_saturated", items, stages), {"review": 0.93, "test": 0.9})
    return Scenario(
        config.name,
        "two_saturated",
        config,
        Expected("review", acceptable_stages=("review",), saturated=("review", "test")),
    )


def kanban_limits(items: int = 800) -> Scenario:
    """Test (two people at 0.92) takes at most three items into Ready for Test; the rest wait in Review Done, which
    the status map marks as test's queue: the constraint is test, whose capped queue alone looks short."""
    test = replace(_work_stage("test"), wip_limit=3, overflow_status="Review Done")
    config = plant(_config("kanban_limits", items, {"test": test}), {"test": BUSY})
    return Scenario(config.name, "kanban_limits", config, Expected("test", acceptable_stages=("test",)))


def batch_releases(items: int = 1000) -> Scenario:
    """Planned work is released once a week: arrivals run at four times the base rate every Monday and at half
    of it the other days (the same weekly total); review at 0.92 is the constraint."""
    weeks = int(_duration(items) / (7 * HOURS_PER_DAY)) + 2
    changes = tuple(
        RateChange(7 * HOURS_PER_DAY * w + day * HOURS_PER_DAY, 4.0 if day == 0 else 0.5)
        for w in range(weeks)
        for day in (0, 1)
    )
    config = plant(_config("batch_releases", items, arrival_changes=changes), {"review": BUSY})
    return Scenario(config.name, "batch_releases", config, Expected("review", acceptable_stages=("review",)))


def decoy_long_wait(items: int = 800) -> Scenario:
    """Review is the constraint; long waits are not: build work put On Hold for days, a wait on customers,
    and a fixed 3-day wait in Resolved before auto-close."""
    build = replace(_work_stage("build"), blocking=Blocking("On Hold", 0.3, lognormal(72.0, 0.6)))
    waits = {
        3: WaitStep("customer", 35, "Waiting on Customer", lognormal(96.0, 0.6), probability=0.6),
        5: WaitStep("resolved", 80, "Resolved", fixed(72.0)),
    }
    config = plant(_config("decoy_long_wait", items, {"build": build}, extra=waits), {"review": BUSY})
    return Scenario(
        config.name,
        "decoy_long_wait",
        config,
        Expected("review", acceptable_stages=("review",), decoys=("customer", "resolved", "On Hold")),
    )


def decoy_ample_staff(items: int = 800) -> Scenario:
    """Analysis takes days but eighty people do it in parallel (no queue); test is the constraint."""
    analysis = replace(_work_stage("analysis"), service=gamma(40.0, 0.5), servers=80)
    loads = {"test": BUSY, "build": CALM, "review": CALM}
    config = plant(_config("decoy_ample_staff", items, {"analysis": analysis}), loads, default=None)
    return Scenario(
        config.name,
        "decoy_ample_staff",
        config,
        Expected("test", acceptable_stages=("test",), decoys=("analysis",)),
    )


def rework_loops(items: int = 800) -> Scenario:
    """Test sends a quarter of the work (half of AI-assisted work) back to build; test is the constraint."""
    stages = {
        "review": _work_stage("review", rework=Rework("build", 0.15, ai_probability=0.3)),
        "test": _work_stage("test", servers=3, rework=Rework("build", 0.25, ai_probability=0.5)),
    }
    config = plant(_config("rework_loops", items, stages), {"test": BUSY})
    return Scenario(config.name, "rework_loops", config, Expected("test", acceptable_stages=("test",)))


def deploy_trains(items: int = 800) -> Scenario:
    """Work waits days for a Tuesday/Thursday 14:00 release train (a schedule, not people); review is the
    constraint.
    """
    trains = DeployTrains(status="Awaiting Release", stage="release", order=60, weekdays=(1, 3))
    config = plant(_config("deploy_trains", items, extra={5: trains}), {"review": BUSY})
    return Scenario(
        config.name,
        "deploy_trains",
        config,
        Expected("review", acceptable_stages=("review",), decoys=("release",)),
    )


def shared_staff(items: int = 800) -> Scenario:
    """Build and test share one pool of three engineers: neither stage alone would keep them busy, both
    together load them at 0.92. Both stages are a right answer."""
    stages = {
        "build": _work_stage("build", servers=None, shared_pool="engineers"),
        "test": replace(_work_stage("test", servers=None, shared_pool="engineers"), service=gamma(2.5, 0.8)),
    }
    config = _config("shared_staff", items, stages, shared_pools={"engineers": 3})
    config = plant(config, {"engineers": BUSY})
    return Scenario(config.name, "shared_staff", config, Expected("build", acceptable_stages=("build", "test")))


def moving_constraint(items: int = 1200) -> Scenario:
    """Review is the constraint until mid-period, when reviewers double and testers halve: then test is."""
    stages = {"test": _work_stage("test", servers=4)}
    at = float(round(_duration(items) / 2))
    changes = (CapacityChange(at, "review", 4), CapacityChange(at, "test", 2))
    config = _config("moving_constraint", items, stages, capacity_changes=changes)
    config = plant(config, {"review": BUSY, "test": BUSY / 2})
    return Scenario(
        config.name,
        "moving_constraint",
        config,
        Expected(
            "test",
            kind="shifting",
            shift_at_hours=at,
            shift_from="review",
            shift_to="test",
            acceptable_stages=("test",),
        ),
    )


def no_constraint(items: int = 800) -> Scenario:
    """Every pool well below capacity (at most 0.5): nothing limits throughput, the answer is none."""
    config = plant(_config("no_constraint", items), {"review": 0.5}, default=0.4)
    return Scenario(config.name, "no_constraint", config, Expected(None, kind="none"))


def overwhelmed_by_arrivals(items: int = 1200) -> Scenario:
    """Arrivals triple after 40% of the tickets: review (0.6 before) gets 1.8, its queue never drains."""
    at = float(round(0.4 * _duration(items)))
    config = _config("overwhelmed_by_arrivals", items, arrival_changes=(RateChange(at, 3.0),))
    config = plant(config, {"review": 0.6}, default=0.25)
    return Scenario(config.name, "overwhelmed_by_arrivals", config, Expected("review", acceptable_stages=("review",)))


FAMILIES: dict[str, Callable[..., Scenario]] = {
    "constraint_at": constraint_at,
    "decoy_long_wait": decoy_long_wait,
    "decoy_ample_staff": decoy_ample_staff,
    "rework_loops": rework_loops,
    "deploy_trains": deploy_trains,
    "shared_staff": shared_staff,
    "moving_constraint": moving_constraint,
    "no_constraint": no_constraint,
    "overwhelmed_by_arrivals": overwhelmed_by_arrivals,
    "wide_constraint": wide_constraint,
    "wide_shift": wide_to_narrow,
    "two_saturated": two_saturated,
    "kanban_limits": kanban_limits,
    "batch_releases": batch_releases,
    "team_bound": team_bound,
}


class _Size(TypedDict, total=False):
    items: int


def all_scenarios(items: int | None = None, variants: bool = True) -> tuple[Scenario, ...]:
    """One scenario of every family (constraint_at at each stage), e.g. for a sweep; with `variants`, also the wide
    family's other widths and loads, a team-bound wide stage (twenty of one team's people inside a shared build)
    and the shift back from a narrow stage to a wide one."""
    kw: _Size = {} if items is None else {"items": items}
    out = [constraint_at(s, **kw) for s in STAGES]
    out += [builder(**kw) for name, builder in FAMILIES.items() if name != "constraint_at"]
    if variants:
        out += [wide_constraint(servers=n, load=u, **kw) for n, u in ((12, 0.88), (40, 0.96))]
        out.append(wide_constraint(servers=20, load=0.93, team="alpha", **kw))
        out.append(narrow_to_wide(**kw))
    return tuple(out)
