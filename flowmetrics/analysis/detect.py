"""Constraint detection: which stage's limited capacity makes work queue in front of it, with evidence,
confidence and shifts.

Time in a stage alone ranks delays, not constraints (a backlog, a fixed wait before auto-close, a long task many
people do in parallel are all long). A stage is capacity-bound when it has people, work waits in its queue most
of the time, most of an item's time there is waiting, and that time grows with the work found on arrival; among
capacity-bound stages the constraint is the one that is the momentary bottleneck (Roser) the longest.

Per window the stages are ranked and a verdict drawn; a circular block bootstrap over days gives each verdict's
confidence. Binary segmentation on the windows' bottleneck and saturation shares finds where the picture
changes; the verdict pools the latest segment, and a change of constraint between segments is a shift.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np
import pandas as pd
from scipy.stats import chi2, rankdata

from flowmetrics.analysis.changepoint import binary_segmentation
from flowmetrics.analysis.flow import ACTIVE, QUEUE, WAIT, Flow, prepare_flow, timestamp
from flowmetrics.analysis.signals import (
    DAY,
    LOAD_CONTEXT_DAYS,
    MIN_LOAD_DEPENDENCE,
    MIN_QUEUE_NONEMPTY,
    MIN_VISITS,
    MIN_WAITING_SHARE,
    DayStats,
    LoadSample,
    Signals,
    block_indices,
    block_weights,
    bound_by_queue,
    day_stats,
    load_sample,
    rank_sums,
    signals,
)
from flowmetrics.analysis.timeline import StepFunction
from flowmetrics.analysis.trust import judge_with_care
from flowmetrics.errors import AnalysisError
from flowmetrics.results import (
    ConstraintFinding,
    ConstraintShift,
    SaturatedStage,
    StageSignals,
    StageVerdict,
    TeamSignals,
    WindowVerdict,
)

REPLICATES = 2000  # the Monte Carlo error of a confidence near 0.5 is then about 0.01: it moves less than
# 0.02 with the seed (200 replicates moved it by up to 0.05)
CHANGE_LEVEL = 0.999  # a change point must be this unlikely under "no change" (chi-square on the features)
SE_FLOOR = 0.05  # the smallest standard error a window's share is given (days are not independent)
CLEAR_AFTER_WINDOWS = 2  # hysteresis: a constraint clears only after this many calm windows (a queue near
# saturation drains for a week by chance as often as for good), while a new or moved constraint counts at once
MIN_TEAM_VISITS = 20
TEAM_WAIT_RATIO = 2.0  # a team's items wait at least this many times longer than the other teams' at the stage
CLASSES = ("healthy", "delay", "constraint")
BORDERLINE = "borderline"
MIN_CLASS_AGREEMENT = 0.7  # a stage not capacity-bound whose class fewer replicates share is borderline: it sits
# near a cut (e.g. its load dependence near MIN_LOAD_DEPENDENCE) and would flip between windows
MIN_ALSO_SATURATED = 0.5  # another capacity-bound stage is named beside the constraint when this share of
# replicates finds it capacity-bound too


@dataclass(frozen=True)
class _Evaluation:
    """Signals of a range of days [lo, hi), point and bootstrap, and the verdict drawn from them."""

    lo: int
    hi: int
    point: Signals
    boot: Signals
    verdict: int  # stage index, -1 none
    confidence: float
    class_confidence: np.ndarray

    def shares_constraint_with(self, other: _Evaluation) -> bool:
        """Both name a constraint, and each one's constraint is capacity-bound in the other too: one limit
        (e.g. people shared by two stages) seen from two sides, not a shift."""
        if self.verdict < 0 or other.verdict < 0:
            return False
        return bool(self.point.capacity_bound[other.verdict] and other.point.capacity_bound[self.verdict])


class _Detector:
    def __init__(self, flow: Flow, window_days: int, windows: int, replicates: int, seed: int) -> None:
        self.flow = flow
        self.k = len(flow.stages)
        span_days = int((flow.as_of - flow.first_at) // DAY)
        n_days = min(windows * window_days, span_days)
        if n_days < 1:
            raise AnalysisError("less than one day of history before the as-of: nothing to detect")
        self.edges = flow.as_of - DAY * np.arange(n_days, -1, -1)
        self.stats: DayStats = day_stats(flow, self.edges)
        self.sample: LoadSample = load_sample(flow, self.edges)
        self.replicates = replicates
        self.seed = seed
        self.window_days = window_days
        bounds: list[tuple[int, int]] = []
        hi = n_days
        while hi > 0:
            lo = max(0, hi - window_days)
            if bounds and hi - lo < window_days / 2:
                break  # a first window of less than half the days: too little to judge alone
            bounds.append((lo, hi))
            hi = lo
        self.bounds = bounds[::-1]
        self.work = self.stats.has_work & self.stats.has_queue

    def evaluate(self, lo: int, hi: int) -> _Evaluation:
        ctx = load_context(lo, hi)
        ranks = rank_sums(self.sample, ctx, hi, self.k)
        point = signals(self.stats, ranks, np.ones(hi - lo), lo, hi, np.ones(hi - ctx))
        rng = np.random.default_rng([self.seed, lo, hi])
        weights = block_weights(hi - lo, self.replicates, rng)
        boot = signals(self.stats, ranks, weights, lo, hi, block_weights(hi - ctx, self.replicates, rng))
        verdict = int(point.constraint())
        reps = boot.constraint()
        confidence = float(np.mean(reps == verdict) if verdict >= 0 else np.mean(reps >= 0))
        class_confidence = np.mean(boot.classification == point.classification, axis=0)
        return _Evaluation(lo, hi, point, boot, verdict, confidence, class_confidence)

    # --- segments of windows ---------------------------------------------------------------------------------
    def features(self, ev: _Evaluation) -> tuple[np.ndarray, np.ndarray]:
        """Bottleneck and queue-non-empty shares of the work stages, and their bootstrap variances."""
        parts = (ev.point.bottleneck_share, ev.point.queue_nonempty_share)
        boots = (ev.boot.bottleneck_share, ev.boot.queue_nonempty_share)
        value = np.concatenate([np.nan_to_num(p[self.work]) for p in parts])
        se = np.concatenate([np.nan_to_num(b[:, self.work]).std(axis=0) for b in boots])
        return value, np.maximum(se, SE_FLOOR) ** 2

    def segments(self, windows: list[_Evaluation]) -> list[_Evaluation]:
        """The windows cut where the shares change significantly; adjacent segments with one verdict merged."""
        if not self.work.any() or len(windows) < 2:
            cuts: list[int] = []
        else:
            feats = [self.features(w) for w in windows]
            values = np.stack([f[0] for f in feats])
            # Queues near saturation swing for weeks (their relaxation time is long), more than resampling the
            # days of one window shows: the noise between windows comes from the windows themselves, robustly
            # (the median absolute deviation of successive differences ignores the one jump of a real change).
            diffs = np.diff(values, axis=0)
            mad = np.median(np.abs(diffs - np.median(diffs, axis=0)), axis=0)
            between = (mad / (0.6745 * np.sqrt(2))) ** 2
            variances = np.maximum(np.stack([f[1] for f in feats]), between)
            threshold = float(chi2.ppf(CHANGE_LEVEL, df=values.shape[1]))
            cuts = binary_segmentation(values, variances, threshold)
        groups = [list(range(a, b)) for a, b in zip([0, *cuts], [*cuts, len(windows)], strict=True)]
        evaluated = [self.evaluate(windows[g[0]].lo, windows[g[-1]].hi) for g in groups]
        merged = True
        while merged and len(evaluated) > 1:
            merged = False
            for j in range(len(evaluated) - 1):
                a, b = evaluated[j], evaluated[j + 1]
                clears_too_soon = (
                    j + 2 == len(evaluated)
                    and a.verdict >= 0
                    and b.verdict < 0
                    and b.hi - b.lo < CLEAR_AFTER_WINDOWS * self.window_days
                )
                if a.verdict == b.verdict or self.same_limit(a, b) or clears_too_soon:
                    evaluated[j : j + 2] = [self.evaluate(a.lo, b.hi)]
                    merged = True
                    break
        return evaluated

    def same_limit(self, a: _Evaluation, b: _Evaluation) -> bool:
        """Two segments naming different stages see one limit from two sides (e.g. people shared by both stages)
        rather than a shift: each one's constraint is capacity-bound in the other too, or over both segments the
        two stages' queues fill together more than chance (a shift makes one active while the other is not)."""
        if a.verdict < 0 or b.verdict < 0 or a.verdict == b.verdict:
            return False
        if a.shares_constraint_with(b):
            return True
        return self.stats.co_activity(a.verdict, b.verdict, a.lo, b.hi) > 0

    def pair_shares(self, before: int, after: int, lo: int, hi: int) -> np.ndarray:
        """(hi - lo, 2) the daily bottleneck shares of stages `before` and `after` over days [lo, hi)."""
        share = (self.stats.stats["sole"][lo:hi] + self.stats.stats["shifting"][lo:hi]) / DAY
        return share[:, [before, after]]

    def shift_day(self, a: _Evaluation, b: _Evaluation) -> int:
        """The day within a window of the boundary between segments `a` and `b` where the bottleneck share moves
        from `a`'s constraint to `b`'s most clearly."""
        lo = max(a.lo, b.lo - self.window_days)
        hi = min(b.hi, b.lo + self.window_days)
        x = self.pair_shares(a.verdict, b.verdict, lo, hi)
        return lo + int(_best_split(x)) if len(x) > 1 else lo

    def shift_location_confidence(
        self, a: _Evaluation, b: _Evaluation, day: int, windows: list[_Evaluation]
    ) -> float:
        """How sure the shift from segment `a`'s constraint to `b`'s is located within a window of `day`
        (`location_confidence` on the two stages' daily bottleneck shares over both segments), with the gap
        between the last window naming the old constraint and the first naming the new one."""
        lo, hi = a.lo, b.hi
        inside = [w for w in windows if w.lo >= lo and w.hi <= hi]
        starts = min((w.lo for w in inside if w.verdict == b.verdict), default=b.lo)
        ends = max((w.hi for w in inside if w.verdict == a.verdict and w.hi <= starts), default=a.hi)
        rng = np.random.default_rng([self.seed, lo, hi, day])
        x = self.pair_shares(a.verdict, b.verdict, lo, hi)
        return location_confidence(x, day - lo, self.window_days, (ends - lo, starts - lo), self.replicates, rng)

    def verdict_confidence(
        self, segments: list[_Evaluation], shifts: list[tuple[_Evaluation, _Evaluation, int, float]]
    ) -> float:
        """The confidence of the whole verdict (stage, kind and shifts): the final segment's share naming its stage
        (or, with none, the share finding one), times each shift's location confidence, times, for every segment
        without a constraint before a named one, the share of its replicates naming no stage other than the
        named ones around it (a shift that may have been missed). A "none" right after a constraint counts the
        replicates of the final segment stretched back one window too: the clearing's timing is uncertain by a
        window, as the hysteresis says."""
        final = segments[-1]
        if final.verdict < 0:
            found = final.confidence
            if len(segments) > 1 and segments[-2].verdict >= 0:
                stretched = self.evaluate(max(0, final.lo - self.window_days), final.hi)
                found = max(found, float(np.mean(stretched.boot.constraint() >= 0)))
            return found
        confidence = final.confidence
        for *_, located in shifts:
            confidence *= located
        named = [j for j, seg in enumerate(segments) if seg.verdict >= 0]
        for j, seg in enumerate(segments):
            if seg.verdict >= 0:
                continue
            around = {segments[i].verdict for i in named if abs(i - j) == min(abs(m - j) for m in named)}
            reps = seg.boot.constraint()
            confidence *= float(np.mean((reps < 0) | np.isin(reps, list(around))))
        return confidence

    # --- output ----------------------------------------------------------------------------------------------
    def stage_verdicts(self, ev: _Evaluation) -> tuple[StageVerdict, ...]:
        lo_t, hi_t = self.edges[ev.lo], self.edges[ev.hi]
        extra = _visit_extras(self.flow, lo_t, hi_t)
        p = ev.point
        rank = p.ranking()
        out = []
        for s in np.argsort(rank):
            arrivals_per_second = p.arrivals_per_week[s] / (7 * DAY)
            with np.errstate(divide="ignore", invalid="ignore"):
                littles = p.mean_wip[s] / (arrivals_per_second * extra["mean_seconds"][s])
            sig = StageSignals(
                waiting_share=float(p.waiting_share[s]),
                wait_share=float(p.wait_share[s]),
                queue_nonempty_share=float(p.queue_nonempty_share[s]),
                bottleneck_share=float(p.bottleneck_share[s]),
                sole_bottleneck_share=float(p.sole_share[s]),
                shifting_bottleneck_share=float(p.shifting_share[s]),
                load_dependence=float(p.load_dependence[s]),
                load_visits=int(p.load_visits[s]),
                arrivals_per_week=float(p.arrivals_per_week[s]),
                departures_per_week=float(p.departures_per_week[s]),
                queue_growth_per_week=float(p.queue_growth_per_week[s]),
                mean_wip=float(p.mean_wip[s]),
                time_share=float(p.time_share[s]),
                median_hours=float(extra["median_hours"][s]),
                mean_queue_hours=float(extra["mean_queue_hours"][s]),
                littles_law_ratio=float(littles) if np.isfinite(littles) else float("nan"),
                has_work=bool(self.work[s]),
                occupancy=float(p.occupancy[s]),
                at_ceiling_share=float(p.at_ceiling_share[s]),
                burst_response=float(p.burst_response[s]),
                bound_by=_bound_by(p, s),
            )
            cls = CLASSES[int(p.classification[s])]
            if cls != "constraint" and ev.class_confidence[s] < MIN_CLASS_AGREEMENT:
                cls = BORDERLINE
            out.append(
                StageVerdict(
                    stage=self.flow.stages[s],
                    rank=int(rank[s]),
                    classification=cls,
                    confidence=float(ev.class_confidence[s]),
                    signals=sig,
                )
            )
        return tuple(out)

    def window_verdict(self, ev: _Evaluation) -> WindowVerdict:
        return WindowVerdict(
            start=timestamp(self.edges[ev.lo]),
            end=timestamp(self.edges[ev.hi]),
            constraint_stage=self.flow.stages[ev.verdict] if ev.verdict >= 0 else None,
            confidence=ev.confidence,
            stages=self.stage_verdicts(ev),
        )

    def judge(
        self,
    ) -> tuple[list[_Evaluation], list[_Evaluation], list[tuple[_Evaluation, _Evaluation, int, float]], float]:
        """Every window, the segments of windows (the last one is the verdict), the shifts between named segments
        (with the day each happened and the confidence in that location) and the verdict's confidence."""
        windows = [self.evaluate(lo, hi) for lo, hi in self.bounds]
        segments = self.segments(windows)
        named = [s for s in segments if s.verdict >= 0]
        shifts = []
        for a, b in zip(named[:-1], named[1:], strict=True):
            if a.verdict != b.verdict and not self.same_limit(a, b):
                day = self.shift_day(a, b)
                shifts.append((a, b, day, self.shift_location_confidence(a, b, day, windows)))
        return windows, segments, shifts, self.verdict_confidence(segments, shifts)

    def run(self) -> ConstraintFinding:
        windows, segments, shifts, confidence = self.judge()
        final = segments[-1]
        stages = self.stage_verdicts(final)
        verdict = final.verdict
        team = None
        found_shifts = [
            ConstraintShift(timestamp(self.edges[day]), self.flow.stages[a.verdict], self.flow.stages[b.verdict])
            for a, b, day, _ in shifts
        ]
        team_evidence: tuple[TeamSignals, ...] = ()
        if verdict < 0:
            # the stage as a whole is not capacity-bound; one team's share of a stage may be: named when that
            # share is capacity-bound in most replicates and the team's items wait far longer than the others'
            by_team = _TeamDetector.of(self)
            if by_team is not None:
                g_verdict, g_team, g_confidence, g_shifts = by_team.verdict()
                if g_verdict >= 0:
                    team_evidence = team_signals(
                        self.flow,
                        g_verdict,
                        self.edges[final.lo],
                        self.edges[final.hi],
                        self.edges[load_context(final.lo, final.hi)],
                    )
                if g_verdict >= 0 and g_confidence >= 0.5 and attribute_team(team_evidence, bound=False) == g_team:
                    verdict, team, confidence, found_shifts = g_verdict, g_team, g_confidence, g_shifts
                    stages = _promote(stages, self.flow.stages[verdict], confidence)
                else:
                    confidence = max(confidence, g_confidence)  # evidence for a constraint at either level
        stage = self.flow.stages[verdict] if verdict >= 0 else None
        # the teams at the constraint (or, without one, at the work stage ranked first): is the limit one team's?
        focus = verdict
        if focus < 0 and self.work.any():
            rank = final.point.ranking()
            focus = int(min(np.flatnonzero(self.work), key=lambda s: rank[s]))
        teams: tuple[TeamSignals, ...] = ()
        if focus >= 0:
            teams = team_signals(
                self.flow,
                focus,
                self.edges[final.lo],
                self.edges[final.hi],
                self.edges[load_context(final.lo, final.hi)],
            )
        if verdict >= 0 and team is None:
            team = attribute_team(teams)
        kind = "none" if stage is None else ("shifting" if found_shifts else "sole")
        also: tuple[SaturatedStage, ...] = ()
        if final.verdict >= 0 and verdict == final.verdict:
            share = np.mean(final.boot.capacity_bound, axis=0)
            also = tuple(
                SaturatedStage(self.flow.stages[s], float(share[s]))
                for s in np.argsort(-share)
                if s != verdict and final.point.capacity_bound[s] and share[s] >= MIN_ALSO_SATURATED
            )
        return ConstraintFinding(
            as_of=timestamp(self.flow.as_of),
            window_days=self.window_days,
            period_start=timestamp(self.edges[final.lo]),
            constraint_stage=stage,
            constraint_team=team,
            confidence=confidence,
            kind=kind,
            stages=stages,
            windows=tuple(self.window_verdict(w) for w in windows),
            shifts=tuple(found_shifts),
            teams=teams,
            replicates=self.replicates,
            also_saturated=also,
        )


