"""The one quoting helper (flowmetrics.warehouse.sql) and the one run id: a name or value with a quote, a space or
a semicolon in it is data, never SQL."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from flowmetrics.warehouse.connection import DuckDBConnection
from flowmetrics.warehouse.profile import Target
from flowmetrics.warehouse.runs import new_run_id
from flowmetrics.warehouse.sql import ident, literal, qualified

HOSTILE = ['we"ird', "two words", 'x"; drop table keep; --', "it's", ""]


@pytest.mark.parametrize("name", HOSTILE)
def test_a_quoted_name_is_the_name_itself(name: str):
    con = duckdb.connect()
    con.execute("create table keep (n integer)")
    con.execute(f"create schema {ident('s ' + name)}")
    con.execute(f"create table {qualified('s ' + name, name or 'empty')} ({ident(name or 'c')} varchar)")
    con.execute(f"insert into {qualified('s ' + name, name or 'empty')} values ({literal(name)})")
    tables = con.execute("select table_schema, table_name from information_schema.tables order by 1, 2").fetchall()
    assert ("main", "keep") in tables
    assert ("s " + name, name or "empty") in tables
    assert con.execute(f"select * from {qualified('s ' + name, name or 'empty')}").fetchall() == [(name,)]


def test_a_literal_with_a_quote_and_a_statement_is_one_value():
    con = duckdb.connect()
    value = "x'); drop table keep; --"
    con.execute("create table keep (v varchar)")
    con.execute(f"insert into keep values ({literal(value)})")
    assert con.execute("select v from keep").fetchall() == [(value,)]
    assert literal(Path("/tmp/it's.csv")) == "'/tmp/it''s.csv'"


def test_a_connection_qualifies_names_through_the_same_helper(tmp_path: Path):
    warehouse = tmp_path / 'a "quoted"; file.duckdb'
    con = DuckDBConnection(Target("duckdb", "duckdb", "main", warehouse), read_only=False)
    try:
        schema = 'my "schema"'
        relation = con.qualify(schema, "t; drop")
        assert relation == ".".join(ident(p) for p in [con.catalog, schema, "t; drop"])
        con.execute(f"create schema {con.qualify(schema)}")
        con.execute(f"create table {relation} as select 1 as n")
        assert con.relation_exists('my "schema"', "t; drop")
    finally:
        con.close()


def test_run_ids_sort_by_their_utc_start_and_never_repeat():
    moment = datetime(2026, 1, 30, 13, 42, 7)
    ids = {new_run_id(moment) for _ in range(200)}
    assert len(ids) == 200
    assert all(re.fullmatch(r"20260130T134207Z-[0-9a-f]{8}", i) for i in ids)
    assert re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{8}", new_run_id())
