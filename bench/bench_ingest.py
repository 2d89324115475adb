"""Benchmark `flowmetrics ingest` on a synthetic ticket_status_changes.csv of a given size.

Creates the file with DuckDB COPY in a temporary directory, ingests it into a fresh DuckDB file, then ingests
the same file again (every row unchanged), and prints wall seconds, rows per second and peak memory (RSS).
Each ingest runs in its own child process so its peak RSS is its own.

    .venv/bin/python bench/bench_ingest.py               # 1,000,000 rows
    .venv/bin/python bench/bench_ingest.py --rows 10000000
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

STATUSES = ["To Do", "In Progress", "In Review", "Blocked", "Ready for QA", "QA", "Done"]
CHANGES_PER_TICKET = 8


def make_files(directory: Path, n_rows: int) -> dict[str, int]:
    """tickets.csv (one per CHANGES_PER_TICKET changes) and ticket_status_changes.csv with n_rows rows."""
    directory.mkdir(parents=True, exist_ok=True)
    n_tickets = max(1, n_rows // CHANGES_PER_TICKET)
    statuses = "[" + ", ".join(f"'{s}'" for s in STATUSES) + "]"
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(
        f"""COPY (
            SELECT 'T-' || i AS ticket_id, 'ticket ' || i AS title, 'story' AS ticket_type,
                   'team-' || (i % 12) AS team, ['growth', 'product', 'marketing'][1 + i % 3] AS requested_by,
                   NULL AS experiment_id, (i % 4 = 0) AS ai_assisted,
                   strftime(TIMESTAMP '2023-01-01' + to_seconds(i * 60), '%Y-%m-%dT%H:%M:%SZ') AS created_at
            FROM range({n_tickets}) AS r(i)
        ) TO '{directory / "tickets.csv"}' (HEADER)"""
    )
    con.execute(
        f"""COPY (
            SELECT 'C-' || i AS change_id,
                   'T-' || (i // {CHANGES_PER_TICKET}) % {n_tickets} AS ticket_id,
                   strftime(TIMESTAMP '2023-01-01' + to_seconds((i // {CHANGES_PER_TICKET}) * 60
                            + (i % {CHANGES_PER_TICKET}) * 3600 + 60), '%Y-%m-%dT%H:%M:%SZ') AS changed_at,
                   CASE WHEN i % {CHANGES_PER_TICKET} = 0 THEN NULL
                        ELSE {statuses}[1 + (i - 1) % {CHANGES_PER_TICKET} % {len(STATUSES)}]
                   END AS from_status,
                   {statuses}[1 + i % {CHANGES_PER_TICKET} % {len(STATUSES)}] AS to_status,
                   'user-' || (i % 97) AS changed_by
            FROM range({n_rows}) AS r(i)
        ) TO '{directory / "ticket_status_changes.csv"}' (HEADER)"""
    )
    con.close()
    return {"tickets": n_tickets, "ticket_status_changes": n_rows}


def check_file_order(csv_path: Path, n_rows: int) -> None:
    """ingest numbers rows with row_number() OVER () on DuckDB's reader; check that it follows the file."""
    con = duckdb.connect()
    bad = con.execute(
        "SELECT count(*) FROM (SELECT row_number() OVER () AS rn, change_id FROM read_csv(?, header = true, "
        "auto_detect = false, columns = {'change_id': 'VARCHAR', 'ticket_id': 'VARCHAR', 'changed_at': "
        "'VARCHAR', 'from_status': 'VARCHAR', 'to_status': 'VARCHAR', 'changed_by': 'VARCHAR'})) "
        "WHERE change_id <> 'C-' || (rn - 1)",
        [str(csv_path)],
    ).fetchone()
    con.close()
    assert bad == (0,), f"{bad[0] if bad else '?'} of {n_rows:,} rows out of file order"


def run_child(source: Path, warehouse: Path) -> dict:
    """One ingest in a child process: its wall time, its own peak RSS, and its summary."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", str(source), str(warehouse)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"ingest failed (exit {os.waitstatus_to_exitcode(status)})")
    summary = json.loads(output)
    return {"wall_s": wall, "peak_rss_mb": usage.ru_maxrss / 1024, "summary": summary}


def child(source: str, warehouse: str) -> None:
    from flowmetrics.ingest import ingest_directory

    summary = ingest_directory(Path(source), Path(warehouse))
    print(json.dumps(summary.to_dict(), default=str))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of ticket_status_changes.csv")
    parser.add_argument(
        "--workdir", type=Path, default=None, help="where to put the files (default: a temp dir)"
    )
    parser.add_argument("--child", nargs=2, metavar=("SOURCE", "WAREHOUSE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return

    workdir = Path(tempfile.mkdtemp(prefix="bench_ingest_", dir=args.workdir))
    try:
        raw, warehouse = workdir / "raw", workdir / "bench.duckdb"
        t0 = time.perf_counter()
        sizes = make_files(raw, args.rows)
        csv_mb = (raw / "ticket_status_changes.csv").stat().st_size / 2**20
        print(
            f"generated {args.rows:,} status changes ({csv_mb:,.0f} MB CSV) and {sizes['tickets']:,} tickets "
            f"in {time.perf_counter() - t0:.1f}s"
        )
        check_file_order(raw / "ticket_status_changes.csv", args.rows)
        total = sum(sizes.values())
        print(
            f"rows/s counts all {total:,} rows (status changes and tickets); peak RSS of the ingest process"
        )
        print(f"{'run':<12}{'wall s':>10}{'rows/s':>14}{'peak RSS MB':>14}  outcome")
        for label in ("first", "re-ingest"):
            result = run_child(raw, warehouse)
            tables = {t["table"]: t for t in result["summary"]["tables"]}
            tsc = tables["ticket_status_changes"]
            outcome = (
                f"status changes: {tsc['rows_inserted']:,} inserted, {tsc['rows_unchanged']:,} unchanged, "
                f"{tsc['rows_quarantined']:,} quarantined"
            )
            print(
                f"{label:<12}{result['wall_s']:>10.1f}{total / result['wall_s']:>14,.0f}"
                f"{result['peak_rss_mb']:>14,.0f}  {outcome}"
            )
        print(f"warehouse file: {warehouse.stat().st_size / 2**20:,.0f} MB")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
