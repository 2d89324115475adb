"""Benchmark of the foundation: ingest + `dbt build` at given numbers of status changes, next to the floor.

For each scale it generates the demo system with enough tickets for the wanted number of status changes, writes
the raw CSVs, then runs each phase as its own process and prints wall seconds, rows per second (status changes
per second) and the phase's peak resident memory:

- ingest: `flowmetrics ingest` of every raw file into a fresh DuckDB file;
- dbt build: the whole project (models, data tests, unit tests) on that file;
- floor: one hand-written DuckDB query computing per-status durations straight from the CSV, the least work any
  implementation must do.

    .venv/bin/python bench/bench_foundation.py --changes 1000000 10000000
"""

from __future__ import annotations

import argparse
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
BIN = Path(sys.executable).parent
CHANGES_PER_TICKET = 10.9  # the demo system's average, measured; the real count is reported

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


def run_phase(name: str, args: list[str], rows: int, env: dict[str, str] | None = None) -> Phase:
    """Run one phase as a child process; its peak RSS comes from wait4 (this child only)."""
    started = time.perf_counter()
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"{name} failed (exit {proc.returncode}):\n{output[-4000:]}")
    return Phase(name, seconds, usage.ru_maxrss / 1024, rows)


def bench(changes: int, workdir: Path) -> list[Phase]:
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
    phases.append(
        run_phase(
            "dbt build",
            [str(BIN / "dbt"), "build", "--target-path", str(workdir / "target"), "--log-path", str(workdir / "logs")],
            rows,
            env,
        )
    )
    floor = FLOOR_SQL.format(path=raw / "ticket_status_changes.csv")
    phases.append(
        run_phase(
            "floor (1 DuckDB query)",
            [sys.executable, "-c", f"import duckdb; duckdb.connect().execute({floor!r}).fetchall()"],
            rows,
            env,
        )
    )
    return phases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--changes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--workdir", type=Path, default=None, help="where to put the data (default: a temp dir)")
    args = parser.parse_args()
    print(f"flowmetrics foundation benchmark: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    for changes in args.changes:
        workdir = Path(tempfile.mkdtemp(prefix="fm-bench-", dir=args.workdir))
        try:
            phases = bench(changes, workdir)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        ingest, build, floor = phases[1], phases[2], phases[3]
        print(f"\n{phases[0].rows:,} status changes (asked {changes:,}); rows/s counts status changes")
        for phase in phases:
            print(phase.line())
        total = ingest.seconds + build.seconds
        print(f"  ingest + build: {total:.1f} s = {total / floor.seconds:.1f}x the floor query")


if __name__ == "__main__":
    main()
