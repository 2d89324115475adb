"""flowmetrics from Python (a notebook, a script): read the published marts, detect the constraint on a data frame.

    from flowmetrics import api

    api.marts()                                             # the public marts and their grain
    intervals = api.read_mart("fct_status_intervals", warehouse="flowmetrics.duckdb")
    finding = api.detect(intervals, as_of=api.as_of(warehouse="flowmetrics.duckdb"))
    finding.constraint_stage, finding.confidence, finding.to_dict()

`read_mart` reads schema `published` (what `flowmetrics publish` last swapped in: checked, consistent across marts)
unless `published=False` asks for the marts as dbt last built them. The warehouse is a DuckDB file (`warehouse`) or
a target of the flowmetrics dbt profile (`target`: Postgres, Spark). Reads are read-only and never take the
warehouse's write lock. `detect` is the detection of `flowmetrics detect` on a data frame with the columns of
`INTERVAL_COLUMNS` (fct_status_intervals' own), so any slice of the intervals (a team, a period) can be judged.
`forecast` answers "when will 40 items be done" (`items=40`) or "how many by then" (`by=`, `days=`) from the
published marts, as `flowmetrics forecast --no-write` does:

    f = api.forecast(items=40, warehouse="flowmetrics.duckdb")
    [(m.method, m.dates) for m in f.forecasts]              # p50/p85/p95 dates per method
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from flowmetrics.analysis import INTERVAL_COLUMNS, detect_constraint
from flowmetrics.errors import AnalysisError, MartNotFoundError
from flowmetrics.results import ConstraintFinding, Forecast
from flowmetrics.warehouse.marts import MartReader, public_marts
from flowmetrics.warehouse.profile import resolve_target
from flowmetrics.warehouse.publish import PUBLISHED_SCHEMA
from flowmetrics.warehouse.sql import ident

__all__ = ["INTERVAL_COLUMNS", "as_of", "detect", "forecast", "marts", "read_mart"]


def marts() -> dict[str, str]:
    """Every public mart (``access: public`` in the dbt YAML) with its grain (one row per ...), in name order."""
    return dict(public_marts())


def _reader(warehouse: str | Path | None, target: str | None, published: bool) -> MartReader:
    resolved = resolve_target(target, Path(warehouse) if warehouse is not None else None)
    return MartReader.open(resolved, schema=PUBLISHED_SCHEMA if published else None)


def read_mart(
    name: str,
    *,
    warehouse: str | Path | None = None,
    target: str | None = None,
    columns: Sequence[str] | None = None,
    published: bool = True,
) -> pd.DataFrame:
    """The rows of public mart `name` (every column, or `columns`), from schema published by default.

    Raises KeyError for a name that is not a public mart, MartNotFoundError when the mart is not there (nothing
    published yet: run `flowmetrics publish`, or pass published=False)."""
    with _reader(warehouse, target, published) as reader:
        selected = [ident(column) for column in columns] if columns else ["*"]
        return reader.read(name, selected)


def as_of(*, warehouse: str | Path | None = None, target: str | None = None, published: bool = True) -> datetime:
    """The as-of of the marts (dim_as_of): the moment open items are measured up to."""
    with _reader(warehouse, target, published) as reader:
        moment = reader.as_of()
    if moment is None:
        raise MartNotFoundError("dim_as_of holds no as-of: the build has no events yet")
    return moment


def detect(
    intervals: pd.DataFrame,
    as_of: datetime | pd.Timestamp,
    *,
    window_days: int | None = None,
    windows: int = 12,
    seed: int = 0,
) -> ConstraintFinding:
    """The constraint of the flow in `intervals` (fct_status_intervals' rows, INTERVAL_COLUMNS at least) as of
    `as_of`, judged over the last `windows` windows of `window_days` days (None: chosen from the data), as
    `flowmetrics detect` does.
    Deterministic for a seed. Raises AnalysisError (like every error of the package, a FlowmetricsError) when
    `intervals` lacks a column."""
    missing = [column for column in INTERVAL_COLUMNS if column not in intervals.columns]
    if missing:
        raise AnalysisError(f"intervals lack column(s) {', '.join(missing)}; read them from fct_status_intervals")
    return detect_constraint(intervals, as_of, window_days=window_days, windows=windows, seed=seed)


def forecast(
    *,
    items: int | None = None,
    by: date | str | None = None,
    days: int | None = None,
    warehouse: str | Path | None = None,
    target: str | None = None,
    method: str = "both",
    team: str | None = None,
    requested_by: str | None = None,
    ticket_type: str | None = None,
    as_of: datetime | str | None = None,
    stage: str | None = None,
    capacity: float | None = None,
    arrivals: float | None = None,
    weeks: float = 12.0,
    calibration_weeks: float = 12.0,
    replications: int = 200,
    seed: int = 0,
    published: bool = True,
) -> Forecast:
    """`flowmetrics forecast` without writing: when `items` items finish, or how many finish `by` a date or in the
    next `days` days (ask one), by throughput sampling and/or the simulation (`method`), scoped by team,
    requesting function or ticket type. `capacity` / `arrivals` are factors (1.3: +30%, 3: x3) of the simulated
    system. Reads schema published unless `published=False`. Deterministic for a seed; a ConfigError (exit code
    2) for a bad question or an unknown scope value."""
    from flowmetrics.steps.forecast import Question, run_forecasting

    day = date.fromisoformat(by) if isinstance(by, str) else by
    resolved = resolve_target(target, Path(warehouse) if warehouse is not None else None)
    return run_forecasting(
        resolved, Question(items=items, by=day, days=days), method=method,
        scope={"team": team, "requested_by": requested_by, "ticket_type": ticket_type},
        as_of=None if as_of is None else str(as_of), stage=stage, capacity=capacity, arrivals=arrivals, weeks=weeks,
        calibration_weeks=calibration_weeks, replications=replications, seed=seed,
        schema=PUBLISHED_SCHEMA if published else None,
    )
