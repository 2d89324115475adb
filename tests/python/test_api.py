"""The Python API reads what publish published and detects like `flowmetrics detect`."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from flowmetrics import api
from flowmetrics.errors import AnalysisError, MartNotFoundError
from flowmetrics.steps.detect import run_detection
from flowmetrics.warehouse.profile import resolve_target


@pytest.fixture(scope="module")
def warehouse(demo_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the demo warehouse, built but not yet published."""
    copy = tmp_path_factory.mktemp("api") / "api.duckdb"
    shutil.copy(demo_warehouse, copy)
    return copy


def _publish(warehouse: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "flowmetrics.cli", "publish", "--warehouse", str(warehouse),
         "--report-dir", str(warehouse.parent / "quality")],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]


def _count(warehouse: Path, relation: str) -> int:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        row = con.execute(f"select count(*) from {relation}").fetchone()
    assert row is not None
    return int(row[0])


def test_reading_the_published_marts_before_and_after_a_publish(warehouse: Path) -> None:
    with pytest.raises(MartNotFoundError, match="fct_work_items"):
        api.read_mart("fct_work_items", warehouse=warehouse)
    built = api.read_mart("fct_work_items", warehouse=warehouse, published=False)
    assert len(built) == _count(warehouse, "main.fct_work_items") > 0

    _publish(warehouse)
    published = api.read_mart("fct_work_items", warehouse=warehouse)
    assert len(published) == _count(warehouse, "published.fct_work_items") == len(built)
    assert list(published.columns) == [*built.columns, "published_run_id"]  # the publish that swapped it in
    assert published["published_run_id"].nunique() == 1
    picked = api.read_mart("fct_status_intervals", warehouse=warehouse, columns=["ticket_id", "stage"])
    assert list(picked.columns) == ["ticket_id", "stage"]
    assert len(picked) == _count(warehouse, "published.fct_status_intervals")
    with pytest.raises(KeyError, match="not a registered mart"):
        api.read_mart("raw_tickets; drop table x", warehouse=warehouse)
    assert "fct_status_intervals" in api.marts() and "one row per" in api.marts()["fct_work_items"].lower()


def test_detect_on_a_data_frame_agrees_with_the_detect_step(warehouse: Path) -> None:
    _publish(warehouse)
    intervals = api.read_mart("fct_status_intervals", warehouse=warehouse, columns=api.INTERVAL_COLUMNS)
    moment = api.as_of(warehouse=warehouse)
    finding = api.detect(intervals, moment)
    step = run_detection(resolve_target(None, warehouse), write=False).finding
    assert finding.constraint_stage == step.constraint_stage
    assert finding.confidence == pytest.approx(step.confidence)
    assert finding.to_dict()["as_of"] == step.to_dict()["as_of"]
    with pytest.raises(AnalysisError, match="lack column"):
        api.detect(intervals.drop(columns=["stage"]), moment)
