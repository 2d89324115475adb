"""Per stage and per day, additive statistics of the flow; the signals are ratios of their sums over a window.

Keeping every statistic additive over days (seconds in queue, seconds the queue is non-empty, seconds as the
momentary bottleneck, arrivals, the queue's net change, the rank sums of the load-dependence correlation) makes
a window, a longer segment and every block-bootstrap replicate the same computation: a weighted sum over days.
"""

from __future__ import annotations

from dataclasses import dataclass

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
# 50-65% of the time and a waiting share of 0.5-0.8; at 50% utilisation at 15-25% and 0.2-0.35.
MIN_QUEUE_NONEMPTY = 0.5
MIN_WAITING_SHARE = 0.4
MIN_LOAD_DEPENDENCE = 0.2
MIN_DELAY_TIME_SHARE = 0.15  # a stage holding at least this share of the time in flow is "long"
MIN_WAIT_SHARE_DELAY = 0.5
MIN_VISITS = 8  # fewer visits entering a stage in a window: no load-dependence estimate
LOAD_CONTEXT_DAYS = 28  # load dependence is measured over at least this many days ending with the period:
# WIP needs room to vary (in a saturated queue it hardly moves within a week, and chance in the service rate
# then dominates the correlation)

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
    for s in range(k):
        queue = StepFunction.count(*flow.intervals(s, (QUEUE,)))
        out["queue"][:, s] = queue.integrals(edges)
        out["active"][:, s] = StepFunction.count(*flow.intervals(s, (ACTIVE,))).integrals(edges)
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
    return DayStats(edges, out, has_work, has_queue, tuple(active))


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
        non-empty share, waiting share (rank 1 first). For the point estimate only."""
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
    work = stats.has_work & stats.has_queue
    capacity = (
        work
        & (nonempty >= MIN_QUEUE_NONEMPTY)
        & (waiting >= MIN_WAITING_SHARE)
        & (np.nan_to_num(corr, nan=-1.0) >= MIN_LOAD_DEPENDENCE)
    )
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
        capacity_bound=capacity,
        delay=delay,
    )


def block_weights(n_days: int, replicates: int, rng: np.random.Generator) -> np.ndarray:
    """Circular moving-block bootstrap of days: (replicates, n_days) counts of how often each day is drawn.

    Blocks of about n^(1/3) consecutive days keep the day-to-day dependence of queues inside a block.
    """
    block = max(1, round(n_days ** (1 / 3)))
    blocks = -(-n_days // block)
    starts = rng.integers(0, n_days, size=(replicates, blocks))
    days = (starts[..., None] + np.arange(block)) % n_days
    days = days.reshape(replicates, -1)[:, :n_days]
    out = np.zeros((replicates, n_days))
    np.add.at(out, (np.repeat(np.arange(replicates), n_days), days.ravel()), 1.0)
    return out
