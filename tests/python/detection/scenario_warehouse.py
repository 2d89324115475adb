"""Simulated scenarios through the real pipeline: raw tables → ingest → dbt build, many scenarios in one warehouse.

Each scenario run is a system keyed `S<nn>`: its ids carry the key as a prefix and its timestamps end where every
other system's do (see `flowmetrics.simulation.batch`), so one build serves them all and each is read back alone.
Shared by the detection tests and bench/bench_detection.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from flowmetrics.analysis.flow import INTERVAL_COLUMNS
from flowmetrics.ingest import ingest_directory, write_raw_tables
from flowmetrics.simulation import Scenario, simulate, to_raw_tables
from flowmetrics.simulation.batch import combine_raw_tables
from flowmetrics.simulation.config import HOURS_PER_DAY
from flowmetrics.warehouse.dbt_runner import run_dbt_build
from flowmetrics.warehouse.marts import MartReader


@dataclass(frozen=True)
class ScenarioRun:
    """One scenario simulated with one seed, and where its tickets are in the warehouse."""

    key: str
    scenario: Scenario
    seed: int
    end_hours: float  # the run's end in its own simulation hours (the warehouse's as-of)
    epoch_offset_hours: float  # warehouse time = config epoch + offset + simulation hours

    def sim_hours(self, at: pd.Timestamp) -> float:
        """A warehouse timestamp in the scenario's simulation hours."""
        epoch = pd.Timestamp(self.scenario.config.epoch)
        return (pd.Timestamp(at) - epoch).total_seconds() / 3600 - self.epoch_offset_hours


def build_scenario_warehouse(
    runs: Sequence[tuple[Scenario, int]], workdir: Path, *, dbt_select: Sequence[str] = ()
) -> tuple[Path, list[ScenarioRun]]:
    """Simulate every (scenario, seed), combine, ingest and dbt build into workdir/scenarios.duckdb."""
    systems, meta = {}, []
    for n, (scenario, seed) in enumerate(runs):
        key = f"S{n:03d}"
        result = simulate(scenario.config, seed)
        tables = to_raw_tables(result)
        systems[key] = tables
        meta.append((key, scenario, seed, result))
    combined = combine_raw_tables(systems)
    latest = max(_latest(t) for t in systems.values())
    out = []
    for key, scenario, seed, result in meta:
        shift = (latest - _latest(systems[key])).total_seconds() / 3600
        out.append(ScenarioRun(key, scenario, seed, result.end_hours, shift))
    raw = workdir / "raw"
    write_raw_tables(combined, raw, fmt="parquet")
    warehouse = workdir / "scenarios.duckdb"
    ingest_directory(raw, warehouse)
    extra = ["--target-path", str(workdir / "target"), "--log-path", str(workdir / "logs")]
    if dbt_select:
        extra += ["--select", *dbt_select]
    run_dbt_build(warehouse=warehouse, extra_args=extra, capture=True)
    return warehouse, out


def _latest(tables: dict[str, pd.DataFrame]) -> pd.Timestamp:
    from flowmetrics.simulation.batch import _latest_event

    return pd.Timestamp(_latest_event(tables))


def read_intervals(warehouse: Path, key: str | None = None) -> tuple[pd.DataFrame, pd.Timestamp]:
    """fct_status_intervals of one system (all when key is None) and the warehouse's as-of."""
    with MartReader.open(warehouse=warehouse) as reader:
        where = f"ticket_id like '{key}-%'" if key else None
        frame = reader.read("fct_status_intervals", INTERVAL_COLUMNS, where=where)
        as_of = pd.Timestamp(reader.as_of())
    return frame, as_of


def days_between(hours_a: float, hours_b: float) -> float:
    return abs(hours_a - hours_b) / HOURS_PER_DAY


@dataclass(frozen=True)
class Judgement:
    """A finding against the scenario's planted truth."""

    stage_ok: bool
    kind_ok: bool
    team_ok: bool
    shift_ok: bool
    shift_error_days: float | None

    @property
    def correct(self) -> bool:
        return self.stage_ok and self.kind_ok and self.team_ok and self.shift_ok


def judge(run: ScenarioRun, finding, window_days: int = 7) -> Judgement:
    """Is the finding the planted answer: stage (any acceptable one; with stages saturated at once, one of them
    and the others named beside it), kind, team, and the shift within a window."""
    exp = run.scenario.expected
    if exp.constraint_stage is None:
        stage_ok = finding.constraint_stage is None
    elif exp.saturated:  # stages near saturation at once: the verdict names one and the others beside it
        named = {finding.constraint_stage, *(a.stage for a in finding.also_saturated)}
        stage_ok = finding.constraint_stage in exp.saturated and named >= set(exp.saturated)
    else:
        stage_ok = finding.constraint_stage in (exp.acceptable_stages or (exp.constraint_stage,))
    kind_ok = finding.kind == exp.kind
    team_ok = finding.constraint_team == exp.constraint_team
    shift_ok, error = True, None
    if exp.kind == "shifting":
        found = [s for s in finding.shifts if (s.from_stage, s.to_stage) == (exp.shift_from, exp.shift_to)]
        if found and exp.shift_at_hours is not None:
            error = min(days_between(run.sim_hours(s.at), exp.shift_at_hours) for s in found)
            shift_ok = error <= window_days
        else:
            shift_ok = False
    return Judgement(stage_ok, kind_ok, team_ok, shift_ok, error)
