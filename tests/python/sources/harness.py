"""The same simulated system landed two ways: through the raw contract (`flowmetrics ingest`) and as a connector lands
it (a source adapter's tables in their own schema), both built by the real dbt project, then compared fact for fact.

An adapter's fixture module turns the demo's contract frames into the connector's tables and says how a contract id
becomes the adapter's native id; `assert_same_facts` then maps the contract build's ids and compares the marts row
for row with the harness every engine check uses.
"""

from __future__ import annotations

import json
import shutil
import zlib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import duckdb
import numpy as np
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
# When the rows were loaded, not what they say: ingest's clock on one side, the connector's sync times on the other.
LINEAGE = ("source_loaded_at",)


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
        drop = [*SURROGATES.get(relation, ()), *LINEAGE, *ignore.get(relation, ())]
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


LONGEST_SYNC_DELAY = pd.Timedelta(hours=6)


class SyncClock:
    """When a connector loads a fixture's rows: a row written at an event's time is loaded after a random sync delay
    (one minute to LONGEST_SYNC_DELAY, to the microsecond, so no two rows share a load time), drawn from a generator
    seeded by `name`: a fixture is the same on every run."""

    def __init__(self, name: str) -> None:
        self._rng = np.random.default_rng(zlib.crc32(name.encode()))
        self._most = int(LONGEST_SYNC_DELAY / pd.Timedelta(microseconds=1))

    def __call__(self, at: object) -> pd.Timestamp:
        """The load time of one row written at `at`."""
        return pd.Timestamp(at) + pd.Timedelta(microseconds=int(self._rng.integers(60_000_000, self._most)))

    def rows(self, at: pd.Series) -> pd.Series:
        """The load times of rows written at `at` (same index)."""
        delays = self._rng.integers(60_000_000, self._most, size=len(at))
        return pd.to_datetime(at) + pd.Series(pd.to_timedelta(delays, unit="us"), index=at.index)


def utc_naive(values: pd.Series) -> pd.Series:
    """Timestamps as the warehouse's UTC without time zone (an aware series converted, a naive one kept)."""
    values = pd.to_datetime(pd.Series(values))
    if values.dt.tz is not None:
        values = values.dt.tz_convert("UTC").dt.tz_localize(None)
    return values.astype("datetime64[us]")


def latest_loads(tickets: Iterable[object], *rows: tuple[pd.Series, pd.Series]) -> pd.Series:
    """What an adapter's stg_<adapter>__ticket_loads must hold, computed from the landed frames: per ticket of
    `tickets` (native id, as text), the latest load time over the raw rows given as (ticket id, load time) columns."""
    ids = pd.concat([pd.Series(ticket_ids).astype(str) for ticket_ids, _ in rows], ignore_index=True)
    loads = pd.concat([utc_naive(loaded) for _, loaded in rows], ignore_index=True)
    latest = loads.groupby(ids).max()
    return latest[latest.index.isin({str(ticket) for ticket in tickets})].sort_index()


def ticket_loads(warehouse: Path, adapter: str) -> pd.Series:
    """An adapter's stg_<adapter>__ticket_loads as loaded_at by ticket_id (its ids checked unique)."""
    loads = read(warehouse, f"stg_{adapter}__ticket_loads")
    assert loads["ticket_id"].is_unique, loads[loads["ticket_id"].duplicated()].head()
    return utc_naive(loads.set_index("ticket_id")["loaded_at"]).sort_index()


def assert_ticket_loads(warehouse: Path, adapter: str, expected: pd.Series, deleted: Iterable[str] = ()) -> None:
    """stg_<adapter>__ticket_loads holds one row per ticket of stg_<adapter>__tickets plus the tickets deleted at the
    source, each with the latest load time of its raw rows (`expected`, from latest_loads); the fixture's load times
    are distinct enough that a wrong row or a wrong table read shows."""
    actual = ticket_loads(warehouse, adapter)
    staged = set(read(warehouse, f"stg_{adapter}__tickets")["ticket_id"].astype(str))
    deleted = set(deleted)
    assert not staged & deleted, sorted(staged & deleted)
    assert set(actual.index) == staged | deleted, sorted(set(actual.index) ^ (staged | deleted))[:10]
    assert expected.nunique() > len(expected) // 2, "the fixture must give the tickets distinct load times"
    different = actual.index[actual != expected.reindex(actual.index)]
    assert different.empty, pd.DataFrame({"actual": actual, "expected": expected}).loc[different].head(10)


def loads_after(warehouse: Path, workdir: Path, adapter: str, *statements: tuple[str, list[object]]) -> pd.Series:
    """stg_<adapter>__ticket_loads on a copy of a built warehouse after the statements changed its landed tables (as
    a later sync would): the staged view reads them, no rebuild needed."""
    copy = workdir / f"{adapter}-loads-{len(list(workdir.glob(f'{adapter}-loads-*')))}.duckdb"
    shutil.copy(warehouse, copy)
    with duckdb.connect(str(copy)) as con:
        for sql, params in statements:
            con.execute(sql, params)
    return ticket_loads(copy, adapter)
