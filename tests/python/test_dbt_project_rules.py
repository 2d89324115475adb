"""The rules dbt-project-evaluator checks that a YAML read can keep between its runs by hand (docs/testing.md): every
model is documented beside its file and has a primary-key test, base models live in a base/ folder, and every source
table has a load time checked for freshness or says why not. A rule the design breaks on purpose is justified in
the resource's meta, under `dbt_project_evaluator` and the evaluator's rule name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "models"
JUSTIFIED = "dbt_project_evaluator"


def justified(entry: dict[str, Any], rule: str) -> bool:
    return bool(((entry.get("meta") or {}).get(JUSTIFIED) or {}).get(rule))


def data_test_names(tests: list[Any] | None) -> set[str]:
    """The names of a list of data tests: `unique`, `not_null`, `flowmetrics.unique_combination`..."""
    return {t if isinstance(t, str) else next(iter(t)) for t in tests or []}


def model_entries() -> dict[str, tuple[Path, dict[str, Any]]]:
    entries: dict[str, tuple[Path, dict[str, Any]]] = {}
    for path in sorted(MODELS.rglob("*.yml")):
        for model in (yaml.safe_load(path.read_text()) or {}).get("models") or []:
            assert model["name"] not in entries, f"{model['name']} described twice"
            entries[model["name"]] = (path, model)
    return entries


def has_primary_key_test(model: dict[str, Any]) -> bool:
    if "flowmetrics.unique_combination" in data_test_names(model.get("data_tests")):
        return True
    columns = model.get("columns") or []
    return any({"unique", "not_null"} <= data_test_names(column.get("data_tests")) for column in columns)


def test_every_model_is_described_in_a_yaml_file_of_its_own_folder():
    entries = model_entries()
    problems = []
    for sql in sorted(MODELS.rglob("*.sql")):
        if sql.stem not in entries:
            problems.append(f"{sql.relative_to(ROOT)}: no YAML entry")
        elif entries[sql.stem][0].parent != sql.parent:
            problems.append(f"{sql.relative_to(ROOT)}: described in {entries[sql.stem][0].relative_to(ROOT)}")
        elif not entries[sql.stem][1].get("description"):
            problems.append(f"{sql.relative_to(ROOT)}: no description")
    assert not problems, "\n".join(problems)


def test_base_models_live_in_a_base_folder():
    misplaced = [str(p.relative_to(ROOT)) for p in MODELS.rglob("base_*.sql") if p.parent.name != "base"]
    assert not misplaced, "base models outside a base/ folder:\n" + "\n".join(misplaced)


def test_every_model_has_a_primary_key_test_or_says_why_it_has_no_key():
    untested = [f"{path.relative_to(ROOT)}: {name}" for name, (path, model) in model_entries().items()
                if not has_primary_key_test(model) and not justified(model, "fct_missing_primary_key_tests")]
    assert not untested, "models without unique + not_null on a column or unique_combination:\n" + "\n".join(untested)


def not_null_constrained(column: dict[str, Any]) -> bool:
    return any((c or {}).get("type") in ("not_null", "primary_key") for c in column.get("constraints") or [])


def test_a_models_not_null_constraints_are_tested_once_by_its_not_null_columns_test():
    """A column's never-null rule is its not_null constraint, checked for the whole model by one not_null_columns
    test (warehouses enforce a constraint only on contracted tables, and not all of them); a plain not_null test
    beside it would read the column a second time, unless it is the key's unique + not_null pair."""
    problems = []
    for name, (path, model) in model_entries().items():
        constrained = [c for c in model.get("columns") or [] if not_null_constrained(c)]
        has_test = "flowmetrics.not_null_columns" in data_test_names(model.get("data_tests"))
        if constrained and not has_test:
            problems.append(f"{path.relative_to(ROOT)}: {name} has not_null constraints and no not_null_columns test")
        if has_test and not constrained:
            problems.append(f"{path.relative_to(ROOT)}: {name} has a not_null_columns test and no constraint")
        problems += [f"{path.relative_to(ROOT)}: {name}.{c['name']} has a not_null constraint and a not_null test"
                     for c in constrained
                     if "not_null" in data_test_names(c.get("data_tests"))
                     and "unique" not in data_test_names(c.get("data_tests"))]
    assert not problems, "\n".join(problems)


def source_tables() -> list[tuple[Path, dict[str, Any], dict[str, Any]]]:
    return [(path, source, table)
            for path in sorted((MODELS / "staging").glob("*/_*__sources.yml"))
            for source in yaml.safe_load(path.read_text())["sources"]
            for table in source["tables"]]


def test_freshness_thresholds_are_set_once_in_the_project():
    project = yaml.safe_load((ROOT / "dbt_project.yml").read_text())
    assert project["sources"]["flowmetrics"]["+freshness"]["error_after"]["count"] > 0
    restated = [f"{path.relative_to(ROOT)}: {source['name']}.{table['name']}" for path, source, table in source_tables()
                if (table.get("freshness") or source.get("freshness"))]
    assert not restated, "freshness thresholds restated in a sources file:\n" + "\n".join(restated)


def test_every_source_table_has_its_freshness_checked_or_says_why_not():
    problems = []
    for path, source, table in source_tables():
        where = f"{path.relative_to(ROOT)}: {source['name']}.{table['name']}"
        off = "freshness" in table and table["freshness"] is None
        if off and not justified(table, "fct_sources_without_freshness"):
            problems.append(f"{where}: freshness: null without a reason in its meta")
        if not off and not (table.get("loaded_at_field") or source.get("loaded_at_field")):
            problems.append(f"{where}: no loaded_at_field for the project's freshness check")
    assert not problems, "\n".join(problems)
