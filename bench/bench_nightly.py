"""Benchmark of the whole nightly, step by step: what an analytics engineer's night costs at a given scale.

For each scale it simulates the demo system with enough tickets for the wanted number of status changes and
writes two exports, yesterday's and tonight's (one more day of events plus late ones, as bench_incremental.py).
Each command runs as its own child process (wall seconds; peak memory from wait4's maxrss, the largest single
process of that command, dbt's child included):

- first night: `flowmetrics nightly --raw <yesterday>` on a fresh DuckDB file (ingest, check raw, a full build,
  detect, publish: copy, gate, swap);
- second night: `flowmetrics nightly --raw <tonight>` (the incremental build);
- the flow report of the second night: `flowmetrics report`;
- for the ratio: the nightly's dbt build as a full refresh of the same data (`flowmetrics build -- --full-refresh`
  with the nightly's own dbt arguments).

Each night's steps come from the nightly's JSON (seconds per step) and are printed with their share of the night.

    .venv/bin/python bench/bench_nightly.py --changes 10000000
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_foundation import BIN, ROOT, Phase, run_phase  # noqa: E402
from bench_incremental import write_exports  # noqa: E402

from flowmetrics.steps.nightly import NIGHTLY_DBT_ARGS  # noqa: E402


def night(name: str, raw: Path, warehouse: Path, workdir: Path, rows: int, env: dict[str, str]) -> Phase:
    """One `flowmetrics nightly`; prints the night and each step with its share."""
    out = workdir / f"{name.replace(' ', '-')}.json"
    args = [
        str(BIN / "flowmetrics"), "nightly", "--raw", str(raw), "--warehouse", str(warehouse), "--json",
        "--report-dir", str(workdir / "quality"), "--log-file", str(workdir / f"{name.replace(' ', '-')}.log"),
    ]
    phase = run_phase(name, args, rows, env, stdout=out)
    result = json.loads(out.read_text())
    if result["exit_code"] != 0:
        sys.exit(f"{name}: the nightly did not publish (exit {result['exit_code']}): {result.get('error')}")
    print(phase.line())
    for step in result["steps"]:
        share = step["seconds"] / phase.seconds if phase.seconds else float("nan")
        print(f"      {step['name']:<20}{step['seconds']:>10.1f} s {share:>8.0%}")
    return phase


def bench(changes: int, workdir: Path) -> None:
    warehouse = workdir / "bench.duckdb"
    env = dict(os.environ, DO_NOT_TRACK="1", DBT_PROFILES_DIR=str(ROOT), FLOWMETRICS_DUCKDB=str(warehouse))
    total, last_day, late = write_exports(changes, workdir)
    print(f"\n{total:,} status changes (asked {changes:,}); tonight adds {last_day:,} of the last day and {late:,} "
          "late ones; rows/s counts all status changes in the warehouse")
    first = night("first night (full)", workdir / "yesterday", warehouse, workdir, total, env)
    second = night("second night", workdir / "tonight", warehouse, workdir, total, env)
    report = run_phase(
        "report", [str(BIN / "flowmetrics"), "report", "--warehouse", str(warehouse), "--out",
                   str(workdir / "report.html")], total, env,
    )
    print(report.line())
    refresh = run_phase(
        "dbt build, full refresh",
        [str(BIN / "flowmetrics"), "build", "--warehouse", str(warehouse), "--", "--full-refresh", *NIGHTLY_DBT_ARGS],
        total, env,
    )
    print(refresh.line())
    peak = max(p.peak_mb for p in (first, second, report, refresh))
    print(f"  second night + report: {second.seconds + report.seconds:.1f} s; the largest process of any step: "
          f"{peak:,.0f} MB")
    print(f"  first night {first.seconds:.1f} s, second night {second.seconds:.1f} s "
          f"({second.seconds / first.seconds:.2f} of the first)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--changes", type=int, nargs="+", default=[10_000_000])
    parser.add_argument("--workdir", type=Path, default=None, help="where to put the data (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the data, logs and quality reports")
    args = parser.parse_args()
    print(f"flowmetrics nightly benchmark: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    for changes in args.changes:
        workdir = Path(tempfile.mkdtemp(prefix="fm-bench-nightly-", dir=args.workdir))
        try:
            bench(changes, workdir)
        finally:
            if args.keep:
                print(f"  kept {workdir}")
            else:
                shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