def _bound_by(p: Signals, s: int) -> str | None:
    """How stage `s` is capacity-bound: by its queue, else by saturation; None when it is not."""
    if not p.capacity_bound[s]:
        return None
    by_queue = bound_by_queue(p.queue_nonempty_share[s], p.waiting_share[s], p.load_dependence[s])
    return "queue" if by_queue else "saturation"


def _promote(stages: tuple[StageVerdict, ...], name: str, confidence: float) -> tuple[StageVerdict, ...]:
    """The stage whose team share is the constraint, ranked first and classified as such."""
    top = next(v for v in stages if v.stage == name)
    rest = [v for v in stages if v.stage != name]
    promoted = replace(top, rank=1, classification="constraint", confidence=confidence)
    return (promoted, *(replace(v, rank=k + 2) for k, v in enumerate(rest)))


class _TeamDetector:
    """The detector run on (work stage, team) groups: each team's share of a stage judged as a stage of its own."""

    def __init__(self, parent: _Detector, detector: _Detector, groups: list[tuple[int, int]]) -> None:
        self.parent = parent
        self.detector = detector
        self.groups = groups  # group index -> (stage, team) of the parent flow

    @classmethod
    def of(cls, parent: _Detector) -> _TeamDetector | None:
        flow = parent.flow
        lo_t = parent.edges[0]
        entering = flow.v_start >= lo_t
        groups: list[tuple[int, int]] = []
        for s in np.flatnonzero(parent.work):
            teams, counts = np.unique(flow.v_team[entering & (flow.v_stage == s)], return_counts=True)
            if len(teams) < 2:
                continue  # one team: the stage's verdict is already that team's
            # a team's share is judged like a stage: it needs enough visits in every window on average
            enough = max(MIN_TEAM_VISITS, MIN_VISITS * len(parent.bounds))
            groups += [(int(s), int(t)) for t, n in zip(teams, counts, strict=True) if n >= enough]
        if not groups:
            return None
        code = {g: k for k, g in enumerate(groups)}

        def regroup(stage: np.ndarray, team: np.ndarray) -> np.ndarray:
            return np.array([code.get((int(a), int(b)), -1) for a, b in zip(stage, team, strict=True)], dtype=np.int64)

        i_group = regroup(flow.i_stage, flow.i_team)
        v_group = regroup(flow.v_stage, flow.v_team)
        i_keep, v_keep = i_group >= 0, v_group >= 0
        grouped = Flow(
            as_of=flow.as_of,
            stages=tuple(f"{flow.stages[s]}/{flow.teams[t]}" for s, t in groups),
            teams=flow.teams,
            first_at=flow.first_at,
            i_stage=i_group[i_keep],
            i_kind=flow.i_kind[i_keep],
            i_team=flow.i_team[i_keep],
            i_start=flow.i_start[i_keep],
            i_end=flow.i_end[i_keep],
            v_stage=v_group[v_keep],
            v_team=flow.v_team[v_keep],
            v_start=flow.v_start[v_keep],
            v_end=flow.v_end[v_keep],
            v_open=flow.v_open[v_keep],
            v_queue=flow.v_queue[v_keep],
            v_active=flow.v_active[v_keep],
            v_wait=flow.v_wait[v_keep],
        )
        windows = len(parent.bounds)
        detector = _Detector(grouped, parent.window_days, windows, parent.replicates, parent.seed)
        return cls(parent, detector, groups)

    def verdict(self) -> tuple[int, str | None, float, list[ConstraintShift]]:
        """The parent's stage index and team of the constraining group (-1, None when there is none), the
        confidence, and the shifts between stages."""
        _, segments, shifts, confidence = self.detector.judge()
        final = segments[-1]
        if final.verdict < 0:
            return -1, None, confidence, []
        stage, team = self.groups[final.verdict]
        names = self.parent.flow.stages
        moved = [
            ConstraintShift(
                timestamp(self.detector.edges[day]), names[self.groups[a.verdict][0]], names[self.groups[b.verdict][0]]
            )
            for a, b, day, _ in shifts
            if self.groups[a.verdict][0] != self.groups[b.verdict][0]
        ]
        return stage, self.parent.flow.teams[team], confidence, moved


