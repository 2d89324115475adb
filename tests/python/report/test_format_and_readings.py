"""The report's numbers for people and its one-line readings: pure functions on small frames."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from flowmetrics.report import readings
from flowmetrics.report.format import count, duration, percent, signed_percent
from flowmetrics.report.html import _is_number


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0 min"), (59 * 60, "59 min"), (3600, "1.0 h"), (5.25 * 3600, "5.2 h"), (86400, "1.0 days"),
     (10 * 86400, "10.0 days"), (21 * 86400, "3.0 weeks"), (-7200, "-2.0 h"), (None, "–"), (math.nan, "–")],
)
def test_durations_read_as_minutes_hours_days_weeks(seconds, text):
    assert duration(seconds) == text


def test_shares_and_counts():
    assert percent(0.643) == "64%"
    assert percent(0.6435, 1) == "64.3%"
    assert percent(None) == "–"
    assert signed_percent(0.052) == "+5%"
    assert signed_percent(-0.4) == "−40%"
    assert signed_percent(-0.003) == "0%" and signed_percent(-0.0004, digits=1) == "0.0%"  # no "−0%"
    assert signed_percent(-0.003, digits=1) == "−0.3%"
    assert count(1234.4) == "1,234"


@pytest.mark.parametrize(("cell", "numeric"), [("1,234", True), ("−5%", True), ("+0.3", True), ("-0.00", True),
                                               ("12.9 h", True), ("code_review", False), ("–", False)])
def test_numeric_cells_are_right_aligned(cell, numeric):
    assert _is_number(cell) is numeric


def stage_time() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "stage": ["backlog", "development", "code_review"],
            "stage_order": [10, 30, 40],
            "visits": [100, 100, 100],
            "queue_seconds": [5 * 86400, 0.1 * 86400, 3 * 86400],
            "active_seconds": [0, 0.5 * 86400, 0.2 * 86400],
            "wait_seconds": [0, 1.5 * 86400, 0],
        }
    )


def test_stage_reading_names_the_constraint_and_explains_the_longest_decoy():
    text = readings.stage_time(stage_time(), "code_review")
    assert text.startswith("Items wait 3.0 days in code_review's queue per visit against 4.8 h being worked")
    assert "backlog takes longer (5.0 days per visit), but it is a delay" in text
    assert "nobody works there" in text


def test_stage_reading_without_a_constraint_does_not_name_one():
    text = readings.stage_time(stage_time(), None)
    assert "constraint:" in text and "is the constraint" not in text


def test_finish_rate_reading_uses_mature_cohorts_only():
    cohorts = pd.DataFrame(
        {
            "cohort_month": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-03-01"]),
            "started": [100, 100, 100],
            "finished": [50, 60, 10],
            "is_mature": [True, True, False],
        }
    )
    text = readings.finish_rate(cohorts, 0.60)
    assert text.startswith("55% of work started in mature cohorts finished, below the 60% target")
    assert "(Feb 2026) finished 60%" in text


def test_dora_window_counts_production_deploys_of_the_last_28_days():
    as_of = pd.Timestamp("2026-05-01")
    deploys = pd.DataFrame(
        {
            "deployed_at": pd.to_datetime(["2026-04-20", "2026-04-25", "2026-04-28", "2026-04-29", "2026-01-01"]),
            "environment": ["production", "production", "production", "staging", "production"],
            "deploy_status": ["success", "failed", "success", "failed", "success"],
            "is_failure": [False, True, False, True, False],
            "lead_time_seconds": [3600.0, None, 7200.0, None, 99.0],
            "time_to_restore_seconds": [None, 1800.0, None, 60.0, None],
            "restore_source": [None, "deploy_status", None, "incidents", None],
        }
    )
    d = readings.dora_window(deploys, as_of)
    assert d["per_week"] == pytest.approx(3 / 4)
    assert d["cfr"] == pytest.approx(1 / 3)
    assert d["lead_time"] == 5400.0
    assert d["restore"] == 1800.0
    assert d["restore_sources"] == "deploy_status"  # the staging failure restored by incidents is left out


def test_the_restore_tile_says_where_its_restore_times_come_from():
    deploys = pd.DataFrame({
        "is_failure": [True, True, False],
        "restore_source": ["incidents", "deploy_status", None],
    })
    assert readings.restore_sources(deploys) == "both"
    assert readings.restore_sources(deploys.iloc[[0, 2]]) == "incidents"
    assert readings.restore_sources(deploys.iloc[[2]]) is None
