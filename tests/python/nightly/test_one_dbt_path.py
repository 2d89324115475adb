"""The nightly reaches dbt through the one path `flowmetrics build` takes (an earlier as-of gets its full refresh),
and a failed step's exit code is its error's own (flowmetrics.errors)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from flowmetrics.errors import DataQualityError, MartNotFoundError, WarehouseBusyError
from flowmetrics.quality.config import QualityConfig
from flowmetrics.steps import nightly
from flowmetrics.warehouse.profile import Target
from tests.python.nightly.helpers import Baseline, copy_baseline, nightly_args, published_contents, run


@pytest.mark.slow
def test_a_nightly_at_an_earlier_as_of_after_a_later_build_publishes_that_as_of(baseline: Baseline, tmp_path: Path,
                                                                                 dbt_dir: Path):
    """Replaying the past shrinks the marts on purpose, so the replay's gate only warns about the volume drop."""
    _, warehouse = copy_baseline(baseline, tmp_path)
    later = pd.Timestamp(baseline.published["publish_info"][0][2])
    earlier = (later - pd.Timedelta(days=10)).floor("D")
    config = tmp_path / "replay.yml"
    config.write_text("severity:\n  volume.row_counts: warn\n")
    result = run(nightly_args(tmp_path, warehouse, None, dbt_dir, "--as-of", earlier.isoformat(), "--run-id",
                              "earlier-run", "--config", str(config)))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "[3/5] build: ok" in output
    assert f"as-of {earlier.isoformat(sep=' ')} is before events already built" in output
    info = published_contents(warehouse)["publish_info"][0]
    assert info[0] == "earlier-run"
    assert pd.Timestamp(info[2]) == earlier
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        latest = con.execute("select max(entered_at) from main.fct_stage_visits").fetchone()
    finally:
        con.close()
    assert latest is not None and pd.Timestamp(latest[0]) <= earlier


def _failing(error: Exception) -> nightly.Step:
    def fail(ctx: nightly.NightlyContext) -> tuple[str, dict[str, object]]:
        raise error

    return nightly.Step("build", "fails", fail)


@pytest.mark.parametrize(
    "error, code",
    [
        (MartNotFoundError("mart main.fct_work_items does not exist"), 2),
        (DataQualityError(["fct_work_items.ticket_id.not_null"]), 1),
        (WarehouseBusyError("another writer holds it"), 1),
    ],
)
def test_a_failed_step_exits_with_its_errors_exit_code(tmp_path: Path, error: Exception, code: int):
    target = Target("duckdb", "duckdb", "main", tmp_path / "wh.duckdb")
    result = nightly.run_nightly(target, raw_dir=None, config=QualityConfig(), log_file=tmp_path / "run.log",
                                 report_dir=tmp_path / "q", steps=(_failing(error),))
    assert result.exit_code == code
    assert not result.published
    assert result.steps[0].status == "failed" and result.error == str(error)
    assert "[1/1] build: FAILED" in (tmp_path / "run.log").read_text()
