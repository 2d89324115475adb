"""The cycle-time scatter and the aging chart draw the published service-level expectations (fct_cycle_time_sle):
each finished item as a point, the overall 50/85/95% lines labelled, the per-type lines in a table, and the open
items that started longer ago than the 85% line marked and counted as at risk."""

from __future__ import annotations

import pandas as pd
import pytest

from flowmetrics.report import build, charts, palette, readings
from flowmetrics.report.format import DAY

WINDOW = {"window_start": pd.Timestamp("2026-01-07"), "window_end": pd.Timestamp("2026-04-01")}


@pytest.fixture
def sle() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sle_scope": ["overall", "ticket_type", "ticket_type"], "ticket_type": [None, "story", "bug"],
            **WINDOW, "finished_items": [7, 5, 2],
            "p50_cycle_time_seconds": [4 * DAY, 3 * DAY, 15 * DAY],
            "p85_cycle_time_seconds": [11 * DAY, 4.4 * DAY, 18.5 * DAY],
            "p95_cycle_time_seconds": [17 * DAY, 4.8 * DAY, 19.5 * DAY],
        }
    )  # fmt: skip


@pytest.fixture
def finished() -> pd.DataFrame:
    days = [1, 2, 3, 4, 5, 10, 20]
    return pd.DataFrame(
        {
            "ticket_id": ["S1", "S2", "S3", "S4", "S5", "B1", "B2"],
            "ticket_type": ["story"] * 5 + ["bug"] * 2,
            "finished_at": pd.date_range("2026-03-01", periods=7, freq="D"),
            "cycle_time_seconds": [d * DAY for d in days],
        }
    )


@pytest.fixture
def open_items() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ticket_id": ["O1", "O2", "O3", "N1"], "current_stage": ["development", "qa", "qa", "backlog"],
            "age_seconds": [2 * DAY, 12 * DAY, 30 * DAY, None],  # N1 never started: no age since start
            "age_in_stage_seconds": [DAY, 2 * DAY, 3 * DAY, 40 * DAY],
            "stage_p85_seconds": [5 * DAY, 1 * DAY, 1 * DAY, 10 * DAY],
            "is_past_stage_p85": [False, True, True, True],
        }
    )  # fmt: skip


def lines(fig) -> dict[float, str]:
    """The horizontal lines drawn ({y in days: label})."""
    ys = [shape.y0 for shape in fig.layout.shapes if shape.y0 == shape.y1]
    texts = [a.text for a in fig.layout.annotations]
    assert len(ys) == len(texts)
    return dict(zip(ys, texts, strict=True))


def test_the_scatter_draws_each_finished_item_by_type_and_the_overall_lines(finished, sle):
    fig = charts.cycle_time_scatter(finished, sle)
    traces = {t.name: t for t in fig.data}
    assert set(traces) == {"bug", "story"}
    assert list(traces["story"].y) == [1, 2, 3, 4, 5] and list(traces["bug"].y) == [10, 20]
    assert traces["bug"].marker.color == palette.TICKET_TYPES[0] != traces["story"].marker.color
    assert not {t.marker.color for t in fig.data} & {*palette.KIND.values(), *palette.RISK.values()}
    assert lines(fig) == {4.0: "50% (SLE) 4.0 days", 11.0: "85% (SLE) 11.0 days", 17.0: "95% (SLE) 17.0 days"}


def test_the_reading_says_what_share_finished_within_what_time_and_that_open_items_are_not_counted(sle):
    text = readings.cycle_time_scatter(sle)
    assert text.startswith("85% of items finished within 11.0 days (50% within 4.0 days, 95% within 17.0 days)")
    assert "7 items finished in the 12 weeks before the as-of" in text
    assert "Only finished items count; open items are drawn against these lines" in text


def test_no_finished_item_gives_no_lines_and_says_so():
    empty = pd.DataFrame(
        {"sle_scope": ["overall"], "ticket_type": [None], **WINDOW, "finished_items": [0],
         "p50_cycle_time_seconds": [None], "p85_cycle_time_seconds": [None], "p95_cycle_time_seconds": [None]}
    )  # fmt: skip
    assert readings.cycle_time_scatter(empty) == (
        "No work item finished in the window yet, so there is no service-level expectation.")
    frame = pd.DataFrame(columns=["ticket_id", "ticket_type", "finished_at", "cycle_time_seconds"])
    assert not charts.cycle_time_scatter(frame, empty).data


def test_the_table_lists_the_overall_lines_first_then_each_type(sle):
    table = build.sle_table(sle)
    assert table.columns == ("ticket type", "finished items (last 12 weeks)", "50% within (percentile)",
                             "85% within (percentile)", "95% within (percentile)")
    assert table.rows == (
        ("all types", "7", "4.0 days", "11.0 days", "17.0 days"),
        ("bug", "2", "15.0 days", "18.5 days", "19.5 days"),
        ("story", "5", "3.0 days", "4.4 days", "4.8 days"),
    )


def test_aging_draws_started_items_against_the_same_lines_and_marks_those_above_the_85th(open_items, sle):
    fig = charts.aging_wip(open_items, {"backlog": 10, "development": 30, "qa": 50}, sle)
    within, older = fig.data
    assert older.name == "older than the 85th percentile of cycle time" and older.marker.color == palette.RISK[True]
    assert list(older.customdata[:, 0]) == ["O2", "O3"] and list(older.y) == [12, 30]
    assert list(within.customdata[:, 0]) == ["O1"]  # N1 has not started: no age since start to draw
    assert lines(fig) == {4.0: "50% (SLE) 4.0 days", 11.0: "85% (SLE) 11.0 days", 17.0: "95% (SLE) 17.0 days"}


def test_the_aging_reading_counts_the_open_items_older_than_the_85th_line(open_items, sle):
    text = readings.aging_wip(open_items, sle)
    assert text.startswith("2 open items older than the 85th percentile of cycle time (11.0 days): at risk")
    assert "3 of 4 open items have been in their stage longer than 85% of past visits" in text
