"""What is published is what the gate checked, and one writer at a time holds the warehouse.

A writer that rewrites a mart (same row count, a flow efficiency of 5.0) while a publish runs either changes
nothing that is published (it wrote after the copy: the gate checked the copy) or is caught by the gate on the
snapshot (it wrote before the copy): never published. Writing commands wait for the warehouse's lock and fail
naming its holder; the nightly holds it for all its steps."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import duckdb
import pytest

from tests.python.nightly.helpers import (
    CLI,
    NOW,
    Baseline,
    copy_baseline,
    env,
    nightly_args,
    publish_args,
    published_contents,
    run,
    snapshot_schemas,
    wait_for,
)

pytestmark = pytest.mark.slow
RATE_CHECK = "fct_work_items.flow_efficiency.rate_range"


def rewrite_flow_efficiency(warehouse: Path) -> int:
    """A writer outside flowmetrics (a `dbt build` by hand, a script) rewrites the mart: same rows, bad values."""
    con = duckdb.connect(str(warehouse))
    try:
        con.execute("update main.fct_work_items set flow_efficiency = 5.0")
        return con.execute("select count(*) from main.fct_work_items").fetchone()[0]
    finally:
        con.close()


def query(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def without_run_id(rows: list[tuple]) -> list[tuple]:
    return sorted((row[:-1] for row in rows), key=repr)  # published_run_id is the last column


def start_paused(args: list[str], point: str, marker: Path) -> subprocess.Popen[str]:
    """Start a command that pauses at a faultpoint until the test deletes ``marker``."""
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env(FLOWMETRICS_FAULTPOINT=point, FLOWMETRICS_FAULTPOINT_MARKER=str(marker),
                                    FLOWMETRICS_FAULTPOINT_ACTION="wait"))


def test_a_mart_rewritten_between_the_copy_and_the_gate_is_not_published_and_the_snapshot_is_what_was_checked(
    baseline: Baseline, tmp_path: Path
):
    _, warehouse = copy_baseline(baseline, tmp_path)
    marker = tmp_path / "reached"
    proc = start_paused(publish_args(tmp_path, warehouse, "--json"), "publish.before_gate", marker)
    try:
        wait_for(marker.exists, 180, "the publish to have copied its snapshot")
        rows = rewrite_flow_efficiency(warehouse)
        marker.unlink()
        out, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err[-3000:]
    result = json.loads(out)
    run_id, snapshot = result["publish"]["run_id"], result["publish"]["snapshot_schema"]

    # the source mart holds the rewrite; what is published is the copy the gate checked, without it
    assert query(warehouse, "select count(*) from main.fct_work_items where flow_efficiency = 5.0") == [(rows,)]
    published = published_contents(warehouse)
    assert published["publish_info"][0][0] == run_id
    assert without_run_id(published["fct_work_items"]) == without_run_id(baseline.published["fct_work_items"])
    assert query(warehouse, "select max(flow_efficiency) <= 1 from published.fct_work_items") == [(True,)]

    # the quality run recorded is the one that checked that snapshot, and the publish record names it
    assert result["quality"]["run_id"] == result["publish"]["quality_run_id"] == run_id
    assert result["quality"]["snapshot_schema"] == snapshot == f"published_snapshot_{run_id.lower().replace('-', '_')}"
    assert query(warehouse, "select status, element_count from flowmetrics.quality_runs where run_id = ? "
                 "and check_id = ?", [run_id, RATE_CHECK]) == [("passed", rows)]
    assert query(warehouse, "select quality_run_id, snapshot_schema from flowmetrics.publish_runs where run_id = ?",
                 [run_id]) == [(run_id, snapshot)]

    # the next publish copies the rewritten mart: its gate, on that snapshot, refuses it
    again = run(publish_args(tmp_path, warehouse, "--json"))
    assert again.returncode == 1, again.stderr[-3000:]
    refused = json.loads(again.stdout)["quality"]
    assert RATE_CHECK in refused["failures"] and RATE_CHECK in again.stderr
    assert "schema published was left as it was" in again.stderr and "Traceback" not in again.stderr
    assert published_contents(warehouse) == published
    assert snapshot_schemas(warehouse) == [snapshot]  # the refused snapshot was dropped
    assert query(warehouse, "select status from flowmetrics.quality_runs where run_id = ? and check_id = ?",
                 [refused["run_id"], RATE_CHECK]) == [("failed",)]
    assert query(warehouse, "select count(*) from flowmetrics.publish_runs where run_id = ?",
                 [refused["run_id"]]) == [(0,)]


def test_a_mart_rewritten_after_detect_before_the_copy_is_caught_by_the_gate_on_the_snapshot(
    baseline: Baseline, tmp_path: Path, dbt_dir: Path
):
    """The nightly's gate runs after detect, on the copy: a rewrite while detect ran is checked, not published."""
    _, warehouse = copy_baseline(baseline, tmp_path)
    marker = tmp_path / "reached"
    proc = start_paused(nightly_args(tmp_path, warehouse, None, dbt_dir, "--run-id", "rewritten"),
                        "publish.before_copy", marker)
    try:
        wait_for(marker.exists, 300, "the nightly to reach its publish")
        rewrite_flow_efficiency(warehouse)
        marker.unlink()
        out, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    output = out + err
    assert proc.returncode == 1, output[-4000:]
    assert "[4/5] detect: ok" in output and "[5/5] publish: FAILED" in output
    assert RATE_CHECK in output and "NOT published" in output and "Traceback" not in output
    assert published_contents(warehouse) == baseline.published
    assert snapshot_schemas(warehouse) == ["published_snapshot_baseline_run"]
    assert query(warehouse, "select status from flowmetrics.quality_runs where run_id = 'rewritten' "
                 "and check_id = ?", [RATE_CHECK]) == [("failed",)]
    assert query(warehouse, "select count(*) from flowmetrics.publish_runs where run_id = 'rewritten'") == [(0,)]


