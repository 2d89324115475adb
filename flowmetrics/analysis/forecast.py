"""Forecasts of delivery: how many items finish in a horizon, or when N items will have finished.

Pure functions over data frames. Throughput sampling (the Monte Carlo of the Kanban community's forecasting
sheets): the finished items per day over the last weeks before the as-of, every day of that period including the
days nothing finished, drawn day by day with replacement. Each future day is drawn from the sampled days of its
own weekday (the days a whole number of weeks before it): weekends and release days keep their place in the week,
so a 14-day horizon holds its four weekend days rather than a random number of them (drawing every day from every
day made the 5-95% range of the demo's 14-day counts three times as wide, and it held the outcome every time).
Holidays and dry spells come back at the rate the data shows them. The constraint-aware method
(flowmetrics.simulation.forecast) produces the same outcomes (items per run, days per run) and is read through the
same quantiles here.

Days are 24-hour periods counted from the as-of: day 1 is the 24 hours after it.

How the quantiles read: `items.p85` is the number of items that finish *at least* with 85% likelihood (the 15th
percentile of the simulated counts, so p95 <= p85 <= p50 <= p5); `dates.p85` is the date by which the items
finish with 85% likelihood (the 85th percentile of the simulated finishing days).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime

import numpy as np
import pandas as pd

from flowmetrics.analysis.flow import to_seconds
from flowmetrics.errors import AnalysisError
from flowmetrics.results import MethodForecast
from flowmetrics.scope import SCOPE_COLUMNS, check_known

SAMPLE_WEEKS = 12.0  # throughput sampling reads the finished items of the weeks before the as-of
MIN_FINISHED = 10  # fewer finished items than this in the sampling period: too little data to forecast
TRIALS = 10_000  # Monte Carlo trials of throughput sampling
MAX_DAYS = 3_650  # a forecast of when N items finish looks at most this many days ahead
ITEM_QUANTILES = (0.05, 0.50, 0.85, 0.95)  # likelihoods reported for "how many items"
DATE_QUANTILES = (0.50, 0.85, 0.95)  # likelihoods reported for "by when"
FINISH_INTERVAL_COLUMNS = ("ticket_id", "interval_number", "stage_kind", "entered_at", "exited_at")
DAY_SECONDS = 86_400

datetime_like = datetime | pd.Timestamp | str


def key(likelihood: float) -> str:
    """0.85 -> 'p85'."""
    return f"p{round(likelihood * 100)}"


def finish_times(intervals: pd.DataFrame, as_of: datetime_like) -> pd.Series:
    """Each ticket done at `as_of`, with when it entered the done stage it is in then (fct_work_items' finished_at
    as a build at that as-of computes it), from fct_status_intervals (FINISH_INTERVAL_COLUMNS); index ticket_id.
    Intervals entered after the as-of do not exist yet."""
    end = float(to_seconds(pd.Series([pd.Timestamp(as_of)]))[0])
    iv = intervals.loc[:, list(FINISH_INTERVAL_COLUMNS)].copy()
    iv["start"] = to_seconds(iv["entered_at"])
    iv = iv[iv["start"] <= end].sort_values(["ticket_id", "interval_number"], kind="stable")
    if iv.empty:
        return pd.Series(dtype="datetime64[us]", name="finished_at")
    done = (iv["stage_kind"].astype(str) == "done").to_numpy()
    ticket = iv["ticket_id"].to_numpy()
    first = np.ones(len(iv), dtype=bool)
    first[1:] = ticket[1:] != ticket[:-1]
    last = np.ones(len(iv), dtype=bool)
    last[:-1] = ticket[1:] != ticket[:-1]
    previous_done = np.zeros(len(iv), dtype=bool)
    previous_done[1:] = done[:-1] & ~first[1:]
    # the start of each run of done statuses, carried forward to the ticket's last interval before the as-of
    run_start = pd.Series(np.where(done & ~previous_done, iv["start"].to_numpy(), np.nan))
    run_start = run_start.groupby(np.cumsum(first)).ffill()
    keep = last & done
    seconds = run_start.to_numpy()[keep]
    return pd.Series(pd.to_datetime(seconds, unit="s"), index=pd.Index(ticket[keep], name="ticket_id"),
                     name="finished_at")


def scope_mask(work_items: pd.DataFrame, scope: Mapping[str, str | None]) -> pd.Series:
    """Which work items (fct_work_items rows) are in the scope; a ConfigError names an unknown value and the
    known ones (flowmetrics.scope.check_known, as the report's scope does)."""
    mask = pd.Series(True, index=work_items.index)
    for column, value in scope.items():
        if value is None:
            continue
        if column not in SCOPE_COLUMNS:
            raise AnalysisError(f"a forecast is scoped by {', '.join(SCOPE_COLUMNS)}, not {column!r}")
        values = work_items[column].astype(object)
        check_known(column, value, values.dropna())
        mask &= values == value
    return mask


def daily_throughput(finished_at: pd.Series, as_of: datetime_like, days: int) -> np.ndarray:
    """Items finished in each of the `days` 24-hour periods before `as_of`, oldest first, zeros included."""
    end = float(to_seconds(pd.Series([pd.Timestamp(as_of)]))[0])
    seconds = to_seconds(pd.Series(finished_at).reset_index(drop=True))
    age = (end - seconds[np.isfinite(seconds)]) / DAY_SECONDS
    age = age[(age >= 0) & (age < days)]
    back = np.minimum(np.floor(age).astype(np.int64), days - 1)  # 0: the last day before the as-of
    counts = np.bincount(back, minlength=days)[:days]
    return counts[::-1].astype(np.int64)


def sample_days(history_days: int, weeks: float = SAMPLE_WEEKS) -> int:
    """Days of throughput sampling: `weeks` before the as-of, or the history there is if shorter (whole days)."""
    return max(1, min(int(round(weeks * 7)), int(history_days)))


def count_quantiles(counts: Sequence[int] | np.ndarray) -> dict[str, int]:
    """For each likelihood L of ITEM_QUANTILES, the most items finished in at least L of the outcomes."""
    c = np.sort(np.asarray(counts, dtype=np.int64))
    n = len(c)
    return {key(p): int(c[min(n - 1, int(math.floor((1 - p) * n + 1e-9)))]) for p in ITEM_QUANTILES}


def day_quantiles(days: Sequence[float] | np.ndarray) -> dict[str, float]:
    """For each likelihood L of DATE_QUANTILES, the fewest days within which L of the outcomes finished (inf when
    too many never finished within MAX_DAYS)."""
    d = np.sort(np.asarray(days, dtype=float))
    n = len(d)
    return {key(p): float(d[max(0, int(math.ceil(p * n - 1e-9)) - 1)]) for p in DATE_QUANTILES}


def dates_of(days: Mapping[str, float], as_of: datetime_like) -> dict[str, str | None]:
    """Day counts from the as-of as dates (ISO); None beyond MAX_DAYS."""
    start = pd.Timestamp(as_of)
    return {
        k: None if not math.isfinite(v) or v > MAX_DAYS else (start + pd.Timedelta(days=v)).date().isoformat()
        for k, v in days.items()
    }


def insufficient(method: str, reason: str, basis: Mapping[str, float | int | str | None]) -> MethodForecast:
    return MethodForecast(method=method, status="insufficient_data", reason=reason, basis=dict(basis))


def from_counts(method: str, counts: np.ndarray, basis: Mapping[str, float | int | str | None]) -> MethodForecast:
    """A forecast of how many items finish, from one count per trial or replication."""
    return MethodForecast(method=method, status="ok", items=count_quantiles(counts), basis=dict(basis),
                          mean_items=float(np.mean(counts)))


def from_days(method: str, days: np.ndarray, as_of: datetime_like,
              basis: Mapping[str, float | int | str | None]) -> MethodForecast:
    """A forecast of when the items finish, from the days each trial or replication needed (inf: not within
    MAX_DAYS)."""
    quantiles = day_quantiles(days)
    within = {k: v if math.isfinite(v) and v <= MAX_DAYS else None for k, v in quantiles.items()}
    return MethodForecast(method=method, status="ok", days=within, dates=dates_of(quantiles, as_of),
                          basis=dict(basis))


def _draws(daily: np.ndarray, first_day: int, days: int, trials: int, rng: np.random.Generator) -> np.ndarray:
    """Trials x `days` draws for the days first_day+1 ... first_day+days after the as-of (day 1: its next 24 hours),
    each from the sampled days a whole number of weeks before it (the same weekday), zeros included; from every
    sampled day when the sample is shorter than a week."""
    n = len(daily)
    if n < 7:
        return rng.choice(daily, size=(trials, days))
    back = n - np.arange(n)  # 1: the last day before the as-of
    out = np.empty((trials, days), dtype=np.int64)
    for weekday in range(7):
        columns = np.flatnonzero((first_day + np.arange(days)) % 7 == weekday)
        if len(columns):
            out[:, columns] = rng.choice(daily[(back + weekday) % 7 == 0], size=(trials, len(columns)))
    return out


def throughput_counts(daily: np.ndarray, horizon_days: int, trials: int = TRIALS, seed: int = 0) -> np.ndarray:
    """Items finished in `horizon_days` days, one total per trial, each day drawn from the sampled days of its
    weekday (`daily`, oldest first, ending the day before the as-of) with replacement."""
    rng = np.random.default_rng(seed)
    total = np.zeros(trials, dtype=np.int64)
    for first in range(0, horizon_days, 63):  # in blocks: a long horizon does not hold trials x days in memory
        total += _draws(daily, first, min(63, horizon_days - first), trials, rng).sum(axis=1)
    return total


def throughput_days(daily: np.ndarray, items: int, trials: int = TRIALS, seed: int = 0) -> np.ndarray:
    """Days until `items` items have finished, one per trial (inf: not within MAX_DAYS), drawn as
    `throughput_counts` draws them."""
    rng = np.random.default_rng(seed)
    done = np.zeros(trials, dtype=np.int64)
    days = np.full(trials, np.inf)
    elapsed = 0
    while elapsed < MAX_DAYS and np.isinf(days).any():
        block = min(63, MAX_DAYS - elapsed)
        cum = done[:, None] + np.cumsum(_draws(daily, elapsed, block, trials, rng), axis=1)
        reached = cum >= items
        first = np.where(reached.any(axis=1), reached.argmax(axis=1) + 1 + elapsed, np.inf)
        days = np.where(np.isinf(days), first, days)
        done = cum[:, -1]
        elapsed += block
    return days


def throughput_forecast(
    finished_at: pd.Series,
    as_of: datetime_like,
    *,
    history_days: int,
    horizon_days: int | None = None,
    items: int | None = None,
    weeks: float = SAMPLE_WEEKS,
    trials: int = TRIALS,
    seed: int = 0,
) -> MethodForecast:
    """Throughput sampling: `finished_at` (the in-scope items' finish times) over the sampling period before
    `as_of` (`weeks`, or the `history_days` there are), resampled day by day; `horizon_days` asks how many
    items finish, `items` asks when that many have finished. Fewer than MIN_FINISHED finished items in the
    sampling period: an `insufficient_data` forecast that says so."""
    if (horizon_days is None) == (items is None):
        raise AnalysisError("a forecast asks either how many items finish (horizon days) or when (items)")
    n_days = sample_days(history_days, weeks)
    daily = daily_throughput(finished_at, as_of, n_days)
    basis: dict[str, float | int | str | None] = {
        "sample_days": n_days,
        "finished_in_sample": int(daily.sum()),
        "zero_days": int((daily == 0).sum()),
        "mean_per_day": float(daily.mean()),
        "trials": trials,
    }
    if daily.sum() < MIN_FINISHED:
        return insufficient(
            "throughput",
            f"{int(daily.sum())} item(s) finished in the {n_days} days before the as-of; throughput sampling "
            f"needs at least {MIN_FINISHED}",
            basis,
        )
    if horizon_days is not None:
        return from_counts("throughput", throughput_counts(daily, horizon_days, trials, seed), basis)
    assert items is not None
    return from_days("throughput", throughput_days(daily, items, trials, seed), as_of, basis)


def items_in_flow(intervals: pd.DataFrame, work_items: pd.DataFrame, as_of: datetime_like,
                  stages: Sequence[str]) -> pd.DataFrame:
    """The items in the flow at `as_of`: ticket_id, the stage (one of `stages`) they are in then, team,
    requested_by (UNKNOWN_FUNCTION / NO_TEAM when the ticket has none) and ai_assisted. Items in a stage that is
    not one of `stages` (unmapped statuses) are left out."""
    from flowmetrics.analysis.calibration import UNKNOWN_FUNCTION
    from flowmetrics.analysis.flow import NO_TEAM

    end = float(to_seconds(pd.Series([pd.Timestamp(as_of)]))[0])
    start = to_seconds(intervals["entered_at"])
    stop = to_seconds(intervals["exited_at"])
    now = (start <= end) & (np.isnan(stop) | (stop > end))
    current = intervals.loc[now & intervals["stage"].astype(str).isin(list(stages)).to_numpy(), ["ticket_id", "stage"]]
    current = current.drop_duplicates("ticket_id", keep="last")
    items = work_items.set_index("ticket_id")
    out = current.assign(
        stage=current["stage"].astype(str),
        team=current["ticket_id"].map(items["team"]).astype(object).fillna(NO_TEAM).astype(str),
        requested_by=current["ticket_id"].map(items["requested_by"]).astype(object).fillna(UNKNOWN_FUNCTION)
        .astype(str),
        ai_assisted=current["ticket_id"].map(items["ai_assisted"]).astype("boolean").fillna(False).astype(bool),
    )
    return out.reset_index(drop=True)
