"""Kills in the middle of `dbt build` and of publishing, and a reader looping while a publish happens.

A kill leaves schema published exactly as the previous good run left it (or, after the swap committed, as the
complete new run); the next run recovers by itself: stale snapshot schemas dropped, locks free, exit 0."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.python.nightly.helpers import (
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
READER = Path(__file__).with_name("reader_loop.py")


def test_killed_in_the_middle_of_dbt_build_then_the_next_run_recovers(baseline: Baseline, tmp_path: Path):
    raw, warehouse = copy_baseline(baseline, tmp_path)
    work = tmp_path / "killed"
    log = work / "nightly.log"
    proc = subprocess.Popen(nightly_args(work, warehouse, raw, tmp_path / "dbt-killed"), env=env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # dbt has rebuilt some marts and not others: the middle of the build
        # (an incremental model on a warehouse that already holds it: the nightly's normal case)
        built = re.compile(r"OK created sql (table|incremental) model main\.fct_stage_transitions\b")
        wait_for(lambda: log.exists() and built.search(log.read_text()) is not None,
                 240, "dbt to create fct_stage_transitions")
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        assert children, "dbt should be running as the nightly's child"
    finally:
        os.kill(proc.pid, signal.SIGKILL)  # only the nightly: its dbt child dies with it (PR_SET_PDEATHSIG)
        proc.wait()
    # the orphaned dbt is killed by the kernel at once, so no process keeps the warehouse locked
    wait_for(lambda: not any(Path(f"/proc/{c}").exists() for c in children), 10, "the dbt child to die")
    assert "[5/5] publish" not in log.read_text()
    assert published_contents(warehouse) == baseline.published

    again = run(nightly_args(tmp_path / "next", warehouse, raw, tmp_path / "dbt-next", "--run-id", "after-kill"))
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    after = published_contents(warehouse)
    assert after["publish_info"][0][0] == "after-kill"
    # the same data gives the same marts; the detection history gains exactly one run (the killed one wrote none)
    history = {"constraint_findings", "constraint_stage_signals"}
    assert {k: len(v) for k, v in after.items() if k not in history} == {
        k: len(v) for k, v in baseline.published.items() if k not in history
    }
    for name in history:
        assert len(after[name]) == 2 * len(baseline.published[name]) > 0, name
    assert snapshot_schemas(warehouse) == ["published_snapshot_after_kill"]


@pytest.mark.parametrize("point", ["publish.copying", "publish.before_gate", "publish.before_swap",
                                   "publish.in_swap"])
def test_killed_in_the_middle_of_publishing_leaves_published_untouched(baseline: Baseline, tmp_path: Path,
                                                                       point: str):
    _, warehouse = copy_baseline(baseline, tmp_path)
    marker = tmp_path / "reached"
    proc = subprocess.Popen(publish_args(tmp_path, warehouse), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=env(FLOWMETRICS_FAULTPOINT=point, FLOWMETRICS_FAULTPOINT_MARKER=str(marker)))
    try:
        wait_for(marker.exists, 180, f"the publish to reach {point}")
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert published_contents(warehouse) == baseline.published

    # the next run drops what the killed one left and publishes
    again = run(publish_args(tmp_path, warehouse) + ["--json"])
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    result = json.loads(again.stdout)["publish"]
    if point == "publish.copying":
        assert result["recovered"] == []  # the copy transaction never committed: nothing was left behind
    else:
        assert len(result["recovered"]) == 1  # the committed copy of the killed run
    assert published_contents(warehouse)["publish_info"][0][0] == result["run_id"]
    assert snapshot_schemas(warehouse) == [result["snapshot_schema"]]


def test_killed_after_the_swap_committed_shows_the_complete_new_run(baseline: Baseline, tmp_path: Path):
    _, warehouse = copy_baseline(baseline, tmp_path)
    marker = tmp_path / "reached"
    proc = subprocess.Popen(publish_args(tmp_path, warehouse) + ["--json"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True,
                            env=env(FLOWMETRICS_FAULTPOINT="publish.after_swap",
                                    FLOWMETRICS_FAULTPOINT_MARKER=str(marker)))
    try:
        wait_for(marker.exists, 180, "the publish to commit its swap")
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    after = published_contents(warehouse)
    new_run = after["publish_info"][0][0]
    assert new_run != baseline.run_id
    for name, rows in after.items():  # every relation is the new run's, with the same data as checked
        assert {r[-1] if name != "publish_info" else r[0] for r in rows} == {new_run}, name
        assert len(rows) == len(baseline.published[name])
    assert len(snapshot_schemas(warehouse)) == 2  # the old snapshot was not dropped yet
    again = run(publish_args(tmp_path, warehouse) + ["--json"])
    assert again.returncode == 0, again.stderr[-3000:]
    result = json.loads(again.stdout)["publish"]
    assert result["previous_run_id"] == new_run
    assert snapshot_schemas(warehouse) == [result["snapshot_schema"]]


def test_a_reader_looping_during_a_publish_never_sees_a_mix(baseline: Baseline, tmp_path: Path):
    _, warehouse = copy_baseline(baseline, tmp_path)
    out, stop = tmp_path / "reader.json", tmp_path / "stop"
    reader = subprocess.Popen([sys.executable, str(READER), str(warehouse), "600", str(out), str(stop)],
                              stderr=subprocess.PIPE, text=True, env=env())
    try:
        published = run(publish_args(tmp_path, warehouse) + ["--json"])
        time.sleep(0.5)  # the reader reads the new run a few times too
    finally:
        stop.touch()
        _, err = reader.communicate(timeout=120)
    assert reader.returncode == 0, err
    assert published.returncode == 0, published.stderr[-3000:]
    new_run = json.loads(published.stdout)["publish"]["run_id"]
    seen = json.loads(out.read_text())
    assert seen["runs"][0] == baseline.run_id
    assert seen["runs"][-1] == new_run  # the reader saw yesterday's complete set, then today's
    assert seen["reads"] > 10
