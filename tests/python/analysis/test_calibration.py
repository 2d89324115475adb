"""The what-if calibrated from the demo marts: arrival rates from created tickets, work stages with their people,
waits as delays; and the theory-of-constraints result on the demo data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from flowmetrics.analysis import CALIBRATION_INTERVAL_COLUMNS, WORK_ITEM_COLUMNS, calibrate, whatif_text
from flowmetrics.results import Calibration
from flowmetrics.simulation import demo_config
from flowmetrics.simulation.calibrated import config_from_calibration
from flowmetrics.simulation.whatif import what_if
from flowmetrics.warehouse.marts import MartReader
from tests.python.conftest import MAKE_DEMO_ITEMS


@pytest.fixture(scope="module")
def calibration(make_demo_warehouse: Path) -> Calibration:
    with MartReader.open(warehouse=make_demo_warehouse) as reader:
        intervals = reader.read("fct_status_intervals", CALIBRATION_INTERVAL_COLUMNS)
        items = reader.read("fct_work_items", WORK_ITEM_COLUMNS)
        as_of = pd.Timestamp(reader.as_of())
    return calibrate(intervals, items, as_of)


def test_the_calibration_sees_the_demo_system(calibration: Calibration) -> None:
    demo = demo_config(MAKE_DEMO_ITEMS)
    base_per_day = sum(d.per_day for d in demo.demand)  # the weeks calibrated come after the campaign's surge
    assert sum(d.per_day for d in calibration.demand) == pytest.approx(base_per_day, rel=0.1)  # created, not finished
    assert {d.requested_by for d in calibration.demand} >= {"growth", "product", "marketing"}
    stages = {s.stage: s for s in calibration.stages}
    assert list(stages) == ["backlog", "development", "code_review", "qa", "deploy"]
    assert [s.kind for s in calibration.stages] == ["wait", "work", "work", "work", "wait"]
    review = stages["code_review"]
    assert review.servers == 2
    assert review.service_mean_hours == pytest.approx(demo.stage("code_review").service.mean, rel=0.2)
    assert review.rework_to == "development" and 0.05 < review.rework_probability < 0.25
    assert review.rework_probability_ai > review.rework_probability
    dev = stages["development"]
    assert dev.wait_status == "Blocked" and dev.blocking_probability == pytest.approx(0.3, abs=0.08)
    assert stages["backlog"].wait_kind == "queue" and stages["backlog"].abandon_probability == pytest.approx(
        0.08, abs=0.04
    )
    config = config_from_calibration(calibration)
    assert [s.stage for s in config.steps] == list(stages)
    assert config.stage("code_review").servers == 2


def test_theory_of_constraints_on_the_demo(calibration: Calibration) -> None:
    kw = {"replications": 6, "weeks": 16.0, "seed": 3}
    elsewhere = what_if(calibration, stage="qa", capacity_factor=1.3, **kw)
    at_constraint = what_if(calibration, stage="code_review", capacity_factor=1.3, **kw)
    flooded = what_if(calibration, arrivals_factor=3.0, **kw)
    assert abs(elsewhere.metric("throughput_per_week").relative) < 0.02
    gain = at_constraint.metric("throughput_per_week")
    assert gain.relative > 0.05 and gain.change.low > 0
    assert at_constraint.metric("lead_time_mean_hours").relative < -0.1
    assert flooded.metric("throughput_per_week").relative < 0.1
    assert flooded.metric("wip_time_average").relative > 2
    assert flooded.metric("lead_time_mean_hours").relative > 1
    assert "barely moves throughput" in elsewhere.summary and "buys throughput" in at_constraint.summary
    assert "not throughput" in flooded.summary
    assert "throughput / week" in whatif_text(at_constraint)


def test_the_calibration_does_not_depend_on_row_order(make_demo_warehouse: Path) -> None:
    """A warehouse returns rows in any order (Postgres, a parallel DuckDB scan): the calibration, and so a seeded
    what-if, must be the same."""
    with MartReader.open(warehouse=make_demo_warehouse) as reader:
        intervals = reader.read("fct_status_intervals", CALIBRATION_INTERVAL_COLUMNS)
        items = reader.read("fct_work_items", WORK_ITEM_COLUMNS)
        as_of = pd.Timestamp(reader.as_of())
    ordered = calibrate(intervals, items, as_of)
    shuffled = calibrate(intervals.sample(frac=1.0, random_state=7), items.sample(frac=1.0, random_state=8), as_of)
    assert repr(shuffled) == repr(ordered)  # repr: a stage without service time holds NaN, never equal to itself
    assert [list(d.teams) for d in ordered.demand] == [sorted(d.teams) for d in ordered.demand]
