"""The engine's mechanics, each on a small system built to show it."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from flowmetrics.simulation import (
    Blocking,
    CapacityChange,
    Demand,
    DeployTrains,
    RateChange,
    Rework,
    SimulationConfig,
    Staleness,
    WaitStep,
    WorkStage,
    exponential,
    fixed,
    lognormal,
    simulate,
)
from flowmetrics.simulation.ground_truth import visit_ratios
from flowmetrics.simulation.metrics import status_durations
from flowmetrics.simulation.trains import Timetable

ONE_TEAM = (Demand("product", 24.0, {"alpha": 1.0}, ai_share=0.5),)
TWO_TEAMS = (Demand("product", 24.0, {"alpha": 0.5, "beta": 0.5}, ai_share=0.5),)


def _stage(name: str, order: int, mean: float, **kw: object) -> WorkStage:
    return WorkStage(name, order, f"Doing {name}", exponential(mean), queue_status=f"Ready for {name}", **kw)  # type: ignore[arg-type]


def _config(*steps: object, demand: tuple[Demand, ...] = ONE_TEAM, items: int = 400, **kw: object) -> SimulationConfig:
    return SimulationConfig(demand=demand, steps=tuple(steps), items=items, **kw)  # type: ignore[arg-type]


def _max_concurrent(start: np.ndarray, end: np.ndarray, a: float = -np.inf, b: float = np.inf) -> int:
    """Most intervals open at once among those starting in [a, b)."""
    keep = (start >= a) & (start < b) & ~np.isnan(start)
    s, e = start[keep], np.where(np.isnan(end[keep]), np.inf, end[keep])
    times = np.concatenate([s, e])
    delta = np.concatenate([np.ones(len(s)), -np.ones(len(e))])
    order = np.lexsort((delta, times))  # ends before starts at the same instant
    return int(np.cumsum(delta[order]).max()) if len(times) else 0


def _visits(result, stage: str) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    v = result.visits
    return v[v["stage"] == stage]


def test_fifo_and_never_more_in_service_than_servers() -> None:
    r = simulate(_config(_stage("build", 20, 0.9, servers=1)), seed=1)
    v = _visits(r, "build").sort_values("queued_hours")
    started = v["started_hours"].dropna()
    assert started.is_monotonic_increasing  # first come, first served
    assert _max_concurrent(v["started_hours"].to_numpy(), v["finished_hours"].to_numpy()) == 1
    assert (v["started_hours"] - v["queued_hours"]).max() > 2.0  # it did queue


def test_capacity_schedule_changes_the_pool_mid_run() -> None:
    at = 150.0
    cfg = _config(
        _stage("build", 20, 2.5, servers=1),
        capacity_changes=(CapacityChange(at, "build", 3),),
    )
    v = _visits(simulate(cfg, seed=2), "build")
    s, e = v["started_hours"].to_numpy(), v["finished_hours"].to_numpy()
    assert _max_concurrent(s, e, b=at) == 1
    assert _max_concurrent(s, e, a=at) == 3
    down = replace(
        cfg, steps=(_stage("build", 20, 0.5, servers=3),), capacity_changes=(CapacityChange(at, "build", 1),)
    )
    v = _visits(simulate(down, seed=2), "build")
    s, e = v["started_hours"].to_numpy(), v["finished_hours"].to_numpy()
    assert _max_concurrent(s, e, b=at) >= 2
    assert _max_concurrent(s, e, a=at + 24) == 1


def test_shared_staff_serve_two_stages_from_one_pool() -> None:
    cfg = _config(
        _stage("build", 20, 0.8, shared_pool="devs"),
        _stage("test", 30, 0.8, shared_pool="devs"),
        shared_pools={"devs": 2},
    )
    r = simulate(cfg, seed=3)
    v = r.visits
    assert _max_concurrent(v["started_hours"].to_numpy(), v["finished_hours"].to_numpy()) == 2
    for stage in ("build", "test"):
        one = _visits(r, stage)
        assert _max_concurrent(one["started_hours"].to_numpy(), one["finished_hours"].to_numpy()) == 2
    assert set(v["pool"]) == {"devs"}
    assert r.ground_truth.pool_utilisation["devs"] == pytest.approx(2 * 0.8 / 2, rel=0.01)


def test_team_servers_give_each_team_its_own_capacity() -> None:
    cfg = _config(_stage("review", 40, 1.7, team_servers={"alpha": 1, "beta": 3}), demand=TWO_TEAMS)
    r = simulate(cfg, seed=4)
    v = _visits(r, "review")
    queue = {}
    for team, servers in (("alpha", 1), ("beta", 3)):
        mine = v[v["team"] == team]
        assert _max_concurrent(mine["started_hours"].to_numpy(), mine["finished_hours"].to_numpy()) == servers
        queue[team] = (mine["started_hours"] - mine["queued_hours"]).mean()
    assert queue["alpha"] > 5 * queue["beta"]
    gt = r.ground_truth
    assert (gt.constraint_stage, gt.constraint_team) == ("review", "alpha")


def test_pure_waits_are_delays_whatever_the_load() -> None:
    cfg = _config(
        _stage("build", 20, 0.5, servers=2, blocking=Blocking("Blocked", 0.5, fixed(50.0))),
        WaitStep("vendor", 25, "Waiting on Vendor", fixed(30.0)),
        _stage("test", 30, 0.5, servers=2),
    )
    r = simulate(cfg, seed=5)
    d = status_durations(r)
    for status, delay in (("Blocked", 50.0), ("Waiting on Vendor", 30.0)):
        stays = d[(d["status"] == status) & d["exited_hours"].notna()]
        assert np.allclose(stays["hours"], delay), status  # no queue: every stay is exactly its delay
        assert _max_concurrent(stays["entered_hours"].to_numpy(), stays["exited_hours"].to_numpy()) > 30
        assert status in r.ground_truth.wait_statuses


def test_blocked_work_queues_again_and_resumes_what_was_left() -> None:
    cfg = _config(_stage("build", 20, 2.0, servers=3, blocking=Blocking("Blocked", 0.3, lognormal(20.0, 0.5))))
    r = simulate(cfg, seed=12)
    ch = r.changes
    blocked_items = set(ch.loc[ch["status"] == "Blocked", "item"])
    assert 0.2 < len(blocked_items) / len(r.items) < 0.4
    one = ch[ch["item"] == min(blocked_items)]["status"].astype(str).tolist()
    assert one[:5] == ["Ready for build", "Doing build", "Blocked", "Ready for build", "Doing build"]
    v = _visits(r, "build")
    assert set(v.loc[v["resumed"], "item"]) <= blocked_items
    finished = v[v["item"].isin(blocked_items)].dropna(subset=["finished_hours"])
    work = (finished["finished_hours"] - finished["started_hours"]).groupby(finished["item"]).sum()
    assert work.mean() == pytest.approx(2.0, rel=0.25)  # the two parts add up to one piece of work
    assert r.ground_truth.pool_utilisation["build"] == pytest.approx(2.0 / 3, rel=0.01)


def test_random_wait_durations_do_not_grow_with_the_crowd() -> None:
    cfg = _config(WaitStep("vendor", 15, "Waiting on Vendor", lognormal(40.0, 1.0)), items=800)
    d = status_durations(simulate(cfg, seed=6))
    w = d[(d["status"] == "Waiting on Vendor") & d["exited_hours"].notna()].sort_values("entered_hours")
    enter, leave = w["entered_hours"].to_numpy(), w["exited_hours"].to_numpy()
    crowd = np.array([((enter < t) & (leave > t)).sum() for t in enter])
    rho, _ = stats.spearmanr(crowd, w["hours"])
    assert abs(rho) < 0.15


def test_ample_staff_never_queue() -> None:
    cfg = _config(_stage("analysis", 20, 30.0, servers=60))
    v = _visits(simulate(cfg, seed=7), "analysis")
    assert ((v["started_hours"] - v["queued_hours"]) == 0).all()
    assert (v["finished_hours"] - v["started_hours"]).mean() > 20


def test_arrival_schedule_triples_the_rate() -> None:
    at = 200.0
    cfg = _config(
        _stage("build", 20, 0.1, servers=5),
        items=None,
        horizon_hours=400.0,
        arrival_changes=(RateChange(at, 3.0),),
    )
    r = simulate(cfg, seed=8)
    created = r.items["created_hours"]
    before, after = (created < at).sum(), (created >= at).sum()
    assert 2.4 < after / before < 3.6
    assert created.max() <= 400.0 and r.end_hours == 400.0


def test_rework_goes_back_and_more_for_ai_work() -> None:
    cfg = _config(
        _stage("build", 20, 0.3, servers=3),
        _stage("review", 30, 0.3, servers=3, rework=Rework("build", 0.1, ai_probability=0.4, max_loops=2)),
        items=1500,
    )
    r = simulate(cfg, seed=9)
    v = _visits(r, "build")
    loops = v.groupby("item").size() - 1
    assert loops.max() <= 2
    ai = r.items.set_index("item")["ai_assisted"]
    share_ai = (loops[ai[loops.index].to_numpy()] > 0).mean()
    share_human = (loops[~ai[loops.index].to_numpy()] > 0).mean()
    assert 0.3 < share_ai < 0.5 and 0.05 < share_human < 0.15
    ch = r.changes.sort_values(["item", "at_hours"], kind="stable")
    prev = ch.groupby("item")["status"].shift(1)
    backward = (prev == "Doing review") & (ch["status"] == "Ready for build")
    assert backward.sum() == loops.sum()


def test_blocked_work_can_be_dropped_after_it_started() -> None:
    blocking = Blocking("Blocked", 0.5, fixed(40.0), abandon_probability=0.5)
    cfg = _config(_stage("build", 20, 2.0, servers=3, blocking=blocking), _stage("test", 30, 0.5), items=1000)
    r = simulate(cfg, seed=13)
    ch = r.changes
    dropped = ch[ch["status"] == "Won't Do"]
    blocked = ch[ch["status"] == "Blocked"].groupby("item")["at_hours"].min()
    assert 0.38 < len(dropped) / len(blocked) < 0.55  # half the blocked work, less what is still blocked at the end
    assert set(dropped["item"]) <= set(blocked.index)  # only blocked work is dropped
    previous = ch.groupby("item")["status"].shift()
    assert (previous[dropped.index].astype(str) == "Blocked").all()  # at the end of the block, not resumed
    last_block = ch[ch["status"] == "Blocked"].groupby("item")["at_hours"].max()
    items = r.items.set_index("item")
    ids = dropped["item"].to_numpy()
    assert np.allclose(items.loc[ids, "abandoned_hours"], last_block[ids] + 40.0)
    assert items.loc[ids, "finished_hours"].isna().all()
    assert np.allclose(visit_ratios(cfg, ai_assisted=False), [1.0, 0.75])  # the load that reaches test


def test_work_that_waited_too_long_is_dropped_when_picked_up() -> None:
    stale = Staleness(after_hours=10.0, probability=1.0)
    r = simulate(_config(_stage("build", 20, 1.2, servers=1, staleness=stale)), seed=14)  # rho 1.2: a growing queue
    v = _visits(r, "build")
    dropped = v[v["item"].isin(r.items.loc[r.items["abandoned_hours"].notna(), "item"])]
    assert len(dropped) > 20 and dropped["started_hours"].isna().all()  # dropped from the queue, never started
    at = r.items.set_index("item").loc[dropped["item"], "abandoned_hours"].to_numpy()
    assert (at - dropped["queued_hours"].to_numpy() > 10.0).all()  # only work that waited longer than the limit
    started = v["started_hours"].notna()
    assert (v.loc[started, "started_hours"] - v.loc[started, "queued_hours"]).max() <= 10.0  # nothing older starts
    assert _max_concurrent(v["started_hours"].to_numpy(), v["finished_hours"].to_numpy()) == 1


def test_backlog_abandonment_share() -> None:
    cfg = _config(
        WaitStep("backlog", 10, "Backlog", lognormal(5.0, 1.0), kind="queue", abandon_probability=0.2),
        _stage("build", 20, 0.3, servers=3),
        items=2000,
    )
    items = simulate(cfg, seed=10).items
    assert 0.17 < items["abandoned_hours"].notna().mean() < 0.23


def test_deploy_trains_leave_on_the_timetable_and_ship_everything_waiting() -> None:
    cfg = _config(_stage("build", 20, 0.5, servers=3), DeployTrains(failure_probability=0.0, rollback_probability=0.0))
    r = simulate(cfg, seed=11)
    at = r.deploys["at_hours"].to_numpy()
    assert np.allclose(at % 24, 14.0) and set((at // 24) % 7) <= {0, 1, 2, 3, 4}
    done = r.items["finished_hours"].dropna()
    assert set(np.round(done.to_numpy(), 6)) <= set(np.round(at, 6))
    assert r.deploy_items.groupby("deploy").size().mean() > 5


def test_timetable_next_departure() -> None:
    tt = Timetable(DeployTrains(), datetime(2026, 1, 5))  # Monday
    assert tt.next_after(0.0) == 14.0
    assert tt.next_after(14.0) == 24 + 14.0  # strictly after
    friday_evening = 4 * 24 + 15.0
    assert tt.next_after(friday_evening) == 7 * 24 + 14.0  # next Monday
    tt2 = Timetable(DeployTrains(weekdays=(2,), hours_utc=(9.5,)), datetime(2026, 1, 7, 12))  # Wednesday noon
    assert tt2.next_after(0.0) == 7 * 24 - 2.5


def test_config_validation_names_the_problem() -> None:
    with pytest.raises(ValueError, match="items, horizon_hours"):
        SimulationConfig(demand=ONE_TEAM, steps=())
    with pytest.raises(ValueError, match="earlier stage"):
        _config(_stage("build", 20, 1.0, rework=Rework("test", 0.1)), _stage("test", 30, 1.0))
    with pytest.raises(ValueError, match="no servers for team"):
        _config(_stage("build", 20, 1.0, team_servers={"alpha": 1}), demand=TWO_TEAMS)
    with pytest.raises(ValueError, match="unknown shared pool"):
        _config(_stage("build", 20, 1.0, shared_pool="x"))
    with pytest.raises(ValueError, match="probability in"):
        _config(_stage("build", 20, 1.0, blocking=Blocking("Blocked", 1.5, fixed(1.0))))
    with pytest.raises(ValueError, match="blocked abandon must be a probability"):
        _config(_stage("build", 20, 1.0, blocking=Blocking("Blocked", 0.5, fixed(1.0), abandon_probability=2.0)))
    with pytest.raises(ValueError, match="staleness must be a probability"):
        _config(_stage("build", 20, 1.0, staleness=Staleness(5.0, -0.1)))
    with pytest.raises(ValueError, match="staleness after_hours"):
        _config(_stage("build", 20, 1.0, staleness=Staleness(-1.0, 0.5)))
    with pytest.raises(ValueError, match="last step"):
        _config(DeployTrains(), _stage("build", 20, 1.0))
