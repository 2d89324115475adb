"""Summary metrics of a run (throughput, lead time, WIP, utilisation) and replications with intervals.

What the what-if reports before and after a change: every figure over the window after the warm-up, so
the empty system at time zero does not flatter the result.
"""

from __future__ import annotations

import math
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from flowmetrics.results import Result
from flowmetrics.simulation.config import HOURS_PER_WEEK, SimulationConfig
from flowmetrics.simulation.engine import simulate
from flowmetrics.simulation.result import SimulationResult


@dataclass(frozen=True)
class StageSummary(Result):
    """One work stage over the window: how busy its people were and how long work waited for them."""

    stage: str
    visits: int  # visits that started service in the window
    utilisation: float  # busy server-hours / available server-hours
    mean_queue_hours: float
    mean_active_hours: float
    queue_share: float  # queue / (queue + active)


@dataclass(frozen=True)
class FlowSummary(Result):
    """One run over [start_hours, end_hours]: throughput, lead time (created -> done), WIP, stages."""

    start_hours: float
    end_hours: float
    finished: int
    throughput_per_week: float
    lead_time_mean_hours: float
    lead_time_median_hours: float
    lead_time_p85_hours: float
    wip_time_average: float  # items in the system, averaged over the window
    wip_littles_law: float  # departure rate x mean time in system of the departures
    stages: tuple[StageSummary, ...] = ()

    @property
    def stage_utilisation(self) -> dict[str, float]:
        return {s.stage: s.utilisation for s in self.stages}


@dataclass(frozen=True)
class Estimate(Result):
    """A mean over replications with its two-sided confidence interval (Student t)."""

    mean: float
    low: float
    high: float
    n: int


@dataclass(frozen=True)
class ReplicatedSummary(Result):
    """N replications of one config: each run's summary and an estimate per metric."""

    runs: tuple[FlowSummary, ...]
    metrics: dict[str, Estimate] = field(default_factory=dict)
    stage_utilisation: dict[str, Estimate] = field(default_factory=dict)


@dataclass(frozen=True)
class Comparison(Result):
    """A what-if: replications before and after a change, and the paired change of every metric."""

    before: ReplicatedSummary
    after: ReplicatedSummary
    change: dict[str, Estimate] = field(default_factory=dict)  # after - before, run by run (same seeds)


SUMMARY_METRICS = (
    "throughput_per_week",
    "lead_time_mean_hours",
    "lead_time_median_hours",
    "lead_time_p85_hours",
    "wip_time_average",
    "wip_littles_law",
)


def _overlap(start: np.ndarray, end: np.ndarray, a: float, b: float) -> np.ndarray:
    """Length of [start, end] inside [a, b] (end NaN = still going at b)."""
    end = np.where(np.isnan(end), b, end)
    return np.clip(np.minimum(end, b) - np.maximum(start, a), 0.0, None)


def capacity_hours(result: SimulationResult, a: float, b: float) -> dict[str, float]:
    """Available server-hours per pool over [a, b], following the capacity schedule."""
    out: dict[str, float] = {}
    for seg in result.ground_truth.segments:
        span = max(0.0, min(seg.end_hours, b) - max(seg.start_hours, a))
        for load in seg.loads:
            out[load.pool] = out.get(load.pool, 0.0) + load.servers * span
    return out


def _busy_hours(result: SimulationResult, start: float, end: float) -> pd.Series:
    v = result.visits
    busy = _overlap(v["started_hours"].to_numpy(), v["finished_hours"].to_numpy(), start, end)
    return pd.Series(busy).groupby(v["pool"].astype(str).to_numpy()).sum()


def pool_utilisation(result: SimulationResult, start: float, end: float) -> dict[str, float]:
    """Measured utilisation per pool of people over [start, end]: busy server-hours / available ones."""
    busy = _busy_hours(result, start, end)
    capacity = capacity_hours(result, start, end)
    return {p: float(busy.get(p, 0.0) / c) if c > 0 else math.nan for p, c in capacity.items()}


def stage_summaries(result: SimulationResult, start: float, end: float) -> tuple[StageSummary, ...]:
    """Per work stage over [start, end]: measured utilisation and the queue/active time of its visits."""
    v = result.visits
    busy = _busy_hours(result, start, end)
    capacity = capacity_hours(result, start, end)
    started = v["started_hours"].to_numpy()
    in_window = (started >= start) & (started <= end)
    stage_of = v["stage"].astype(str).to_numpy()
    out = []
    for stage in result.config.work_stages:
        pools = [
            p
            for p, st in zip(result.pools["pool"], result.pools["stages"], strict=True)
            if stage.stage in st.split(",")
        ]
        cap = sum(capacity.get(p, 0.0) for p in pools)
        util = float(sum(busy.get(p, 0.0) for p in pools) / cap) if cap > 0 else math.nan
        mine = v[in_window & (stage_of == stage.stage)]
        queue = (mine["started_hours"] - mine["queued_hours"]).to_numpy()
        active = (mine["finished_hours"].fillna(end) - mine["started_hours"]).to_numpy()
        q, a = (float(x.mean()) if len(x) else math.nan for x in (queue, active))
        out.append(StageSummary(stage.stage, len(mine), util, q, a, q / (q + a) if q + a > 0 else math.nan))
    return tuple(out)


