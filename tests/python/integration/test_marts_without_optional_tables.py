"""Only the required raw tables (tickets, ticket_status_changes): the build passes and the experiment and DORA
marts (fct_incidents too) exist and are empty, while the flow and finish-rate marts are filled."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.slow


def test_absent_optional_tables_give_empty_experiment_and_dora_marts(
    tmp_path: Path, build_warehouse: Callable[..., None]
):
    from flowmetrics.ingest import ingest_directory, write_raw_tables
    from flowmetrics.simulation import generate_raw_tables

    raw = tmp_path / "raw"
    tables = generate_raw_tables(items=60, seed=21)
    write_raw_tables({name: tables[name] for name in ("tickets", "ticket_status_changes")}, raw)
    warehouse = tmp_path / "required_only.duckdb"
    ingest_directory(raw, warehouse)
    build_warehouse(warehouse, tmp_path)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        count = {
            name: con.execute(f"select count(*) from main.{name}").fetchone()[0]
            for name in (
                "fct_experiments", "fct_experiment_finish_rate", "fct_shipped_decisions", "fct_deployments",
                "fct_incidents", "fct_dora_weekly", "fct_dora_tiers", "fct_work_item_finish_rate", "fct_stage_daily",
                "fct_open_work_items", "fct_rework_rate",
            )
        }
    finally:
        con.close()
    for name in ("fct_experiments", "fct_experiment_finish_rate", "fct_shipped_decisions", "fct_deployments",
                 "fct_incidents", "fct_dora_weekly", "fct_dora_tiers"):
        assert count[name] == 0, name
    for name in ("fct_work_item_finish_rate", "fct_stage_daily", "fct_open_work_items", "fct_rework_rate"):
        assert count[name] > 0, name
