"""Typed result objects: frozen dataclasses with ``to_dict()`` for the CLI's table and ``--json`` output."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


class Result:
    """Mixin: a JSON-ready dict of a dataclass result."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]  # the mixin is no dataclass; every subclass is one


@dataclass(frozen=True)
class TableIngest(Result):
    """What ingest did with one raw table."""

    table: str
    source_file: str | None  # None: the optional table was absent and left as it was
    rows_read: int = 0
    rows_inserted: int = 0
    rows_updated: int = 0  # upsert tables: a loaded key got newer values
    rows_unchanged: int = 0  # repeats of rows already loaded (idempotent re-ingest)
    rows_quarantined: int = 0
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    ignored_columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class IngestSummary(Result):
    """One ingest run over a directory of raw files."""

    warehouse: str
    source_dir: str
    tables: tuple[TableIngest, ...]
    seconds: float

    @property
    def rows_quarantined(self) -> int:
        return sum(t.rows_quarantined for t in self.tables)

    @property
    def rows_inserted(self) -> int:
        return sum(t.rows_inserted for t in self.tables)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["rows_inserted"] = self.rows_inserted
        d["rows_quarantined"] = self.rows_quarantined
        return d


@dataclass(frozen=True)
class GenerateSummary(Result):
    """What `flowmetrics generate` wrote."""

    out_dir: str
    seed: int
    items: int
    rows_per_table: dict[str, int]
    seconds: float


@dataclass(frozen=True)
class BuildResult(Result):
    """One `dbt build` run."""

    warehouse: str
    target: str | None
    args: tuple[str, ...]
    return_code: int
    seconds: float
    note: str = ""  # why the run did more than asked (e.g. a full refresh for an earlier as-of)


# --- constraint detection ------------------------------------------------------------------------------------


def _clean(value: Any) -> Any:
    """JSON-ready: NaN/inf become None, floats keep 4 decimals, datetimes become ISO-8601 UTC strings."""
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else round(value, 4)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


@dataclass(frozen=True)
class StageSignals(Result):
    """The evidence about one stage over a period (a window or the verdict's period).

    Shares are of time in the period or of time items spent in the stage; `load_dependence` is the Spearman
    rank correlation of a visit's time in the stage (queue + active) with the items it found there on arrival;
    `littles_law_ratio` (mean WIP ÷ arrival rate × mean time in stage) is a data-quality signal, not a detector.
    """

    waiting_share: float  # time in the stage's queue ÷ time in the stage
    wait_share: float  # time parked in its wait statuses ÷ time in the stage
    queue_nonempty_share: float  # share of the period with work waiting in its queue (Roser: "active")
    bottleneck_share: float  # share of the period it is the momentary bottleneck (sole + shifting)
    sole_bottleneck_share: float
    shifting_bottleneck_share: float
    load_dependence: float
    load_visits: int  # visits the load dependence was measured on
    arrivals_per_week: float
    departures_per_week: float
    queue_growth_per_week: float  # net change of the queue's length
    mean_wip: float  # items in the stage, time-averaged
    time_share: float  # of all time items spent in the flow during the period
    median_hours: float  # time in the stage per visit (visits entering in the period and left since)
    mean_queue_hours: float  # queue time per visit
    littles_law_ratio: float
    has_work: bool  # the stage has people: a queue status and an active one
    occupancy: float = math.nan  # items in its active statuses ÷ the most active at once (per week)
    at_ceiling_share: float = math.nan  # share of the period its active statuses are at (or near) that ceiling
    burst_response: float = math.nan  # a day's queue growth per visit arriving that day (slope; ~1 saturated)
    bound_by: str | None = None  # capacity-bound by its "queue" or by "saturation" (people at capacity); else None

    def to_dict(self) -> dict[str, Any]:
        return _clean(asdict(self))


@dataclass(frozen=True)
class StageVerdict(Result):
    """One stage's place in the ranking, its classification and the bootstrap agreement with it."""

    stage: str
    rank: int
    classification: str  # constraint | delay | healthy | borderline (near a cut: replicates disagree)
    confidence: float
    signals: StageSignals

    def to_dict(self) -> dict[str, Any]:
        d = _clean(asdict(self))
        d["signals"] = self.signals.to_dict()
        return d


