"""Per-day additive statistics and the signals computed from their (re)weighted sums."""

from __future__ import annotations

import heapq

import numpy as np
import pandas as pd
import pytest

from flowmetrics.analysis.flow import prepare_flow
from flowmetrics.analysis.signals import (
    DAY,
    MAX_LEVEL,
    MIN_WAITING_SHARE,
    DayStats,
    block_weights,
    burst_response,
    day_stats,
    load_sample,
    rank_sums,
    signals,
)
from tests.python.analysis.conftest import EPOCH, intervals


def test_block_bootstrap_draws_every_day_count_once_per_replicate() -> None:
    w = block_weights(7, 50, np.random.default_rng(0))
    assert w.shape == (50, 7)
    assert (w.sum(axis=1) == 7).all()
    assert len({tuple(row) for row in w}) > 10  # replicates differ
    assert (block_weights(7, 5, np.random.default_rng(3)) == block_weights(7, 5, np.random.default_rng(3))).all()


def test_shares_of_a_small_flow(tiny_flow: pd.DataFrame) -> None:
    flow = prepare_flow(tiny_flow, EPOCH + pd.Timedelta(days=1))
    edges = flow.as_of - DAY * np.arange(1, -1, -1)
    stats = day_stats(flow, edges)
    s = {name: v[0, 0] / 3600 for name, v in stats.stats.items()}
    assert s["queue"] == pytest.approx(2.0)  # A 0-1, B 2-3
    assert s["active"] == pytest.approx(3.0)
    assert s["wait"] == pytest.approx(20.0)  # B blocked from hour 4 to the as-of (24)
    assert s["nonempty"] == pytest.approx(2.0)
    # its queue is the only active period: review is the momentary bottleneck while work waits
    assert s["sole"] + s["shifting"] == pytest.approx(2.0)
    sample = load_sample(flow, edges)
    assert len(sample.wip) == 1  # B's visit is open: left out of the load dependence
    sig = signals(stats, rank_sums(sample, 0, 1, 1), np.ones(1), 0, 1)
    assert sig.waiting_share[0] == pytest.approx(2 / 25)
    assert sig.wait_share[0] == pytest.approx(20 / 25)
    assert sig.queue_nonempty_share[0] == pytest.approx(2 / 24)
    assert not sig.capacity_bound[0]
    assert np.isnan(sig.load_dependence[0])  # too few visits to correlate


def _queue_at_one_server(n: int, gap_hours: float, service_hours: float) -> pd.DataFrame:
    """n items arriving every gap_hours at one reviewer who takes service_hours each (FIFO, deterministic)."""
    rows, free = [], 0.0
    for i in range(n):
        arrive = i * gap_hours
        start = max(arrive, free)
        free = start + service_hours
        rows += [
            (f"T{i}", 0, "review", "queue", 40, arrive, start),
            (f"T{i}", 1, "review", "active", 40, start, free),
            (f"T{i}", 2, "done", "done", 90, free, None),
        ]
    return intervals(rows)


