"""The nightly's step registry, the warehouse's writer lock, and usage errors (exit code 2) through the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from flowmetrics.steps import detect as detection
from flowmetrics.steps import nightly
from flowmetrics.warehouse.lock import lock_path, warehouse_lock
from flowmetrics.warehouse.profile import Target
from tests.python.nightly.helpers import CLI, run


def test_the_steps_run_in_the_documented_order():
    """The gate runs inside publish, on the snapshot it swaps in: after detect, so it checks what detect wrote."""
    assert [s.name for s in nightly.STEPS] == ["ingest", "check-raw", "build", "detect", "publish"]


def test_the_detect_step_calls_constraint_detection_with_the_run_id(monkeypatch, tmp_path: Path):
    calls: list[dict] = []

    def fake_detect(*, target, run_id, log):
        calls.append({"target": target, "run_id": run_id})
        log("detect: found code_review")
        return "code_review is the constraint (0.97)"

    monkeypatch.setattr(detection, "run_nightly_detect", fake_detect)
    log = nightly.RunLog(tmp_path / "run.log", None)
    ctx = nightly.NightlyContext(target="T", run_id="r-1", raw_dir=None, as_of=None, config=None,  # type: ignore[arg-type]
                                 report_dir=tmp_path, dbt_args=(), lock_timeout=1, log=log)
    summary, _ = nightly._detect(ctx)
    log.close()
    assert summary == "code_review is the constraint (0.97)"
    assert calls == [{"target": "T", "run_id": "r-1"}]
    assert "detect: found code_review" in (tmp_path / "run.log").read_text()


def test_one_writer_per_warehouse_reentrant_within_a_process(tmp_path: Path):
    target = Target("duckdb", "duckdb", "main", tmp_path / "wh.duckdb")
    assert lock_path(target) == tmp_path / "wh.duckdb.flowmetrics.lock"
    other = [sys.executable, "-c",
             "import sys\nfrom pathlib import Path\nfrom flowmetrics.errors import FlowmetricsError\n"
             "from flowmetrics.warehouse.lock import warehouse_lock\n"
             "from flowmetrics.warehouse.profile import Target\n"
             f"target = Target('duckdb', 'duckdb', 'main', Path({str(target.path)!r}))\n"
             "try:\n"
             "    with warehouse_lock(target, 'build', 0.5):\n"
             "        print('got it')\n"
             "except FlowmetricsError as exc:\n"
             "    print(exc, file=sys.stderr)\n"
             "    sys.exit(exc.exit_code)\n"]
    with warehouse_lock(target, "nightly run r-1", 5):
        with warehouse_lock(target, "publish", 0):  # the nightly's steps run under its lock: no deadlock
            refused = subprocess.run(other, capture_output=True, text=True, check=False)
        assert refused.returncode == 1, refused.stderr
        assert f"pid {os.getpid()} (flowmetrics nightly run r-1, since " in refused.stderr
        assert "Waited 0.5s (--lock-timeout)" in refused.stderr
        assert "flowmetrics build changed nothing" in refused.stderr
    granted = subprocess.run(other, capture_output=True, text=True, check=False)  # released on exit
    assert granted.returncode == 0 and granted.stdout == "got it\n", granted.stderr


@pytest.mark.parametrize(
    "args, needle",
    [
        (["nightly", "--raw", "/nonexistent/raw", "--warehouse", "{tmp}/w.duckdb"], "/nonexistent/raw"),
        (["nightly", "--target", "nope"], "nope"),
        (["check", "--warehouse", "{tmp}/w.duckdb", "--config", "{tmp}/missing.yml"], "missing.yml"),
        (["check", "--warehouse", "{tmp}/w.duckdb", "--now", "yesterday-ish"], "yesterday-ish"),
        (["publish", "--warehouse", "{tmp}/w.duckdb", "--now", "not a time"], "not a time"),
    ],
)
def test_usage_errors_exit_2_with_a_message(tmp_path: Path, args: list[str], needle: str):
    result = run([*CLI, *(a.replace("{tmp}", str(tmp_path)) for a in args)])
    assert result.returncode == 2, result.stdout + result.stderr
    assert needle in result.stderr
    assert "Traceback" not in result.stderr