def summarise(result: SimulationResult, warmup_hours: float | None = None) -> FlowSummary:
    """Throughput, lead time, WIP and stage figures of a run after `warmup_hours` (default: the config's)."""
    start = result.config.warmup_hours if warmup_hours is None else warmup_hours
    end = result.end_hours
    if not 0 <= start < end:
        raise ValueError(f"warm-up {start}h leaves no window before the end of the run at {end:.1f}h")
    items = result.items
    created = items["created_hours"].to_numpy()
    finished = items["finished_hours"].to_numpy()
    left = np.fmin(finished, items["abandoned_hours"].to_numpy())  # fmin: NaN only if both are
    done = (finished >= start) & (finished <= end)
    lead = finished[done] - created[done]
    weeks = (end - start) / HOURS_PER_WEEK
    departed = (left >= start) & (left <= end)
    sojourn = left[departed] - created[departed]
    wip_avg = float(_overlap(created, left, start, end).sum() / (end - start))
    little = float(departed.sum() / (end - start) * sojourn.mean()) if departed.any() else 0.0

    def pct(q: float) -> float:
        return float(np.percentile(lead, q)) if len(lead) else math.nan

    return FlowSummary(
        start_hours=float(start),
        end_hours=float(end),
        finished=int(done.sum()),
        throughput_per_week=float(done.sum() / weeks),
        lead_time_mean_hours=float(lead.mean()) if len(lead) else math.nan,
        lead_time_median_hours=pct(50),
        lead_time_p85_hours=pct(85),
        wip_time_average=wip_avg,
        wip_littles_law=little,
        stages=stage_summaries(result, start, end),
    )


def estimate(values: Sequence[float], confidence: float = 0.95) -> Estimate:
    """Mean and Student-t interval of independent replications (a point when there is one)."""
    x = np.asarray([v for v in values if not math.isnan(v)], dtype=float)
    if len(x) == 0:
        return Estimate(math.nan, math.nan, math.nan, 0)
    mean = float(x.mean())
    if len(x) < 2:
        return Estimate(mean, mean, mean, len(x))
    from scipy import stats  # only here: importing scipy.stats costs the CLI's other commands a second

    half = float(stats.t.ppf(0.5 + confidence / 2, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x)))
    return Estimate(mean, mean - half, mean + half, len(x))


def _summarised_run(config: SimulationConfig, seed: int, warmup_hours: float | None) -> FlowSummary:
    """One replication, reduced to its summary where it ran (a worker returns a few numbers, not the run)."""
    return summarise(simulate(config, seed), warmup_hours)


def _worker_context() -> multiprocessing.context.BaseContext:
    """Workers forked from a clean server process that has imported the simulation, never from the caller: the
    caller may hold database connections and library thread pools, which a plain fork copies in a broken state."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return context


def default_workers() -> int:
    """Processes for replications: one per core this process may use."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def replicate(
    config: SimulationConfig,
    replications: int = 10,
    seed: int = 0,
    warmup_hours: float | None = None,
    confidence: float = 0.95,
    workers: int = 1,
) -> ReplicatedSummary:
    """Run `config` with seeds seed, seed+1, ... and estimate every summary metric with an interval.

    Before/after comparisons should pass the same `seed` to both: common random numbers make the
    difference sharper than the two intervals suggest. `workers` > 1 runs the replications in that many
    processes; each replication depends only on its seed, so the result is the same as with one.
    """
    if replications < 1:
        raise ValueError("replications must be >= 1")
    seeds = [seed + k for k in range(replications)]
    workers = max(1, min(workers, replications))
    if workers == 1:
        runs = tuple(_summarised_run(config, s, warmup_hours) for s in seeds)
    else:
        with ProcessPoolExecutor(max_workers=workers, mp_context=_worker_context()) as pool:
            runs = tuple(pool.map(_summarised_run, [config] * replications, seeds, [warmup_hours] * replications))
    metrics = {m: estimate([getattr(r, m) for r in runs], confidence) for m in SUMMARY_METRICS}
    stages = [s.stage for s in config.work_stages]
    util = {s: estimate([r.stage_utilisation[s] for r in runs], confidence) for s in stages}
    return ReplicatedSummary(runs, metrics, util)


def compare(
    before: SimulationConfig,
    after: SimulationConfig,
    replications: int = 10,
    seed: int = 0,
    warmup_hours: float | None = None,
    confidence: float = 0.95,
    workers: int = 1,
    baseline: ReplicatedSummary | None = None,
) -> Comparison:
    """Replicate both configs with the same seeds and estimate each metric's change (after - before).

    Pairing run k of both (common random numbers) removes most of the noise the two systems share.
    `baseline`: `before` already replicated with the same seeds and warm-up (several changes against one
    system replicate it once).
    """
    if baseline is not None and len(baseline.runs) != replications:
        raise ValueError(f"the baseline has {len(baseline.runs)} replications, not {replications}")
    b = baseline or replicate(before, replications, seed, warmup_hours, confidence, workers)
    a = replicate(after, replications, seed, warmup_hours, confidence, workers)
    change = {
        m: estimate([getattr(y, m) - getattr(x, m) for x, y in zip(b.runs, a.runs, strict=True)], confidence)
        for m in SUMMARY_METRICS
    }
    return Comparison(b, a, change)


def status_durations(result: SimulationResult) -> pd.DataFrame:
    """One row per stay in a status: item, status, entered_hours, exited_hours (NaN if still there), hours."""
    ch = result.changes
    order = np.lexsort((np.arange(len(ch)), ch["at_hours"].to_numpy(), ch["item"].to_numpy()))
    ch = ch.iloc[order].reset_index(drop=True)
    item = ch["item"].to_numpy()
    at = ch["at_hours"].to_numpy()
    same = np.zeros(len(ch), dtype=bool)
    same[:-1] = item[1:] == item[:-1]
    exited = np.full(len(ch), np.nan)
    exited[:-1] = np.where(same[:-1], at[1:], np.nan)
    hours = np.where(np.isnan(exited), result.end_hours, exited) - at
    return pd.DataFrame(
        {"item": item, "status": ch["status"], "entered_hours": at, "exited_hours": exited, "hours": hours}
    )
