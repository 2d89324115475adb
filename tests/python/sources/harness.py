"""The same simulated system landed two ways: through the raw contract (`flowmetrics ingest`) and as a connector lands
it (a source adapter's tables in their own schema), both built by the real dbt project, then compared fact for fact.

An adapter's fixture module turns the demo's contract frames into the connector's tables and says how a contract id
becomes the adapter's native id; `assert_same_facts` then maps the contract build's ids and compares the marts row
for row with the harness every engine check uses.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import duckdb
import pandas as pd

from tests.harness.compare import differences

# The columns of each compared mart that hold an id the source prefixes (mapped in the contract build before
# comparing), and the key the comparison sorts by (natural keys: surrogate ids hash the prefixed ticket id).
FACT_IDS: dict[str, tuple[str, ...]] = {
    "fct_status_intervals": ("ticket_id",),
    "fct_work_items": ("ticket_id",),
    "fct_stage_visits": ("ticket_id",),
    "fct_deployments": ("deploy_id", "restored_by_deploy_id"),
}
FACT_KEYS: dict[str, tuple[str, ...]] = {
    "fct_status_intervals": ("ticket_id", "interval_number"),
    "fct_work_items": ("ticket_id",),
    "fct_stage_visits": ("ticket_id", "visit_sequence"),
    "fct_deployments": ("deploy_id",),
}
SURROGATES: dict[str, tuple[str, ...]] = {
    "fct_status_intervals": ("status_interval_id",),
    "fct_stage_visits": ("visit_id",),
}


def demo_frames(items: int = 250, seed: int = 11) -> dict[str, pd.DataFrame]:
    """The demo simulation's raw contract tables (small: a fixture build takes seconds)."""
    from flowmetrics.simulation import generate_raw_tables

    return generate_raw_tables(items=items, seed=seed)


def build(warehouse: Path, workdir: Path, sources: Iterable[Mapping[str, str]] | None = None,
          *extra: str, data_tests: bool = True) -> None:
    """`dbt build` of the project into `warehouse` with var flowmetrics_sources set to `sources` (default: the
    contract), dbt's target/ and logs/ in `workdir`. dbt's unit tests are left out (they do not read the data; the
    project's own build runs them), and so are the data tests when not `data_tests`."""
    from tests.python.conftest import dbt_build_into

    args = [*extra, "--exclude-resource-type", "unit_test"]
    if not data_tests:
        args += ["--exclude-resource-type", "test"]
    if sources is not None:
        args = ["--vars", json.dumps({"flowmetrics_sources": list(sources)}), *args]
    dbt_build_into(warehouse, workdir, *args)


def contract_warehouse(frames: Mapping[str, pd.DataFrame], workdir: Path) -> Path:
    """The frames written as contract CSVs, ingested and built: the reference build (its data tests are the
    contract path's own, run by the project's build: left out here)."""
    from flowmetrics.ingest import ingest_directory, write_raw_tables

    raw = workdir / "contract-raw"
    write_raw_tables(dict(frames), raw)
    warehouse = workdir / "contract.duckdb"
    ingest_directory(raw, warehouse)
    build(warehouse, workdir / "contract-dbt", data_tests=False)
    return warehouse


def land(warehouse: Path, schema: str, tables: Mapping[str, pd.DataFrame]) -> None:
    """Write connector tables into `schema` of a DuckDB file as the connector lands them (types from the frames)."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute(f'create schema if not exists "{schema}"')
        for name, frame in tables.items():
            con.register("landed", frame)
            con.execute(f'create or replace table "{schema}"."{name}" as select * from landed')
            con.unregister("landed")


def connector_warehouse(landed: Mapping[str, Mapping[str, pd.DataFrame]], sources: list[dict[str, str]],
                        workdir: Path, name: str = "connector") -> Path:
    """Connector tables landed per schema (`{schema: {table: frame}}`) and built with `sources`."""
    warehouse = workdir / f"{name}.duckdb"
    for schema, tables in landed.items():
        land(warehouse, schema, tables)
    build(warehouse, workdir / f"{name}-dbt", sources)
    return warehouse


def read(warehouse: Path, relation: str) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        schema = con.execute(
            "select table_schema from information_schema.tables where table_name = ? "
            "and table_schema not in ('published')", [relation]
        ).fetchone()
        assert schema is not None, f"{relation} is not in {warehouse}"
        return con.execute(f'select * from "{schema[0]}"."{relation}"').df()


def same_facts(contract: Path, connector: Path, map_id: Callable[[str, str], str],
               relations: Iterable[str] = ("fct_status_intervals", "fct_work_items", "fct_stage_visits"),
               ignore: Mapping[str, Iterable[str]] | None = None) -> dict[str, list[str]]:
    """Per mart, what differs between the contract build (its ids mapped by `map_id(column, contract_id)`) and the
    connector build; empty lists when they hold the same rows. `ignore` leaves named columns out per mart (say why
    at the call: a column the source cannot give)."""
    ignore = ignore or {}
    found: dict[str, list[str]] = {}
    for relation in relations:
        drop = [*SURROGATES.get(relation, ()), *ignore.get(relation, ())]
        expected = read(contract, relation).drop(columns=drop, errors="ignore")
        actual = read(connector, relation).drop(columns=drop, errors="ignore")
        for column in FACT_IDS[relation]:
            if column in expected:
                expected[column] = expected[column].map(lambda v, c=column: None if v is None or pd.isna(v)
                                                        else map_id(c, v))
        found[relation] = differences(expected, actual, FACT_KEYS[relation])
    return found


def assert_same_facts(contract: Path, connector: Path, map_id: Callable[[str, str], str], **kwargs) -> None:
    found = same_facts(contract, connector, map_id, **kwargs)
    problems = {relation: diffs for relation, diffs in found.items() if diffs}
    assert not problems, json.dumps(problems, indent=1, default=str)[:4000]
    for relation in found:
        assert len(read(connector, relation)), f"{relation} is empty: the comparison would prove nothing"
