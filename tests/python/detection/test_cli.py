"""`flowmetrics detect` and `flowmetrics whatif` end to end on a copy of the demo warehouse: the verdict, the
findings written to schema flowmetrics, fct_constraint_queue rebuilt from the latest run, and the what-if."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.harness.warehouse_query import query_df as read

CLI = [sys.executable, "-m", "flowmetrics.cli"]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def demo_copy(make_demo_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """detect writes: work on a copy of the `make demo` warehouse."""
    copy = tmp_path_factory.mktemp("detect") / "demo.duckdb"
    shutil.copy(make_demo_warehouse, copy)
    return copy


@pytest.fixture(scope="module")
def detected_twice(demo_copy: Path) -> tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]]:
    text = run_cli("detect", "--warehouse", str(demo_copy))
    as_json = run_cli("detect", "--warehouse", str(demo_copy), "--json")
    return text, as_json


def test_detect_names_code_review_for_people_and_machines(detected_twice) -> None:
    text, as_json = detected_twice
    assert text.returncode == 0, text.stderr[-2000:]
    assert text.stdout.startswith("code_review is the constraint: work waits")
    assert "fct_constraint_queue lists the" in text.stdout
    assert "…" not in text.stderr  # progress only on a terminal
    assert as_json.returncode == 0, as_json.stderr[-2000:]
    doc = json.loads(as_json.stdout)
    assert doc["constraint"]["stage"] == "code_review" and doc["constraint"]["kind"] == "sole"
    assert doc["constraint"]["confidence"] >= 0.9
    assert doc["constraint_queue_items"] > 0 and doc["run_id"]
    classes = {s["stage"]: s["classification"] for s in doc["stages"]}
    assert classes["code_review"] == "constraint" and classes["backlog"] == "delay"
    assert doc["window"] == "7d" and doc["window_reason"].startswith("7-day windows, chosen from the data")
    assert "Window: 7-day windows, chosen from the data" in text.stdout


def test_findings_are_appended_per_run(demo_copy: Path, detected_twice) -> None:
    runs = read(
        demo_copy,
        "select run_id, count(*) filter (where scope = 'overall') as overall, count(*) as n"
        " from flowmetrics.constraint_findings group by run_id",
    )
    assert len(runs) == 2 and (runs["overall"] == 1).all()
    signals = read(
        demo_copy,
        "select scope, team is null as whole_stage, count(*) as n, count(distinct stage) as stages"
        " from flowmetrics.constraint_stage_signals group by all order by all",
    )
    window_rows = signals[(signals["scope"] == "window") & signals["whole_stage"]]
    assert int(window_rows["stages"].iloc[0]) == 5  # backlog, development, code_review, qa, deploy
    assert (signals["scope"] == "overall").any()


def test_constraint_queue_lists_the_review_queue_oldest_first(demo_copy: Path, detected_twice) -> None:
    _, as_json = detected_twice
    doc = json.loads(as_json.stdout)
    queue = read(demo_copy, "select * from main.fct_constraint_queue order by queue_position")
    assert len(queue) == doc["constraint_queue_items"]
    assert (queue["run_id"] == doc["run_id"]).all()  # the latest run
    assert (queue["stage"] == "code_review").all() and (queue["status"] == "Ready for Review").all()
    assert queue["queue_position"].tolist() == list(range(1, len(queue) + 1))
    assert queue["age_in_queue_seconds"].is_monotonic_decreasing
    assert queue["requested_by"].notna().all()
    waiting = read(
        demo_copy,
        "select count(*) as n from main.fct_status_intervals"
        " where is_current and stage = 'code_review' and stage_kind = 'queue'",
    )
    assert int(waiting["n"].iloc[0]) == len(queue)


def test_no_write_writes_nothing_and_bad_options_are_usage_errors(demo_copy: Path, detected_twice) -> None:
    before = read(demo_copy, "select count(*) as n from flowmetrics.constraint_findings")["n"].iloc[0]
    r = run_cli("detect", "--warehouse", str(demo_copy), "--no-write", "--window", "2w", "--json")
    assert r.returncode == 0, r.stderr[-2000:]
    assert json.loads(r.stdout)["window_days"] == 14
    assert json.loads(r.stdout)["window_reason"] == "14-day windows, as given"
    assert read(demo_copy, "select count(*) as n from flowmetrics.constraint_findings")["n"].iloc[0] == before
    bad = run_cli("detect", "--warehouse", str(demo_copy), "--window", "3h")
    assert bad.returncode == 2 and "'3h' is not a window: give auto, or whole days" in bad.stderr
    assert run_cli("detect", "--warehouse", str(demo_copy), "--as-of", "2100-01-01").returncode == 2
    assert run_cli("whatif", "--warehouse", str(demo_copy), "--stage", "backlog", "--capacity", "+30%").returncode == 2
    assert run_cli("whatif", "--warehouse", str(demo_copy)).returncode == 2


def test_whatif_json(demo_copy: Path) -> None:
    r = run_cli(
        "whatif", "--warehouse", str(demo_copy), "--stage", "code_review", "--capacity", "+30%",
        "--replications", "3", "--weeks", "8", "--json",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr[-2000:]
    doc = json.loads(r.stdout)
    assert doc["capacity_factor"] == pytest.approx(1.3)
    tp = doc["metrics"]["throughput_per_week"]
    assert tp["change"]["mean"] > 0 and tp["before"]["low"] <= tp["before"]["mean"] <= tp["before"]["high"]
    assert doc["calibration"]["stages"][2]["stage"] == "code_review"


def test_two_days_of_history_is_insufficient_data_with_exit_0(demo_copy: Path, detected_twice) -> None:
    """A finding, not an error: exit 0, the reasons in the JSON, the text and the findings table, no queue, and
    raw untouched."""
    first = read(demo_copy, "select min(entered_at) as t from main.fct_status_intervals")["t"].iloc[0]
    as_of = (pd.Timestamp(first) + pd.Timedelta(days=2)).strftime("%Y-%m-%d %H:%M:%S")
    raw_sql = "select count(*) as n, max(changed_at) as last from raw.ticket_status_changes"
    raw_before = read(demo_copy, raw_sql)
    r = run_cli("detect", "--warehouse", str(demo_copy), "--as-of", as_of, "--json")
    assert r.returncode == 0, r.stderr[-2000:]
    doc = json.loads(r.stdout)
    assert doc["constraint"]["kind"] == "insufficient_data"
    assert doc["constraint"]["stage"] is None and doc["constraint"]["confidence"] is None
    found = [x["code"] for x in doc["constraint"]["reasons"]]
    assert "short_period" in found and "few_items" in found
    assert doc["constraint_queue_items"] == 0 and doc["stages"] == []
    row = read(
        demo_copy,
        "select kind, reasons, confidence, constraint_stage from flowmetrics.constraint_findings"
        f" where run_id = '{doc['run_id']}' and scope = 'overall'",
    )
    assert len(row) == 1 and row["kind"].iloc[0] == "insufficient_data"
    assert [x["code"] for x in json.loads(row["reasons"].iloc[0])] == found
    assert pd.isna(row["confidence"].iloc[0]) and pd.isna(row["constraint_stage"].iloc[0])
    assert read(demo_copy, "select count(*) as n from main.fct_constraint_queue")["n"].iloc[0] == 0
    text = run_cli("detect", "--warehouse", str(demo_copy), "--as-of", as_of, "--no-write")
    assert text.returncode == 0, text.stderr[-2000:]
    assert text.stdout.startswith("Not enough data to name a constraint (insufficient data): ")
    assert "No stage judged (insufficient data)." in text.stdout
    assert read(demo_copy, raw_sql).equals(raw_before)
