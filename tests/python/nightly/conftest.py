"""The baseline every fault scenario starts from: one good nightly run, published, copied per scenario."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.python.nightly.helpers import Baseline, nightly_args, published_contents, run


@pytest.fixture(scope="session")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Baseline:
    from flowmetrics.ingest import write_raw_tables
    from flowmetrics.simulation import generate_raw_tables

    work = tmp_path_factory.mktemp("baseline")
    raw = work / "raw"
    write_raw_tables(generate_raw_tables(items=300, seed=11), raw)
    warehouse = work / "wh.duckdb"
    dbt_dir = work / "dbt"
    result = run(nightly_args(work, warehouse, raw, dbt_dir, "--run-id", "baseline-run"))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    published = published_contents(warehouse)
    assert published["publish_info"][0][0] == "baseline-run"
    return Baseline(raw, warehouse, "baseline-run", published, dbt_dir)


@pytest.fixture
def dbt_dir(baseline: Baseline) -> Path:
    """dbt's target/ (partial parse) shared by the scenarios that let dbt finish."""
    return baseline.dbt_dir
