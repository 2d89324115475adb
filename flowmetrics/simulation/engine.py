"""The discrete-event engine: items flow through the route, queue FIFO for people, wait, rework and ship.

A plain heapq event loop rather than simpy: the model is a handful of event kinds with no process
interplay that needs coroutines, the loop is several times faster than simpy's generator processes (the
benchmark needs millions of status changes), and it adds no dependency.
Every random draw comes from its own seeded stream, and ties on time break by insertion order, so one
seed gives one history.
"""

from __future__ import annotations

import heapq
import math
from array import array
from collections import deque
from collections.abc import Iterator

import numpy as np
import pandas as pd

from flowmetrics.simulation.arrivals import Arrivals, draw_arrivals, with_initial
from flowmetrics.simulation.config import DeployTrains, SimulationConfig, WaitStep, WorkStage
from flowmetrics.simulation.distributions import stream, uniform_stream
from flowmetrics.simulation.experiments import simulate_experiments
from flowmetrics.simulation.ground_truth import ground_truth
from flowmetrics.simulation.result import DEPLOY_STATUSES, SimulationResult
from flowmetrics.simulation.trains import Timetable

_WORK, _WAIT, _DEPLOY = 0, 1, 2
_FINISH, _WAIT_END, _ABANDON, _TRAIN, _REDEPLOY, _CAPACITY, _BLOCK, _UNBLOCK = range(8)
_ARRIVALS, _SERVICE, _DELAY, _ABANDON_DELAY, _ROUTING, _DEPLOYS, _EXPERIMENTS, _BLOCKING, _STALE = range(9)


