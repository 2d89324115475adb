"""When a verdict is not to be trusted: too little data to judge (`insufficient_data`), or data that is not a running
flow (`not_a_flow`: an extract of finished items, arrivals that start and stop in a burst), and statuses missing from
the status map.

Each check gives typed reasons (code, message, value, threshold); the thresholds live here once and
docs/detection.md states them. Pure: data frames and a `Flow` in, reasons out.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from flowmetrics.analysis.flow import UNMAPPED, Flow, timestamp, to_seconds
from flowmetrics.analysis.signals import DAY, MIN_LOAD_DEPENDENCE, MIN_VISITS
from flowmetrics.analysis.window import WINDOW_CHOICES, choose_window, work_stages
from flowmetrics.results import ConstraintFinding, StageVerdict, VerdictReason

INSUFFICIENT_DATA = "insufficient_data"
NOT_A_FLOW = "not_a_flow"

# too little to judge
MIN_ITEMS = 30  # items that entered a work stage in the period
MIN_PERIOD_DAYS = 14  # days of history before the as-of
MIN_WINDOWS = 2  # windows of the chosen length in that history
# MIN_VISITS (signals.py): finished visits a work stage needs for its load dependence; below it at every work stage

# not a running flow
MAX_OPEN_RATIO = 0.125  # items open at the as-of ÷ items in the flow on average over the period, below it (a flow
# just emptied by a weekly batch release keeps about a seventh: 7 of 49 in one held-out system, not an extract;
# BPI 2013 incidents, a sample of closed cases, about a ninth: 98 of ~900)
MIN_MEAN_WIP = 5.0  # the open-items check needs this many items in the flow on average (else zero open is chance)
ARRIVAL_SHARE = 0.9  # this share of the period's arrivals ...
MAX_ARRIVAL_SPAN = 0.25  # ... within at most this share of the period: arrivals that start or stop in a burst
NEGATIVE_LOAD_DEPENDENCE = -MIN_LOAD_DEPENDENCE  # at most stages: the fast survivors of an extract, not a queue

UNMAPPED_STAGE_KIND = "unmapped"


def period_days(flow: Flow, window_days: int, windows: int) -> int:
    """Whole days the detection pools: the look-back, or the history before the as-of when shorter."""
    return max(0, min(window_days * windows, int((flow.as_of - flow.first_at) // DAY)))


def windows_in(days: int, window_days: int) -> int:
    """Windows the detector cuts from `days` (a first window of less than half the length is left out)."""
    full, rest = divmod(days, window_days)
    return full + (1 if rest and (rest >= window_days / 2 or not full) else 0)


def _items_entering_work(flow: Flow, intervals: pd.DataFrame, lo: float) -> int:
    names = [flow.stages[s] for s in work_stages(flow)]
    start = to_seconds(intervals["entered_at"])
    mine = intervals["stage"].isin(names).to_numpy() & (start >= lo) & (start <= flow.as_of)
    return int(intervals.loc[mine, "ticket_id"].nunique())


def insufficient_reasons(
    flow: Flow, intervals: pd.DataFrame, window_days: int, windows: int
) -> tuple[VerdictReason, ...]:
    """Why there is too little data to judge (empty: enough): too few items, too short a period, too few finished
    visits at every work stage."""
    days = period_days(flow, window_days, windows)
    lo = flow.as_of - days * DAY
    reasons = []
    items = _items_entering_work(flow, intervals, lo)
    if items < MIN_ITEMS:
        where = "a work stage (one with a queue and an active status)" if work_stages(flow).size else (
            "a work stage: no stage has both a queue and an active status in the status map"
        )
        reasons.append(
            VerdictReason(
                "few_items",
                f"{items} item(s) entered {where} in the {days} day(s) judged; detection needs at least {MIN_ITEMS}",
                items,
                MIN_ITEMS,
            )
        )
    needed = max(MIN_PERIOD_DAYS, math.ceil(window_days * (MIN_WINDOWS - 0.5)))
    if days < needed:
        reasons.append(
            VerdictReason(
                "short_period",
                f"the data covers {days} day(s) before the as-of ({windows_in(days, window_days)} window(s) of "
                f"{window_days} days); detection needs at least {needed} days ({MIN_PERIOD_DAYS} days and "
                f"{MIN_WINDOWS} windows)",
                days,
                needed,
            )
        )
    stages = work_stages(flow)
    finished = ~flow.v_open & (flow.v_start >= lo)
    counts = np.bincount(flow.v_stage[finished], minlength=len(flow.stages))[stages]
    most = int(counts.max()) if len(counts) else 0
    if most < MIN_VISITS:
        best = flow.stages[int(stages[np.argmax(counts)])] if len(counts) else None
        at = f" (the most: {best})" if best else ""
        reasons.append(
            VerdictReason(
                "few_visits",
                f"every work stage saw fewer than {MIN_VISITS} visits finish in the period{at}: {most}; its signals "
                "need at least that many",
                most,
                MIN_VISITS,
            )
        )
    return tuple(reasons)


def _mean_wip(flow: Flow, lo: float) -> float:
    """Items in the flow (any non-terminal status), time-averaged over [lo, as-of]."""
    span = flow.as_of - lo
    if span <= 0:
        return 0.0
    overlap = np.clip(np.minimum(flow.i_end, flow.as_of) - np.maximum(flow.i_start, lo), 0, None)
    return float(overlap.sum()) / span


def _shortest_span(times: np.ndarray, share: float) -> float:
    """The shortest stretch of time holding `share` of the sorted `times`."""
    n = len(times)
    k = max(1, math.ceil(share * n))
    return float(np.min(times[k - 1 :] - times[: n - k + 1]))


def extract_reasons(
    flow: Flow, intervals: pd.DataFrame, window_days: int, windows: int, stages: Sequence[StageVerdict] = ()
) -> tuple[VerdictReason, ...]:
    """Why the data looks like a filtered extract rather than a running flow (empty: it looks like a flow): almost
    nothing open at the as-of, arrivals in a burst; with either, negative load dependence at most work stages is
    named too (the survivors of an extract: items that left fast were kept, slow ones dropped)."""
    days = period_days(flow, window_days, windows)
    lo = flow.as_of - days * DAY
    reasons = []
    open_now = int(flow.v_open.sum())
    wip = _mean_wip(flow, lo)
    if wip >= MIN_MEAN_WIP and open_now < MAX_OPEN_RATIO * wip:
        reasons.append(
            VerdictReason(
                "few_open",
                f"only {open_now} item(s) are open at the as-of, against {wip:.0f} in the flow on average over the "
                f"{days} days judged: almost nothing is open, as in an extract of finished items",
                open_now / wip,
                MAX_OPEN_RATIO,
            )
        )
    start = to_seconds(intervals["entered_at"])
    first = pd.Series(start).groupby(intervals["ticket_id"].to_numpy()).min().to_numpy()
    arrivals = np.sort(first[(first >= lo) & (first <= flow.as_of)])
    if len(arrivals) >= MIN_ITEMS and days > 0:
        span = _shortest_span(arrivals, ARRIVAL_SHARE) / DAY
        if span <= MAX_ARRIVAL_SPAN * days:
            reasons.append(
                VerdictReason(
                    "arrival_burst",
                    f"{ARRIVAL_SHARE:.0%} of the {len(arrivals)} items that arrived in the {days} days judged arrived "
                    f"within {span:.0f} day(s): arrivals that start or stop this abruptly are an extract, not a "
                    "running flow",
                    span / days,
                    MAX_ARRIVAL_SPAN,
                )
            )
    if reasons:
        measured = [
            v.signals.load_dependence
            for v in stages
            if v.signals.has_work and not math.isnan(v.signals.load_dependence)
        ]
        negative = sum(1 for x in measured if x <= NEGATIVE_LOAD_DEPENDENCE)
        if measured and negative > len(measured) / 2:
            reasons.append(
                VerdictReason(
                    "survivor_load_dependence",
                    f"{negative} of {len(measured)} work stages show time that shrinks with load (rank correlation "
                    f"at most {NEGATIVE_LOAD_DEPENDENCE:.1f}): the mark of kept survivors, not of a queue",
                    negative / len(measured),
                    0.5,
                )
            )
    return tuple(reasons)


def unmapped_stages(flow: Flow) -> tuple[int, ...]:
    """Stages whose every status is missing from the status map."""
    return tuple(
        s
        for s in range(len(flow.stages))
        if (kinds := flow.i_kind[flow.i_stage == s]).size and bool(np.all(kinds == UNMAPPED))
    )


def unmapped_reason(flow: Flow, intervals: pd.DataFrame, lo: float) -> VerdictReason | None:
    """Statuses missing from the status map that held items in the period: a data problem to fix, never a stage
    that is "healthy"."""
    stages = unmapped_stages(flow)
    if not stages:
        return None
    mine = np.isin(flow.v_stage, stages) & (flow.v_start <= flow.as_of) & (flow.v_open | (flow.v_end >= lo))
    visits = int(mine.sum())
    if not visits:
        return None
    named = ""
    if "status" in intervals.columns:
        start, end = to_seconds(intervals["entered_at"]), to_seconds(intervals["exited_at"])
        rows = (
            (intervals["stage_kind"] == UNMAPPED_STAGE_KIND).to_numpy()
            & (start <= flow.as_of)
            & (np.isnan(end) | (end >= lo))
        )
        statuses = sorted(str(s) for s in intervals.loc[rows, "status"].dropna().unique())
        if statuses:
            shown = ", ".join(statuses[:5]) + (", …" if len(statuses) > 5 else "")
            named = f"{len(statuses)} status(es) unmapped ({shown}): "
    lead = named or "statuses missing from the status map: "
    return VerdictReason(
        "unmapped_statuses",
        f"{lead}{visits} visit(s) in the period sat in them; map them in the status map (stage and kind) and "
        "rebuild: detection cannot judge a status it cannot place",
        visits,
        0,
    )


def window_for(flow: Flow) -> tuple[int, str]:
    """The window chosen from the data (window.py) among the lengths of which the history holds MIN_WINDOWS (and
    MIN_PERIOD_DAYS days), and why."""
    span = int((flow.as_of - flow.first_at) // DAY)
    fits = [c for c in WINDOW_CHOICES if span >= max(MIN_PERIOD_DAYS, math.ceil(c * (MIN_WINDOWS - 0.5)))]
    if fits:
        return choose_window(flow, fits)
    days = WINDOW_CHOICES[0]
    return days, f"{days}-day windows, the shortest: the history ({span} day(s)) is too short to choose"


def _unmapped_as_such(stages: tuple[StageVerdict, ...], names: set[str]) -> tuple[StageVerdict, ...]:
    """A stage of statuses missing from the status map is classified `unmapped`, never healthy or a delay."""
    return tuple(
        replace(v, classification=UNMAPPED_STAGE_KIND, confidence=float("nan")) if v.stage in names else v
        for v in stages
    )


def judge_with_care(
    flow: Flow,
    intervals: pd.DataFrame,
    window_days: int | None,
    windows: int,
    replicates: int,
    detector: Callable[[int], ConstraintFinding],
) -> ConstraintFinding:
    """The window (given, or chosen from the data), then the verdict of `detector(window_days)` only when there is
    enough data, marked `not_a_flow` when the data looks like an extract, with unmapped statuses named."""
    if window_days is None:
        window_days, why = window_for(flow)
    else:
        why = f"{window_days}-day windows, as given"
    days = period_days(flow, window_days, windows)
    lo = flow.as_of - days * DAY
    unmapped = unmapped_reason(flow, intervals, lo)
    notes = (unmapped,) if unmapped else ()
    short = insufficient_reasons(flow, intervals, window_days, windows)
    if short:
        return ConstraintFinding(
            as_of=timestamp(flow.as_of),
            window_days=window_days,
            period_start=timestamp(lo),
            constraint_stage=None,
            constraint_team=None,
            confidence=float("nan"),
            kind=INSUFFICIENT_DATA,
            stages=(),
            windows=(),
            shifts=(),
            replicates=replicates,
            window_reason=why,
            reasons=(*short, *notes),
        )
    finding = detector(window_days)
    names = {flow.stages[s] for s in unmapped_stages(flow)}
    finding = replace(
        finding,
        stages=_unmapped_as_such(finding.stages, names),
        windows=tuple(replace(w, stages=_unmapped_as_such(w.stages, names)) for w in finding.windows),
        window_reason=why,
        reasons=notes,
    )
    extract = extract_reasons(flow, intervals, window_days, windows, finding.stages)
    if extract:
        finding = replace(
            finding,
            constraint_stage=None,
            constraint_team=None,
            confidence=float("nan"),
            kind=NOT_A_FLOW,
            shifts=(),
            teams=(),
            reasons=(*extract, *notes),
        )
    return finding
