"""`flowmetrics generate`: every raw table of a simulated delivery system, written as files (deterministic per seed)."""

from __future__ import annotations

import time
from pathlib import Path

from flowmetrics.ingest import write_raw_tables
from flowmetrics.results import GenerateSummary
from flowmetrics.simulation import generate_raw_tables


def run_generate(out_dir: Path, *, items: int, seed: int, fmt: str) -> GenerateSummary:
    """Simulate `items` tickets with `seed` and write every raw table to `out_dir` as csv or parquet."""
    started = time.perf_counter()
    frames = generate_raw_tables(items=items, seed=seed)
    rows = write_raw_tables(frames, out_dir, fmt=fmt)
    return GenerateSummary(str(out_dir), seed, items, rows, round(time.perf_counter() - started, 2))


def generate_text(summary: GenerateSummary) -> str:
    lines = [f"wrote {sum(summary.rows_per_table.values()):,} rows to {summary.out_dir} ({summary.seconds}s):"]
    lines += [f"  {name:<24}{n:>12,}" for name, n in summary.rows_per_table.items()]
    return "\n".join(lines)
