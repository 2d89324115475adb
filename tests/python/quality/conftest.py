"""Small synthetic warehouses for the suites: data frames written into a temporary DuckDB file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd
import pytest


@pytest.fixture
def make_warehouse(tmp_path: Path) -> Callable[[dict[str, pd.DataFrame]], Path]:
    """{"main.fct_x": frame, "raw.tickets": frame} -> a DuckDB file holding those tables (and a dim_as_of)."""

    def make(tables: dict[str, pd.DataFrame], with_as_of: bool = True) -> Path:
        path = tmp_path / "synthetic.duckdb"
        path.unlink(missing_ok=True)
        if with_as_of and "main.dim_as_of" not in tables:
            as_of = pd.Timestamp("2026-01-31")
            tables = {**tables, "main.dim_as_of": pd.DataFrame({"as_of": [as_of], "latest_event_at": [as_of]})}
        con = duckdb.connect(str(path))
        try:
            for qualified, frame in tables.items():
                schema, name = qualified.split(".")
                con.execute(f'create schema if not exists "{schema}"')
                con.register("frame", frame)
                con.execute(f'create or replace table "{schema}"."{name}" as select * from frame')
                con.unregister("frame")
        finally:
            con.close()
        return path

    return make
