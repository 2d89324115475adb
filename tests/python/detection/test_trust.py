"""Detection says when not to trust it (insufficient_data, not_a_flow), picks its window from the data, and shows
statuses missing from the status map as a data problem, never as a healthy stage. Built from small status-interval
frames (no dbt build), and from the session's simulated families."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from flowmetrics.analysis import detect_constraint, finding_table, verdict_sentence
from flowmetrics.analysis.trust import MAX_OPEN_RATIO, MIN_ITEMS, MIN_PERIOD_DAYS
from flowmetrics.analysis.window import MIN_WINDOW_VISITS
from tests.python.detection.conftest import Detected
from tests.python.detection.frames import flow_frame, judged, spread


def codes(finding) -> set[str]:
    return {r.code for r in finding.reasons}


def test_three_tickets_over_two_days_are_insufficient_data_not_no_constraint() -> None:
    f = judged(flow_frame(np.array([0.0, 20.0, 40.0])))
    assert f.kind == "insufficient_data" and f.constraint_stage is None and math.isnan(f.confidence)
    assert codes(f) == {"few_items", "short_period", "few_visits"}
    assert f.stages == () and f.windows == ()
    text = verdict_sentence(f)
    assert text.startswith("Not enough data to name a constraint (insufficient data): ")
    assert "item(s) entered a work stage" in text and f"detection needs at least {MIN_ITEMS}" in text
    assert "0.00 confidence" not in text and "No stage is capacity-bound" not in text
    assert "No stage judged (insufficient data)." in finding_table(f)


def test_too_few_items_alone() -> None:
    f = judged(flow_frame(spread(MIN_ITEMS - 5, 60)))
    assert f.kind == "insufficient_data"
    assert codes(f) == {"few_items"}
    (reason,) = f.reasons
    assert (reason.value, reason.threshold) == (MIN_ITEMS - 5, MIN_ITEMS)


def test_too_short_a_period_alone() -> None:
    f = judged(flow_frame(spread(200, 9)))
    assert f.kind == "insufficient_data"
    assert codes(f) == {"short_period"}
    assert f.reasons[0].threshold == MIN_PERIOD_DAYS and f.reasons[0].value < MIN_PERIOD_DAYS


def test_too_few_finished_visits_alone() -> None:
    f = judged(flow_frame(spread(40, 60), finished=False, active_hours=0.0))
    assert f.kind == "insufficient_data"
    assert codes(f) == {"few_visits"}
    assert "every work stage saw fewer than 8 visits finish" in f.reasons[0].message


def test_a_thin_flow_gets_a_longer_window_than_a_busy_one() -> None:
    busy = judged(flow_frame(spread(2400, 120)))
    thin = judged(flow_frame(spread(450, 300)))
    assert busy.window_days == 7 and "chosen from the data" in busy.window_reason
    assert thin.window_days == 28 > busy.window_days
    assert f"at least {MIN_WINDOW_VISITS} needed" in thin.window_reason
    given = judged(flow_frame(spread(450, 300)), window_days=7)
    assert given.window_days == 7 and given.window_reason == "7-day windows, as given"
    assert "Window: " + thin.window_reason in finding_table(thin)


def test_unmapped_statuses_are_a_data_problem_never_healthy() -> None:
    f = judged(flow_frame(spread(600, 84), unmapped_every=10))
    assert f.kind in ("sole", "none")
    row = f.stage("unmapped")
    assert row.classification == "unmapped" and math.isnan(row.confidence)
    (problem,) = [r for r in f.reasons if r.code == "unmapped_statuses"]
    assert problem.message.startswith("1 status(es) unmapped (Triage Hold): ") and problem.value > 0
    text = verdict_sentence(f)
    assert "Data problem: 1 status(es) unmapped (Triage Hold)" in text and "map them" in text
    line = next(x for x in finding_table(f).splitlines() if "unmapped" in x.split())
    assert "healthy" not in line and "1.00" not in line
    doc = json.loads(json.dumps(f.to_dict()))
    stage = next(s for s in doc["stages"] if s["stage"] == "unmapped")
    assert (stage["classification"], stage["confidence"]) == ("unmapped", None)


def test_the_json_of_a_finding_without_a_verdict() -> None:
    doc = json.loads(json.dumps(judged(flow_frame(np.array([0.0, 20.0, 40.0]))).to_dict()))
    assert doc["constraint"]["kind"] == "insufficient_data"
    assert doc["constraint"]["stage"] is None and doc["constraint"]["confidence"] is None
    reasons = doc["constraint"]["reasons"]
    assert [r["code"] for r in reasons] == ["few_items", "short_period", "few_visits"]
    assert all(set(r) == {"code", "message", "value", "threshold"} for r in reasons)
    assert reasons[0]["value"] <= 3 and reasons[0]["threshold"] == MIN_ITEMS
    assert doc["window"] == f"{doc['window_days']}d" and doc["window_reason"]
    assert doc["stages"] == [] and doc["windows"] == []


def test_a_filtered_extract_of_finished_items_is_not_a_flow(detected: dict[str, Detected]) -> None:
    d = detected["constraint_at_review"]
    assert d.finding.kind == "sole" and d.finding.reasons == ()
    frame = d.intervals
    still_open = (frame["exited_at"].isna() | (frame["exited_at"] > d.as_of)) & ~frame["stage_kind"].isin(
        ["done", "abandoned"]
    )
    extract = frame[~frame["ticket_id"].isin(frame.loc[still_open, "ticket_id"])]
    f = detect_constraint(extract, d.as_of)
    assert f.kind == "not_a_flow" and f.constraint_stage is None and math.isnan(f.confidence)
    few_open = next(r for r in f.reasons if r.code == "few_open")
    assert few_open.value < MAX_OPEN_RATIO and few_open.message.startswith("only 0 item(s) are open at the as-of")
    assert f.stages and f.shifts == () and f.teams == ()  # the signals stay as evidence; no verdict
    assert verdict_sentence(f).startswith("This data does not look like a running flow")


@pytest.mark.parametrize("name", ["constraint_at_review", "no_constraint", "moving_constraint", "deploy_trains"])
def test_simulated_flows_are_judged(name: str, detected: dict[str, Detected]) -> None:
    f = detected[name].finding
    assert f.kind in ("sole", "shifting", "none") and f.reasons == ()
    assert f.window_days == 7 and "chosen from the data" in f.window_reason