@dataclass(frozen=True)
class WindowVerdict(Result):
    """The constraint of one time window [start, end) and each stage's verdict in it."""

    start: datetime
    end: datetime
    constraint_stage: str | None
    confidence: float
    stages: tuple[StageVerdict, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return _clean(
            {
                "start": self.start,
                "end": self.end,
                "constraint_stage": self.constraint_stage,
                "confidence": self.confidence,
            }
        )


@dataclass(frozen=True)
class ConstraintShift(Result):
    """The constraint moved from one stage to another at `at`."""

    at: datetime
    from_stage: str
    to_stage: str

    def to_dict(self) -> dict[str, Any]:
        return _clean(asdict(self))


@dataclass(frozen=True)
class TeamSignals(Result):
    """One team's items at a stage: how long they wait and whether that team's share of the stage is capacity-bound."""

    stage: str
    team: str
    visits: int
    waiting_share: float
    mean_queue_hours: float
    queue_nonempty_share: float
    load_dependence: float
    capacity_bound: bool

    def to_dict(self) -> dict[str, Any]:
        return _clean(asdict(self))


NO_VERDICT_KINDS = {
    "insufficient_data": "Not enough data to name a constraint (insufficient data)",
    "not_a_flow": "This data does not look like a running flow, so no constraint is named (not a flow)",
}
"""Verdict kinds that name no constraint because the data cannot be judged, with the words that open their
sentence in the CLI and the report."""
DATA_PROBLEM_CODES = frozenset({"unmapped_statuses"})
"""Reason codes that report a data problem beside any verdict rather than why there is none."""


@dataclass(frozen=True)
class VerdictReason(Result):
    """Why a verdict is to be read with care: a check of the data (`code`), in words, with the value it measured
    and the threshold it was held to (flowmetrics/analysis/trust.py)."""

    code: str
    message: str
    value: float
    threshold: float

    def to_dict(self) -> dict[str, Any]:
        return _clean(asdict(self))


@dataclass(frozen=True)
class SaturatedStage(Result):
    """A stage capacity-bound beside the constraint: `confidence` is the bootstrap share that finds it so."""

    stage: str
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        return _clean(asdict(self))


@dataclass(frozen=True)
class ConstraintFinding(Result):
    """Where the constraint is: the verdict over the latest stretch of stable windows (`period_start` to the
    as-of), each stage's classification, the per-window constraint and the shifts between windows.

    `kind` is `sole` (one constraint throughout), `shifting` (it moved: see `shifts`) or `none` (no stage is
    capacity-bound; `confidence` is then the bootstrap share of replicates that found one, so it is low), or,
    with no verdict at all (`confidence` NaN, `reasons` say why), `insufficient_data` (too little data to judge)
    or `not_a_flow` (the data looks like a filtered extract, not a running flow). `reasons` also carries data
    problems found beside a verdict (statuses missing from the status map).
    """

    as_of: datetime
    window_days: int
    period_start: datetime
    constraint_stage: str | None
    constraint_team: str | None
    confidence: float
    kind: str
    stages: tuple[StageVerdict, ...]
    windows: tuple[WindowVerdict, ...]
    shifts: tuple[ConstraintShift, ...]
    teams: tuple[TeamSignals, ...] = ()
    replicates: int = 0
    window_reason: str = ""  # how the window length was chosen (from the data, or given)
    reasons: tuple[VerdictReason, ...] = ()
    also_saturated: tuple[SaturatedStage, ...] = ()  # other stages near saturation in the verdict's period

    def stage(self, name: str) -> StageVerdict:
        return next(s for s in self.stages if s.stage == name)

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON shape documented in docs/detection.md."""
        return _clean(
            {
                "as_of": self.as_of,
                "window_days": self.window_days,
                "window": f"{self.window_days}d",
                "window_reason": self.window_reason,
                "period_start": self.period_start,
                "constraint": {
                    "stage": self.constraint_stage,
                    "team": self.constraint_team,
                    "confidence": self.confidence,
                    "kind": self.kind,
                    "reasons": [r.to_dict() for r in self.reasons],
                    "also_saturated": [a.to_dict() for a in self.also_saturated],
                },
                "stages": [s.to_dict() for s in self.stages],
                "windows": [w.to_dict() for w in self.windows],
                "shifts": [s.to_dict() for s in self.shifts],
                "teams": [t.to_dict() for t in self.teams],
            }
        )


# --- what-if -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemandCalibration(Result):
    """Arrivals of one requesting function, from the tickets it created."""

    requested_by: str
    per_day: float
    teams: dict[str, float]  # owning team -> share of this function's tickets
    ai_share: float


@dataclass(frozen=True)
class StageCalibration(Result):
    """One stage of the route as the marts show it: a `work` stage (people: a queue, an active status, a
    service-time distribution and a number of people working in parallel) or a `wait` (a pure delay)."""

    stage: str
    order: int
    kind: str  # work | wait
    visits: int  # visits entering in the calibration period
    visit_share: float  # visits per created ticket (wait stages: the probability an item passes through)
    queue_status: str | None = None
    active_status: str | None = None
    wait_status: str | None = None  # wait stages: their status; work stages: the status work is blocked in
    wait_kind: str = "wait"  # a wait stage's status kind (a backlog can be a queue nobody works from)
    service_mean_hours: float = float("nan")
    service_cv: float = float("nan")
    servers: int = 0  # most items in work at once
    utilisation: float = float("nan")  # time-averaged items in work ÷ servers
    rework_to: str | None = None
    rework_probability: float = 0.0
    rework_probability_ai: float | None = None
    blocking_probability: float = 0.0
    blocking_mean_hours: float = float("nan")
    blocking_cv: float = float("nan")
    delay_mean_hours: float = float("nan")
    delay_cv: float = float("nan")
    abandon_probability: float = 0.0
    abandon_mean_hours: float = float("nan")

    def to_dict(self) -> dict[str, Any]:
        return _clean(asdict(self))


@dataclass(frozen=True)
class Calibration(Result):
    """A delivery system estimated from the marts over [start, end): what the what-if simulates."""

    start: datetime
    end: datetime
    tickets: int  # created in the period
    demand: tuple[DemandCalibration, ...]
    stages: tuple[StageCalibration, ...]
    done_status: str
    abandoned_status: str

    def stage(self, name: str) -> StageCalibration:
        for s in self.stages:
            if s.stage == name:
                return s
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return _clean(asdict(self))


@dataclass(frozen=True)
class Interval(Result):
    """A mean over replications with its 95% interval."""

    mean: float
    low: float
    high: float

    def text(self, signed: bool = False) -> str:
        fmt = "+,.1f" if signed else ",.1f"
        return f"{self.mean:{fmt}} [{self.low:{fmt}}, {self.high:{fmt}}]"

    def to_dict(self) -> dict[str, Any]:
        return _clean(asdict(self))


@dataclass(frozen=True)
class MetricChange(Result):
    """One flow metric before and after the change, and the paired change (same random numbers)."""

    metric: str
    label: str
    before: Interval
    after: Interval
    change: Interval

    @property
    def relative(self) -> float:
        return self.change.mean / self.before.mean if self.before.mean else float("nan")

    def to_dict(self) -> dict[str, Any]:
        d = _clean(asdict(self))
        d["relative_change"] = _clean(self.relative)
        return d


@dataclass(frozen=True)
class WhatIfResult(Result):
    """A what-if on the calibrated system: throughput, lead time and WIP before and after, with intervals."""

    change: str
    stage: str | None
    capacity_factor: float
    arrivals_factor: float
    replications: int
    weeks: float
    seed: int
    metrics: tuple[MetricChange, ...]
    utilisation_before: dict[str, float]
    utilisation_after: dict[str, float]
    summary: str
    calibration: Calibration

    def metric(self, name: str) -> MetricChange:
        return next(m for m in self.metrics if m.metric == name)

    def to_dict(self) -> dict[str, Any]:
        return _clean(
            {
                "change": self.change,
                "stage": self.stage,
                "capacity_factor": self.capacity_factor,
                "arrivals_factor": self.arrivals_factor,
                "replications": self.replications,
                "weeks": self.weeks,
                "seed": self.seed,
                "metrics": {m.metric: m.to_dict() for m in self.metrics},
                "utilisation_before": self.utilisation_before,
                "utilisation_after": self.utilisation_after,
                "summary": self.summary,
                "calibration": self.calibration.to_dict(),
            }
        )


@dataclass(frozen=True)
class CheckResult(Result):
    """One data quality check of one run: its verdict, what was observed and a sample of failing rows.

    ``status``: passed, failed, error (the check could not be evaluated: counts as failed), not_built (the
    relation it checks does not exist in this warehouse: reported as info, never as a pass), skipped (off).
    """

    check_id: str
    suite: str
    relation: str
    severity: str  # error (blocks publishing) | warn (reported) | info
    status: str
    description: str
    observed: str | None = None
    threshold: str | None = None
    unexpected_count: int | None = None
    element_count: int | None = None
    sample: tuple[dict[str, Any], ...] = ()
    message: str | None = None

    @property
    def blocks(self) -> bool:
        return self.severity == "error" and self.status in ("failed", "error")

    @property
    def warns(self) -> bool:
        return self.severity == "warn" and self.status in ("failed", "error")


@dataclass(frozen=True)
class QualityReport(Result):
    """One run of the quality gate over a warehouse."""

    run_id: str
    target: str
    checked_at: str
    reference_time: str  # "now" of the checks: --now / config, else the wall clock of the run (UTC)
    as_of: str | None  # the build's as-of (dim_as_of), None when not built
    ingest_run_id: str | None  # the ingest run whose quarantine share was checked
    results: tuple[CheckResult, ...]
    seconds: float
    json_path: str | None = None
    docs_path: str | None = None
    snapshot_schema: str | None = None  # the publish snapshot the marts were read from; None: dbt's schema
    html_path: str | None = None  # a self-contained page of this run, linking to the GX Data Docs

    @property
    def failures(self) -> tuple[CheckResult, ...]:
        return tuple(r for r in self.results if r.blocks)

    @property
    def warnings(self) -> tuple[CheckResult, ...]:
        return tuple(r for r in self.results if r.warns)

    @property
    def passed(self) -> bool:
        return not self.failures

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.results:
            out[r.status] = out.get(r.status, 0) + 1
        return out

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["passed"] = self.passed
        d["counts"] = self.counts()
        d["failures"] = [r.check_id for r in self.failures]
        d["warnings"] = [r.check_id for r in self.warnings]
        return d


@dataclass(frozen=True)
class PublishResult(Result):
    """One atomic publish: which relations became visible in schema published, from which snapshot."""

    run_id: str
    target: str
    snapshot_schema: str
    relations: dict[str, int]  # published relation -> rows
    not_built: tuple[str, ...]  # registered optional relations absent from this warehouse
    previous_run_id: str | None
    recovered: tuple[str, ...]  # stale snapshot schemas of interrupted runs that were dropped first
    dropped: tuple[str, ...]  # the previous snapshot schema(s), dropped after the swap
    seconds: float
    quality_run_id: str  # the quality run that checked the snapshot (recorded in flowmetrics.publish_runs)


@dataclass(frozen=True)
class StepResult(Result):
    """One step of the nightly run."""

    name: str
    status: str  # ok | failed | skipped
    seconds: float
    summary: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NightlyResult(Result):
    """The nightly run: every step, the exit code, where the log is."""

    run_id: str
    target: str
    exit_code: int
    published: bool
    steps: tuple[StepResult, ...]
    log_file: str
    seconds: float
    error: str | None = None


# --- forecasts ----------------------------------------------------------------------------------------------
FORECAST_METHODS = ("throughput", "simulation")
"""The forecasting methods: throughput sampling and the constraint-aware simulation."""
FORECAST_STATUSES = ("ok", "insufficient_data")
FORECAST_QUESTIONS = ("items", "by", "days")


@dataclass(frozen=True)
class MethodForecast(Result):
    """One method's answer: `items` (how many finish: pXX = at least that many with XX% likelihood) or `days` /
    `dates` (when: pXX = within that many days of the as-of, by that date, with XX% likelihood); `status`
    `insufficient_data` with the `reason` when the data cannot support a forecast. `basis`: what it stood on."""

    method: str  # throughput | simulation
    status: str  # ok | insufficient_data
    reason: str | None = None
    items: dict[str, int] | None = None
    mean_items: float | None = None
    days: dict[str, float | None] | None = None  # None: not within ten years
    dates: dict[str, str | None] | None = None
    basis: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Forecast(Result):
    """A forecast as of a moment: the question (`days`: items in the next horizon_days, `by`: items by a date,
    `items`: when items_asked items finish), its scope and one answer per method."""

    as_of: datetime
    question: str  # items | by | days
    horizon_days: int | None
    items_asked: int | None
    by: str | None
    scope: dict[str, str | None]
    change: str | None  # the simulation's change of capacity or arrivals, if any
    seed: int
    forecasts: tuple[MethodForecast, ...]

    @property
    def forecast_made(self) -> bool:
        """Whether at least one method answered (exit 1 when none could)."""
        return any(f.status == "ok" for f in self.forecasts)

    def method_dict(self, f: MethodForecast) -> dict[str, Any]:
        """One method's JSON object: the as-of and the question with its answer."""
        out: dict[str, Any] = {"as_of": self.as_of, "method": f.method, "question": self.question,
                               "status": f.status}
        if self.question == "items":
            out.update({"items_asked": self.items_asked, "dates": f.dates, "days": f.days})
        else:
            out.update({"horizon_days": self.horizon_days, "by": self.by, "items": f.items,
                        "mean_items": f.mean_items})
        out.update({"reason": f.reason, "basis": f.basis})
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of,
            "question": self.question,
            "horizon_days": self.horizon_days,
            "items_asked": self.items_asked,
            "by": self.by,
            "scope": dict(self.scope),
            "change": self.change,
            "seed": self.seed,
            "forecasts": [self.method_dict(f) for f in self.forecasts],
        }
