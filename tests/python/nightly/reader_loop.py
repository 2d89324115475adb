"""A reader of schema published, run as its own process by the tests: loops until the stop file exists (or at
most the given seconds), and fails (exit 3) the moment it sees relations from different runs, or a relation whose
rows do not match its run's counts.

DuckDB lets a reader in only while no process writes: a refused open is retried, never read half-way."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import duckdb


def main(warehouse: str, seconds: float, out: str, stop: str) -> int:
    seen: dict[str, dict[str, int]] = {}
    refused = reads = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not Path(stop).exists():
        try:
            con = duckdb.connect(warehouse, read_only=True)
        except duckdb.Error:
            refused += 1
            time.sleep(0.01)
            continue
        try:
            info = con.execute("select published_run_id, relations from published.publish_info").fetchone()
            run_id, names = info[0], [n.strip() for n in info[1].split(",")]
            counts = {}
            for name in names:
                rows = con.execute(
                    f'select published_run_id, count(*) from published."{name}" group by 1'
                ).fetchall()
                if [r[0] for r in rows] != [run_id]:
                    print(f"MIXED: publish_info says {run_id}, {name} has {rows}", file=sys.stderr)
                    return 3
                counts[name] = rows[0][1]
            if run_id in seen and seen[run_id] != counts:
                print(f"PARTIAL: run {run_id} had {seen[run_id]}, now {counts}", file=sys.stderr)
                return 3
            seen[run_id] = counts
            reads += 1
        finally:
            con.close()
        time.sleep(0.005)
    with open(out, "w") as fh:
        json.dump({"runs": list(seen), "reads": reads, "refused": refused}, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4]))
