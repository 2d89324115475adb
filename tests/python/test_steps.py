"""The steps layer's shared pieces: the one resolved target of a command, and readers that take it as given."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from flowmetrics.steps import command_target, warehouse_path
from flowmetrics.warehouse.dbt_runner import dbt_location
from flowmetrics.warehouse.marts import MartReader
from flowmetrics.warehouse.profile import Target

ROOT = Path(__file__).resolve().parents[2]


def test_a_non_duckdb_target_without_a_warehouse_has_no_file(monkeypatch):
    monkeypatch.setenv("DBT_PROFILES_DIR", str(ROOT))
    target = command_target("postgres", None)
    assert (target.name, target.type, target.path) == ("postgres", "postgres", None)
    assert dbt_location(target) == (None, "postgres")


def test_without_a_target_the_duckdb_file_is_the_warehouse_option_else_the_environment(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("DBT_PROFILES_DIR", str(ROOT))
    monkeypatch.setenv("FLOWMETRICS_DUCKDB", str(tmp_path / "env.duckdb"))
    assert warehouse_path(None) == tmp_path / "env.duckdb"
    given = command_target(None, tmp_path / "given.duckdb")
    assert (given.type, given.path) == ("duckdb", (tmp_path / "given.duckdb").resolve())
    assert dbt_location(given) == ((tmp_path / "given.duckdb").resolve(), None)
    assert command_target(None, None).path == (tmp_path / "env.duckdb").resolve()


def test_the_mart_reader_opens_the_target_it_is_given_without_reading_profiles(monkeypatch, tmp_path: Path):
    """A resolved target is the whole description: no profiles.yml is read again (here there is none)."""
    warehouse = tmp_path / "wh.duckdb"
    con = duckdb.connect(str(warehouse))
    con.execute("create schema marts")
    con.execute("create table marts.dim_as_of as select timestamp '2026-01-30 13:42:07' as as_of")
    con.close()
    monkeypatch.setenv("DBT_PROFILES_DIR", str(tmp_path / "no-profiles-here"))
    target = Target("prod", "duckdb", "marts", warehouse)
    with MartReader.open(target) as reader:
        assert reader.schema == "marts"
        assert str(reader.as_of()) == "2026-01-30 13:42:07"


def test_without_profiles_a_named_target_is_a_config_error(monkeypatch, tmp_path: Path):
    from flowmetrics.errors import ConfigError

    monkeypatch.setenv("DBT_PROFILES_DIR", str(tmp_path))
    with pytest.raises(ConfigError, match="no profiles.yml in"):
        command_target("prod", None)