def _best_split(x: np.ndarray) -> np.ndarray:
    """Per leading index of `x` (..., n, p), the split k in 1..n-1 maximising k (n - k) / n times the squared
    distance between the means of x[:k] and x[k:] (the first of equals)."""
    n = x.shape[-2]
    total = np.cumsum(x, axis=-2)
    k = np.arange(1, n)[:, None]
    left = total[..., :-1, :] / k
    right = (total[..., -1:, :] - total[..., :-1, :]) / (n - k)
    stat = (k[:, 0] * (n - k[:, 0]) / n) * np.sum((left - right) ** 2, axis=-1)
    return np.argmax(stat, axis=-1) + 1


def location_confidence(
    x: np.ndarray, k: int, window_days: int, gap: tuple[int, int], replicates: int, rng: np.random.Generator
) -> float:
    """How sure a change in the daily series `x` (n days x 2: the old and the new constraint's bottleneck shares)
    located at day `k` lies within `window_days` of the truth. Two parts: the share of residual block-bootstrap
    replicates (the step fitted at `k` plus its residuals resampled in blocks) whose best split lies within
    `window_days` of `k`: the days of one period resampled do not see a shift placed a window off; and, when
    days naming neither constraint lie between the last window naming the old one and the first naming the new
    one (`gap`, days [start, end)), the share of that gap within `window_days` of `k`, each of its days taken as
    equally likely: the old constraint may have cleared at the gap's start while the new one filled at its end."""
    n = len(x)
    if n < 2 or not 0 < k < n:
        return 1.0
    fitted = np.where(np.arange(n)[:, None] < k, x[:k].mean(axis=0), x[k:].mean(axis=0))
    replicas = fitted + (x - fitted)[block_indices(n, replicates, rng)]
    located = float(np.mean(np.abs(_best_split(replicas) - k) <= window_days))
    ends, starts = gap
    if starts > ends:
        covered = min(starts, k + window_days) - max(ends, k - window_days)
        located *= max(0.0, min(1.0, covered / (starts - ends)))
    return located


