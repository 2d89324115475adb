"""What a run leaves behind: quality.json, the self-contained quality.html linking to GX Data Docs, and rows in
flowmetrics.quality_runs."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd

from flowmetrics.quality.config import QualityConfig
from flowmetrics.quality.registry import default_registry
from flowmetrics.quality.runner import raise_for_failures, run_checks
from flowmetrics.quality.suite import SuiteRegistry
from flowmetrics.warehouse.profile import resolve_target
from tests.python.quality.helpers import NOW


def test_json_html_data_docs_and_quality_runs(make_warehouse, tmp_path: Path):
    weekly = pd.DataFrame({
        "week_start": pd.to_datetime(["2026-01-05"]), "service": ["api"], "environment": ["prod"],
        "deployments": [2], "deployment_days": [3], "failed_deployments": [1], "rolled_back_deployments": [0],
        "median_lead_time_seconds": [60.0], "change_failure_rate": [0.5], "median_time_to_restore_seconds": [None],
        "ai_assisted_change_failure_rate": [None], "not_ai_assisted_change_failure_rate": [0.5],
        "ai_assisted_deployments": [0], "not_ai_assisted_deployments": [2], "restore_source": ["deploy_status"],
    })
    warehouse = make_warehouse({"main.fct_dora_weekly": weekly})
    registry = SuiteRegistry()
    registry.add(default_registry().get("fct_dora_weekly"))
    report = run_checks(resolve_target(None, warehouse), config=QualityConfig(reference_time=NOW),
                        registry=registry, report_dir=tmp_path / "reports", run_id="out-1")
    assert [r.check_id for r in report.failures] == ["fct_dora_weekly.deployment_days.not_above_deployments"]
    data = json.loads(Path(report.json_path).read_text())
    assert data["passed"] is False and data["failures"] == ["fct_dora_weekly.deployment_days.not_above_deployments"]
    page = Path(report.html_path).read_text()
    assert "fct_dora_weekly.deployment_days.not_above_deployments" in page and "deployment_days=3" in page
    assert 'href="data_docs/validations/' in page and "<script" not in page
    assert Path(report.docs_path).exists()
    con = duckdb.connect(str(warehouse), read_only=True)
    rows = con.execute("select check_id, status, sample_json from flowmetrics.quality_runs where run_id = 'out-1' "
                       "and status = 'failed'").fetchall()
    con.close()
    assert rows[0][0] == "fct_dora_weekly.deployment_days.not_above_deployments"
    assert json.loads(rows[0][2])[0]["deployment_days"] == 3
    try:
        raise_for_failures(report)
    except Exception as exc:  # DataQualityError: exit code 1, names the check and a failing row
        assert getattr(exc, "exit_code", None) == 1
        assert "not_above_deployments" in str(exc) and "deployment_days=3" in str(exc)
    else:
        raise AssertionError("raise_for_failures did not raise")
