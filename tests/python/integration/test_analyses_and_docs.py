"""The analyses/ compile with dbt and answer their question on the demo warehouse; `dbt docs generate` works and
documents the exposures."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml

from flowmetrics.warehouse.project import PROJECT_DIR, dbt_env, dbt_executable

pytestmark = pytest.mark.slow

ANALYSES = sorted(p.stem for p in (PROJECT_DIR / "analyses").glob("*.sql"))


def dbt(command: str, warehouse: Path, workdir: Path, *args: str) -> None:
    """`dbt <command> [args]` (command may be two words, e.g. "docs generate") against the warehouse."""
    proc = subprocess.run(
        [dbt_executable(), *command.split(), "--project-dir", str(PROJECT_DIR), *args,
         "--target-path", str(workdir / "target"), "--log-path", str(workdir / "logs")],
        env=dbt_env(warehouse), cwd=PROJECT_DIR, capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


@pytest.fixture(scope="module")
def analysis_results(demo_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    workdir = tmp_path_factory.mktemp("analyses")
    dbt("compile", demo_warehouse, workdir, "--select", "resource_type:analysis")
    compiled = workdir / "target" / "compiled" / "flowmetrics" / "analyses"
    con = duckdb.connect(str(demo_warehouse), read_only=True)
    try:
        return {name: con.execute((compiled / f"{name}.sql").read_text()).df() for name in ANALYSES}
    finally:
        con.close()


def test_every_analysis_states_its_question_first():
    assert len(ANALYSES) >= 4
    for name in ANALYSES:
        first = (PROJECT_DIR / "analyses" / f"{name}.sql").read_text().splitlines()[0]
        assert first.startswith("-- Question: "), name


def test_every_analysis_runs_and_returns_rows(analysis_results: dict[str, pd.DataFrame]):
    for name, frame in analysis_results.items():
        assert len(frame) > 0, name


def test_finish_rate_audit(analysis_results: dict[str, pd.DataFrame]):
    audit = analysis_results["finish_rate_audit_last_90_days"]
    assert set(audit["subject"]) == {"work_items", "experiments"}
    assert audit["finish_rate"].between(0, 1).all()
    assert (audit["finished"] + audit["still_open"] <= audit["started"]).all()
    assert (audit["avg_started_days_ago"] <= 90).all()


def test_where_work_piles_up(analysis_results: dict[str, pd.DataFrame]):
    piles = analysis_results["where_work_piles_up"]
    assert piles["stage"].is_unique
    assert (piles["queue_wip_now"] <= piles["wip_now"]).all() and (piles["wip_now"] >= 0).all()
    assert list(piles["wip_now"]) == sorted(piles["wip_now"], reverse=True)


def test_ai_assisted_vs_not(analysis_results: dict[str, pd.DataFrame]):
    compare = analysis_results["ai_assisted_vs_not"].set_index("ai_assistance")
    assert {"ai_assisted", "not_ai_assisted"} <= set(compare.index)
    for column in ("finish_rate", "rework_rate", "change_failure_rate"):
        assert compare[column].dropna().between(0, 1).all(), column
    assert compare.loc["ai_assisted", "started"] > 0 and compare.loc["not_ai_assisted", "deployments"] > 0


def test_oldest_items_waiting_per_stage(analysis_results: dict[str, pd.DataFrame]):
    oldest = analysis_results["oldest_items_waiting_per_stage"]
    assert oldest["age_rank"].between(1, 5).all() and oldest["ticket_id"].is_unique
    for _, group in oldest.groupby("current_stage"):
        assert group.sort_values("age_rank")["days_in_stage"].is_monotonic_decreasing


def test_every_report_analysis_returns_its_documented_columns(analysis_results: dict[str, pd.DataFrame]):
    documented = yaml.safe_load((PROJECT_DIR / "analyses" / "_analyses.yml").read_text())["analyses"]
    assert {a["name"] for a in documented} == {name for name in ANALYSES if name.startswith("report_")}
    for analysis in documented:
        frame = analysis_results[analysis["name"]]
        assert list(frame.columns) == [c["name"] for c in analysis["columns"]], analysis["name"]
        assert len(frame) > 0, analysis["name"]
    finish = analysis_results["report_finish_rate"]
    assert set(finish["subject"]) == {"work_items", "experiments"} and finish["finish_rate"].between(0, 1).all()
    funnel = analysis_results["report_experiment_funnel"]["experiments"].tolist()
    assert funnel == sorted(funnel, reverse=True) and funnel[0] > 0


def test_docs_generate_documents_marts_and_exposures(demo_warehouse: Path, tmp_path: Path):
    dbt("docs generate", demo_warehouse, tmp_path)
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    catalog = json.loads((tmp_path / "target" / "catalog.json").read_text())
    exposures = {e["name"]: e for e in manifest["exposures"].values()}
    # the report, the Python API and the report's charts as SQL; tests/python/test_exposures.py checks what each reads
    assert set(exposures) == {"flow_report", "python_api", "report_charts_sql"}
    analyses = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "analysis"}
    report_sql = {dep for name, node in analyses.items() if name.startswith("report_")
                  for dep in node["depends_on"]["nodes"]}
    assert set(exposures["report_charts_sql"]["depends_on"]["nodes"]) == report_sql
    assert any(key.endswith(".fct_dora_weekly") for key in catalog["nodes"])
