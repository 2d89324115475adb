"""The nightly's step registry, its lock, and usage errors (exit code 2) through the CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from flowmetrics import nightly
from flowmetrics.errors import FlowmetricsError
from tests.python.nightly.fake_hooks import detect_ok
from tests.python.nightly.helpers import CLI, run


def test_the_steps_run_in_the_documented_order():
    assert [s.name for s in nightly.STEPS] == ["ingest", "check-raw", "build", "check", "detect", "publish"]


def test_detect_is_skipped_when_the_package_does_not_provide_it(monkeypatch):
    monkeypatch.setattr(nightly, "DETECT_HOOK", ("flowmetrics.no_such_detection", "run_nightly_detect"))
    assert "not in this package version" in nightly.detect_skip_reason()


def test_detect_runs_through_its_hook_when_provided(monkeypatch, tmp_path: Path):
    monkeypatch.setattr(nightly, "DETECT_HOOK", ("tests.python.nightly.fake_hooks.detect_ok", "run_nightly_detect"))
    assert nightly.detect_skip_reason() is None
    log = nightly.RunLog(tmp_path / "run.log", None)
    ctx = nightly.NightlyContext(target="T", run_id="r-1", raw_dir=None, as_of=None, config=None,  # type: ignore[arg-type]
                                 report_dir=tmp_path, dbt_args=(), lock_timeout=1, log=log)
    summary, _ = nightly._detect(ctx)
    log.close()
    assert summary.startswith("code_review") and detect_ok.CALLS[-1]["run_id"] == "r-1"
    assert "detect: found code_review" in (tmp_path / "run.log").read_text()


def test_a_detect_module_that_fails_to_import_fails_loudly(monkeypatch):
    monkeypatch.setattr(nightly, "DETECT_HOOK", ("tests.python.nightly.fake_hooks.detect_broken", "x"))
    with pytest.raises(ImportError, match="dependency is missing"):
        nightly.detect_skip_reason()


def test_one_nightly_per_warehouse(tmp_path: Path):
    lock = tmp_path / "wh.duckdb.nightly.lock"
    with nightly.nightly_lock(lock):
        other = subprocess.run(
            [sys.executable, "-c", "from pathlib import Path\nfrom flowmetrics.nightly import nightly_lock\n"
             f"with nightly_lock(Path({str(lock)!r})): pass"],
            capture_output=True, text=True, check=False,
        )
        assert other.returncode != 0 and "another nightly run holds" in other.stderr
    with nightly.nightly_lock(lock):  # released on exit (and by the kernel when a holder dies)
        pass
    with pytest.raises(FlowmetricsError), nightly.nightly_lock(lock), nightly.nightly_lock(lock):
        pass


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
