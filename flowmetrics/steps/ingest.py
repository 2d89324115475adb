"""`flowmetrics ingest`: check the raw files of a directory against the contract and load them into schema raw, under
the warehouse's writer lock."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flowmetrics.errors import ConfigError
from flowmetrics.ingest import ingest_directory
from flowmetrics.results import IngestSummary
from flowmetrics.warehouse.lock import warehouse_lock
from flowmetrics.warehouse.profile import Target


def run_ingest(target: Target, source_dir: Path, *, lock_timeout: float,
               progress: Callable[[str], None] | None = None) -> IngestSummary:
    """Load `source_dir` into the DuckDB file of `target`."""
    if target.path is None:
        raise ConfigError(f"ingest loads a DuckDB file; target {target.name!r} has none: land schema raw with your "
                          "EL tool")
    with warehouse_lock(target, "ingest", lock_timeout):
        return ingest_directory(source_dir, target.path, progress=progress, lock_timeout=lock_timeout)


def ingest_text(summary: IngestSummary) -> str:
    lines = [f"ingested {summary.source_dir} into {summary.warehouse} ({summary.seconds:.1f}s)"]
    lines.append(f"  {'table':<24}{'read':>12}{'inserted':>12}{'updated':>10}{'unchanged':>12}{'quarantined':>13}")
    for t in summary.tables:
        if t.source_file is None:
            lines.append(f"  {t.table:<24}{'(no file: left as it was)':>59}")
            continue
        lines.append(
            f"  {t.table:<24}{t.rows_read:>12,}{t.rows_inserted:>12,}{t.rows_updated:>10,}"
            f"{t.rows_unchanged:>12,}{t.rows_quarantined:>13,}"
        )
        for reason, n in sorted(t.quarantine_reasons.items()):
            lines.append(f"      quarantined {n:,}: {reason}")
    if summary.rows_quarantined:
        lines.append(f"{summary.rows_quarantined:,} row(s) quarantined: see raw.quarantine (table, row, reason)")
    return "\n".join(lines)
