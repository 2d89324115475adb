"""`flowmetrics publish`: copy the marts into a snapshot, run the quality gate on it, and swap it into schema
published in one atomic step; a failed gate publishes nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flowmetrics.errors import DataQualityError
from flowmetrics.quality.config import QualityConfig
from flowmetrics.results import PublishResult, QualityReport
from flowmetrics.warehouse.lock import warehouse_lock
from flowmetrics.warehouse.optional_tables import warehouse_absence_notes
from flowmetrics.warehouse.profile import Target
from flowmetrics.warehouse.runs import new_run_id


@dataclass(frozen=True)
class PublishOutcome:
    report: QualityReport  # the gate's run on the snapshot
    result: PublishResult | None  # None: a check failed and nothing was published
    absent: tuple[str, ...] = ()

    @property
    def published(self) -> bool:
        return self.result is not None

    def to_dict(self) -> dict[str, Any]:
        if self.result is None:
            return {"published": False, "quality": self.report.to_dict()}
        return {"published": True, "quality": self.report.to_dict(), "publish": self.result.to_dict(),
                "absent": list(self.absent)}


def run_publish(target: Target, *, config: QualityConfig, report_dir: Path, lock_timeout: float,
                progress: Callable[[str], None] | None = None) -> PublishOutcome:
    from flowmetrics.quality.runner import SnapshotGate
    from flowmetrics.warehouse.publish import publish

    gate = SnapshotGate(target, config=config, run_id=new_run_id(), report_dir=report_dir, progress=progress,
                        lock_timeout=lock_timeout)
    try:
        with warehouse_lock(target, "publish", lock_timeout):
            notes = tuple(warehouse_absence_notes(target))
            result = publish(target, run_id=gate.run_id, gate=gate, lock_timeout=lock_timeout, progress=progress)
    except DataQualityError:
        assert gate.report is not None
        return PublishOutcome(gate.report, None)
    assert gate.report is not None
    return PublishOutcome(gate.report, result, notes)


def refused_text(outcome: PublishOutcome) -> str:
    """Why nothing was published: every failed check of the snapshot."""
    from flowmetrics.quality.runner import failure_lines

    report = outcome.report
    return (
        f"error: {len(report.failures)} check(s) failed on snapshot {report.snapshot_schema} (dropped); "
        "schema published was left as it was:\n" + "\n".join(f"  - {line}" for line in failure_lines(report))
    )


def publish_text(outcome: PublishOutcome) -> str:
    """The gate's summary, or (published) it and what was published."""
    from flowmetrics.quality.runner import summary_text

    report, result = outcome.report, outcome.result
    if result is None:
        return summary_text(report)
    lines = [*outcome.absent, summary_text(report), f"published run {result.run_id} ({result.seconds:.1f}s): "
             f"{len(result.relations)} relations in schema published, snapshot {result.snapshot_schema} "
             f"(checked by quality run {result.quality_run_id})"]
    lines += [f"  published.{name:<30}{n:>10,} rows" for name, n in result.relations.items()]
    if result.not_built:
        lines.append("  not built (not published): " + ", ".join(result.not_built))
    if result.recovered:
        lines.append("  recovered: dropped " + ", ".join(result.recovered))
    return "\n".join(lines)
