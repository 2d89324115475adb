"""The shipped profiles.yml and profiles.example.yml describe the same DuckDB, Postgres and Spark targets."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def outputs(name: str) -> dict:
    return yaml.safe_load((ROOT / name).read_text())["flowmetrics"]["outputs"]


def test_the_example_profile_keeps_in_step_with_the_shipped_one():
    shipped, example = outputs("profiles.yml"), outputs("profiles.example.yml")
    assert set(shipped) == {"duckdb", "postgres", "spark"}
    for target in shipped:
        assert example[target] == shipped[target], target


def test_the_postgres_target_reads_its_settings_from_the_environment(monkeypatch):
    from flowmetrics.warehouse.profile import resolve_target

    monkeypatch.setenv("FLOWMETRICS_PG_PORT", "6543")
    monkeypatch.setenv("FLOWMETRICS_PG_SCHEMA", "marts")
    monkeypatch.setenv("DBT_PROFILES_DIR", str(ROOT))
    target = resolve_target("postgres")
    assert (target.type, target.schema, int(target.settings["port"]), target.settings["host"]) == (
        "postgres", "marts", 6543, "127.0.0.1"
    )
