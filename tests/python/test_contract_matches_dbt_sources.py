"""The raw contract is stated once in flowmetrics/contract.py; the dbt sources must declare the same tables,
columns and logical types, so dbt and the package never disagree on the input."""

from __future__ import annotations

from pathlib import Path

import yaml

from flowmetrics.contract import TABLES

ROOT = Path(__file__).resolve().parents[2]
PACKAGE_SOURCES = {"flowmetrics"}  # what the package writes back (schema flowmetrics), not the raw contract


def is_contract_source(source: dict) -> bool:
    """Not what the package writes back, nor a connector's tables (their schema comes from var flowmetrics_sources)."""
    return source["name"] not in PACKAGE_SOURCES and "flowmetrics_sources" not in source["schema"]


def declared_sources() -> dict[str, list[tuple[str, str]]]:
    tables: dict[str, list[tuple[str, str]]] = {}
    for path in sorted((ROOT / "models" / "staging").glob("*/_*__sources.yml")):
        for source in yaml.safe_load(path.read_text())["sources"]:
            if not is_contract_source(source):
                continue
            assert source["schema"] == "{{ var('raw_schema', 'raw') }}", path
            for table in source["tables"]:
                assert table["name"] not in tables, f"{table['name']} declared twice"
                tables[table["name"]] = [(c["name"], c["data_type"]) for c in table["columns"]]
    return tables


def test_every_contract_table_is_a_dbt_source_with_the_same_columns_and_types():
    sources = declared_sources()
    assert set(sources) == set(TABLES)
    for name, table in TABLES.items():
        assert sources[name] == [(c.name, c.type.value) for c in table.columns], name


def test_required_columns_are_documented_as_required():
    for path in (ROOT / "models" / "staging").glob("*/_*__sources.yml"):
        for source in yaml.safe_load(path.read_text())["sources"]:
            if not is_contract_source(source):
                continue
            for table in source["tables"]:
                contract = TABLES[table["name"]]
                for column in table["columns"]:
                    documented = column.get("description", "").startswith("Required.")
                    assert documented == (column["name"] in contract.required_columns), (table["name"], column)
