"""A finding in words and as a table, for people (the CLI prints these; `--json` prints `to_dict()`)."""

from __future__ import annotations

import math

from flowmetrics.analysis.signals import (
    MIN_LOAD_DEPENDENCE,
    MIN_QUEUE_NONEMPTY,
    MIN_WAIT_SHARE_DELAY,
)
from flowmetrics.results import (
    DATA_PROBLEM_CODES,
    NO_VERDICT_KINDS,
    ConstraintFinding,
    StageVerdict,
    WhatIfResult,
)


def _num(x: float, fmt: str) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, fmt)


def _queue_trend(per_week: float) -> str:
    if math.isnan(per_week) or abs(per_week) < 0.5:
        return "its queue held steady"
    verb = "grew" if per_week > 0 else "shrank"
    n = round(abs(per_week))
    return f"its queue {verb} by {n} item{'s' if n != 1 else ''} a week"


def why_not_constraint(v: StageVerdict) -> str:
    """The main reason a stage is not the constraint, in a few words."""
    s = v.signals
    if not s.has_work:
        return "no one works there (it has no active status), items only wait in it"
    if not math.isnan(s.wait_share) and s.wait_share >= MIN_WAIT_SHARE_DELAY:
        return f"its parked share is {s.wait_share:.0%}: items sit in its wait statuses, on something outside the flow"
    if not math.isnan(s.load_dependence) and s.load_dependence < MIN_LOAD_DEPENDENCE:
        return f"its time does not grow with load (rank correlation {s.load_dependence:.2f})"
    if s.queue_nonempty_share < MIN_QUEUE_NONEMPTY:
        return f"work waits in its queue only {s.queue_nonempty_share:.0%} of the time"
    return f"its queue-time share is only {s.waiting_share:.0%}: items there are mostly being worked"


def _reasons(f: ConstraintFinding, *, data_problems: bool) -> list[str]:
    return [r.message for r in f.reasons if (r.code in DATA_PROBLEM_CODES) == data_problems]


def verdict_sentence(f: ConstraintFinding) -> str:
    """One paragraph: the constraint and its evidence (or that there is none, or why the data cannot be judged),
    the longest stage if it is a different one (the trap: time alone ranks delays), and data problems."""
    lines = []
    if f.kind in NO_VERDICT_KINDS:
        lines.append(f"{NO_VERDICT_KINDS[f.kind]}: {'; '.join(_reasons(f, data_problems=False))}.")
    elif f.constraint_stage is None:
        lines.append(
            "No stage is capacity-bound: none has work waiting in its queue most of the time with waits that grow "
            f"with the load ({f.confidence:.2f} confidence that one is)."
        )
    else:
        v = f.stage(f.constraint_stage)
        s = v.signals
        who = f.constraint_stage + (f" (team {f.constraint_team})" if f.constraint_team else "")
        since = ""
        if f.shifts:
            last = f.shifts[-1]
            since = f" since {last.at:%Y-%m-%d} (it moved there from {last.from_stage})"
        trend = _queue_trend(s.queue_growth_per_week)
        mine = next((t for t in f.teams if t.team == f.constraint_team), None)
        if mine is not None:
            evidence = (
                f"team {mine.team}'s work waits {mine.waiting_share:.0%} of its time in the queue, "
                f"{mine.mean_queue_hours:.0f} h a visit (other teams' far less), its time grows with load "
                f"(rank correlation {mine.load_dependence:.2f})"
            )
        elif s.bound_by != "saturation":
            evidence = (
                f"work waits {s.waiting_share:.0%} of its time in its queue, its time grows with load "
                f"(rank correlation {s.load_dependence:.2f})"
            )
        else:
            evidence = (
                f"its people are saturated: at capacity {s.at_ceiling_share:.0%} of the time (occupancy "
                f"{s.occupancy:.2f} of the most work they hold at once), while work waits in its queue only "
                f"{s.queue_nonempty_share:.0%} of the time"
            )
        lines.append(f"{who} is the constraint{since}: {evidence}, {trend}; {f.confidence:.2f} confidence.")
        if f.also_saturated:
            others = ", ".join(f"{a.stage} ({a.confidence:.2f} confidence)" for a in f.also_saturated)
            lines.append(f"Also saturated, less often the bottleneck: {others}.")
    timed = [x for x in f.stages if not math.isnan(x.signals.median_hours) and x.classification != "unmapped"]
    if timed and f.kind not in NO_VERDICT_KINDS:
        longest = max(timed, key=lambda x: x.signals.median_hours)
        if longest.stage != f.constraint_stage:
            what = "a delay" if longest.classification == "delay" else "not the constraint"
            lines.append(
                f"{longest.stage} holds items longest ({longest.signals.median_hours:.0f} h median a visit) but is "
                f"{what}: {why_not_constraint(longest)}."
            )
    lines += [f"Data problem: {m}." for m in _reasons(f, data_problems=True)]
    return " ".join(lines)


