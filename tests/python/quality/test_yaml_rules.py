"""The gate's per-column checks of a mart come from the mart's dbt YAML: a rule added to or dropped from the YAML
changes the gate's check with it, and a snapshot that breaks a YAML rule fails the gate naming the check, the mart
and the column."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml

from flowmetrics.errors import DataQualityError
from flowmetrics.quality.config import QualityConfig
from flowmetrics.quality.registry import default_registry
from flowmetrics.quality.runner import SnapshotGate, raise_for_failures, run_checks
from flowmetrics.quality.suite import Layer, SuiteRegistry, model_suite, yaml_checks
from flowmetrics.quality.suites.experiments import SRM_CLEAN_MIN_P
from flowmetrics.quality.suites.flow import FCT_WORK_ITEMS
from flowmetrics.warehouse import dbt_yaml
from flowmetrics.warehouse.profile import resolve_target
from flowmetrics.warehouse.project import PROJECT_DIR
from flowmetrics.warehouse.publish import publish
from tests.python.quality.helpers import NOW, failed, gate

W = "fct_work_items"
FLOW_YAML = Path("models/marts/flow/_flow__models.yml")


def project_copy(tmp_path: Path) -> Path:
    """dbt_project.yml and models/ of the project, to edit a mart's YAML without touching the real one."""
    copy = tmp_path / "project"
    copy.mkdir()
    shutil.copy(PROJECT_DIR / "dbt_project.yml", copy / "dbt_project.yml")
    shutil.copytree(PROJECT_DIR / "models", copy / "models")
    return copy


def edit_column(project: Path, model: str, column: str, edit) -> None:
    path = project / FLOW_YAML
    properties = yaml.safe_load(path.read_text(encoding="utf-8"))
    [found] = [c for m in properties["models"] if m["name"] == model for c in m["columns"] if c["name"] == column]
    edit(found)
    path.write_text(yaml.safe_dump(properties, sort_keys=False), encoding="utf-8")


def own_checks():
    """The checks fct_work_items' suite states itself (what the YAML cannot say)."""
    derived = {c.id for c in yaml_checks(W, FCT_WORK_ITEMS.columns, FCT_WORK_ITEMS.key)}
    return tuple(c for c in FCT_WORK_ITEMS.checks if c.id not in derived)


def suite_from(project: Path):
    return model_suite(W, Layer.MART, columns=FCT_WORK_ITEMS.columns, key=FCT_WORK_ITEMS.key, checks=own_checks(),
                       volume=FCT_WORK_ITEMS.volume, project_dir=project)


def work_items(**changes) -> pd.DataFrame:
    frame = pd.DataFrame({
        "ticket_id": ["T1", "T2", "T3"],
        "team": ["a", "a", "b"],
        "created_at": pd.to_datetime(["2026-01-02", "2026-01-03", "2026-01-04"]),
        "started_at": pd.to_datetime(["2026-01-03", "2026-01-04", None]),
        "finished_at": pd.to_datetime(["2026-01-05", None, None]),
        "abandoned_at": pd.to_datetime([None, None, None]),
        "state": ["finished", "open", "open"],
        "lead_time_seconds": [259200.0, None, None],
        "cycle_time_seconds": [172800.0, None, None],
        "flow_efficiency": [0.5, None, None],
        "rework_count": [0, 1, 0],
        "current_stage_kind": ["done", "active", "queue"],
        "age_seconds": [None, 86400.0, 3600.0],
        "age_in_stage_seconds": [None, 3600.0, 3600.0],
    })
    for column, values in changes.items():
        frame[column] = values
    return frame


def run(warehouse: Path, *suites) -> object:
    registry = SuiteRegistry()
    registry.add(*suites)
    return run_checks(resolve_target(None, warehouse), config=QualityConfig(reference_time=NOW), registry=registry,
                      record=False)


def test_the_checks_of_a_mart_are_the_rules_of_its_yaml_with_the_ids_they_had():
    ids = {c.id: c for c in FCT_WORK_ITEMS.checks}
    states = dbt_yaml.model(W).column("state").rules
    [accepted] = [r.values for r in states if r.kind == "accepted_values"]
    assert ids[f"{W}.state.accepted_values"].threshold(None) == ", ".join(accepted) == "open, finished, abandoned"
    assert {f"{W}.ticket_id.not_null", f"{W}.ticket_id.unique", f"{W}.team.not_null", f"{W}.state.not_null",
            f"{W}.current_stage_kind.accepted_values"} <= set(ids)
    # the gate reads the columns of its checks; a YAML rule on a column it does not read stays dbt's
    assert f"{W}.ticket_key.not_null" not in ids and "ticket_key" not in FCT_WORK_ITEMS.columns
    suite = default_registry().get(W)
    assert suite.yaml_model == W and suite.checks == FCT_WORK_ITEMS.checks


def test_a_rule_added_to_or_dropped_from_the_yaml_changes_the_gates_checks(tmp_path: Path, make_warehouse):
    project = project_copy(tmp_path)
    assert {c.id for c in suite_from(project).checks} == {c.id for c in FCT_WORK_ITEMS.checks}

    def widen_states(column):  # a new state and, in the same edit, team may be null
        for test in column["data_tests"]:
            if isinstance(test, dict) and "accepted_values" in test:
                test["accepted_values"]["arguments"]["values"].append("parked")

    edit_column(project, W, "state", widen_states)
    edit_column(project, W, "team", lambda column: column.pop("constraints"))
    edit_column(project, W, "flow_efficiency", lambda column: column.update(constraints=[{"type": "not_null"}]))
    edited = suite_from(project)
    before, after = {c.id for c in FCT_WORK_ITEMS.checks}, {c.id for c in edited.checks}
    assert before - after == {f"{W}.team.not_null"}
    assert after - before == {f"{W}.flow_efficiency.not_null"}
    state = next(c for c in edited.checks if c.id == f"{W}.state.accepted_values")
    assert state.threshold(None) == "open, finished, abandoned, parked"

    parked = work_items(state=["finished", "open", "parked"], team=["a", None, "b"])
    wh = make_warehouse({f"main.{W}": parked})
    assert failed(run(wh, FCT_WORK_ITEMS)) == {f"{W}.state.accepted_values", f"{W}.team.not_null"}
    assert failed(run(wh, edited)) == {f"{W}.flow_efficiency.not_null"}  # open items have no flow efficiency


