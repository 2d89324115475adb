"""Every scenario family through the real pipeline once per session: simulate → raw tables → ingest → dbt build
(one warehouse, one system per scenario) → fct_status_intervals → detection."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from flowmetrics.analysis import detect_constraint
from flowmetrics.results import ConstraintFinding
from flowmetrics.simulation import all_scenarios
from tests.python.detection.scenario_warehouse import ScenarioRun, build_scenario_warehouse, read_intervals

SEED = 21  # one seed for the suite; the bench sweeps held-out seeds


@dataclass(frozen=True)
class Detected:
    run: ScenarioRun
    intervals: pd.DataFrame
    as_of: pd.Timestamp
    finding: ConstraintFinding


@pytest.fixture(scope="session")
def scenario_warehouse(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[ScenarioRun]]:
    runs = [(s, SEED) for s in all_scenarios(variants=False)]  # the sweep covers the variants
    return build_scenario_warehouse(runs, tmp_path_factory.mktemp("scenarios"))


@pytest.fixture(scope="session")
def detected(scenario_warehouse: tuple[Path, list[ScenarioRun]]) -> dict[str, Detected]:
    warehouse, runs = scenario_warehouse
    out = {}
    for run in runs:
        frame, as_of = read_intervals(warehouse, run.key)
        out[run.scenario.name] = Detected(run, frame, as_of, detect_constraint(frame, as_of))
    return out
