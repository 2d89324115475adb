"""One read of a DuckDB warehouse file for tests: a read-only connection, the query (values bound), closed again
so the next writer can open the file."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb
import pandas as pd


def query_df(warehouse: Path, sql: str, params: Sequence[object] | None = None) -> pd.DataFrame:
    """The rows of ``sql`` on the DuckDB file ``warehouse`` as a data frame."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, list(params or [])).df()
