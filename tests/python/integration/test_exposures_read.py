"""The flow report's exposure depends on exactly the relations `flowmetrics report` reads from schema `published`:
its reader runs on a copy of the demo warehouse whose `published` schema has a view per published relation, and
every relation it looks up there is recorded."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from flowmetrics.report.data import load_report_data
from flowmetrics.warehouse.connection import DuckDBConnection
from flowmetrics.warehouse.profile import resolve_target
from flowmetrics.warehouse.publish import INFO_VIEW, PUBLISHED_SCHEMA
from tests.python.test_exposures import depends_on

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def published_copy(demo_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo warehouse with schema published: a view per mart and the publish info the report starts from."""
    copy = tmp_path_factory.mktemp("exposures") / demo_warehouse.name
    shutil.copyfile(demo_warehouse, copy)
    con = duckdb.connect(str(copy))
    con.execute(f"create schema {PUBLISHED_SCHEMA}")
    marts = con.execute("select table_name from information_schema.tables where table_schema = 'main'").fetchall()
    for (name,) in marts:
        con.execute(f'create view {PUBLISHED_SCHEMA}."{name}" as select * from main."{name}"')
    con.execute(f"create view {PUBLISHED_SCHEMA}.{INFO_VIEW} as select 'run-1' as published_run_id, "
                "now() as published_at, as_of from main.dim_as_of")
    con.close()
    return copy


def test_the_flow_report_exposure_names_what_the_report_reads(published_copy: Path, monkeypatch):
    looked_up: set[str] = set()
    qualify, exists = DuckDBConnection.qualify, DuckDBConnection.relation_exists

    def record_qualify(self, schema, name=None):
        if schema == PUBLISHED_SCHEMA and name:
            looked_up.add(name)
        return qualify(self, schema, name)

    def record_exists(self, schema, name):
        if schema == PUBLISHED_SCHEMA:
            looked_up.add(name)
        return exists(self, schema, name)

    monkeypatch.setattr(DuckDBConnection, "qualify", record_qualify)
    monkeypatch.setattr(DuckDBConnection, "relation_exists", record_exists)
    data = load_report_data(resolve_target(None, published_copy))
    assert len(data.stage_daily) > 0 and len(data.work_item_finish) > 0
    refs, sources = depends_on("flow_report")
    assert looked_up - {INFO_VIEW} == refs | {table for _, table in sources}
    assert {source for source, _ in sources} == {"flowmetrics"}