def test_writers_wait_for_the_warehouse_lock_and_fail_naming_the_nightly_that_holds_it(
    baseline: Baseline, tmp_path: Path, dbt_dir: Path
):
    raw, warehouse = copy_baseline(baseline, tmp_path)
    marker = tmp_path / "reached"
    holder = start_paused(nightly_args(tmp_path / "night", warehouse, None, dbt_dir, "--run-id", "holder"),
                          "nightly.build_started", marker)
    waiter = None
    try:
        wait_for(marker.exists, 300, "the nightly's dbt build to start")
        lock = "--lock-timeout", "1"
        wh = "--warehouse", str(warehouse)
        refused = {
            "build": run([*CLI, "build", *wh, *lock]),
            "ingest": run([*CLI, "ingest", str(raw), *wh, *lock]),
            "detect": run([*CLI, "detect", *wh, *lock]),
            "check": run([*CLI, "check", *wh, "--now", NOW, "--report-dir", str(tmp_path / "q"), *lock]),
            "publish": run(publish_args(tmp_path, warehouse, "--json", lock_timeout=1)),
            "nightly": run(nightly_args(tmp_path / "second", warehouse, raw, dbt_dir, *lock)),
        }
        for command, result in refused.items():
            assert result.returncode == 1, (command, result.stdout[-2000:], result.stderr[-2000:])
            assert f"pid {holder.pid} (flowmetrics nightly run holder, since " in result.stderr, command
            assert f"flowmetrics {command}" in result.stderr and "Waited 1s (--lock-timeout)" in result.stderr
            assert "Traceback" not in result.stderr and "dbt build finished" not in result.stdout

        # a writer with time to wait runs once the nightly has finished
        waiter = subprocess.Popen(publish_args(tmp_path, warehouse, "--json", lock_timeout=600), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, env=env())
        marker.unlink()
        _, err = holder.communicate(timeout=600)
        assert holder.returncode == 0, err[-3000:]
        out, err = waiter.communicate(timeout=600)
        assert waiter.returncode == 0, err[-3000:]
    finally:
        for proc in (holder, waiter):
            if proc is not None and proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
    assert json.loads(out)["publish"]["previous_run_id"] == "holder"
    assert published_contents(warehouse)["publish_info"][0][0] == json.loads(out)["publish"]["run_id"]
