"""The report's constraint section: a finding without a verdict is a banner with its reasons, never a ranking's
verdict, and statuses missing from the status map are a data problem to fix, never a healthy stage."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pandas as pd
import plotly.graph_objects as go
import pytest

from flowmetrics.report import build
from flowmetrics.report.html import Note, Tile, render

UNMAPPED = {"code": "unmapped_statuses", "message": "1 status(es) unmapped (<Hold>): 12 visit(s) in the period sat "
            "in them; map them in the status map", "value": 12, "threshold": 0}


def findings(kind: str, stage: str | None, reasons: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "run_id": ["r1"], "detected_at": [pd.Timestamp("2026-05-15")], "scope": ["overall"],
            "window_start": [pd.Timestamp("2026-02-19")], "window_end": [pd.Timestamp("2026-05-14")],
            "constraint_stage": [stage], "constraint_team": [None], "kind": [kind],
            "confidence": [None if kind in ("not_a_flow", "insufficient_data") else 0.97], "shifted_from_stage": [None],
            "reasons": [json.dumps(reasons)], "window_reason": ["28-day windows, chosen from the data: ..."],
        }
    )  # fmt: skip


def signals(rows: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "run_id": "r1", "scope": "overall", "stage": [s for s, _ in rows], "team": None,
            "rank": range(1, len(rows) + 1), "classification": [c for _, c in rows], "confidence": 1.0,
            "waiting_share": 0.9, "wait_share": 0.0, "load_dependence": 0.8, "queue_growth_per_week": 1.0,
            "median_hours": 10.0, "mean_queue_hours": 5.0,
        }
    )  # fmt: skip


@pytest.fixture
def section(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(build.readings, "stage_time", lambda frame, stage: "reading")
    monkeypatch.setattr(build.charts, "stage_time", lambda frame, stage, period: go.Figure())
    monkeypatch.setattr(build.charts, "constraint_timeline", lambda windows, shifts, colours: go.Figure())

    def make(found: pd.DataFrame, sig: pd.DataFrame):
        return build.constraint_section(SimpleNamespace(constraint_findings=found, constraint_signals=sig,
                                                        stage_time=pd.DataFrame(),
                                                        as_of=pd.Timestamp("2026-05-15")), {})

    return make


def test_not_a_flow_is_a_banner_with_its_reasons(section) -> None:
    reasons = [{"code": "arrival_burst", "message": "90% of the 7406 items arrived within 13 day(s)",
                "value": 0.16, "threshold": 0.25}, UNMAPPED]
    s = section(findings("not_a_flow", None, reasons), signals([("resolution", "delay")]))
    assert s.lead == (
        "This data does not look like a running flow, so no constraint is named (not a flow): "
        "90% of the 7406 items arrived within 13 day(s)."
    )
    assert s.tiles == (Tile("Constraint", "No verdict", "not a flow: read the reasons below, not a ranking", "warn"),)
    assert "No stage is capacity-bound" not in s.lead
    notes = [i for i in s.items if isinstance(i, Note)]
    assert [n.text for n in notes] == [f"Data problem: {UNMAPPED['message']}."]
    page = render("t", "s", [s])
    assert "&lt;Hold&gt;" in page and "<Hold>" not in page  # a status name is data, never HTML
    assert "Windows: 28-day windows, chosen from the data" in page


def test_insufficient_data_names_what_is_missing(section) -> None:
    reasons = [{"code": "few_items", "message": "3 item(s) entered a work stage", "value": 3, "threshold": 30}]
    s = section(findings("insufficient_data", None, reasons), signals([]))
    assert s.lead.startswith("Not enough data to name a constraint (insufficient data): 3 item(s) entered")
    assert s.tiles and s.tiles[0].value == "No verdict"


def test_a_verdict_keeps_its_sentence_and_shows_unmapped_as_such(section) -> None:
    s = section(findings("sole", "review", [UNMAPPED]), signals([("review", "constraint"), ("unmapped", "unmapped")]))
    assert s.lead.startswith("review is the constraint: work waits 90% of its time in its queue")
    assert s.tiles == ()
    table = next(i for i in s.items if getattr(i, "chart_id", "") == "stage-classification")
    assert "queue-time share" in table.columns
    assert [r[2] for r in table.rows] == ["constraint", "unmapped"]
    assert any(isinstance(i, Note) and i.text.startswith("Data problem: 1 status(es) unmapped") for i in s.items)


def test_findings_written_before_reasons_existed_still_read(section) -> None:
    old = findings("none", None, []).assign(reasons=None, window_reason=None)
    s = section(old, signals([("review", "healthy")]))
    assert s.lead.startswith("No stage is capacity-bound") and s.tiles == ()


def test_a_saturated_constraint_is_told_by_its_occupancy_not_its_queue(section) -> None:
    sig = signals([("build", "constraint"), ("review", "healthy")])
    sig = sig.assign(waiting_share=0.16, queue_nonempty_share=0.45, occupancy=[0.93, 0.5],
                     at_ceiling_share=[0.61, 0.0], burst_response=[0.72, float("nan")],
                     bound_by=["saturation", None])
    s = section(findings("sole", "build", []), sig)
    assert s.lead.startswith(
        "build is the constraint: its people are saturated: at capacity 61% of the time (occupancy 0.93 of the "
        "most work they hold at once), while work waits in its queue only 45% of the time"
    ), s.lead
    queued = section(findings("sole", "build", []), sig.assign(bound_by=["queue", None]))
    assert queued.lead.startswith("build is the constraint: work waits 16% of its time in its queue"), queued.lead
    (table,) = [i for i in s.items if getattr(i, "chart_id", None) == "stage-classification"]
    assert "occupancy" in table.columns and "time at capacity" in table.columns
    assert table.rows[0][table.columns.index("time at capacity")] == "61%"
    assert [r[table.columns.index("burst response")] for r in table.rows] == ["0.72", "–"]
