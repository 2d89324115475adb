"""The publish library on a copy of the baseline: what it refuses, its gate on the snapshot, and a warehouse file
named like a schema."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from flowmetrics.errors import PublishError
from flowmetrics.quality.config import QualityConfig
from flowmetrics.quality.runner import SnapshotGate
from flowmetrics.warehouse.profile import resolve_target
from flowmetrics.warehouse.publish import Publishable, publish, published_relations
from tests.python.nightly.helpers import REFERENCE_TIME, Baseline, published_contents, schemas

pytestmark = pytest.mark.slow


def copy(baseline: Baseline, tmp_path: Path, name: str = "wh.duckdb") -> Path:
    path = tmp_path / name
    shutil.copyfile(baseline.warehouse, path)
    return path


def test_a_warehouse_named_flowmetrics_duckdb_checks_and_publishes(baseline: Baseline, tmp_path: Path):
    """The file's catalog is then called flowmetrics, like the package's schema: names are catalog-qualified."""
    warehouse = copy(baseline, tmp_path, "flowmetrics.duckdb")
    target = resolve_target(None, warehouse)
    gate = SnapshotGate(target, config=QualityConfig(reference_time=baseline_now()), run_id="named-run")
    result = publish(target, run_id="named-run", gate=gate)
    assert gate.report is not None and gate.report.passed
    assert gate.report.snapshot_schema == result.snapshot_schema == "published_snapshot_named_run"
    assert result.previous_run_id == baseline.run_id and result.quality_run_id == "named-run"
    assert published_contents(warehouse)["publish_info"][0][0] == "named-run"
    con = duckdb.connect(str(warehouse), read_only=True)
    assert con.execute("select count(*) from flowmetrics.flowmetrics.quality_runs where run_id = 'named-run'"
                       ).fetchone()[0] == len(gate.report.results)
    con.close()


def baseline_now():
    return REFERENCE_TIME


def never_called(snapshot: str):
    raise AssertionError(f"the gate ran on {snapshot}, but publishing should have been refused before the copy")


def test_a_missing_required_mart_or_a_vanished_published_relation_is_refused(baseline: Baseline, tmp_path: Path):
    warehouse = copy(baseline, tmp_path)
    target = resolve_target(None, warehouse)
    con = duckdb.connect(str(warehouse))
    con.execute("drop table main.fct_work_items cascade")
    con.close()
    with pytest.raises(PublishError, match="required relation.*fct_work_items"):
        publish(target, run_id="r1", gate=never_called)
    optional = tuple(Publishable(p.name, p.layer, False) for p in published_relations())
    with pytest.raises(PublishError, match="no longer exist: fct_work_items"):
        publish(target, run_id="r2", gate=never_called, relations=optional)
    assert published_contents(warehouse) == baseline.published
    assert [s for s in schemas(warehouse) if s.startswith("published_snapshot_")] == [
        "published_snapshot_baseline_run"
    ]


def test_constraint_findings_written_by_detect_are_checked_before_they_are_published(baseline: Baseline,
                                                                                      tmp_path: Path):
    """Detect runs before publish: the gate on the snapshot checks what it wrote, published only when it passes."""
    from flowmetrics.errors import DataQualityError
    from flowmetrics.steps import nightly

    warehouse = copy(baseline, tmp_path)
    target = resolve_target(None, warehouse)
    config = QualityConfig(reference_time=baseline_now())
    log = nightly.RunLog(tmp_path / "run.log", None)
    ctx = nightly.NightlyContext(target, "f-run", None, None, config, tmp_path / "q", (), 30, log)
    con = duckdb.connect(str(warehouse))  # what detect writes, with a confidence out of range
    con.execute("insert into flowmetrics.constraint_findings (run_id, as_of, scope, confidence) "
                "values ('f-run', timestamp '2026-01-30 13:42:29', 'overall', 1.7)")
    con.close()
    with pytest.raises(DataQualityError, match="constraint_findings.confidence.rate_range"):
        nightly._publish(ctx)
    assert ctx.report is not None and ctx.report.snapshot_schema == "published_snapshot_f_run"
    assert published_contents(warehouse) == baseline.published
    assert [s for s in schemas(warehouse) if s.startswith("published_snapshot_")] == [
        "published_snapshot_baseline_run"
    ]

    con = duckdb.connect(str(warehouse))
    con.execute("update flowmetrics.constraint_findings set confidence = 0.97 where run_id = 'f-run'")
    con.close()
    summary, detail = nightly._publish(ctx)
    log.close()
    assert detail["relations"]["constraint_findings"] == len(baseline.published["constraint_findings"]) + 1
    assert {row[-1] for row in published_contents(warehouse)["constraint_findings"]} == {"f-run"}


def test_a_model_the_yaml_makes_public_is_published_and_required(baseline: Baseline, tmp_path: Path):
    """The registry follows the dbt YAML: made public, a model is copied, checked and swapped in; missing, it
    blocks the publish like any required mart."""
    from tests.python.docs.test_dbt_yaml import edit_model, project_copy

    name = "int_status_intervals_bounded"  # a table in dbt's schema that no reader sees until it is public
    project = project_copy(tmp_path / "project")
    edit_model(project, name, lambda model: model.update(access="public"))
    relations = published_relations(project)
    assert name not in {p.name for p in published_relations()}

    missing = copy(baseline, tmp_path, "missing.duckdb")
    con = duckdb.connect(str(missing))
    built = con.execute(f"select count(*) from main.{name}").fetchone()[0]
    con.execute(f"drop table main.{name}")
    con.close()
    with pytest.raises(PublishError, match=f"required relation.*{name}"):
        publish(resolve_target(None, missing), run_id="r-missing", gate=never_called, relations=relations)
    assert published_contents(missing) == baseline.published

    warehouse = copy(baseline, tmp_path)
    target = resolve_target(None, warehouse)
    gate = SnapshotGate(target, config=QualityConfig(reference_time=baseline_now()), run_id="r-public")
    result = publish(target, run_id="r-public", gate=gate, relations=relations)
    assert result.relations[name] == built > 0
    published = published_contents(warehouse)
    assert len(published[name]) == built and {row[-1] for row in published[name]} == {"r-public"}
    assert set(published) == set(baseline.published) | {name}
