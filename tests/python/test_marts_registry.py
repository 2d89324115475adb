"""What the package reads and what it publishes derive from the dbt YAML: every `access: public` model is a
registered mart (with the grain its description starts with) and is published, required unless its meta says
`publish: optional`; a table of source `flowmetrics` is published when its meta says so."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import yaml

from flowmetrics import api
from flowmetrics.errors import ConfigError
from flowmetrics.warehouse.dbt_yaml import grain_of, public_models, source_tables
from flowmetrics.warehouse.marts import MartReader, public_marts
from flowmetrics.warehouse.publish import Publishable, published_relations
from tests.python.docs.test_dbt_yaml import edit_model, project_copy

ROOT = Path(__file__).resolve().parents[2]
PRIVATE_MODEL = "int_status_intervals_bounded"


def mart_models() -> dict[str, dict]:
    models: dict[str, dict] = {}
    for path in sorted((ROOT / "models" / "marts").rglob("*.yml")):
        for model in yaml.safe_load(path.read_text()).get("models", []) or []:
            models[model["name"]] = model
    return models


def edit_source_table(project: Path, source: str, table: str, edit) -> None:
    for path in sorted((project / "models").rglob("*.yml")):
        properties = yaml.safe_load(path.read_text())
        for declared in (properties or {}).get("sources") or []:
            for found in declared.get("tables") or [] if declared["name"] == source else []:
                if found["name"] == table:
                    edit(found)
                    path.write_text(yaml.safe_dump(properties, sort_keys=False))
                    return
    raise AssertionError(f"no table {table} in source {source}")


def set_meta(**meta):
    def edit(node: dict) -> None:
        node.setdefault("config", {})["meta"] = meta

    return edit


def test_every_public_mart_is_contracted_and_states_its_grain():
    models = mart_models()
    for name, grain in public_marts().items():
        assert name in models, f"{name} is public but has no YAML under models/marts"
        model = models[name]
        assert model.get("config", {}).get("contract", {}).get("enforced") is True, name
        assert model["description"].strip().startswith("One row"), name
        assert grain.startswith("One row"), name
        for column in model["columns"]:
            assert column.get("data_type"), (name, column["name"])
        assert any((ROOT / "models" / "marts").rglob(f"{name}.sql")), name


def test_the_project_publishes_its_public_models_then_the_package_tables_its_yaml_marks():
    relations = published_relations()
    marts = [p.name for p in relations if p.layer == "mart"]
    package = [p.name for p in relations if p.layer == "flowmetrics"]
    assert marts == [m.name for m in public_models()] == list(public_marts()) == list(api.marts())
    assert package == sorted(t.name for t in source_tables() if t.source == "flowmetrics" and "publish" in t.meta)
    assert [p.name for p in relations] == [*sorted(marts), *sorted(package)]  # marts first, each in name order
    assert api.marts()["fct_work_items"] == grain_of(mart_models()["fct_work_items"]["description"])
    # the set and the optional ones as readers know them: 19 marts, the package's two detection tables and forecasts
    assert len(relations) == 22 and set(package) == {"constraint_findings", "constraint_stage_signals", "forecasts"}
    assert {p.name for p in relations if not p.required} == {
        "fct_constraint_queue", "constraint_findings", "constraint_stage_signals", "forecasts"}
    assert PRIVATE_MODEL not in marts


def test_a_model_made_public_in_a_project_copy_is_read_and_published_as_required(tmp_path: Path):
    project = project_copy(tmp_path)
    edit_model(project, PRIVATE_MODEL, lambda model: model.update(access="public"))
    grain = public_marts(project)[PRIVATE_MODEL]
    assert grain.startswith("One row") and PRIVATE_MODEL not in public_marts()
    assert Publishable(PRIVATE_MODEL, "mart", True, "flow") in published_relations(project)
    assert len(published_relations(project)) == len(published_relations()) + 1


def test_an_unregistered_relation_is_refused_by_the_reader(tmp_path: Path):
    path = tmp_path / "w.duckdb"
    duckdb.connect(str(path)).close()
    with MartReader.open(warehouse=path) as reader:
        assert reader.relation("fct_work_items") == '"w"."main"."fct_work_items"'
        with pytest.raises(KeyError, match=f"'{PRIVATE_MODEL}' is not a registered mart.*access: public"):
            reader.relation(PRIVATE_MODEL)


def test_meta_publish_says_which_relations_a_publish_requires(tmp_path: Path):
    project = project_copy(tmp_path)
    edit_model(project, "fct_work_items", set_meta(publish="optional"))
    edit_model(project, "fct_constraint_queue", set_meta())
    edit_source_table(project, "flowmetrics", "constraint_findings", set_meta(publish="required"))
    edit_source_table(project, "flowmetrics", "constraint_stage_signals", set_meta())
    required = {p.name: p.required for p in published_relations(project)}
    assert (required["fct_work_items"], required["fct_constraint_queue"], required["constraint_findings"]) == (
        False, True, True)
    assert "constraint_stage_signals" not in required  # a package table without the meta stays internal
    assert required.keys() - {"constraint_stage_signals"} <= {p.name for p in published_relations()}


@pytest.mark.parametrize(
    "edit, needle",
    [
        (lambda p: edit_model(p, "fct_work_items", set_meta(publish="sometimes")),
         r"models/marts/flow/_flow__models.yml: model fct_work_items sets meta publish: 'sometimes'; "
         r"use one of required, optional"),
        (lambda p: edit_model(p, PRIVATE_MODEL, set_meta(publish="required")),
         rf"model {PRIVATE_MODEL} sets meta publish but is not access: public"),
        (lambda p: edit_source_table(p, "tickets", "tickets", set_meta(publish="optional")),
         r"_tickets__sources.yml: source tickets, table tickets sets meta publish, but only tables of source "
         r"flowmetrics"),
    ],
    ids=["unknown-mode", "non-public-model", "raw-source-table"],
)
def test_a_wrong_publish_meta_is_a_config_error_naming_the_file_and_relation(tmp_path: Path, edit, needle: str):
    project = project_copy(tmp_path)
    edit(project)
    with pytest.raises(ConfigError, match=needle) as info:
        published_relations(project)
    assert info.value.exit_code == 2


FOUNDATION_MARTS = {"dim_as_of", "fct_stage_transitions", "fct_stage_visits", "fct_work_items"}


def test_every_column_of_the_finish_rate_flow_and_dora_marts_is_documented():
    models = mart_models()
    for name in set(public_marts()) - FOUNDATION_MARTS:
        for column in models[name]["columns"]:
            assert column.get("description", "").strip(), (name, column["name"])
