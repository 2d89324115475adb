"""`flowmetrics check`: the quality gate (great-expectations) over raw, staging and the built marts, recorded in
schema flowmetrics under the writer lock unless asked not to; nothing is published."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flowmetrics.quality.config import QualityConfig, load_config
from flowmetrics.results import QualityReport
from flowmetrics.warehouse.lock import warehouse_lock
from flowmetrics.warehouse.optional_tables import warehouse_absence_notes
from flowmetrics.warehouse.profile import Target


def quality_config(config_path: Path | None, now: str | None) -> QualityConfig:
    """The gate's thresholds: the defaults, then the YAML file, then --now as the reference time."""
    return load_config(config_path, reference_time=now)


@dataclass(frozen=True)
class CheckOutcome:
    report: QualityReport
    absent: tuple[str, ...]  # one note per optional raw table the warehouse lacks

    def to_dict(self) -> dict[str, Any]:
        return {**self.report.to_dict(), "absent": list(self.absent)}


def run_check(target: Target, *, config: QualityConfig, report_dir: Path, record: bool, lock_timeout: float,
              progress: Callable[[str], None] | None = None) -> CheckOutcome:
    """The absence notes are read under the lock and before the checks, so nothing is written when it cannot open."""
    from flowmetrics.quality.runner import run_checks

    recording = warehouse_lock(target, "check", lock_timeout) if record else contextlib.nullcontext()
    with recording:
        notes = tuple(warehouse_absence_notes(target))
        report = run_checks(target, config=config, report_dir=report_dir, record=record, progress=progress,
                            lock_timeout=lock_timeout)
    return CheckOutcome(report, notes)


def check_text(outcome: CheckOutcome) -> str:
    from flowmetrics.quality.runner import summary_text

    return "\n".join([*outcome.absent, summary_text(outcome.report)])
