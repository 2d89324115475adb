"""Every suite the gate runs, registered in one place. A mart's suite is one small unit in its domain module;
add a new mart's suite to its module's SUITES (or a new module here) and the gate runs it when the mart exists."""

from __future__ import annotations

from flowmetrics.quality.suite import SuiteRegistry
from flowmetrics.quality.suites import (
    constraints,
    dora,
    experiments,
    finish_rate,
    flow,
    forecasts,
    gate,
    raw,
    staging,
    status_map,
    wip_and_rework,
)


def default_registry() -> SuiteRegistry:
    registry = SuiteRegistry()
    for module in (raw, status_map, staging, flow, wip_and_rework, finish_rate, experiments, dora, constraints,
                   forecasts, gate):
        registry.add(*module.SUITES)
    return registry
