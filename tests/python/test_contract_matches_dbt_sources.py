"""The raw contract is stated once in flowmetrics/contract.py; the dbt sources must declare the same tables,
columns and logical types, so dbt and the package never disagree on the input."""

from __future__ import annotations

from pathlib import Path

import yaml

from flowmetrics.contract import LOAD_STAMPS, TABLES

ROOT = Path(__file__).resolve().parents[2]
PACKAGE_SOURCES = {"flowmetrics"}  # what the package writes back (schema flowmetrics), not the raw contract


def contract_sources(path: Path) -> list[dict]:
    """The raw-contract sources a sources file declares: not the package's, not a connector's (a source adapter's
    sources carry `meta: {adapter: ...}` and declare the connector's own tables)."""
    return [source for source in yaml.safe_load(path.read_text())["sources"]
            if source["name"] not in PACKAGE_SOURCES and "adapter" not in (source.get("meta") or {})]


def declared_sources() -> dict[str, list[tuple[str, str]]]:
    tables: dict[str, list[tuple[str, str]]] = {}
    for path in sorted((ROOT / "models" / "staging").glob("*/_*__sources.yml")):
        for source in contract_sources(path):
            assert source["schema"] == "{{ var('raw_schema', 'raw') }}", path
            for table in source["tables"]:
                assert table["name"] not in tables, f"{table['name']} declared twice"
                tables[table["name"]] = [(c["name"], c["data_type"]) for c in table["columns"]]
    return tables


def test_every_contract_table_is_a_dbt_source_with_the_same_columns_and_types():
    sources = declared_sources()
    assert set(sources) == set(TABLES)
    for name, table in TABLES.items():
        assert sources[name] == [(c.name, c.type.value) for c in (*table.columns, *LOAD_STAMPS)], name


def test_only_the_load_stamps_are_marked_as_stamps():
    """raw_source reads a marked column as NULL when the table lacks it; a contract column must never be."""
    for path in (ROOT / "models" / "staging").glob("*/_*__sources.yml"):
        for source in contract_sources(path):
            for table in source["tables"]:
                marked = [c["name"] for c in table["columns"] if (c.get("meta") or {}).get("load_stamp")]
                assert marked == [c.name for c in LOAD_STAMPS], table["name"]


def test_required_columns_are_documented_as_required():
    for path in (ROOT / "models" / "staging").glob("*/_*__sources.yml"):
        for source in contract_sources(path):
            for table in source["tables"]:
                contract = TABLES[table["name"]]
                for column in table["columns"]:
                    documented = column.get("description", "").startswith("Required.")
                    assert documented == (column["name"] in contract.required_columns), (table["name"], column)
