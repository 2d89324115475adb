"""Benchmark of the flow report: how long `flowmetrics report` takes and how big the file gets, by scale.

For each scale the demo system is generated, ingested, built, detected, checked and published (those steps are
timed too, for context), then `flowmetrics report` is run as a child process: wall seconds, peak memory (wait4's
maxrss: the largest single process, the report or one of its what-if workers) and the size of the HTML file. The
what-if simulations inside the report (the system as it is, then one change per work stage and tripled arrivals,
`--replications` each, in one worker process per core) are most of its time; their cost grows with the arrival
rate and the stage count, not with the history in the warehouse, while the charts grow with the number of days.

    .venv/bin/python bench/bench_report.py                           # 1,500 items (the demo) and 1M status changes
    .venv/bin/python bench/bench_report.py --changes 100000 --replications 5
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_foundation import CHANGES_PER_TICKET, Phase, run_phase  # noqa: E402

BIN = Path(sys.executable).parent
DEMO_ITEMS = 1500


def bench(items: int, workdir: Path, replications: int) -> tuple[list[Phase], Phase, int]:
    raw, warehouse, out = workdir / "raw", workdir / "bench.duckdb", workdir / "report.html"
    env = dict(os.environ, DO_NOT_TRACK="1", DBT_SEND_ANONYMOUS_USAGE_STATS="false", DBT_PROFILES_DIR=str(ROOT),
               FLOWMETRICS_DUCKDB=str(warehouse))
    fm = str(BIN / "flowmetrics")
    quality_report_dir = ["--report-dir", str(workdir / "quality")]
    setup = [run_phase("generate", [fm, "generate", "--out", str(raw), "--items", str(items), "--seed", "1"], 0, env)]
    with open(raw / "ticket_status_changes.csv") as f:
        rows = sum(1 for _ in f) - 1
    for name, args in [
        ("ingest", [fm, "ingest", str(raw), "--warehouse", str(warehouse)]),
        ("build", [fm, "build", "--warehouse", str(warehouse)]),
        ("detect", [fm, "detect", "--warehouse", str(warehouse)]),
        ("check + publish", [fm, "publish", "--warehouse", str(warehouse), *quality_report_dir]),
    ]:
        setup.append(run_phase(name, args, rows, env))
    report = run_phase(
        "report",
        [fm, "report", "--warehouse", str(warehouse), "--out", str(out), "--replications", str(replications)],
        rows,
        env,
    )
    return setup, report, out.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--changes", type=int, nargs="*", default=[1_000_000],
                        help="status-change scales besides the demo (default: 1M)")
    parser.add_argument("--replications", type=int, default=10, help="what-if replications (the CLI default)")
    parser.add_argument("--workdir", type=Path, default=None, help="where to put the data (default: a temp dir)")
    args = parser.parse_args()
    print(f"flowmetrics report benchmark: {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
          f"{args.replications} what-if replications")
    scales = [DEMO_ITEMS] + [max(100, math.ceil(c / CHANGES_PER_TICKET)) for c in args.changes]
    for items in scales:
        workdir = Path(tempfile.mkdtemp(prefix="fm-bench-report-", dir=args.workdir))
        try:
            setup, report, size = bench(items, workdir, args.replications)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        print(f"\n{items:,} tickets, {report.rows:,} status changes; rows/s counts status changes")
        for phase in setup[1:]:
            print(phase.line())
        print(report.line())
        print(f"  report file: {size / 1e6:.1f} MB (charts and scripts inlined)")


if __name__ == "__main__":
    main()
