"""A refused night leaves replace-mode tables (raw.status_map) as the last good night left them, and says so;
a night killed before check-raw decided leaves nothing for the next night to build on unchecked."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.python.nightly.helpers import Baseline, copy_baseline, nightly_args, published_contents, run

pytestmark = pytest.mark.slow


def status_map(warehouse: Path) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute("select * from raw.status_map order by raw_status").fetchall()
    finally:
        con.close()


def spoil_map(raw: Path) -> None:
    """9 of the 11 rows get a stage kind outside the accepted values: they are quarantined, 2 rows remain."""
    path = raw / "status_map.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert len(frame) == 11
    frame.loc[2:, "stage_kind"] = "sideways"
    frame.to_csv(path, index=False)


def test_a_refused_status_map_is_put_back_and_the_next_night_publishes(
    baseline: Baseline, tmp_path: Path, dbt_dir: Path
):
    raw, warehouse = copy_baseline(baseline, tmp_path)
    good_map = status_map(warehouse)
    assert len(good_map) == 11
    spoil_map(raw)

    refused = run(nightly_args(tmp_path, warehouse, raw, dbt_dir, "--run-id", "refused-map", "--json"))

    assert refused.returncode == 1, refused.stdout[-3000:] + refused.stderr[-3000:]
    result = json.loads(refused.stdout)
    assert [(s["name"], s["status"]) for s in result["steps"]] == [("ingest", "ok"), ("check-raw", "failed")]
    note = ("raw.status_map restored to the version loaded by run baseline-run (11 rows): the night refused run "
            "refused-map's replacement")
    assert "ingest.quarantine_share" in result["error"] and "status_map" in result["error"]
    assert note in result["error"]
    assert note in (tmp_path / "nightly.log").read_text()
    assert status_map(warehouse) == good_map
    assert published_contents(warehouse) == baseline.published

    (raw / "status_map.csv").unlink()
    next_night = run(nightly_args(tmp_path, warehouse, raw, dbt_dir, "--run-id", "next-night"))

    assert next_night.returncode == 0, next_night.stdout[-3000:] + next_night.stderr[-3000:]
    assert published_contents(warehouse)["publish_info"][0][0] == "next-night"
    assert status_map(warehouse) == good_map


def test_a_night_killed_before_check_raw_leaves_no_unchecked_map_to_build_on(
    baseline: Baseline, tmp_path: Path, dbt_dir: Path
):
    raw, warehouse = copy_baseline(baseline, tmp_path)
    good_map = status_map(warehouse)
    spoil_map(raw)

    killed = run(nightly_args(tmp_path, warehouse, raw, dbt_dir, "--run-id", "killed-night"),
                 FLOWMETRICS_FAULTPOINT="nightly.ingested", FLOWMETRICS_FAULTPOINT_ACTION="kill")

    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    assert len(status_map(warehouse)) == 2  # the replacement was committed, and nobody checked it
    assert published_contents(warehouse) == baseline.published

    (raw / "status_map.csv").unlink()
    next_night = run(nightly_args(tmp_path, warehouse, raw, dbt_dir, "--run-id", "after-kill"))

    output = next_night.stdout + next_night.stderr
    assert next_night.returncode == 0, output[-4000:]
    assert ("raw.status_map restored to the version loaded by run baseline-run (11 rows): run killed-night's "
            "replacement was never checked (that night stopped before check-raw decided)") in output
    assert status_map(warehouse) == good_map
    assert published_contents(warehouse)["publish_info"][0][0] == "after-kill"


def test_a_night_without_raw_after_a_kill_puts_the_unchecked_map_back(
    baseline: Baseline, tmp_path: Path, dbt_dir: Path
):
    """No --raw (an EL tool lands raw): check-raw puts the unchecked replacement back before the build. The
    killed night's map is valid but different: nobody checked it, so no build may use it."""
    raw, warehouse = copy_baseline(baseline, tmp_path)
    good_map = status_map(warehouse)
    other = pd.read_csv(raw / "status_map.csv", dtype=str, keep_default_na=False)
    other["stage"] = other["stage"].replace({"qa": "testing"})
    other.to_csv(raw / "status_map.csv", index=False)
    killed = run(nightly_args(tmp_path, warehouse, raw, dbt_dir, "--run-id", "killed-night"),
                 FLOWMETRICS_FAULTPOINT="nightly.ingested", FLOWMETRICS_FAULTPOINT_ACTION="kill")
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    assert status_map(warehouse) != good_map

    next_night = run(nightly_args(tmp_path, warehouse, None, dbt_dir, "--run-id", "no-raw-night"))

    output = next_night.stdout + next_night.stderr
    assert next_night.returncode == 0, output[-4000:]
    assert "[1/5] ingest: skipped" in output
    assert "raw.status_map restored to the version loaded by run baseline-run (11 rows): run killed-night's " \
        "replacement was never checked" in output
    assert status_map(warehouse) == good_map
    assert published_contents(warehouse)["publish_info"][0][0] == "no-raw-night"
