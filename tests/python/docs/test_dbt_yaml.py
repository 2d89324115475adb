"""The dbt YAML read as data: public models, each column's rules (tests and constraints), sources and vars."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from flowmetrics.errors import ConfigError
from flowmetrics.warehouse import dbt_yaml

ROOT = Path(__file__).resolve().parents[3]


def project_copy(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "models", tmp_path / "models")
    shutil.copy(ROOT / "dbt_project.yml", tmp_path / "dbt_project.yml")
    return tmp_path


def edit_model(project: Path, name: str, edit) -> None:
    for path in sorted((project / "models").rglob("*.yml")):
        properties = yaml.safe_load(path.read_text())
        for model in (properties or {}).get("models") or []:
            if model["name"] == name:
                edit(model)
                path.write_text(yaml.safe_dump(properties, sort_keys=False))
                return
    raise AssertionError(f"no model {name}")


def test_public_models_are_the_models_whose_yaml_says_access_public():
    expected = set()
    for path in (ROOT / "models").rglob("*.yml"):
        for model in (yaml.safe_load(path.read_text()) or {}).get("models") or []:
            if model.get("access") == "public":
                expected.add(model["name"])
    assert {m.name for m in dbt_yaml.public_models(ROOT)} == expected
    assert "int_status_intervals_bounded" not in expected and "fct_work_items" in expected


def test_a_primary_key_constraint_gives_not_null_and_unique_and_tests_keep_their_values():
    transitions = dbt_yaml.model("fct_stage_transitions", ROOT)
    kinds = {(r.kind, r.origin) for r in transitions.column("change_id").rules}
    assert ("not_null", "constraint") in kinds and ("unique", "data_test") in kinds
    [accepted] = [r for r in transitions.column("from_stage_kind").rules if r.kind == "accepted_values"]
    assert accepted.values == ("queue", "active", "wait", "done", "abandoned", "unmapped")


def test_an_edited_yaml_file_is_read_again_and_where_and_severity_are_kept(tmp_path):
    project = project_copy(tmp_path)
    before = dbt_yaml.model("fct_work_items", project)
    assert before.is_public

    def make_private_with_a_warned_test(model):
        model["access"] = "private"
        model["columns"][0]["data_tests"] = [
            {"accepted_values": {"arguments": {"values": ["a", "b"]},
                                 "config": {"where": "state = 'open'", "severity": "warn"}}}]

    edit_model(project, "fct_work_items", make_private_with_a_warned_test)
    after = dbt_yaml.model("fct_work_items", project)
    assert not after.is_public
    assert "fct_work_items" not in {m.name for m in dbt_yaml.public_models(project)}
    [rule] = [r for r in after.columns[0].rules if r.kind == "accepted_values"]
    assert (rule.values, rule.where, rule.severity) == (("a", "b"), "state = 'open'", "warn")


def test_a_doc_call_to_a_missing_block_names_the_file_model_and_column(tmp_path):
    project = project_copy(tmp_path)
    edit_model(project, "fct_rework", lambda m: m["columns"][0].update(description="{{ doc('no_such_block') }}"))
    with pytest.raises(ConfigError, match=r"fct_rework, column .*no_such_block"):
        dbt_yaml.models(project)


def test_vars_and_sources_come_from_the_project_files():
    assert dbt_yaml.project_var("finish_rate_threshold", ROOT) == yaml.safe_load(
        (ROOT / "dbt_project.yml").read_text())["vars"]["finish_rate_threshold"]
    with pytest.raises(ConfigError, match="no var 'not_a_var'"):
        dbt_yaml.project_var("not_a_var", ROOT)
    assert ("flowmetrics", "constraint_findings") in {(t.source, t.name) for t in dbt_yaml.source_tables(ROOT)}


def test_meta_merges_the_config_block_and_the_top_level_block_as_dbt_does(tmp_path):
    project = project_copy(tmp_path)

    def both_blocks(model):
        model["meta"] = {"owner": "data team"}
        model.setdefault("config", {})["meta"] = {"publish": "optional"}

    edit_model(project, "fct_rework", both_blocks)
    assert dbt_yaml.model("fct_rework", project).meta == {"publish": "optional", "owner": "data team"}
    [findings] = [t for t in dbt_yaml.source_tables(ROOT) if t.name == "constraint_findings"]
    assert findings.meta["publish"] == "optional" and "dbt_project_evaluator" in findings.meta