def test_a_snapshot_breaking_a_yaml_rule_fails_the_gate_naming_the_mart_and_column(make_warehouse):
    wh = make_warehouse({f"main.{W}": work_items()})
    assert not failed(gate(wh, W))
    broken = work_items(state=["finished", "open", "parked"], rework_count=[0, None, 0])
    report = gate(make_warehouse({f"main.{W}": broken}), W)
    assert failed(report) == {f"{W}.state.accepted_values", f"{W}.rework_count.not_null"}
    with pytest.raises(DataQualityError) as info:
        raise_for_failures(report)
    assert info.value.exit_code == 1
    message = str(info.value)
    assert f"{W}.state.accepted_values ({W}): state is one of open, finished, abandoned" in message
    assert f"{W}.rework_count.not_null ({W}): rework_count is never null" in message
    assert "ticket_id=T3, state=parked" in message and "ticket_id=T2, rework_count=None" in message


def test_an_experiment_is_clean_from_the_srm_p_value_the_project_var_sets(make_warehouse):
    assert SRM_CLEAN_MIN_P == dbt_yaml.project_var("srm_min_p_value") == 0.001
    frame = pd.DataFrame({
        "experiment_id": ["E1", "E2"], "team": ["a", "a"], "launched_at": pd.to_datetime(["2026-01-02"] * 2),
        "decided_at": pd.to_datetime([None, None]), "units_exposed": [100, 100],
        "srm_p_value": [SRM_CLEAN_MIN_P, SRM_CLEAN_MIN_P * 0.99], "measured_cleanly": [True, True],
        "is_finished": [False, False], "state": ["running", "running"], "measurement_issue": [None, None],
    })
    report = gate(make_warehouse({"main.fct_experiments": frame}), "fct_experiments")
    assert failed(report) == {"fct_experiments.clean_with_sample_ratio_mismatch"}
    bad = next(r for r in report.results if r.check_id == "fct_experiments.clean_with_sample_ratio_mismatch")
    assert [row["experiment_id"] for row in bad.sample] == ["E2"]


def scalar(warehouse: Path, query: str):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(query).fetchone()[0]
    finally:
        con.close()


@pytest.mark.slow
def test_publish_refuses_a_build_that_breaks_a_yaml_rule_and_keeps_what_was_published(
    demo_warehouse: Path, tmp_path: Path
):
    warehouse = tmp_path / "copy.duckdb"
    shutil.copy(demo_warehouse, warehouse)
    latest = pd.Timestamp(scalar(warehouse, "select latest_event_at from main.dim_as_of")).to_pydatetime()
    target = resolve_target(None, warehouse)
    config = QualityConfig(reference_time=latest + timedelta(hours=1))
    publish(target, run_id="first", gate=SnapshotGate(target, config=config, run_id="first"))
    raw_changes = scalar(warehouse, "select count(*) from raw.ticket_status_changes")
    con = duckdb.connect(str(warehouse))
    try:
        con.execute("update main.fct_stage_transitions set to_stage_kind = 'parked' "
                    "where change_id = (select min(change_id) from main.fct_stage_transitions)")
    finally:
        con.close()
    with pytest.raises(DataQualityError) as info:
        publish(target, run_id="second", gate=SnapshotGate(target, config=config, run_id="second"))
    assert info.value.exit_code == 1
    assert "fct_stage_transitions.to_stage_kind.accepted_values (fct_stage_transitions): to_stage_kind is one of" \
        in str(info.value)
    assert scalar(warehouse, "select count(*) from published.fct_stage_transitions "
                             "where to_stage_kind = 'parked'") == 0
    assert scalar(warehouse, "select count(*) from raw.ticket_status_changes") == raw_changes


def test_a_staged_change_loaded_twice_warns_as_its_yaml_says_and_does_not_block(make_warehouse):
    """stg_tickets__status_changes states its change_id unique with severity warn: the intermediate layer counts a
    change loaded twice once. The gate takes the severity from there."""
    changes = pd.DataFrame({
        "change_id": ["C1", "C1", "C2"], "ticket_id": ["T1", "T1", "T1"],
        "changed_at": pd.to_datetime(["2026-01-02", "2026-01-02", "2026-01-03"]),
        "to_status": ["In Progress", "In Progress", "Done"],
    })
    report = gate(make_warehouse({"main.stg_tickets__status_changes": changes}), "stg_tickets__status_changes")
    assert report.passed and not report.failures  # nothing blocks publishing
    [warning] = report.warnings
    assert warning.check_id == "stg_tickets__status_changes.change_id.unique" and warning.unexpected_count == 2
    assert [(r.check_id, r.status) for r in report.results if r.check_id.endswith("not_null")] == [
        ("stg_tickets__status_changes.change_id.not_null", "passed"),
        ("stg_tickets__status_changes.ticket_id.not_null", "passed"),
        ("stg_tickets__status_changes.changed_at.not_null", "passed"),
        ("stg_tickets__status_changes.to_status.not_null", "passed"),
    ]
