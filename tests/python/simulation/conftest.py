"""Fixtures for the simulation tests: one small demo run and its raw tables, shared per session."""

from __future__ import annotations

import pandas as pd
import pytest

from flowmetrics.simulation import SimulationResult, demo_config, simulate, to_raw_tables

DEMO_ITEMS = 600
DEMO_SEED = 11


@pytest.fixture(scope="session")
def demo_result() -> SimulationResult:
    return simulate(demo_config(DEMO_ITEMS), DEMO_SEED)


@pytest.fixture(scope="session")
def demo_tables(demo_result: SimulationResult) -> dict[str, pd.DataFrame]:
    return to_raw_tables(demo_result)
