"""The package's mart registry, the dbt YAML and the exposures agree: every registered mart is a public,
contracted model whose description states its grain first, and the package's exposure lists exactly them."""

from __future__ import annotations

from pathlib import Path

import yaml

from flowmetrics.warehouse.marts import PUBLIC_MARTS

ROOT = Path(__file__).resolve().parents[2]


def mart_models() -> dict[str, dict]:
    models: dict[str, dict] = {}
    for path in sorted((ROOT / "models" / "marts").rglob("*.yml")):
        for model in yaml.safe_load(path.read_text()).get("models", []) or []:
            models[model["name"]] = model
    return models


def test_every_registered_mart_is_public_contracted_and_states_its_grain():
    models = mart_models()
    for name in PUBLIC_MARTS:
        assert name in models, f"{name} is registered but has no YAML under models/marts"
        model = models[name]
        assert model.get("access") == "public", name
        assert model.get("config", {}).get("contract", {}).get("enforced") is True, name
        assert model["description"].strip().startswith("One row"), name
        assert "one row" in PUBLIC_MARTS[name].lower(), name
        for column in model["columns"]:
            assert column.get("data_type"), (name, column["name"])
        assert any((ROOT / "models" / "marts").rglob(f"{name}.sql")), name


def test_every_public_mart_is_registered():
    public = {name for name, model in mart_models().items() if model.get("access") == "public"}
    assert public == set(PUBLIC_MARTS)


def test_the_python_package_exposure_depends_on_exactly_the_registered_marts():
    exposures = yaml.safe_load((ROOT / "models" / "marts" / "_exposures.yml").read_text())["exposures"]
    package = next(e for e in exposures if e["name"] == "flowmetrics_python_package")
    refs = {dep.removeprefix("ref('").removesuffix("')") for dep in package["depends_on"]}
    assert refs == set(PUBLIC_MARTS)
    for exposure in exposures:
        assert exposure["owner"]["name"] and exposure["depends_on"], exposure["name"]


FOUNDATION_MARTS = {"dim_as_of", "fct_stage_transitions", "fct_stage_visits", "fct_work_items"}


def test_every_column_of_the_finish_rate_flow_and_dora_marts_is_documented():
    models = mart_models()
    for name in set(PUBLIC_MARTS) - FOUNDATION_MARTS:
        for column in models[name]["columns"]:
            assert column.get("description", "").strip(), (name, column["name"])
