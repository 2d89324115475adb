"""Backtest of `flowmetrics forecast`: forecasts made from many past as-ofs, checked against what happened.

Systems, each through the real pipeline (raw tables -> ingest -> dbt build, one warehouse each):
- demo: the demo system of `make demo` with 3,000 tickets (seed 7; code review is the constraint);
- tripled: the scenario family `overwhelmed_by_arrivals` (review at 0.6 of its capacity), intake tripled after
  100 days and running on 50 days more: review becomes the constraint and throughput jumps to its capacity;
- bpi2013: the real BPI Challenge 2013 incident log (../shared/data; DOI 10.4121/500573e6-accc-4b0c-9576-aa5468b10cee).

From every as-of (every `--step` days, once 12 weeks of history exist after the first 1% of tickets, up to 14 days
before the data ends) each method forecasts `--days 14` (how many items finish) and `--items N` (when N items have
finished; N: 14 days of the system's mean throughput). Scored against the finishes the full data shows after the as-of:
- days 14: the share of as-ofs whose outcome lies in the 5-95% range (p95 <= outcome <= p5; target 90%) and at or
  above the p85 line (at least p85 items finished; target 85%); the median absolute error of p50 in items;
- items N: the share finished by the p50 / p85 / p95 dates (targets 50% / 85% / 95%; days are whole, so a date
  forecast to the day counts as met) and the median of p50's day minus the actual day.

    nice -n 10 .venv/bin/python bench/bench_forecast.py            # about ten minutes on 2 cores
    nice -n 10 .venv/bin/python bench/bench_forecast.py --only demo --replications 50
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("DBT_PROFILES_DIR", str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from flowmetrics.analysis.forecast import FINISH_INTERVAL_COLUMNS, finish_times  # noqa: E402
from flowmetrics.ingest import ingest_directory, write_raw_tables  # noqa: E402
from flowmetrics.simulation import generate_raw_tables  # noqa: E402
from flowmetrics.simulation.config import HOURS_PER_DAY, RateChange  # noqa: E402
from flowmetrics.simulation.engine import simulate  # noqa: E402
from flowmetrics.simulation.raw_tables import to_raw_tables  # noqa: E402
from flowmetrics.simulation.scenarios import overwhelmed_by_arrivals  # noqa: E402
from flowmetrics.steps.forecast import Question, run_forecasting  # noqa: E402
from flowmetrics.warehouse.marts import MartReader  # noqa: E402
from flowmetrics.warehouse.profile import resolve_target  # noqa: E402
from tests.python.conftest import dbt_build_into  # noqa: E402
from tests.python.fixtures.bpi2013 import LOG, read_log  # noqa: E402
from tests.python.fixtures.bpi2013 import to_raw_tables as bpi_raw_tables  # noqa: E402

HORIZON = 14
DEMO_ITEMS = 3000  # the demo system over about eight months (`make demo`'s 1,500 span six and a half)
SAMPLE_WEEKS = 12
TRIPLED_AT_DAYS = 100  # the tripled system's intake triples after this many days
METHODS = ("throughput", "simulation")


def tripled_tables() -> dict[str, pd.DataFrame]:
    base = overwhelmed_by_arrivals().config
    per_day = sum(d.per_day for d in base.demand)
    items = int(per_day * TRIPLED_AT_DAYS + 3 * per_day * 50)
    config = replace(base, items=items, arrival_changes=(RateChange(TRIPLED_AT_DAYS * HOURS_PER_DAY, 3.0),))
    return to_raw_tables(simulate(config, 11))


SYSTEMS: dict[str, Callable[[], dict[str, pd.DataFrame]]] = {
    "demo": lambda: generate_raw_tables(items=DEMO_ITEMS, seed=7),
    "tripled": tripled_tables,
    "bpi2013": lambda: bpi_raw_tables(read_log(LOG)),
}


def build(name: str, work: Path) -> Path:
    folder = work / name
    write_raw_tables(SYSTEMS[name](), folder / "raw")
    warehouse = folder / f"{name}.duckdb"
    ingest_directory(folder / "raw", warehouse)
    dbt_build_into(warehouse, folder)
    return warehouse


def backtest(name: str, warehouse: Path, step_days: float, replications: int) -> pd.DataFrame:
    """One row per as-of x method x question: the forecast's quantiles and the outcome."""
    target = resolve_target(None, warehouse)
    with MartReader.open(target) as reader:
        end = pd.Timestamp(reader.as_of())
        intervals = reader.read("fct_status_intervals", FINISH_INTERVAL_COLUMNS)
        created = pd.to_datetime(reader.read("fct_work_items", ("created_at",))["created_at"])
    finished = finish_times(intervals, end).sort_values()
    start = created.quantile(0.01) + pd.Timedelta(weeks=SAMPLE_WEEKS)  # a few stragglers do not start the history
    span_days = (end - created.min()) / pd.Timedelta(days=1)
    items_asked = max(10, round(HORIZON * len(finished) / span_days))
    as_ofs = pd.date_range(start.ceil("D"), end - pd.Timedelta(days=HORIZON), freq=pd.Timedelta(days=step_days))
    rows = []
    for k, as_of in enumerate(as_ofs):
        stamp = as_of.isoformat(sep=" ")
        window = finish_times(intervals, as_of + pd.Timedelta(days=HORIZON))
        actual = int(((window > as_of) & (window <= as_of + pd.Timedelta(days=HORIZON))).sum())
        later = finished[finished > as_of]
        took = (np.ceil((later.iloc[items_asked - 1] - as_of) / pd.Timedelta(days=1))
                if len(later) >= items_asked else np.nan)
        counts = run_forecasting(target, Question(days=HORIZON), as_of=stamp, replications=replications, seed=k)
        if k == 0:  # deterministic for a seed, whatever order the warehouse returns rows in
            again = run_forecasting(target, Question(days=HORIZON), as_of=stamp, replications=replications, seed=k)
            assert again == counts, f"{name}: two forecasts with seed {k} differ"
        dates = run_forecasting(target, Question(items=items_asked), as_of=stamp, replications=replications, seed=k)
        for c, d in zip(counts.forecasts, dates.forecasts, strict=True):
            row = {"system": name, "as_of": as_of, "method": c.method, "actual_items": actual,
                   "items_asked": items_asked, "actual_days": took, "after_change":
                   name == "tripled" and (as_of - created.min()) / pd.Timedelta(days=1) > TRIPLED_AT_DAYS}
            if c.status == "ok" and c.items is not None:
                row.update({f"items_{q}": v for q, v in c.items.items()})
            if d.status == "ok" and d.days is not None:
                row.update({f"days_{q}": v for q, v in d.days.items()})
            rows.append(row)
        print(f"  {name} {k + 1}/{len(as_ofs)} as of {as_of:%Y-%m-%d}: {actual} finished in {HORIZON} days, "
              f"{items_asked} took {took} days", flush=True)
    return pd.DataFrame(rows)


