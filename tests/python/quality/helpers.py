"""Run chosen suites of the gate over a synthetic warehouse, without writing results."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from flowmetrics.quality.config import QualityConfig
from flowmetrics.quality.registry import default_registry
from flowmetrics.quality.runner import run_checks
from flowmetrics.quality.suite import SuiteRegistry
from flowmetrics.results import QualityReport
from flowmetrics.warehouse.profile import resolve_target

NOW = datetime(2026, 2, 1)


def gate(warehouse: Path, *suites: str, **config) -> QualityReport:
    registry = SuiteRegistry()
    default = default_registry()
    registry.add(*(default.get(name) for name in suites))
    return run_checks(
        resolve_target(None, warehouse),
        config=QualityConfig(reference_time=NOW, **config),
        registry=registry,
        record=False,
    )


def statuses(report: QualityReport) -> dict[str, str]:
    return {r.check_id: r.status for r in report.results}


def failed(report: QualityReport) -> set[str]:
    return {r.check_id for r in report.results if r.status in ("failed", "error")}