def rng(seed: int, *key: int) -> np.random.Generator:
    """An independent generator per purpose (and per step), so draws for one never shift another: a what-if
    that changes one stage keeps every other stream as it was (common random numbers)."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


_Deploy = tuple[int, float, int, list[int], int]  # service, at, status (DEPLOY_STATUSES index), items, redeploy_of


class _Pool:
    """People serving a stage (or a team's part of it, or several stages): idle ids, busy ids, FIFO queue."""

    __slots__ = ("name", "stages", "team", "capacity", "free", "busy", "queue", "people")

    def __init__(self, name: str, stages: list[str], team: str | None, capacity: int) -> None:
        self.name = name
        self.stages = stages
        self.team = team
        self.capacity = capacity
        self.free: list[int] = list(range(capacity))
        self.busy: set[int] = set()
        self.queue: deque[tuple[int, int, int]] = deque()  # (item, step, visit)
        self.people: list[int] = []  # actor code of server k


class _Engine:
    """One run of a config. `run()` returns the event log and the records the result is built from."""

    def __init__(self, config: SimulationConfig, seed: int) -> None:
        self.cfg = config
        self.seed = seed
        self.arrivals: Arrivals
        self.arrivals, self.first_step = with_initial(draw_arrivals(config, rng(seed, _ARRIVALS)), config)
        self.statuses = [s.name for s in config.statuses]
        self.status_code = {s: k for k, s in enumerate(self.statuses)}
        self.actors: list[str] = []
        self._actor_code: dict[str, int] = {}
        self._setup_steps()
        self._setup_pools()
        self.deploy_bot = self.actor("deploy-bot")
        self.requesters = [[self.actor(f"{f}-pm-{k}") for k in (1, 2, 3)] for f in self.arrivals.functions]
        # the event log, one entry per status change in the order they happen
        self.log_item = array("q")
        self.log_hours = array("d")
        self.log_status = array("h")
        self.log_actor = array("q")
        # work-stage visits: queued -> started -> finished (NaN while not yet)
        self.v_item = array("q")
        self.v_stage = array("h")
        self.v_pool = array("q")
        self.v_queued = array("d")
        self.v_started = array("d")
        self.v_finished = array("d")
        self.v_resumed = array("b")  # the visit resumes work left when it was blocked
        self.remaining: dict[int, float] = {}  # item -> hours of work left for its resumed visit
        self.deploys: list[_Deploy] = []

    # --- setup -------------------------------------------------------------------------------------------
    def actor(self, name: str) -> int:
        code = self._actor_code.get(name)
        if code is None:
            code = self._actor_code[name] = len(self.actors)
            self.actors.append(name)
        return code

    def _setup_steps(self) -> None:
        cfg, seed = self.cfg, self.seed
        self.kind: list[int] = []
        self.service: list[Iterator[float] | None] = []
        self.queue_code: list[int] = []
        self.active_code: list[int] = []
        self.rework: list[tuple[int, float, float, int] | None] = []  # target step, p, p_ai, max loops
        self.wait: list[WaitStep | None] = []
        # blocking per step: probability, delay draws, where in the work it stops (U(0,1) draws), status
        self.blocking: list[tuple[float, Iterator[float], Iterator[float], int] | None] = []
        # dropping work per step (probability, U(0,1) draws): blocked work, and work stale after hours in the queue
        self.block_abandon: list[tuple[float, Iterator[float]] | None] = []
        self.stale: list[tuple[float, float, Iterator[float]] | None] = []
        self.u: list[Iterator[float]] = [uniform_stream(rng(seed, _ROUTING, j)) for j in range(len(cfg.steps))]
        stage_step = {s.stage: j for j, s in enumerate(cfg.steps) if isinstance(s, WorkStage)}
        self.wip_limit: dict[int, tuple[int, int]] = {}  # step -> (kanban limit of its queue, overflow status)
        self.overflow: dict[int, deque[tuple[int, int, int]]] = {j: deque() for j in range(len(cfg.steps))}
        code = self.status_code
        for j, step in enumerate(cfg.steps):
            self.wait.append(step if isinstance(step, WaitStep) else None)
            if isinstance(step, WorkStage):
                self.kind.append(_WORK)
                self.service.append(stream(step.service.scaled(1 / step.speed), rng(seed, _SERVICE, j)))
                self.queue_code.append(-1 if step.queue_status is None else code[step.queue_status])
                self.active_code.append(code[step.active_status])
                if step.wip_limit is not None and step.overflow_status is not None:
                    self.wip_limit[j] = (step.wip_limit, code[step.overflow_status])
                b = step.blocking
                self.blocking.append(
                    None
                    if b is None
                    else (
                        b.probability,
                        stream(b.delay, rng(seed, _BLOCKING, j, 0)),
                        uniform_stream(rng(seed, _BLOCKING, j, 1)),
                        code[b.status],
                    )
                )
                self.block_abandon.append(
                    None
                    if b is None or b.abandon_probability <= 0
                    else (b.abandon_probability, uniform_stream(rng(seed, _BLOCKING, j, 2)))
                )
                st = step.staleness
                self.stale.append(
                    None if st is None else (st.after_hours, st.probability, uniform_stream(rng(seed, _STALE, j)))
                )
                r = step.rework
                self.rework.append(
                    None if r is None else (stage_step[r.to_stage], r.probability, r.probability_for(True), r.max_loops)
                )
                continue
            self.service.append(None)
            self.blocking.append(None)
            self.block_abandon.append(None)
            self.stale.append(None)
            self.rework.append(None)
            self.active_code.append(-1)
            if isinstance(step, WaitStep):
                self.kind.append(_WAIT)
                self.queue_code.append(code[step.status])
            else:
                self.kind.append(_DEPLOY)
                self.queue_code.append(code[step.status])
        self.wait_delay = [
            None if w is None else stream(w.delay, rng(seed, _DELAY, j)) for j, w in enumerate(self.wait)
        ]
        self.abandon_delay = [
            None if w is None else stream(w.abandon_after or w.delay, rng(seed, _ABANDON_DELAY, j))
            for j, w in enumerate(self.wait)
        ]
        trains = cfg.deploy_trains
        self.trains: DeployTrains | None = trains
        if trains is not None:
            self.timetable = Timetable(trains, cfg.epoch)
            services: dict[str, None] = {}
            services.update(dict.fromkeys(trains.service_of(t) for t in self.arrivals.teams))
            self.services = tuple(services)
            self.service_of_team = [self.services.index(trains.service_of(t)) for t in self.arrivals.teams]
            self.waiting: list[list[int]] = [[] for _ in self.services]
            self.train_due = [False] * len(self.services)
            self.redeploy_delay = stream(trains.redeploy_after, rng(seed, _DEPLOYS, 0))
            self.deploy_u = uniform_stream(rng(seed, _DEPLOYS, 1))
        else:
            self.services = ()

    def _setup_pools(self) -> None:
        """pool_of[step][team] -> pool index: one pool per stage, per stage and team, or per shared pool."""
        cfg = self.cfg
        teams = self.arrivals.teams
        self.pools: list[_Pool] = []
        shared: dict[str, int] = {}
        self.pool_of: list[list[int]] = []
        self.pool_index: dict[tuple[str, str | None], int] = {}
        for step in cfg.steps:
            if not isinstance(step, WorkStage):
                self.pool_of.append([])
                continue
            if step.shared_pool is not None:
                name = step.shared_pool
                if name not in shared:
                    shared[name] = self._add_pool(name, name, None, cfg.shared_pools[name])
                self.pools[shared[name]].stages.append(step.stage)
                self.pool_of.append([shared[name]] * len(teams))
            elif step.team_servers is not None:
                ids = [self._add_pool(f"{t}.{step.stage}", step.stage, t, step.team_servers[t]) for t in teams]
                for k in ids:
                    self.pools[k].stages.append(step.stage)
                self.pool_of.append(ids)
            else:
                assert step.servers is not None
                k = self._add_pool(step.stage, step.stage, None, step.servers)
                self.pools[k].stages.append(step.stage)
                self.pool_of.append([k] * len(teams))

    def _add_pool(self, name: str, target: str, team: str | None, servers: int) -> int:
        """A new pool; `target` is what a capacity change names (the stage, or the shared pool)."""
        pool = _Pool(name, [], team, servers)
        k = len(self.pools)
        self.pools.append(pool)
        self.pool_index[(target, team)] = k
        self._grow_people(pool, servers)
        return k

    def _grow_people(self, pool: _Pool, servers: int) -> None:
        while len(pool.people) < servers:
            pool.people.append(self.actor(f"{pool.name}-{len(pool.people) + 1:02d}"))

    # --- the loop ----------------------------------------------------------------------------------------
    def run(self) -> SimulationResult:
        cfg = self.cfg
        arrivals = self.arrivals.hours.tolist()
        last = arrivals[-1] if arrivals else 0.0
        self.end = end = cfg.horizon_hours if cfg.horizon_hours is not None else last + cfg.run_on_hours
        n = len(arrivals)
        self.team = self.arrivals.team.tolist()
        self.ai = self.arrivals.ai_assisted.tolist()
        self.function = self.arrivals.function.tolist()
        self.item_actor = [0] * n
        self.loops = [0] * n
        self.finished = [math.nan] * n
        self.abandoned = [math.nan] * n
        self.heap: list[tuple] = []
        self.seq = 0
        for change in cfg.capacity_changes:
            for k in self._pools_changed(change.stage, change.team):
                self._push(change.at_hours, _CAPACITY, k, change.servers)
        heap, pop = self.heap, heapq.heappop
        nxt = 0
        while True:
            t_arr = arrivals[nxt] if nxt < n else math.inf
            if heap and heap[0][0] <= t_arr:
                t, _, kind, a, b, c = pop(heap)
                if t > end:
                    break
                if kind == _FINISH:
                    self._finish(a, b, c, t)
                elif kind == _BLOCK:
                    self._block(a, b, c, t)
                elif kind == _UNBLOCK:
                    self._enter(a, b, t)
                elif kind == _WAIT_END:
                    self._enter(a, b + 1, t)
                elif kind == _ABANDON:
                    self._abandon(a, t)
                elif kind == _TRAIN:
                    self._train(a, t)
                elif kind == _REDEPLOY:
                    self._redeploy(a, t)
                else:
                    self._capacity(a, b, t)
            elif nxt < n:
                self.item_actor[nxt] = self.requesters[self.function[nxt]][nxt % 3]
                self._enter(nxt, self.first_step[nxt], t_arr)
                nxt += 1
            else:
                break
        return self._result()

    def _push(self, t: float, kind: int, a: int, b: int = 0, c: int = 0) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (t, self.seq, kind, a, b, c))

    def _record(self, i: int, t: float, status: int, actor: int) -> None:
        self.log_item.append(i)
        self.log_hours.append(t)
        self.log_status.append(status)
        self.log_actor.append(actor)

    def _enter(self, i: int, j: int, t: float) -> None:
        """Item i reaches step j at time t: skips steps it does not take, stops where it has to wait."""
        kinds = self.kind
        while j < len(kinds):
            kind = kinds[j]
            if kind == _WORK:
                pool_k = self.pool_of[j][self.team[i]]
                pool = self.pools[pool_k]
                limit = self.wip_limit.get(j)
                # a kanban queue at its limit: the item waits in the overflow status until the queue pulls it
                overflowing = limit is not None and (len(pool.queue) >= limit[0] or bool(self.overflow[j]))
                if overflowing and limit is not None:
                    self._record(i, t, limit[1], self.item_actor[i])
                elif self.queue_code[j] >= 0:
                    self._record(i, t, self.queue_code[j], self.item_actor[i])
                v = len(self.v_item)
                self.v_item.append(i)
                self.v_stage.append(j)
                self.v_pool.append(pool_k)
                self.v_queued.append(t)
                self.v_started.append(math.nan)
                self.v_finished.append(math.nan)
                self.v_resumed.append(i in self.remaining)
                if pool.free and not pool.queue:
                    self._start(i, j, v, pool_k, t)
                elif overflowing:
                    self.overflow[j].append((i, j, v))
                else:
                    pool.queue.append((i, j, v))
                return
            if kind == _WAIT:
                w = self.wait[j]
                assert w is not None
                u = self.u[j]
                if w.probability >= 1 or next(u) < w.probability:
                    self._record(i, t, self.queue_code[j], self.item_actor[i])
                    if w.abandon_probability > 0 and next(u) < w.abandon_probability:
                        self._push(t + next(self.abandon_delay[j]), _ABANDON, i)  # type: ignore[arg-type]  # set for every wait step
                    else:
                        self._push(t + next(self.wait_delay[j]), _WAIT_END, i, j)  # type: ignore[arg-type]  # set for every wait step
                    return
                j += 1
                continue
            self._record(i, t, self.queue_code[j], self.item_actor[i])
            s = self.service_of_team[self.team[i]]
            self.waiting[s].append(i)
            if not self.train_due[s]:
                self.train_due[s] = True
                self._push(self.timetable.next_after(t), _TRAIN, s)
            return
        self._done(i, t, self.item_actor[i])

    def _abandon(self, i: int, t: float) -> None:
        self._record(i, t, self.status_code[self.cfg.abandoned.name], self.item_actor[i])
        self.abandoned[i] = t

    def _done(self, i: int, t: float, actor: int) -> None:
        self._record(i, t, self.status_code[self.cfg.done.name], actor)
        self.finished[i] = t

    def _start(self, i: int, j: int, v: int, pool_k: int, t: float) -> None:
        pool = self.pools[pool_k]
        server = heapq.heappop(pool.free)
        pool.busy.add(server)
        actor = pool.people[server]
        self.item_actor[i] = actor
        self._record(i, t, self.active_code[j], actor)
        self.v_started[v] = t
        work = self.remaining.pop(i, None)
        if work is None:
            work = next(self.service[j])  # type: ignore[arg-type]  # a work step has its service stream
            block = self.blocking[j]
            if block is not None and next(block[2]) < block[0]:
                done = work * (0.2 + 0.6 * next(block[2]))
                self.remaining[i] = work - done
                self._push(t + done, _BLOCK, i, v, server)
                return
        self._push(t + work, _FINISH, i, v, server)

    def _release(self, v: int, server: int, t: float) -> None:
        """Visit v ends (done or blocked): its person takes the next item waiting for the pool."""
        self.v_finished[v] = t
        pool_k = self.v_pool[v]
        pool = self.pools[pool_k]
        pool.busy.discard(server)
        if server < pool.capacity:
            heapq.heappush(pool.free, server)
        self._serve_queue(pool_k, t)

    def _block(self, i: int, v: int, server: int, t: float) -> None:
        self._release(v, server, t)
        j = self.v_stage[v]
        block = self.blocking[j]
        assert block is not None
        self._record(i, t, block[3], self.item_actor[i])
        delay = next(block[1])
        drop = self.block_abandon[j]
        if drop is not None and next(drop[1]) < drop[0]:
            self.remaining.pop(i, None)  # the work left is never done
            self._push(t + delay, _ABANDON, i)
        else:
            self._push(t + delay, _UNBLOCK, i, j)

    def _finish(self, i: int, v: int, server: int, t: float) -> None:
        self._release(v, server, t)
        j = self.v_stage[v]
        rework = self.rework[j]
        if rework is not None and self.loops[i] < rework[3]:
            p = rework[2] if self.ai[i] else rework[1]
            if next(self.u[j]) < p:
                self.loops[i] += 1
                self._enter(i, rework[0], t)
                return
        self._enter(i, j + 1, t)

    def _serve_queue(self, pool_k: int, t: float) -> None:
        pool = self.pools[pool_k]
        while pool.free and pool.queue:
            i, j, v = pool.queue.popleft()
            if self.overflow[j]:  # a kanban queue made room: pull the oldest item waiting in the overflow
                pulled = self.overflow[j].popleft()
                pool.queue.append(pulled)
                self._record(pulled[0], t, self.queue_code[j], self.item_actor[pulled[0]])
            stale = self.stale[j]
            if stale is not None and t - self.v_queued[v] > stale[0] and next(stale[2]) < stale[1]:
                self.remaining.pop(i, None)
                self._abandon(i, t)  # the visit stays queued, never started
                continue
            self._start(i, j, v, pool_k, t)

    # --- schedules and deploys ---------------------------------------------------------------------------
    def _pools_changed(self, target: str, team: str | None) -> list[int]:
        if team is not None:
            return [self.pool_index[(target, team)]]
        return [k for (name, _t), k in self.pool_index.items() if name == target]

    def _capacity(self, pool_k: int, servers: int, t: float) -> None:
        pool = self.pools[pool_k]
        pool.capacity = servers
        self._grow_people(pool, servers)
        pool.free = [k for k in range(servers) if k not in pool.busy]
        heapq.heapify(pool.free)
        self._serve_queue(pool_k, t)

    def _train(self, s: int, t: float) -> None:
        self.train_due[s] = False
        items, self.waiting[s] = self.waiting[s], []
        if items:
            self._deploy(s, t, items, -1)

    def _redeploy(self, d: int, t: float) -> None:
        s, _, _, items, _ = self.deploys[d]
        self._deploy(s, t, items, d)

    def _deploy(self, s: int, t: float, items: list[int], redeploy_of: int) -> None:
        trains = self.trains
        assert trains is not None
        u = next(self.deploy_u) if redeploy_of < 0 else 1.0  # a redeploy of a failed train succeeds
        if u < trains.failure_probability:
            status = 1
        elif u < trains.failure_probability + trains.rollback_probability:
            status = 2
        else:
            status = 0
        self.deploys.append((s, t, status, items, redeploy_of))
        if status == 0:
            for i in items:
                self._done(i, t, self.deploy_bot)
        else:
            self._push(t + next(self.redeploy_delay), _REDEPLOY, len(self.deploys) - 1)

    # --- the result --------------------------------------------------------------------------------------
    def _result(self) -> SimulationResult:
        cfg, arr = self.cfg, self.arrivals
        status_cat = pd.CategoricalDtype(self.statuses)
        actor_cat = pd.CategoricalDtype(self.actors)
        n = len(arr)
        items = pd.DataFrame(
            {
                "item": np.arange(n, dtype=np.int64),
                "created_hours": arr.hours,
                "requested_by": pd.Categorical.from_codes(arr.function, pd.Index(arr.functions)),
                "team": pd.Categorical.from_codes(arr.team, pd.Index(arr.teams)),
                "ai_assisted": arr.ai_assisted,
                "ticket_type": pd.Categorical.from_codes(arr.ticket_type, pd.Index(arr.ticket_types)),
                "experiment": arr.experiment,
                "requester": pd.Categorical.from_codes(
                    [self.requesters[f][i % 3] for i, f in enumerate(arr.function.tolist())], dtype=actor_cat
                ),
                "finished_hours": np.asarray(self.finished, dtype=float),
                "abandoned_hours": np.asarray(self.abandoned, dtype=float),
            }
        )
        changes = pd.DataFrame(
            {
                "item": np.frombuffer(self.log_item, dtype=np.int64),
                "at_hours": np.frombuffer(self.log_hours, dtype=np.float64),
                "status": pd.Categorical.from_codes(np.frombuffer(self.log_status, dtype=np.int16), dtype=status_cat),
                "actor": pd.Categorical.from_codes(
                    np.frombuffer(self.log_actor, dtype=np.int64),
                    dtype=actor_cat,
                ),
            }
        )
        work = [s.stage for s in cfg.work_stages]
        stage_of_step = np.array([work.index(s.stage) if isinstance(s, WorkStage) else -1 for s in cfg.steps])
        pool_names = [p.name for p in self.pools]
        visits = pd.DataFrame(
            {
                "item": np.frombuffer(self.v_item, dtype=np.int64),
                "stage": pd.Categorical.from_codes(
                    stage_of_step[np.frombuffer(self.v_stage, dtype=np.int16)], pd.Index(work)
                ),
                "pool": pd.Categorical.from_codes(
                    np.frombuffer(self.v_pool, dtype=np.int64),
                    pd.Index(pool_names),
                ),
                "queued_hours": np.frombuffer(self.v_queued, dtype=np.float64),
                "started_hours": np.frombuffer(self.v_started, dtype=np.float64),
                "finished_hours": np.frombuffer(self.v_finished, dtype=np.float64),
                "resumed": np.frombuffer(self.v_resumed, dtype=np.int8).astype(bool),
            }
        )
        visits["team"] = items["team"].to_numpy()[visits["item"].to_numpy()]
        deploys, deploy_items = self._deploy_frames()
        pools = pd.DataFrame(
            {
                "pool": pool_names,
                "stages": [",".join(p.stages) for p in self.pools],
                "team": [p.team for p in self.pools],
            }
        )
        experiments = simulate_experiments(cfg, items, self.end, rng(self.seed, _EXPERIMENTS))
        return SimulationResult(
            config=cfg,
            seed=self.seed,
            end_hours=float(self.end),
            items=items,
            changes=changes,
            visits=visits,
            pools=pools,
            deploys=deploys,
            deploy_items=deploy_items,
            experiments=experiments,
            ground_truth=ground_truth(cfg, self.end),
        )

    def _deploy_frames(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        d = self.deploys
        services = list(self.services)
        deploys = pd.DataFrame(
            {
                "deploy": np.arange(len(d), dtype=np.int64),
                "service": pd.Categorical.from_codes([x[0] for x in d], pd.Index(services)) if services else [],
                "at_hours": np.array([x[1] for x in d], dtype=float),
                "status": pd.Categorical.from_codes([x[2] for x in d], pd.Index(DEPLOY_STATUSES)),
                "redeploy_of": np.array([x[4] for x in d], dtype=np.int64),
            }
        )
        counts = [len(x[3]) for x in d]
        deploy_items = pd.DataFrame(
            {
                "deploy": np.repeat(np.arange(len(d), dtype=np.int64), counts),
                "item": np.array([i for x in d for i in x[3]], dtype=np.int64),
            }
        )
        return deploys, deploy_items


def simulate(config: SimulationConfig, seed: int) -> SimulationResult:
    """Run the delivery system `config` once; the same config and seed always give the same result."""
    return _Engine(config, seed).run()