def test_an_overloaded_server_is_capacity_bound_and_a_light_one_is_not() -> None:
    for gap, bound in ((1.0, True), (4.0, False)):
        frame = _queue_at_one_server(200, gap, 1.2)
        as_of = EPOCH + pd.Timedelta(hours=199 * gap)  # the last arrival: an overloaded queue is still growing
        flow = prepare_flow(frame, as_of)
        n_days = int((flow.as_of - flow.first_at) // DAY)
        edges = flow.as_of - DAY * np.arange(n_days, -1, -1)
        stats = day_stats(flow, edges)
        sig = signals(stats, rank_sums(load_sample(flow, edges), 0, n_days, 1), np.ones(n_days), 0, n_days)
        assert bool(sig.capacity_bound[0]) is bound
        if bound:
            assert sig.load_dependence[0] > 0.9 and sig.queue_growth_per_week[0] > 0
            assert sig.constraint()[()] == 0
        else:
            assert sig.queue_nonempty_share[0] == 0 and sig.constraint()[()] == -1


def _pool(servers: int, load: float, n: int = 3000, service_hours: float = 22.0, seed: int = 1) -> pd.DataFrame:
    """n items with Poisson arrivals served FIFO by `servers` people (gamma service times, mean service_hours) at
    offered `load`."""
    rng = np.random.default_rng(seed)
    arrive = np.cumsum(rng.exponential(service_hours / (servers * load), n))
    work = rng.gamma(1.5, service_hours / 1.5, n)
    free = [0.0] * servers
    rows = []
    for i in range(n):
        start = max(arrive[i], heapq.heappop(free))
        heapq.heappush(free, start + work[i])
        rows += [
            (f"T{i}", 0, "build", "queue", 30, arrive[i], start),
            (f"T{i}", 1, "build", "active", 30, start, start + work[i]),
            (f"T{i}", 2, "done", "done", 90, start + work[i], None),
        ]
    return intervals(rows)


def _last_weeks(frame: pd.DataFrame, days: int = 28):
    as_of = frame["entered_at"].max()
    flow = prepare_flow(frame, as_of)
    edges = flow.as_of - DAY * np.arange(days, -1, -1)
    stats = day_stats(flow, edges)
    ranks = rank_sums(load_sample(flow, edges), 0, days, len(flow.stages))
    return flow, signals(stats, ranks, np.ones(days), 0, days)


def test_many_people_near_saturation_are_capacity_bound_with_a_short_queue() -> None:
    """Twenty-four people at 0.93: the queue alone does not show it (items wait little next to long work), the
    occupancy of their ceiling and the time at it do; at 0.6 neither does."""
    flow, busy = _last_weeks(_pool(24, 0.93))
    s = flow.stages.index("build")
    assert busy.occupancy[s] >= 0.85 and busy.at_ceiling_share[s] >= 0.3
    assert busy.waiting_share[s] < MIN_WAITING_SHARE  # the queue rule alone would miss it
    assert busy.capacity_bound[s]
    flow, calm = _last_weeks(_pool(24, 0.6))
    assert calm.occupancy[s] < 0.8 and calm.at_ceiling_share[s] < 0.1
    assert not calm.capacity_bound[s]


def test_hundreds_of_items_in_progress_have_no_ceiling() -> None:
    """A pile of more items in progress than MAX_LEVEL at once is not a team at its limit: no occupancy."""
    rows = []
    for i in range(MAX_LEVEL + 50):
        rows += [(f"T{i}", 0, "build", "queue", 30, 0.0, 1.0), (f"T{i}", 1, "build", "active", 30, 1.0, 24 * 40.0)]
    flow, sig = _last_weeks(intervals(rows), days=28)
    assert np.isnan(sig.occupancy[flow.stages.index("build")])
    assert not sig.capacity_bound[flow.stages.index("build")]


@pytest.mark.parametrize("seed", [1, 2])
def test_the_queue_of_a_saturated_stage_grows_with_a_burst_of_arrivals_and_a_calm_one_does_not(seed: int) -> None:
    """Two people at 0.97: a day's extra arrivals stay in the queue (burst response near 1); at 0.5 they are
    taken up the same day (near 0)."""
    flow, busy = _last_weeks(_pool(2, 0.97, n=1200, service_hours=4.0, seed=seed))
    s = flow.stages.index("build")
    assert busy.burst_response[s] >= 0.6
    flow, calm = _last_weeks(_pool(2, 0.5, n=1200, service_hours=4.0, seed=seed))
    assert calm.burst_response[s] <= 0.3


def test_the_burst_response_is_the_slope_of_queue_growth_on_arrivals() -> None:
    """Hand-made days of 1 or 3 arrivals: at review every arrival stays in the queue (slope 1), at build each is
    taken up within the hour (slope 0)."""
    rows = []
    for day in range(14):
        for i in range(3 if day % 2 else 1):
            t = day * 24 + 1 + i
            rows += [
                (f"R{day}-{i}", 0, "review", "queue", 40, t, None),
                (f"B{day}-{i}", 0, "build", "queue", 30, t, t + 0.5),
                (f"B{day}-{i}", 1, "done", "done", 90, t + 0.5, None),
            ]
    flow = prepare_flow(intervals(rows), EPOCH + pd.Timedelta(days=14))
    stats = day_stats(flow, flow.as_of - DAY * np.arange(14, -1, -1))
    got = burst_response(stats, np.ones(14), 14)
    assert got[flow.stages.index("review")] == pytest.approx(1.0)
    assert got[flow.stages.index("build")] == pytest.approx(0.0)
    assert np.isnan(burst_response(stats, np.ones(5), 14)).all()  # fewer than MIN_BURST_DAYS days


@pytest.mark.parametrize(("growth", "bound"), [(0.6, True), (0.0, False)])
def test_a_saturated_team_whose_queue_is_rarely_non_empty_is_bound_when_bursts_pile_up(
    growth: float, bound: bool
) -> None:
    """Twenty-four people at their ceiling 60% of the time, work waiting only a tenth of it (under the saturation
    rule's fifth): capacity-bound when a day's extra arrivals stay in the queue (burst response 0.6), not when
    they are taken up the same day (0)."""
    days = 28
    arrivals = np.where(np.arange(days) % 2 == 0, 20.0, 30.0)
    net = growth * (arrivals - arrivals.mean())
    levels = np.zeros((days, 1, MAX_LEVEL + 1))
    levels[:, 0, 24], levels[:, 0, 22] = 0.6 * DAY, 0.4 * DAY
    zero = np.zeros((days, 1))
    stats = DayStats(
        edges=DAY * np.arange(days + 1.0),
        stats={
            "queue": zero + 0.1 * DAY, "active": zero + (24 * 0.6 + 22 * 0.4) * DAY, "wait": zero,
            "nonempty": zero + 0.1 * DAY, "sole": zero + 0.1 * DAY, "shifting": zero,
            "arrivals": arrivals[:, None], "departures": arrivals[:, None], "queue_net": net[:, None],
        },
        has_work=np.array([True]),
        has_queue=np.array([True]),
        levels=levels,
    )
    sig = signals(stats, np.zeros((days, 1, 6)), np.ones(days), 0, days)
    assert sig.occupancy[0] >= 0.9 and sig.at_ceiling_share[0] >= 0.5 and sig.queue_nonempty_share[0] < 0.2
    assert sig.burst_response[0] == pytest.approx(growth)
    assert bool(sig.capacity_bound[0]) is bound
