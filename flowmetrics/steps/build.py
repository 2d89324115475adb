"""`flowmetrics build`: `dbt build` of the bundled project under the warehouse's writer lock, through the one dbt
path (`run_dbt_build`: an earlier as-of adds a full refresh), then the note on statuses the suggested map maps."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from flowmetrics.results import BuildResult
from flowmetrics.steps.statuses import suggested_map_note
from flowmetrics.warehouse.dbt_runner import dbt_location, run_dbt_build
from flowmetrics.warehouse.lock import warehouse_lock
from flowmetrics.warehouse.marts import describe_marts
from flowmetrics.warehouse.profile import Target


@dataclass(frozen=True)
class BuildOutcome:
    build: BuildResult
    status_note: str | None  # statuses mapped by the suggested map, when any


def run_build(target: Target, *, as_of: str | None, dbt_args: Sequence[str], lock_timeout: float) -> BuildOutcome:
    warehouse, name = dbt_location(target)
    with warehouse_lock(target, "build", lock_timeout):
        result = run_dbt_build(warehouse=warehouse, target=name, as_of=as_of, extra_args=dbt_args)
    return BuildOutcome(result, suggested_map_note(target))


def build_text(outcome: BuildOutcome) -> str:
    lines = [outcome.build.note] if outcome.build.note else []
    lines.append(f"dbt build finished in {outcome.build.seconds:.1f}s")
    if outcome.status_note:
        lines.append(outcome.status_note)
    return "\n".join(lines)


def next_steps(warehouse: Path) -> str:
    """What to look at after a build of the DuckDB file `warehouse` (printed by `make demo`)."""
    return describe_marts(warehouse)