def finding_table(f: ConstraintFinding) -> str:
    """The ranking of stages with their signals, the windows and the shifts."""
    head = (
        f"  {'rank':>4}  {'stage':<16}{'class':<12}{'conf':>5}{'queue time':>11}{'parked':>8}{'queue>0':>9}"
        f"{'bottleneck':>11}{'load dep':>10}{'occupancy':>10}{'at cap':>8}{'burst':>7}{'queue/wk':>10}{'median h':>10}"
    )
    lines = [
        f"As of {f.as_of:%Y-%m-%d %H:%M} UTC, over {f.period_start:%Y-%m-%d} → {f.as_of:%Y-%m-%d} "
        f"({f.window_days}-day windows, {f.replicates} bootstrap replicates):",
    ]
    if f.window_reason:
        lines.append(f"Window: {f.window_reason}.")
    if not f.stages:
        lines.append(f"No stage judged ({f.kind.replace('_', ' ')}).")
        return "\n".join(lines)
    lines.append(head)
    for v in f.stages:
        s = v.signals
        lines.append(
            f"  {v.rank:>4}  {v.stage:<16}{v.classification:<12}{_num(v.confidence, '.2f'):>5}"
            f"{_num(s.waiting_share, '.2f'):>11}{_num(s.wait_share, '.2f'):>8}"
            f"{_num(s.queue_nonempty_share, '.2f'):>9}{_num(s.bottleneck_share, '.2f'):>11}"
            f"{_num(s.load_dependence, '.2f'):>10}{_num(s.occupancy, '.2f'):>10}{_num(s.at_ceiling_share, '.2f'):>8}"
            f"{_num(s.burst_response, '.2f'):>7}"
            f"{_num(s.queue_growth_per_week, '+.1f'):>10}"
            f"{_num(s.median_hours, '.1f'):>10}"
        )
    if f.teams:
        lines.append(f"Teams at {f.teams[0].stage} (queue hours a visit; bound: that team's share is capacity-bound):")
        lines.append(
            "  "
            + ", ".join(
                f"{t.team} {t.mean_queue_hours:.1f} h{' (bound)' if t.capacity_bound else ''}" for t in f.teams[:8]
            )
        )
    cells = [f"{w.start:%m-%d} {w.constraint_stage or '—'} ({w.confidence:.2f})" for w in f.windows]
    lines.append("Windows (start, constraint, confidence):")
    lines += ["  " + " · ".join(cells[i : i + 4]) for i in range(0, len(cells), 4)]
    if f.shifts:
        lines.append("Shifts: " + "; ".join(f"{s.at:%Y-%m-%d} {s.from_stage} → {s.to_stage}" for s in f.shifts))
    return "\n".join(lines)


def whatif_text(r: WhatIfResult) -> str:
    """Before/after of a what-if, with intervals."""
    lines = [f"What if {r.change}? ({r.replications} replications of {r.weeks:g} weeks, 95% intervals)"]
    lines.append(f"  {'':<20}{'before':>26}{'after':>26}{'change':>28}")
    for m in r.metrics:
        lines.append(f"  {m.label:<20}{m.before.text():>26}{m.after.text():>26}{m.change.text(signed=True):>28}")

    lines.append(r.summary)
    return "\n".join(lines)
