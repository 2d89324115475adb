"""Detection is deterministic for a seed, the window is configurable, and the JSON shape is stable."""

from __future__ import annotations

import json

import pandas as pd

from flowmetrics.analysis import detect_constraint, finding_table, verdict_sentence
from tests.python.detection.conftest import Detected


def test_same_seed_same_finding_other_seed_same_verdict(detected: dict[str, Detected]) -> None:
    d = detected["constraint_at_build"]
    again = detect_constraint(d.intervals, d.as_of)
    assert again.to_dict() == d.finding.to_dict()
    other = detect_constraint(d.intervals, d.as_of, seed=5)
    assert (other.constraint_stage, other.kind) == (d.finding.constraint_stage, d.finding.kind)


def test_the_json_shape(detected: dict[str, Detected]) -> None:
    doc = json.loads(json.dumps(detected["moving_constraint"].finding.to_dict()))
    assert set(doc) >= {"as_of", "constraint", "stages", "windows", "shifts"}
    assert set(doc["constraint"]) == {"stage", "team", "confidence", "kind", "reasons", "also_saturated"}
    assert doc["constraint"]["reasons"] == [] and doc["constraint"]["also_saturated"] == []
    assert doc["window"] == "7d" and doc["window_reason"].startswith("7-day windows, chosen from the data")
    stage = doc["stages"][0]
    assert set(stage) == {"stage", "rank", "classification", "confidence", "signals"}
    assert stage["rank"] == 1 and stage["classification"] == "constraint"
    assert {"waiting_share", "load_dependence", "bottleneck_share", "queue_growth_per_week"} <= set(stage["signals"])
    assert {"occupancy", "at_ceiling_share", "burst_response"} <= set(stage["signals"])
    assert stage["signals"]["burst_response"] > 0.5  # the constraint's queue keeps a day's extra arrivals
    assert set(doc["windows"][0]) == {"start", "end", "constraint_stage", "confidence"}
    assert set(doc["shifts"][0]) == {"at", "from_stage", "to_stage"}
    assert doc["as_of"].endswith("Z") and doc["shifts"][0]["at"].endswith("Z")


def test_windows_of_two_weeks_and_an_earlier_as_of(detected: dict[str, Detected]) -> None:
    d = detected["constraint_at_review"]
    f = detect_constraint(d.intervals, d.as_of, window_days=14)
    assert f.window_days == 14 and f.constraint_stage == "review"
    assert all((w.end - w.start).days == 14 for w in f.windows[1:])
    earlier = detect_constraint(d.intervals, d.as_of - pd.Timedelta(days=10))
    assert earlier.as_of == (d.as_of - pd.Timedelta(days=10)).to_pydatetime()
    assert earlier.constraint_stage == "review"


def test_the_sentence_names_the_constraint_and_its_evidence(detected: dict[str, Detected]) -> None:
    text = verdict_sentence(detected["decoy_long_wait"].finding)
    assert text.startswith("review is the constraint: work waits")
    assert "grows with load" in text and "confidence" in text
    assert "holds items longest" in text  # the decoy is named as what it is
    none = verdict_sentence(detected["no_constraint"].finding)
    assert none.startswith("No stage is capacity-bound")
    table = finding_table(detected["moving_constraint"].finding)
    assert "Shifts:" in table and "review → test" in table