def score(frame: pd.DataFrame) -> pd.DataFrame:
    """Coverage per system x method (and, for the tripled system, before / after the change)."""
    out = []
    keys = ["system", "phase", "method"]
    tripled = frame[frame["system"] == "tripled"]
    phases = tripled.assign(phase=np.where(tripled["after_change"], "after the change", "change ahead"))
    for key, g in pd.concat([frame.assign(phase="all"), phases]).groupby(keys, sort=False):
        c = g.dropna(subset=["items_p50"])
        d = g.dropna(subset=["days_p50", "actual_days"])
        out.append({
            **dict(zip(keys, key, strict=True)),
            "as_ofs": len(g),
            "in 5-95%": ((c["actual_items"] >= c["items_p95"]) & (c["actual_items"] <= c["items_p5"])).mean(),
            ">= p85": (c["actual_items"] >= c["items_p85"]).mean(),
            "p50 error": (c["actual_items"] - c["items_p50"]).abs().median(),
            "mean actual": c["actual_items"].mean(),
            "N": int(g["items_asked"].iloc[0]),
            "by p50": (d["actual_days"] <= d["days_p50"]).mean(),
            "by p85": (d["actual_days"] <= d["days_p85"]).mean(),
            "by p95": (d["actual_days"] <= d["days_p95"]).mean(),
            "p50 days off": (d["days_p50"] - d["actual_days"]).median(),
        })
    return pd.DataFrame(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=list(SYSTEMS), action="append", help="Systems to backtest (default: all).")
    parser.add_argument("--step", type=float, default=2.0, help="Days between as-ofs.")
    parser.add_argument("--replications", type=int, default=50, help="Runs of the simulation per forecast.")
    parser.add_argument("--out", type=Path, default=None, help="Write every forecast and outcome to this CSV.")
    parser.add_argument("--score", type=Path, default=None, help="Only score the CSV an earlier run wrote.")
    args = parser.parse_args()
    if args.score:
        print_table(score(pd.read_csv(args.score, parse_dates=["as_of"])))
        return
    frames = []
    with tempfile.TemporaryDirectory(prefix="bench-forecast-") as tmp:
        for name in args.only or list(SYSTEMS):
            t = time.perf_counter()
            warehouse = build(name, Path(tmp))
            print(f"{name}: built in {time.perf_counter() - t:.0f}s", flush=True)
            t = time.perf_counter()
            frames.append(backtest(name, warehouse, args.step, args.replications))
            print(f"{name}: backtested in {time.perf_counter() - t:.0f}s", flush=True)
    frame = pd.concat(frames, ignore_index=True)
    if args.out:
        frame.to_csv(args.out, index=False)
    print_table(score(frame))


def print_table(table: pd.DataFrame) -> None:
    pd.set_option("display.width", 200)
    print(table.to_string(index=False, float_format=lambda x: f"{x:.2f}"))


if __name__ == "__main__":
    main()
