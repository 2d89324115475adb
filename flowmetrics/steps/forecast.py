"""`flowmetrics forecast`: when will N items be done, or how many by a date / in the next days, by throughput
sampling and by the constraint-aware simulation; written to `flowmetrics.forecasts` unless --no-write.

The I/O edge around the pure `flowmetrics.analysis.forecast` and `flowmetrics.simulation.forecast`: read the
marts as of a moment (data after it is cut), forecast, write.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from flowmetrics.analysis import CALIBRATION_INTERVAL_COLUMNS
from flowmetrics.analysis.forecast import (
    FINISH_INTERVAL_COLUMNS,
    MIN_FINISHED,
    SAMPLE_WEEKS,
    TRIALS,
    finish_times,
    from_counts,
    from_days,
    insufficient,
    items_in_flow,
    scope_mask,
    throughput_forecast,
)
from flowmetrics.errors import AnalysisError, ConfigError
from flowmetrics.results import FORECAST_METHODS, Forecast, MethodForecast
from flowmetrics.simulation.config import InitialItem
from flowmetrics.simulation.forecast import REPLICATIONS, forecast_config, simulated_counts, simulated_days
from flowmetrics.simulation.whatif import describe_change
from flowmetrics.warehouse.findings import read_status_intervals
from flowmetrics.warehouse.forecasts import write_forecast
from flowmetrics.warehouse.lock import warehouse_lock
from flowmetrics.warehouse.marts import MartReader
from flowmetrics.warehouse.optional_tables import warehouse_absence_notes
from flowmetrics.warehouse.profile import Target

FORECAST_WORK_ITEM_COLUMNS = ("ticket_id", "team", "requested_by", "ticket_type", "ai_assisted", "created_at")


@dataclass(frozen=True)
class Question:
    """What is asked: `items` (when will that many finish), `by` (a date) or `days` (the next days)."""

    items: int | None = None
    by: date | None = None
    days: int | None = None

    def check(self) -> None:
        if sum(x is not None for x in (self.items, self.by, self.days)) != 1:
            raise ConfigError("ask one question: --items N (when will N items be done), --by DATE (how many by then) "
                              "or --days D (how many in the next D days)")

    def horizon_days(self, as_of: pd.Timestamp) -> int | None:
        """Whole days from the as-of to the end of --by's day (or --days)."""
        if self.days is not None:
            return self.days
        if self.by is None:
            return None
        end = pd.Timestamp(self.by) + pd.Timedelta(days=1)
        if end <= as_of:
            raise ConfigError(f"--by {self.by.isoformat()} is not after the as-of {as_of}")
        return max(1, int(-(-(end - as_of) // pd.Timedelta(days=1))))


@dataclass(frozen=True)
class ForecastRun:
    forecast: Forecast
    run_id: str | None  # None when nothing was written
    absent: tuple[str, ...] = ()  # one note per optional raw table the warehouse lacks

    def to_dict(self) -> dict[str, Any]:
        return {**self.forecast.to_dict(), "run_id": self.run_id, "absent": list(self.absent)}


def _simulation(
    intervals: pd.DataFrame,
    items: pd.DataFrame,
    moment: pd.Timestamp,
    question: Question,
    horizon: int | None,
    scope: dict[str, str | None],
    *,
    stage: str | None,
    capacity: float | None,
    arrivals: float | None,
    calibration_weeks: float,
    replications: int,
    seed: int,
) -> MethodForecast:
    from flowmetrics.analysis import calibrate

    basis: dict[str, Any] = {"calibration_weeks": calibration_weeks, "replications": replications}
    if scope.get("ticket_type") is not None:
        return insufficient("simulation", "the simulation does not model ticket types: --ticket-type scopes "
                                          "throughput sampling only", basis)
    try:
        calibration = calibrate(intervals, items, moment, weeks=calibration_weeks)
    except AnalysisError as exc:
        return insufficient("simulation", str(exc), basis)
    work = [s.stage for s in calibration.stages if s.kind == "work"]
    if stage is not None and stage not in work:
        raise ConfigError(f"--stage {stage!r} is not a work stage of this flow; work stages: {', '.join(work)}")
    basis["tickets_created_in_calibration"] = calibration.tickets
    if calibration.tickets < MIN_FINISHED or not work:
        return insufficient("simulation", f"{calibration.tickets} ticket(s) created in the {calibration_weeks:g} "
                                          f"weeks before the as-of; the simulation needs at least {MIN_FINISHED}",
                            basis)
    flowing = items_in_flow(intervals, items, moment, [s.stage for s in calibration.stages])
    initial = [InitialItem(str(r.stage), str(r.team), str(r.requested_by), bool(r.ai_assisted))
               for r in flowing.itertuples()]
    basis["items_in_flow"] = len(initial)
    config = forecast_config(calibration, initial, stage=stage, capacity_factor=capacity or 1.0,
                             arrivals_factor=arrivals or 1.0)
    sim_scope = {k: v for k, v in scope.items() if k in ("team", "requested_by")}
    if horizon is not None:
        counts = simulated_counts(config, horizon, scope=sim_scope, replications=replications, seed=seed)
        return from_counts("simulation", counts, basis)
    assert question.items is not None
    days = simulated_days(config, question.items, scope=sim_scope, replications=replications, seed=seed)
    return from_days("simulation", days, moment, basis)


def run_forecasting(
    target: Target,
    question: Question,
    *,
    method: str = "both",
    scope: dict[str, str | None] | None = None,
    as_of: str | None = None,
    stage: str | None = None,
    capacity: float | None = None,
    arrivals: float | None = None,
    weeks: float = SAMPLE_WEEKS,
    calibration_weeks: float = 12.0,
    replications: int = REPLICATIONS,
    trials: int = TRIALS,
    seed: int = 0,
    schema: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> Forecast:
    """Read the marts (dbt's, or `schema`: published) as of `as_of` (default: their own), forecast by each method
    asked; nothing is written."""
    from flowmetrics.steps.detect import resolve_as_of
    from flowmetrics.steps.whatif import change_problem, check_change

    question.check()
    scope = dict(scope or {})
    if method not in (*FORECAST_METHODS, "both"):
        raise ConfigError(f"method {method!r}: use one of {', '.join(FORECAST_METHODS)} or both")
    for what, factor in (("capacity", capacity), ("arrivals", arrivals)):
        problem = change_problem(what, factor) if factor is not None else None
        if problem:
            raise ConfigError(f"--{what} x{factor:g}: {problem}")
    methods = FORECAST_METHODS if method == "both" else (method,)
    changed = capacity is not None or arrivals is not None or stage is not None
    if changed:
        check_change(stage, capacity, arrivals)
        if "simulation" not in methods:
            raise ConfigError("--stage/--capacity and --arrivals change the simulated system: use --method "
                              "simulation or both (throughput sampling only repeats the past)")
    say = progress or (lambda message: None)
    say("reading the marts")
    with MartReader.open(target, schema=schema) as reader:
        moment = resolve_as_of(as_of, reader.as_of())
        horizon = question.horizon_days(moment)
        since = (moment - pd.Timedelta(weeks=max(weeks, calibration_weeks))).to_pydatetime()
        columns = tuple(dict.fromkeys((*FINISH_INTERVAL_COLUMNS, *CALIBRATION_INTERVAL_COLUMNS)))
        intervals = read_status_intervals(reader, columns, since)
        items = reader.read("fct_work_items", FORECAST_WORK_ITEM_COLUMNS)
    # in one order whatever order the warehouse returned the rows in: the simulation's items follow it (a seed)
    intervals = intervals.sort_values(["ticket_id", "interval_number"], kind="stable").reset_index(drop=True)
    items = items[pd.to_datetime(items["created_at"]) <= moment].sort_values("ticket_id").reset_index(drop=True)
    if items.empty:
        raise AnalysisError(f"fct_work_items holds no ticket created at or before the as-of {moment}")
    in_scope = items.loc[scope_mask(items, scope), "ticket_id"]
    history_days = int((moment - pd.to_datetime(items["created_at"]).min()) / pd.Timedelta(days=1))
    answers: list[MethodForecast] = []
    if "throughput" in methods:
        say("throughput sampling")
        finished = finish_times(intervals, moment)
        finished = finished[finished.index.isin(in_scope)]
        answers.append(throughput_forecast(finished, moment, history_days=max(1, history_days),
                                           horizon_days=horizon, items=question.items, weeks=weeks,
                                           trials=trials, seed=seed))
    if "simulation" in methods:
        say(f"simulating {replications} runs from the items in the flow")
        answers.append(_simulation(intervals, items, moment, question, horizon, scope, stage=stage,
                                   capacity=capacity, arrivals=arrivals, calibration_weeks=calibration_weeks,
                                   replications=replications, seed=seed))
    return Forecast(
        as_of=moment.to_pydatetime(),
        question="items" if question.items is not None else "by" if question.by is not None else "days",
        horizon_days=horizon,
        items_asked=question.items,
        by=question.by.isoformat() if question.by is not None else None,
        scope=scope,
        change=describe_change(stage, capacity or 1.0, arrivals or 1.0) if changed else None,
        seed=seed,
        forecasts=tuple(answers),
    )


def run_forecast(target: Target, question: Question, *, write: bool = True, lock_timeout: float = 60.0,
                 **options: Any) -> ForecastRun:
    """`flowmetrics forecast`: under the writer lock when it writes, the absence notes read first, the forecast,
    then its rows appended to flowmetrics.forecasts."""
    writing = warehouse_lock(target, "forecast", lock_timeout) if write else contextlib.nullcontext()
    with writing:
        notes = tuple(warehouse_absence_notes(target))
        forecast = run_forecasting(target, question, **options)
        run_id = write_forecast(target, forecast, lock_timeout) if write else None
    return ForecastRun(forecast, run_id, notes)


def _cell(f: MethodForecast, question: str) -> str:
    if f.status != "ok":
        return f"no forecast: {f.reason}"
    if question == "items":
        assert f.dates is not None and f.days is not None
        return "   ".join(f"{k}: {f.dates[k]} ({f.days[k]:g} d)" if f.days[k] is not None else
                           f"{k}: not within ten years" for k in f.dates)
    assert f.items is not None
    return "   ".join(f"{k}: {v}" for k, v in f.items.items())


def forecast_text(run: ForecastRun) -> str:
    """`flowmetrics forecast` for people: the question, one line per method, how to read it, where it was written."""
    f = run.forecast
    scope = ", ".join(f"{k} {v}" for k, v in f.scope.items() if v is not None) or "every item"
    if f.question == "items":
        asked = f"When will {f.items_asked} item(s) have finished ({scope}), as of {f.as_of:%Y-%m-%d %H:%M}?"
        reading = "pXX: finished by that date with XX% likelihood."
    else:
        span = f"by {f.by} ({f.horizon_days} day(s)" if f.by else f"in the next {f.horizon_days} day(s) ("
        asked = f"How many items finish {span}{'; ' if f.by else ''}{scope}), as of {f.as_of:%Y-%m-%d %H:%M}?"
        reading = "pXX: at least that many finish with XX% likelihood (p5 is the optimistic end, p95 the safe one)."
    lines = [*run.absent, asked]
    if f.change:
        lines.append(f"Simulated with a change: {f.change}.")
    lines += [f"  {m.method:<11} {_cell(m, f.question)}" for m in f.forecasts]
    lines.append(reading)
    if run.run_id is not None:
        lines.append(f"Written as run {run.run_id} to flowmetrics.forecasts.")
    return "\n".join(lines)
