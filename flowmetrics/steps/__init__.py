"""One module per command: the orchestration of that command (read, call the core, write), each a function of the
one resolved `Target` and plain arguments that returns a typed result. The CLI parses, calls one step, prints."""

from __future__ import annotations

import os
from pathlib import Path

from flowmetrics.warehouse.profile import Target, resolve_target
from flowmetrics.warehouse.project import DEFAULT_DUCKDB, DUCKDB_ENV


def warehouse_path(warehouse: Path | None) -> Path:
    """The DuckDB file a command works on: --warehouse, else env FLOWMETRICS_DUCKDB, else flowmetrics.duckdb."""
    return Path(warehouse or os.environ.get(DUCKDB_ENV) or DEFAULT_DUCKDB)


def command_target(target: str | None, warehouse: Path | None) -> Target:
    """The target a command works on, resolved once: a non-DuckDB target named without --warehouse has no file;
    otherwise the DuckDB file (see `warehouse_path`)."""
    if target and target != "duckdb" and warehouse is None:
        return resolve_target(target, None)
    return resolve_target(target, warehouse_path(warehouse))


def parse_time(text: str) -> str:
    """A time option (--as-of, --now) as 'YYYY-MM-DD HH:MM:SS[.ffffff]' UTC; a ValueError says what is accepted."""
    from flowmetrics.warehouse.dbt_runner import parse_timestamp

    return parse_timestamp(text).isoformat(sep=" ")
