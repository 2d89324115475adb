"""A domain switched off (var flowmetrics_<domain>_enabled: false) leaves its public marts out of what must be
published, as the build recorded it in int_domains_enabled; a mart missing from a domain that is on still stops
publishing."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowmetrics.errors import PublishError
from flowmetrics.warehouse.connection import open_connection
from flowmetrics.warehouse.dbt_yaml import public_models
from flowmetrics.warehouse.domains import DOMAINS_MODEL, switched_off_domains
from flowmetrics.warehouse.profile import resolve_target
from flowmetrics.warehouse.publish import _present, published_relations


def test_every_domain_mart_knows_its_domain_from_its_sql() -> None:
    domains = {m.name: m.domain for m in public_models()}
    assert domains["fct_experiments"] == domains["fct_experiment_finish_rate"] == "experiments"
    assert domains["fct_work_item_finish_rate"] == domains["fct_work_items"] == "flow"
    assert domains["fct_dora_weekly"] == domains["fct_deployments"] == "dora"
    assert domains["dim_as_of"] is None  # built whatever the switches say


@pytest.fixture()
def warehouse(tmp_path: Path):
    """Every required public mart present as an empty table but the experiment ones, as a build with experiments
    switched off leaves the target schema."""
    target = resolve_target(None, tmp_path / "wh.duckdb")
    con = open_connection(target, read_only=False)
    relations = published_relations()
    for p in relations:
        if p.layer == "mart" and p.domain != "experiments":
            con.execute(f"create table {con.qualify(target.schema, p.name)} (x integer)")
    yield target, con, relations
    con.close()


def _record(con, schema: str, experiments_on: bool) -> None:
    con.execute(f"create or replace table {con.qualify(schema, DOMAINS_MODEL)} as select * from (values "
                f"('flow', true), ('experiments', {str(experiments_on).lower()}), ('dora', true)) "
                "as t(domain_name, is_enabled)")


def test_a_switched_off_domain_is_not_required(warehouse) -> None:
    target, con, relations = warehouse
    _record(con, target.schema, experiments_on=False)
    assert switched_off_domains(con, target.schema) == {"experiments"}
    present, not_built = _present(con, target, relations, None)
    experiments = {p.name for p in relations if p.domain == "experiments"}
    assert len(experiments) >= 3 and experiments <= set(not_built)
    assert not experiments & set(present)
    # published before with the domain on: switched off, its marts leave `published` instead of failing as vanished
    previous = {"run_id": "r1", "relations": {name: {} for name in [*present, *experiments]}}
    again, _ = _present(con, target, relations, previous)
    assert set(again) == set(present)


@pytest.mark.parametrize("recorded", [True, False], ids=["domain-on", "no-record"])
def test_a_missing_mart_of_a_domain_that_is_on_stops_publishing(warehouse, recorded: bool) -> None:
    target, con, relations = warehouse
    if recorded:
        _record(con, target.schema, experiments_on=True)
    assert switched_off_domains(con, target.schema) == frozenset()
    with pytest.raises(PublishError, match="required relation.* missing: .*fct_experiments"):
        _present(con, target, relations, None)


def test_publish_and_report_with_experiments_switched_off(demo_warehouse: Path, tmp_path: Path) -> None:
    """The target schema as a build with experiments switched off leaves it (their marts absent, the record says
    off): publish succeeds without them, and the report reads the domain as empty and says why."""
    import shutil
    import subprocess
    import sys

    import duckdb

    warehouse = tmp_path / "wh.duckdb"
    shutil.copy(demo_warehouse, warehouse)
    experiments = sorted(m.name for m in public_models() if m.domain == "experiments")
    con = duckdb.connect(str(warehouse))
    try:
        for name in experiments:
            con.execute(f"drop table if exists main.{name}")
            con.execute(f"drop view if exists main.{name}")
        con.execute(f"update main.{DOMAINS_MODEL} set is_enabled = (domain_name <> 'experiments')")
    finally:
        con.close()
    cli = [sys.executable, "-m", "flowmetrics.cli"]
    published = subprocess.run([*cli, "publish", "--warehouse", str(warehouse)], capture_output=True, text=True,
                               check=False)
    assert published.returncode == 0, published.stdout[-2000:] + published.stderr[-2000:]
    assert f"not built (not published): {', '.join(experiments)}" in published.stdout
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        in_published = {t for (t,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'published'").fetchall()}
    finally:
        con.close()
    assert "fct_work_items" in in_published and not set(experiments) & in_published
    out = tmp_path / "report.html"
    report = subprocess.run([*cli, "report", "--warehouse", str(warehouse), "--out", str(out), "--replications", "2"],
                            capture_output=True, text=True, check=False)
    assert report.returncode == 0, report.stderr[-2000:]
    page = out.read_text(encoding="utf-8")
    assert "the experiments domain is switched off in this build (var flowmetrics_experiments_enabled)" in page
    assert "the dora domain is switched off" not in page
