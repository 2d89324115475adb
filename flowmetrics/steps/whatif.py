"""`flowmetrics whatif` and the report's "where to invest" table: the system calibrated from the marts, simulated
before and after a change of capacity or arrivals.

The investment table is calibrated once, then one simulation per change (common random numbers), so it compares
like with like.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from flowmetrics.errors import ConfigError
from flowmetrics.results import Calibration, WhatIfResult
from flowmetrics.simulation.metrics import default_workers
from flowmetrics.simulation.whatif import (
    WARMUP_WEEKS,
    arrivals_problem,
    capacity_problem,
    replicate_baseline,
    what_if,
)
from flowmetrics.warehouse.findings import read_status_intervals
from flowmetrics.warehouse.marts import MartReader
from flowmetrics.warehouse.optional_tables import absence_notes, absent_tables
from flowmetrics.warehouse.profile import Target

CAPACITY_FACTOR = 1.3
ARRIVALS_FACTOR = 3.0


@dataclass(frozen=True)
class InvestmentRow:
    change: str
    stage: str | None
    throughput_before: float
    throughput_change: float  # relative
    throughput_interval: tuple[float, float]  # absolute change per week, 95%
    lead_time_change: float  # relative
    wip_change: float  # relative


def _row(result: WhatIfResult) -> InvestmentRow:
    throughput = result.metric("throughput_per_week")
    lead = result.metric("lead_time_mean_hours")
    wip = result.metric("wip_time_average")
    return InvestmentRow(
        change=result.change,
        stage=result.stage,
        throughput_before=throughput.before.mean,
        throughput_change=throughput.relative,
        throughput_interval=(throughput.change.low, throughput.change.high),
        lead_time_change=lead.relative,
        wip_change=wip.relative,
    )


def investment_table(
    calibration: Calibration,
    *,
    replications: int = 10,
    weeks: float = 12.0,
    seed: int = 0,
    workers: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """One row per change: +30% capacity at each work stage, then arrivals x3.

    The unchanged system is replicated once and every change is paired with it (common random numbers);
    replications run in `workers` processes (default: one per available core)."""
    say = progress or (lambda message: None)
    run: dict[str, Any] = dict(replications=replications, weeks=weeks + WARMUP_WEEKS, seed=seed,
               workers=default_workers() if workers is None else workers)
    say("what-if: the system as it is")
    baseline = replicate_baseline(calibration, **run)
    rows = []
    for stage in (s.stage for s in calibration.stages if s.kind == "work"):
        say(f"what-if: {stage} +30% capacity")
        rows.append(_row(what_if(calibration, stage=stage, capacity_factor=CAPACITY_FACTOR, baseline=baseline, **run)))
    say("what-if: arrivals x3")
    rows.append(_row(what_if(calibration, arrivals_factor=ARRIVALS_FACTOR, baseline=baseline, **run)))
    return pd.DataFrame([r.__dict__ for r in rows])


def change_problem(what: str, factor: float) -> str | None:
    """Why a --capacity (``what`` "capacity") or --arrivals factor is out of the what-if's bounds, or None."""
    return capacity_problem(factor) if what == "capacity" else arrivals_problem(factor)


def read_calibration(reader: MartReader, moment: datetime, weeks: float) -> Calibration:
    """The what-if's calibration from the status intervals of the `weeks` before `moment` and the work items that
    `reader` reads (the marts dbt built, or schema published)."""
    from flowmetrics.analysis import CALIBRATION_INTERVAL_COLUMNS, WORK_ITEM_COLUMNS, calibrate

    since = (pd.Timestamp(moment) - pd.Timedelta(weeks=weeks)).to_pydatetime()
    intervals = read_status_intervals(reader, CALIBRATION_INTERVAL_COLUMNS, since)
    items = reader.read("fct_work_items", WORK_ITEM_COLUMNS)
    return calibrate(intervals, items, moment, weeks=weeks)


def check_change(stage: str | None, capacity: float | None, arrivals: float | None) -> None:
    """A what-if changes something: a capacity at a stage, the arrivals, or both (a ConfigError says how)."""
    if capacity is None and arrivals is None:
        raise ConfigError("say what changes: --stage S --capacity +30%, and/or --arrivals x3")
    if (capacity is None) != (stage is None):
        raise ConfigError("--capacity and --stage go together: --stage code_review --capacity +30%")


@dataclass(frozen=True)
class WhatIfOutcome:
    result: WhatIfResult
    absent: tuple[str, ...]  # one note per optional raw table the warehouse lacks

    def to_dict(self) -> dict[str, Any]:
        return {**self.result.to_dict(), "absent": list(self.absent)}


def run_whatif(
    target: Target,
    *,
    stage: str | None,
    capacity: float | None,
    arrivals: float | None,
    weeks: float,
    replications: int,
    calibration_weeks: float,
    seed: int,
    progress: Callable[[str], None] | None = None,
) -> WhatIfOutcome:
    """Calibrate from the marts as of their build, then simulate `replications` runs before and after the change."""
    from flowmetrics.steps.detect import resolve_as_of

    check_change(stage, capacity, arrivals)
    capacity_factor = capacity if capacity is not None else 1.0
    arrivals_factor = arrivals if arrivals is not None else 1.0
    say = progress or (lambda message: None)
    say("reading the marts")
    with MartReader.open(target) as reader:
        moment = resolve_as_of(None, reader.as_of())
        calibration = read_calibration(reader, moment, calibration_weeks)
        notes = tuple(absence_notes(absent_tables(reader.connection)))
    work = [s.stage for s in calibration.stages if s.kind == "work"]
    if stage is not None and stage not in work:
        raise ConfigError(f"--stage {stage!r} is not a work stage of this flow; work stages: {', '.join(work)}")
    say(f"simulating {replications} replications before and after")
    result = what_if(
        calibration,
        stage=stage,
        capacity_factor=capacity_factor,
        arrivals_factor=arrivals_factor,
        replications=replications,
        weeks=weeks + WARMUP_WEEKS,
        warmup_weeks=WARMUP_WEEKS,
        seed=seed,
        workers=default_workers(),
    )
    return WhatIfOutcome(result, notes)


def whatif_text(outcome: WhatIfOutcome) -> str:
    from flowmetrics.analysis import whatif_text as result_text

    return "\n".join([*outcome.absent, result_text(outcome.result)])