def load_context(lo: int, hi: int) -> int:
    """The first day of the load-dependence measurement of days [lo, hi): at least LOAD_CONTEXT_DAYS back."""
    return max(0, min(lo, hi - LOAD_CONTEXT_DAYS))


def _visit_extras(flow: Flow, lo_t: float, hi_t: float) -> dict[str, np.ndarray]:
    """Per stage, for visits entering in [lo_t, hi_t): median and mean time in the stage of those that left,
    and mean queue time of all."""
    k = len(flow.stages)
    entering = (flow.v_start >= lo_t) & (flow.v_start < hi_t)
    done = entering & ~flow.v_open
    total = flow.v_queue + flow.v_active + flow.v_wait
    out = {name: np.full(k, np.nan) for name in ("median_hours", "mean_seconds", "mean_queue_hours")}
    for s in range(k):
        mine = done & (flow.v_stage == s)
        if mine.any():
            out["median_hours"][s] = float(np.median(total[mine])) / 3600
            out["mean_seconds"][s] = float(total[mine].mean())
        entered = entering & (flow.v_stage == s)
        if entered.any():
            out["mean_queue_hours"][s] = float(flow.v_queue[entered].mean()) / 3600
    return out


def team_signals(
    flow: Flow, stage: int, lo_t: float, hi_t: float, context_t: float | None = None
) -> tuple[TeamSignals, ...]:
    """Each team's items at `stage` over [lo_t, hi_t): waits, its own queue's saturation and load dependence
    (measured on visits entering from `context_t`), teams with at least MIN_TEAM_VISITS visits entering, longest
    queue time first."""
    context_t = lo_t if context_t is None else context_t
    edges = np.array([lo_t, hi_t])
    span = hi_t - lo_t
    entering = (flow.v_start >= lo_t) & (flow.v_start < hi_t) & (flow.v_stage == stage)
    out = []
    for t in np.unique(flow.v_team[entering]):
        mine = entering & (flow.v_team == t)
        if mine.sum() < MIN_TEAM_VISITS:
            continue
        queue = StepFunction.count(*flow.intervals(stage, (QUEUE,), team=int(t)))
        q = float(queue.integrals(edges)[0])
        a = float(StepFunction.count(*flow.intervals(stage, (ACTIVE,), team=int(t))).integrals(edges)[0])
        w = float(StepFunction.count(*flow.intervals(stage, (WAIT,), team=int(t))).integrals(edges)[0])
        nonempty = float(StepFunction.indicator(*queue.positive_periods()).integrals(edges)[0]) / span
        wip = StepFunction.count(*flow.intervals(stage, (QUEUE, ACTIVE), team=int(t)))
        done = (
            (flow.v_start >= context_t) & (flow.v_start < hi_t) & (flow.v_stage == stage) & (flow.v_team == t)
        ) & ~flow.v_open
        corr = float("nan")
        if done.sum() >= MIN_VISITS:
            x = rankdata(wip.before(flow.v_start[done]))
            y = rankdata((flow.v_queue + flow.v_active)[done])
            if x.std() > 0 and y.std() > 0:
                corr = float(np.corrcoef(x, y)[0, 1])
        waiting = q / (q + a + w) if q + a + w > 0 else float("nan")
        bound = (
            nonempty >= MIN_QUEUE_NONEMPTY
            and waiting >= MIN_WAITING_SHARE
            and not np.isnan(corr)
            and corr >= MIN_LOAD_DEPENDENCE
        )
        out.append(
            TeamSignals(
                stage=flow.stages[stage],
                team=flow.teams[int(t)],
                visits=int(mine.sum()),
                waiting_share=waiting,
                mean_queue_hours=float(flow.v_queue[mine].mean()) / 3600,
                queue_nonempty_share=float(nonempty),
                load_dependence=corr,
                capacity_bound=bool(bound),
            )
        )
    return tuple(sorted(out, key=lambda ts: -ts.mean_queue_hours))


