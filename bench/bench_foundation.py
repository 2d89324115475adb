"""Benchmark of the foundation: ingest + `dbt build` at given numbers of status changes, next to the floor.

For each scale it generates the demo system with enough tickets for the wanted number of status changes, writes
the raw CSVs, then runs each phase as its own process and prints wall seconds, rows per second (status changes
per second) and the phase's peak resident memory:

- ingest: `flowmetrics ingest` of every raw file into a fresh DuckDB file;
- dbt parse: once per version of the project (a nightly's target/ keeps the parse between nights), reported
  on its own;
- dbt build: the whole project as the nightly builds it (seeds, models and data tests; the unit tests check the
  SQL, not the data, and run in `make test`) on that file, then where its time went: dbt's run_results.json
  summed by kind of node, and the slowest nodes (seconds per node add up over dbt's threads);
- floor: one hand-written DuckDB query computing per-status durations straight from the CSV, the least work any
  implementation must do;
- pm4py (with --pm4py-python): the reference peer, pm4py's performance DFG of the same CSV (reference_pm4py.py).

    .venv/bin/python bench/bench_foundation.py --changes 1000000 10000000
    .venv/bin/python bench/bench_foundation.py --changes 5000000 --pm4py-python /tmp/pm4py/bin/python
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from flowmetrics.steps.nightly import NIGHTLY_DBT_ARGS  # noqa: E402  (the build the nightly runs)

BIN = Path(sys.executable).parent
# the simulated system's average (5,002,899 changes of 517,367 tickets); the real count is reported
CHANGES_PER_TICKET = 9.67

FLOOR_SQL = """
with changes as (
    select ticket_id, change_id, changed_at::timestamp as changed_at, to_status
    from read_csv('{path}', all_varchar = true)
),
ordered as (
    select *, lag(to_status) over (partition by ticket_id order by changed_at, change_id) as previous_status
    from changes
),
transitions as (
    select ticket_id, changed_at, to_status from ordered where previous_status is distinct from to_status
),
stays as (
    select to_status as status,
           lead(changed_at) over (partition by ticket_id order by changed_at) - changed_at as stay
    from transitions
)
select status, sum(epoch(stay)) as seconds, count(stay) as stays from stays group by status
"""


@dataclass(frozen=True)
class Phase:
    name: str
    seconds: float
    peak_mb: float
    rows: int

    def line(self) -> str:
        rate = self.rows / self.seconds if self.seconds else float("nan")
        return f"  {self.name:<22}{self.seconds:>10.1f} s{rate:>14,.0f} rows/s{self.peak_mb:>10,.0f} MB peak"


def run_phase(
    name: str, args: list[str], rows: int, env: dict[str, str] | None = None, stdout: Path | None = None
) -> Phase:
    """Run one phase as a child process; its peak RSS comes from wait4 (this child and the children it waited for).
    `stdout`: a file for the child's standard output (its JSON, say); the rest of its output is kept for errors."""
    started = time.perf_counter()
    with contextlib.ExitStack() as stack:
        sink = stack.enter_context(open(stdout, "w")) if stdout is not None else subprocess.PIPE
        proc = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.PIPE if stdout else subprocess.STDOUT, text=True
        )
        stream = proc.stderr if stdout is not None else proc.stdout
        assert stream is not None
        output = stream.read()
        _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0 and stdout is None:
        sys.exit(f"{name} failed (exit {proc.returncode}):\n{output[-4000:]}")
    return Phase(name, seconds, usage.ru_maxrss / 1024, rows)


def node_breakdown(target: Path, slowest: int = 12) -> list[str]:
    """Where a dbt run's time went: seconds by kind of node (model, test, seed), then the slowest nodes."""
    results = json.loads((target / "run_results.json").read_text())["results"]
    by_kind: dict[str, list[float]] = {}
    for result in results:
        by_kind.setdefault(result["unique_id"].split(".")[0], []).append(result["execution_time"])
    lines = ["  dbt nodes (s, summed over threads): " + ", ".join(
        f"{kind} {sum(times):.1f} ({len(times)})" for kind, times in sorted(by_kind.items()))]
    ranked = sorted(results, key=lambda r: -r["execution_time"])[:slowest]
    lines += [f"    {r['execution_time']:>7.2f}  {r['unique_id'].split('.')[0]:<6} {r['unique_id'].split('.')[2]}"
              for r in ranked]
    return lines


def bench(changes: int, workdir: Path, pm4py_python: str | None = None) -> list[Phase]:
    raw, warehouse = workdir / "raw", workdir / "bench.duckdb"
    items = max(100, math.ceil(changes / CHANGES_PER_TICKET))
    env = dict(os.environ, DO_NOT_TRACK="1", DBT_PROFILES_DIR=str(ROOT), FLOWMETRICS_DUCKDB=str(warehouse))
    gen = run_phase(
        "generate (simulation)",
        [str(BIN / "flowmetrics"), "generate", "--out", str(raw), "--items", str(items), "--seed", "1"],
        0,
        env,
    )
    with open(raw / "ticket_status_changes.csv") as f:
        rows = sum(1 for _ in f) - 1
    gen = Phase(gen.name, gen.seconds, gen.peak_mb, rows)
    phases = [gen]
    phases.append(
        run_phase("ingest", [str(BIN / "flowmetrics"), "ingest", str(raw), "--warehouse", str(warehouse)], rows, env)
    )
    dbt_args = ["--target-path", str(workdir / "target"), "--log-path", str(workdir / "logs")]
    # parsed once per version of the project: a nightly's target/ keeps the parse from one night to the next
    phases.append(run_phase("dbt parse (once)", [str(BIN / "dbt"), "parse", *dbt_args], rows, env))
    phases.append(run_phase("dbt build", [str(BIN / "dbt"), "build", *NIGHTLY_DBT_ARGS, *dbt_args], rows, env))
    floor = FLOOR_SQL.format(path=raw / "ticket_status_changes.csv")
    phases.append(
        run_phase(
            "floor (1 DuckDB query)",
            [sys.executable, "-c", f"import duckdb; duckdb.connect().execute({floor!r}).fetchall()"],
            rows,
            env,
        )
    )
    if pm4py_python:
        phases.append(
            run_phase(
                "pm4py (reference)",
                [pm4py_python, str(ROOT / "bench" / "reference_pm4py.py"), str(raw / "ticket_status_changes.csv")],
                rows,
                env,
            )
        )
    return phases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--changes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--workdir", type=Path, default=None, help="where to put the data (default: a temp dir)")
    parser.add_argument("--pm4py-python", default=None, help="the python of an environment with pm4py installed")
    args = parser.parse_args()
    print(f"flowmetrics foundation benchmark: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    for changes in args.changes:
        workdir = Path(tempfile.mkdtemp(prefix="fm-bench-", dir=args.workdir))
        try:
            phases = bench(changes, workdir, args.pm4py_python)
            print(f"\n{phases[0].rows:,} status changes (asked {changes:,}); rows/s counts status changes")
            for phase in phases:
                print(phase.line())
            ingest, parse, build, floor = phases[1], phases[2], phases[3], phases[4]
            total = ingest.seconds + build.seconds
            print(f"  ingest + build: {total:.1f} s = {total / floor.seconds:.1f}x the floor query", end="")
            if len(phases) > 5:
                reference = phases[5].seconds
                print(f", {total / reference:.2f}x pm4py ({(total + parse.seconds) / reference:.2f}x with the "
                      "parse, on a night after the project changed)")
            else:
                print()
            print("\n".join(node_breakdown(workdir / "target")))
        finally:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
