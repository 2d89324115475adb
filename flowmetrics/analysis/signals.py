"""Per stage and per day, additive statistics of the flow; the signals are ratios of their sums over a window.

Keeping every statistic additive over days (seconds in queue, seconds the queue is non-empty, seconds as the
momentary bottleneck, arrivals, the queue's net change, the rank sums of the load-dependence correlation) makes
a window, a longer segment and every block-bootstrap replicate the same computation: a weighted sum over days.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import rankdata

from flowmetrics.analysis.flow import ACTIVE, QUEUE, WAIT, Flow
from flowmetrics.analysis.roser import momentary_bottlenecks
from flowmetrics.analysis.timeline import StepFunction

DAY = 86_400.0
WEEK = 7 * DAY

# Classification thresholds (see docs/detection.md, "How it decides"). A capacity-bound stage has people (an active
# status), work waiting for them most of the time, most of its time spent waiting, and waits that grow with the
# work found on arrival. Queueing theory puts a stage at 80% utilisation with 1-3 people at a non-empty queue
# 50-65% of the time and a queue-time share of 0.5-0.8; at 50% utilisation at 15-25% and 0.2-0.35.
MIN_QUEUE_NONEMPTY = 0.5
MIN_WAITING_SHARE = 0.4
MIN_LOAD_DEPENDENCE = 0.2
# A stage of many people can limit throughput with short queues: each item waits little next to its long work,
# and the queue of a wide pool near saturation is non-empty only about half of the time. Its people are then
# almost always at their most-ever-busy level, which no number of people changes: occupancy (mean items in the
# active statuses over the ceiling, the most active at once) and the share of time at that ceiling (within
# AT_CEILING_SLACK of it) see the saturation of one reviewer and of forty developers alike.
# Many people at work on long tasks hide the load dependence (the spread of the work dwarfs the wait), so a
# saturated stage needs no load dependence, only work that waits for its people some of the time.
MIN_OCCUPANCY = 0.8
MIN_AT_CEILING = 0.3
MIN_SATURATED_QUEUE_NONEMPTY = 0.2
MIN_BURST_RESPONSE = 0.5  # ... or a queue that keeps at least half of a day's extra arrivals (burst_response): a
# wide team whose short queue is rarely non-empty still lets a burst pile up when it is saturated
AT_CEILING_SLACK = 0.05  # "at the ceiling": at most this share of the ceiling below it (24 people: 23 or 24 busy)
CEILING_TIME_SHARE = 0.02  # the ceiling is the highest active level held at least this share of its days (a
# glitch that puts many items in progress for minutes does not set it)
CEILING_DAYS = 7
CEILING_CONTEXT_DAYS = 28
CEILING_KEEP = 0.75
MAX_LEVEL = 256  # active levels above this count as this one; a stage that reaches it has no occupancy (a pile
# of hundreds of items "in progress" is not a team at its limit)
MIN_DELAY_TIME_SHARE = 0.15  # a stage holding at least this share of the time in flow is "long"
MIN_WAIT_SHARE_DELAY = 0.5
MIN_VISITS = 8  # fewer visits entering a stage in a window: no load-dependence estimate
LOAD_CONTEXT_DAYS = 28  # load dependence is measured over at least this many days ending with the period:
# WIP needs room to vary (in a saturated queue it hardly moves within a week, and chance in the service rate
# then dominates the correlation)

MIN_BURST_DAYS = 7  # days the burst response needs (a regression over fewer days is chance)

MAX_LOAD_SAMPLE = 20_000  # visits per stage the load dependence of one period is measured on, at most

ADDITIVE = ("queue", "active", "wait", "nonempty", "sole", "shifting", "arrivals", "departures", "queue_net")
RANK_SUMS = ("n", "sx", "sy", "sxx", "syy", "sxy")


@dataclass(frozen=True)
class DayStats:
    """Additive statistics per day (rows) and stage (columns) over a grid of day edges."""

    edges: np.ndarray  # n_days + 1 edges (seconds)
    stats: dict[str, np.ndarray]  # name -> (n_days, n_stages)
    has_work: np.ndarray  # (n_stages,)
    has_queue: np.ndarray
    active_periods: tuple[tuple[np.ndarray, np.ndarray], ...] = ()  # per stage: when work waits in its queue
    levels: np.ndarray | None = None  # (n_days, n_stages, MAX_LEVEL + 1): seconds with that many items active

    def ceilings(self, lo: int, hi: int) -> np.ndarray:
        """(hi - lo, n_stages): per day, the most items in each stage's active statuses at once over its stretch
        of CEILING_DAYS days, counted back from `hi` (people join and leave: a period is judged against the
        ceiling of its own weeks), but at least CEILING_KEEP of the ceiling over the CEILING_CONTEXT_DAYS before
        the stretch ends (a stage winding down to a few items is not saturated); 0 where it cannot be measured
        (no active statuses, or more than MAX_LEVEL items active at once)."""
        k = self.stats["active"].shape[1]
        out = np.zeros((hi - lo, k))
        if self.levels is None:
            return out
        for top in range(hi, lo, -CEILING_DAYS):
            a = max(lo, top - CEILING_DAYS)
            short = self._ceiling(a, top)
            long = self._ceiling(max(0, top - CEILING_CONTEXT_DAYS), top)
            ceiling = np.maximum(short, CEILING_KEEP * long)
            out[a - lo : top - lo] = np.where(long >= MAX_LEVEL, 0.0, ceiling)
        return out

    def _ceiling(self, lo: int, hi: int) -> np.ndarray:
        """Per stage: the highest active level held at least CEILING_TIME_SHARE of days [lo, hi)."""
        assert self.levels is not None
        held = self.levels[lo:hi].sum(axis=0)
        at_or_above = np.cumsum(held[:, ::-1], axis=1)[:, ::-1]
        enough = at_or_above >= CEILING_TIME_SHARE * (self.edges[hi] - self.edges[lo])
        enough[:, 0] = False
        return np.where(enough.any(axis=1), MAX_LEVEL - np.argmax(enough[:, ::-1], axis=1), 0).astype(float)

    def at_ceiling(self, lo: int, hi: int, ceilings: np.ndarray) -> np.ndarray:
        """(hi - lo, n_stages) seconds per day each stage's active statuses are at (or near) that day's ceiling."""
        if self.levels is None:
            return np.zeros(ceilings.shape)
        floor = np.maximum(1, ceilings - np.floor(AT_CEILING_SLACK * ceilings))
        near = (np.arange(MAX_LEVEL + 1) >= floor[..., None]) & (ceilings[..., None] > 0)
        return np.einsum("dkl,dkl->dk", self.levels[lo:hi], near)

    def co_activity(self, a: int, b: int, lo: int, hi: int) -> float:
        """The phi coefficient of stages a and b being active (work waiting in their queues) over days [lo, hi):
        above 0 they are active together more than chance (people shared between them), below 0 one is active
        when the other is not (the limit moved from one to the other)."""
        edges = self.edges[[lo, hi]]
        span = edges[1] - edges[0]
        (sa, ea), (sb, eb) = self.active_periods[a], self.active_periods[b]
        pa = StepFunction.indicator(sa, ea).integrals(edges)[0] / span
        pb = StepFunction.indicator(sb, eb).integrals(edges)[0] / span
        either = StepFunction.indicator(np.concatenate([sa, sb]), np.concatenate([ea, eb])).integrals(edges)[0] / span
        both = pa + pb - either
        denom = np.sqrt(pa * (1 - pa) * pb * (1 - pb))
        return float((both - pa * pb) / denom) if denom > 0 else 0.0

    @property
    def days(self) -> int:
        return len(self.edges) - 1


def day_stats(flow: Flow, edges: np.ndarray) -> DayStats:
    """Seconds by kind, queue non-empty and bottleneck seconds, arrivals, departures and the queue's net change,
    per day and stage."""
    k = len(flow.stages)
    n = len(edges) - 1
    has_work, has_queue = flow.has_work, flow.has_queue
    out = {name: np.zeros((n, k)) for name in ADDITIVE}
    periods: list[tuple[np.ndarray, np.ndarray]] = []
    active: list[tuple[np.ndarray, np.ndarray]] = []
    levels = np.zeros((n, k, MAX_LEVEL + 1))
    for s in range(k):
        queue = StepFunction.count(*flow.intervals(s, (QUEUE,)))
        out["queue"][:, s] = queue.integrals(edges)
        working = StepFunction.count(*flow.intervals(s, (ACTIVE,)))
        out["active"][:, s] = working.integrals(edges)
        levels[:, s, :] = _level_seconds(working, edges)
        out["wait"][:, s] = StepFunction.count(*flow.intervals(s, (WAIT,))).integrals(edges)
        level = queue.before(edges)  # left limits: open intervals end at the as-of, not before it
        out["queue_net"][:, s] = np.diff(level)
        starts, ends = queue.positive_periods()
        active.append((starts, ends))
        out["nonempty"][:, s] = StepFunction.indicator(starts, ends).integrals(edges)
        # only stages with people can be the momentary bottleneck: a queue nobody works from is a delay
        periods.append((starts, ends) if has_work[s] and has_queue[s] else (np.zeros(0), np.zeros(0)))
    bottlenecks = momentary_bottlenecks(periods)
    for s in range(k):
        out["sole"][:, s] = bottlenecks.sole[s].integrals(edges)
        out["shifting"][:, s] = bottlenecks.shifting[s].integrals(edges)
    day_of_start = np.searchsorted(edges, flow.v_start, side="right") - 1
    ok = (day_of_start >= 0) & (day_of_start < n)
    np.add.at(out["arrivals"], (day_of_start[ok], flow.v_stage[ok]), 1.0)
    ended = ~np.isnan(flow.v_end)
    day_of_end = np.searchsorted(edges, flow.v_end[ended], side="right") - 1
    ok = (day_of_end >= 0) & (day_of_end < n)
    np.add.at(out["departures"], (day_of_end[ok], flow.v_stage[ended][ok]), 1.0)
    return DayStats(edges, out, has_work, has_queue, tuple(active), levels)


def _level_seconds(f: StepFunction, edges: np.ndarray) -> np.ndarray:
    """(n_days, MAX_LEVEL + 1) seconds per day the count `f` is at each level."""
    n = len(edges) - 1
    cuts = np.union1d(f.times, edges)
    cuts = cuts[(cuts >= edges[0]) & (cuts <= edges[-1])]
    level = np.clip(f.at(cuts[:-1]), 0, MAX_LEVEL).astype(np.int64)
    day = np.searchsorted(edges, cuts[:-1], side="right") - 1
    cell = day * (MAX_LEVEL + 1) + level
    return np.bincount(cell, weights=np.diff(cuts), minlength=n * (MAX_LEVEL + 1)).reshape(n, MAX_LEVEL + 1)


@dataclass(frozen=True)
class LoadSample:
    """The visits entering a stage within a range of days: WIP found on arrival and time in the stage."""

    day: np.ndarray  # index into the day grid
    stage: np.ndarray
    wip: np.ndarray
    seconds: np.ndarray


def load_sample(flow: Flow, edges: np.ndarray, wip: list[StepFunction] | None = None) -> LoadSample:
    """Every visit entering a stage within the grid and left by the as-of: the queue + active items of the stage
    it found on arrival (itself excluded) and its own queue + active seconds (wait time is outside the stage's
    capacity)."""
    if wip is None:
        wip = wip_functions(flow)
    n = len(edges) - 1
    day = np.searchsorted(edges, flow.v_start, side="right") - 1
    # visits still open at the as-of are left out: their time so far is a lower bound that shrinks with later
    # entry, which would turn a growing queue's load dependence negative
    inside = (day >= 0) & (day < n) & ~flow.v_open
    found = np.zeros(len(flow.v_start))
    for s, f in enumerate(wip):
        mine = inside & (flow.v_stage == s)
        found[mine] = f.before(flow.v_start[mine])
    return LoadSample(day[inside], flow.v_stage[inside], found[inside], (flow.v_queue + flow.v_active)[inside])


def wip_functions(flow: Flow) -> list[StepFunction]:
    """Per stage: items in its queue or being worked, over time."""
    return [StepFunction.count(*flow.intervals(s, (QUEUE, ACTIVE))) for s in range(len(flow.stages))]


def rank_sums(sample: LoadSample, day_lo: int, day_hi: int, n_stages: int) -> np.ndarray:
    """(day_hi - day_lo, n_stages, 6) sums of the ranks (within the range, per stage) of WIP found and time in
    stage, for the weighted Spearman correlation of any reweighting of the days."""
    out = np.zeros((day_hi - day_lo, n_stages, len(RANK_SUMS)))
    sel = (sample.day >= day_lo) & (sample.day < day_hi)
    for s in range(n_stages):
        mine = sel & (sample.stage == s)
        n = int(mine.sum())
        if n < 2:
            continue
        if n > MAX_LOAD_SAMPLE:  # a deterministic random subset: the correlation is already precise to ~0.01
            keep = np.random.default_rng([day_lo, day_hi, s]).choice(n, MAX_LOAD_SAMPLE, replace=False)
            subset = np.zeros(n, dtype=bool)
            subset[keep] = True
            mine[np.flatnonzero(mine)[~subset]] = False
        rx = rankdata(sample.wip[mine])
        ry = rankdata(sample.seconds[mine])
        d = sample.day[mine] - day_lo
        for j, v in enumerate((np.ones_like(rx), rx, ry, rx * rx, ry * ry, rx * ry)):
            out[:, s, j] = np.bincount(d, weights=v, minlength=day_hi - day_lo)
    return out


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


@dataclass(frozen=True)
class Signals:
    """The signals of every stage for one or many reweightings of the days (leading axes: replicates)."""

    waiting_share: np.ndarray
    wait_share: np.ndarray
    queue_nonempty_share: np.ndarray
    bottleneck_share: np.ndarray
    sole_share: np.ndarray
    shifting_share: np.ndarray
    load_dependence: np.ndarray
    load_visits: np.ndarray
    arrivals_per_week: np.ndarray
    departures_per_week: np.ndarray
    queue_growth_per_week: np.ndarray
    mean_wip: np.ndarray
    time_share: np.ndarray
    occupancy: np.ndarray
    at_ceiling_share: np.ndarray
    burst_response: np.ndarray
    capacity_bound: np.ndarray
    delay: np.ndarray

    @property
    def classification(self) -> np.ndarray:
        """0 healthy, 1 delay, 2 constraint (capacity-bound)."""
        return np.where(self.capacity_bound, 2, np.where(self.delay, 1, 0))

    def constraint(self) -> np.ndarray:
        """The constraint stage per replicate (-1: none): the capacity-bound stage that is the momentary
        bottleneck the longest (ties: the one whose queue is non-empty longer)."""
        score = np.where(self.capacity_bound, self.bottleneck_share + 1e-6 * self.queue_nonempty_share, -1.0)
        best = np.argmax(score, axis=-1)
        return np.where(np.take_along_axis(score, best[..., None], -1)[..., 0] >= 0, best, -1)

    def ranking(self) -> np.ndarray:
        """Stage order by how much each limits throughput: capacity-bound first, then bottleneck share, queue
        non-empty share, queue-time share (rank 1 first). For the point estimate only."""
        keys = np.stack(
            [
                -np.nan_to_num(self.waiting_share),
                -np.nan_to_num(self.queue_nonempty_share),
                -np.nan_to_num(self.bottleneck_share),
                -self.capacity_bound.astype(float),
            ]
        )
        order = np.lexsort(keys)
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(1, len(order) + 1)
        return rank


def bound_by_queue(queue_nonempty_share: Any, waiting_share: Any, load_dependence: Any) -> Any:
    """Capacity-bound by its queue (arrays or single numbers): work waits in the queue most of the time, most of an
    item's time there is queue time, and that time grows with load (no load dependence measured: not bound). The
    other way to be capacity-bound is saturation: many people at capacity with short queues."""
    return (
        (queue_nonempty_share >= MIN_QUEUE_NONEMPTY)
        & (waiting_share >= MIN_WAITING_SHARE)
        & (np.nan_to_num(load_dependence, nan=-1.0) >= MIN_LOAD_DEPENDENCE)
    )


def signals(
    stats: DayStats,
    ranks: np.ndarray,
    weights: np.ndarray,
    day_lo: int,
    day_hi: int,
    rank_weights: np.ndarray | None = None,
) -> Signals:
    """Signals over days [day_lo, day_hi) with day weights (shape (..., n) with n = day_hi - day_lo; all ones
    is the window itself, multinomial counts a bootstrap replicate). `ranks` from `rank_sums` over the days
    the load dependence is measured on, weighted by `rank_weights` (default: `weights`)."""
    w = np.asarray(weights, dtype=float)
    rw = w if rank_weights is None else np.asarray(rank_weights, dtype=float)
    s = {name: w @ stats.stats[name][day_lo:day_hi] for name in ADDITIVE}
    r = np.einsum("...d,dkj->...kj", rw, ranks)
    span = (w.sum(axis=-1) * DAY)[..., None]
    weeks = span / WEEK
    total = s["queue"] + s["active"] + s["wait"]
    n, sx, sy, sxx, syy, sxy = (r[..., j] for j in range(len(RANK_SUMS)))
    with np.errstate(divide="ignore", invalid="ignore"):
        cov = sxy / n - sx * sy / n**2
        vx = sxx / n - (sx / n) ** 2
        vy = syy / n - (sy / n) ** 2
        corr = np.where((n >= MIN_VISITS) & (vx > 0) & (vy > 0), cov / np.sqrt(vx * vy), np.nan)
    waiting = _ratio(s["queue"], total)
    wait = _ratio(s["wait"], total)
    nonempty = _ratio(s["nonempty"], span)
    time_share = _ratio(total, total.sum(axis=-1, keepdims=True))
    ceilings = stats.ceilings(day_lo, day_hi)
    at_ceiling = _ratio(w @ stats.at_ceiling(day_lo, day_hi, ceilings), span)
    occupied = _ratio(stats.stats["active"][day_lo:day_hi], ceilings * DAY)  # per day: active ÷ ceiling
    measured = ceilings > 0  # days without a ceiling (none active, or a pile beyond MAX_LEVEL) have no occupancy
    occupancy = _ratio(w @ np.where(measured, occupied, 0.0), w @ measured.astype(float))
    burst = burst_response(stats, rw, day_hi)
    work = stats.has_work & stats.has_queue
    saturated = (
        (np.nan_to_num(occupancy) >= MIN_OCCUPANCY)
        & (np.nan_to_num(at_ceiling) >= MIN_AT_CEILING)
        & ((nonempty >= MIN_SATURATED_QUEUE_NONEMPTY) | (np.nan_to_num(burst, nan=0.0) >= MIN_BURST_RESPONSE))
    )
    capacity = work & (bound_by_queue(nonempty, waiting, corr) | saturated)
    not_load_bound = ~stats.has_work | (np.nan_to_num(corr, nan=0.0) < MIN_LOAD_DEPENDENCE)
    delay = ~capacity & (time_share >= MIN_DELAY_TIME_SHARE) & ((wait >= MIN_WAIT_SHARE_DELAY) | not_load_bound)
    return Signals(
        waiting_share=waiting,
        wait_share=wait,
        queue_nonempty_share=np.where(stats.has_queue, nonempty, 0.0),
        bottleneck_share=_ratio(s["sole"] + s["shifting"], span),
        sole_share=_ratio(s["sole"], span),
        shifting_share=_ratio(s["shifting"], span),
        load_dependence=corr,
        load_visits=n,
        arrivals_per_week=_ratio(s["arrivals"], weeks),
        departures_per_week=_ratio(s["departures"], weeks),
        queue_growth_per_week=_ratio(s["queue_net"], weeks),
        mean_wip=_ratio(total, span),
        time_share=time_share,
        occupancy=occupancy,
        at_ceiling_share=at_ceiling,
        burst_response=burst,
        capacity_bound=capacity,
        delay=delay,
    )


def burst_response(stats: DayStats, weights: np.ndarray, day_hi: int) -> np.ndarray:
    """The queue's response to arrival bursts over the `weights.shape[-1]` days ending at `day_hi` (the days the
    load dependence is measured on): the weighted least-squares slope of a day's net growth of each stage's queue
    on the visits arriving at the stage that day. Near 1 for a stage whose people are saturated (an extra arrival
    stays in the queue), near 0 for one with people to spare (it is taken up the same day); NaN without a queue
    or over fewer than MIN_BURST_DAYS days with varying arrivals."""
    lo = day_hi - weights.shape[-1]
    a = stats.stats["arrivals"][lo:day_hi]
    q = stats.stats["queue_net"][lo:day_hi]
    n = weights.sum(axis=-1)[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        ma, mq = (weights @ a) / n, (weights @ q) / n
        var = (weights @ (a * a)) / n - ma**2
        cov = (weights @ (a * q)) / n - ma * mq
        slope = cov / var
    # a variance of round-off size (arrivals constant over the days) measures nothing
    ok = (n >= MIN_BURST_DAYS) & (var > 1e-9 * np.maximum(1.0, ma**2)) & stats.has_queue
    return np.where(ok, slope, np.nan)


def block_indices(n_days: int, replicates: int, rng: np.random.Generator) -> np.ndarray:
    """Circular moving-block bootstrap of days: (replicates, n_days) the days each replicate draws, in order.

    Blocks of about n^(1/3) consecutive days keep the day-to-day dependence of queues inside a block.
    """
    block = max(1, round(n_days ** (1 / 3)))
    starts = rng.integers(0, n_days, size=(replicates, -(-n_days // block)))
    return ((starts[..., None] + np.arange(block)) % n_days).reshape(replicates, -1)[:, :n_days]


def block_weights(n_days: int, replicates: int, rng: np.random.Generator) -> np.ndarray:
    """The block bootstrap (`block_indices`) as (replicates, n_days) counts of how often each day is drawn."""
    days = block_indices(n_days, replicates, rng)
    cell = (np.arange(replicates)[:, None] * n_days + days).ravel()
    return np.bincount(cell, minlength=replicates * n_days).reshape(replicates, n_days).astype(float)