def attribute_team(teams: tuple[TeamSignals, ...], bound: bool = True) -> str | None:
    """The team whose share of the stage is the capacity limit: its items wait TEAM_WAIT_RATIO times longer than
    everyone else's (in a pool shared by all teams, waits are alike) and, with `bound`, its share is capacity-bound
    over the verdict's period."""
    if len(teams) < 2:
        return None
    top, rest = teams[0], teams[1:]
    others = sum(t.mean_queue_hours * t.visits for t in rest) / sum(t.visits for t in rest)
    if (top.capacity_bound or not bound) and top.mean_queue_hours >= TEAM_WAIT_RATIO * others:
        return top.team
    return None


def detect_constraint(
    intervals: pd.DataFrame,
    as_of: datetime | pd.Timestamp,
    *,
    window_days: int | None = None,
    windows: int = 12,
    replicates: int = REPLICATES,
    seed: int = 0,
) -> ConstraintFinding:
    """The constraint of the flow in `intervals` (fct_status_intervals' INTERVAL_COLUMNS, and `status` when present
    to name unmapped statuses) as of `as_of`, judged over the last `windows` windows of `window_days` days (None:
    chosen from the data), or why the data cannot be judged (trust.py). Deterministic for a seed."""
    if (window_days is not None and window_days < 1) or windows < 1 or replicates < 1:
        raise AnalysisError("window_days, windows and replicates must be at least 1")
    flow = prepare_flow(intervals, as_of)

    def detector(days: int) -> ConstraintFinding:
        return _Detector(flow, days, windows, replicates, seed).run()

    return judge_with_care(flow, intervals, window_days, windows, replicates, detector)
