"""Benchmark of nightly builds: a full `dbt build`, then an incremental one after a day of new events.

For each scale it simulates the demo system with enough tickets for the wanted number of status changes and
writes two exports: yesterday's (every row up to the start of the last simulated day, less a few late changes)
and tonight's (everything: the last day of events plus the late ones). Each phase runs as its own process and
prints wall seconds, peak resident memory, and the seconds dbt spent in models and in tests (run_results.json):

- full build: ingest yesterday's export, `dbt build` into a fresh DuckDB file;
- incremental build: ingest tonight's export, `dbt build` (the incremental models recompute changed tickets);
- full refresh: `dbt build --full-refresh` of the same data, the comparator for the ratio;
- the same build of a warehouse of the demo's size: what every build pays whatever its data (dbt's cost per node).

Every build is the nightly's (models and data tests, no unit tests) on a project parsed once beforehand, as a
nightly's target/ keeps it from one night to the next.

    .venv/bin/python bench/bench_incremental.py --changes 10000000
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_foundation import BIN, CHANGES_PER_TICKET, ROOT, Phase, run_phase  # noqa: E402

sys.path.insert(0, str(ROOT))
from flowmetrics.steps.nightly import NIGHTLY_DBT_ARGS  # noqa: E402  (the build the nightly runs)

LATE_EVERY = 200  # one change in this many of the last two days arrives a day late


def write_exports(changes: int, workdir: Path) -> tuple[int, int, int]:
    """Yesterday's and tonight's exports as CSV; returns (all changes, changes of the last day, late changes).
    Simulated in a child process: the phases' peak memory comes from processes this one forks, which start
    with its resident pages, so this one stays small."""
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork")) as pool:
        return pool.submit(_write_exports, changes, workdir).result()


def _write_exports(changes: int, workdir: Path) -> tuple[int, int, int]:
    from flowmetrics.ingest import write_raw_tables
    from flowmetrics.simulation import generate_raw_tables
    from flowmetrics.simulation.exports import export_at, late_changes

    items = max(100, math.ceil(changes / CHANGES_PER_TICKET))
    frames = generate_raw_tables(items=items, seed=1)
    status_changes = frames["ticket_status_changes"]
    taken_at = status_changes["changed_at"].max().floor("D")
    late = late_changes(status_changes, taken_at, pd.Timedelta(days=2), every=LATE_EVERY)
    write_raw_tables(export_at(frames, taken_at, late), workdir / "yesterday")
    write_raw_tables(frames, workdir / "tonight")
    last_day = int((status_changes["changed_at"] > taken_at).sum())
    return len(status_changes), last_day, len(late)


def dbt_seconds(target: Path) -> dict[str, float]:
    """Seconds dbt spent executing the incremental models, the other models, and tests (unit and data) in its last
    run (summed over threads)."""
    results = json.loads((target / "run_results.json").read_text())["results"]
    nodes = json.loads((target / "manifest.json").read_text())["nodes"]
    seconds = {"incremental models": 0.0, "other models": 0.0, "tests": 0.0}
    for r in results:
        kind = r["unique_id"].split(".")[0]
        if kind == "model":
            incremental = nodes[r["unique_id"]]["config"]["materialized"] == "incremental"
            seconds["incremental models" if incremental else "other models"] += r["execution_time"]
        elif kind in ("test", "unit_test"):
            seconds["tests"] += r["execution_time"]
    return seconds


def slowest_models(target: Path, n: int = 6) -> str:
    results = json.loads((target / "run_results.json").read_text())["results"]
    models = sorted((r for r in results if r["unique_id"].startswith("model.")), key=lambda r: -r["execution_time"])
    return ", ".join(f"{r['unique_id'].split('.')[-1]} {r['execution_time']:.1f}" for r in models[:n])


def bench(changes: int, workdir: Path) -> None:
    warehouse = workdir / "bench.duckdb"
    env = dict(os.environ, DO_NOT_TRACK="1", DBT_PROFILES_DIR=str(ROOT), FLOWMETRICS_DUCKDB=str(warehouse))
    started = time.perf_counter()
    total, last_day, late = write_exports(changes, workdir)
    print(
        f"\n{total:,} status changes (asked {changes:,}); tonight adds {last_day:,} of the last day and {late:,} "
        f"late ones (generated in {time.perf_counter() - started:.0f} s)"
    )
    dbt_args = ["--target-path", str(workdir / "target"), "--log-path", str(workdir / "logs")]
    # the project is parsed once, as a nightly's target/ keeps it parsed from one night to the next
    print(run_phase("dbt parse (once)", [str(BIN / "dbt"), "parse", *dbt_args], total, env).line())

    def build(name: str, *extra: str) -> Phase:
        phase = run_phase(name, [str(BIN / "dbt"), "build", *NIGHTLY_DBT_ARGS, *dbt_args, *extra], total, env)
        split = ", ".join(f"{k} {v:.1f} s" for k, v in dbt_seconds(workdir / "target").items())
        print(f"{phase.line()}   ({split})")
        print(f"      slowest models (s): {slowest_models(workdir / 'target')}")
        return phase

    ingest = [str(BIN / "flowmetrics"), "ingest"]
    print(run_phase("ingest yesterday", [*ingest, str(workdir / "yesterday"), "--warehouse", str(warehouse)],
                    total, env).line())
    full = build("full build")
    print(run_phase("ingest tonight", [*ingest, str(workdir / "tonight"), "--warehouse", str(warehouse)],
                    total, env).line())
    incremental = build("incremental build")
    shutil.copytree(workdir / "target", workdir / "target-incremental")
    refresh = build("full refresh", "--full-refresh")
    floor = fixed_cost(workdir)
    print(floor.line())
    print(
        f"  incremental / full refresh: {incremental.seconds / refresh.seconds:.2f} "
        f"(incremental / first full build: {incremental.seconds / full.seconds:.2f}; the same build of "
        f"{FLOOR_ITEMS:,} tickets / full refresh: {floor.seconds / refresh.seconds:.2f})"
    )


FLOOR_ITEMS = 1_500  # the demo's size: what a nightly build costs when the data costs almost nothing


def fixed_cost(workdir: Path) -> Phase:
    """The same nightly build (parsed beforehand) of a warehouse of FLOOR_ITEMS tickets, the demo's size: dbt's
    cost per node (every model and data test is compiled, run and recorded whatever its rows), which no night of
    any size goes below."""
    raw, warehouse, floor = workdir / "floor-raw", workdir / "floor.duckdb", workdir / "floor"
    env = dict(os.environ, DO_NOT_TRACK="1", DBT_PROFILES_DIR=str(ROOT), FLOWMETRICS_DUCKDB=str(warehouse))
    dbt_args = ["--target-path", str(floor / "target"), "--log-path", str(floor / "logs")]
    for step in (
        ["flowmetrics", "generate", "--out", str(raw), "--items", str(FLOOR_ITEMS), "--seed", "7"],
        ["flowmetrics", "ingest", str(raw), "--warehouse", str(warehouse)],
        ["dbt", "parse", *dbt_args],
    ):
        subprocess.run([str(BIN / step[0]), *step[1:]], cwd=ROOT, env=env, check=True, capture_output=True)
    with open(raw / "ticket_status_changes.csv") as f:
        rows = sum(1 for _ in f) - 1
    return run_phase(f"build of {FLOOR_ITEMS:,} tickets", [str(BIN / "dbt"), "build", *NIGHTLY_DBT_ARGS, *dbt_args],
                     rows, env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--changes", type=int, nargs="+", default=[10_000_000])
    parser.add_argument("--workdir", type=Path, default=None, help="where to put the data (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the data and dbt's target/ for a closer look")
    args = parser.parse_args()
    print(f"flowmetrics incremental benchmark: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print("rows/s counts all status changes in the warehouse")
    for changes in args.changes:
        workdir = Path(tempfile.mkdtemp(prefix="fm-bench-inc-", dir=args.workdir))
        try:
            bench(changes, workdir)
        finally:
            if args.keep:
                print(f"  kept {workdir}")
            else:
                shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
