"""The tables of schema raw: one per contract table, raw.quarantine, raw.ingest_runs and raw.replacements.

Every contract table exists after an ingest (empty when its optional file never came), so dbt sources resolve.
A contract table holds the contract's columns plus the load stamps (contract.LOAD_STAMPS). A table written by an
older flowmetrics that lacks only load stamps gains them (NULL for the rows it holds); any other disagreement with
the contract is a warehouse error, not something to paper over.
"""

from __future__ import annotations

import duckdb

from flowmetrics.contract import LOAD_STAMPS, QUARANTINE_TABLE, RAW_SCHEMA, TABLES, Table
from flowmetrics.errors import WarehouseError
from flowmetrics.ingest.quarantine import QUARANTINE_COLUMNS
from flowmetrics.warehouse.sql import ident, literal, qualified

INGEST_RUNS_TABLE = "ingest_runs"
INGEST_RUNS_COLUMNS: tuple[tuple[str, str], ...] = (
    ("ingest_run_id", "VARCHAR"),
    ("table_name", "VARCHAR"),
    ("source_file", "VARCHAR"),  # NULL: the optional file was absent and the table left as it was
    ("load_mode", "VARCHAR"),
    ("rows_read", "BIGINT"),
    ("rows_inserted", "BIGINT"),
    ("rows_updated", "BIGINT"),
    ("rows_unchanged", "BIGINT"),
    ("rows_deleted", "BIGINT"),  # replace tables: loaded keys the new file no longer has
    ("rows_quarantined", "BIGINT"),
    ("ignored_columns", "VARCHAR"),  # comma-separated columns of the file that are not in the contract
    ("started_at", "TIMESTAMP"),
    ("finished_at", "TIMESTAMP"),
)
INGEST_RUNS = qualified(RAW_SCHEMA, INGEST_RUNS_TABLE)

REPLACEMENTS_TABLE = "replacements"
REPLACEMENTS_COLUMNS: tuple[tuple[str, str], ...] = (
    ("table_name", "VARCHAR"),  # a replace-mode contract table
    ("ingest_run_id", "VARCHAR"),  # the run whose ingest loaded this version
    ("previous_run_id", "VARCHAR"),  # the run that loaded the version it replaced; NULL: none (empty)
    ("state", "VARCHAR"),  # pending, accepted, restored or superseded (see flowmetrics.ingest.replacements)
    ("replaced_at", "TIMESTAMP"),
    ("settled_at", "TIMESTAMP"),
    ("settled_by_run_id", "VARCHAR"),
)
REPLACEMENTS = qualified(RAW_SCHEMA, REPLACEMENTS_TABLE)
PREVIOUS_SUFFIX = "__previous"


def raw_table(name: str) -> str:
    return qualified(RAW_SCHEMA, name)


def previous_table(name: str) -> str:
    """Where a pending replacement keeps the version of raw.<name> it overwrote."""
    return qualified(RAW_SCHEMA, name + PREVIOUS_SUFFIX)


def contract_columns(table: Table) -> tuple[tuple[str, str], ...]:
    """The columns of raw.<table>: the contract's, then the load stamps ingest writes."""
    return tuple((c.name, c.type.duckdb_type) for c in (*table.columns, *LOAD_STAMPS))


def stored_column_names(table: Table) -> tuple[str, ...]:
    return tuple(name for name, _ in contract_columns(table))


def _add_missing_stamps(con: duckdb.DuckDBPyConnection, name: str, have: dict[str, str]) -> None:
    """Evolve a contract table of an older flowmetrics: add the load stamps it lacks (NULL for its rows)."""
    if name not in TABLES:
        return
    for column in LOAD_STAMPS:
        if column.name not in have:
            con.execute(f"ALTER TABLE {raw_table(name)} ADD COLUMN {ident(column.name)} {column.type.duckdb_type}")
            have[column.name] = column.type.duckdb_type


def ensure_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create schema raw and any missing table; fail when an existing one has another shape."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {ident(RAW_SCHEMA)}")
    wanted = {name: contract_columns(t) for name, t in TABLES.items()}
    wanted[QUARANTINE_TABLE] = QUARANTINE_COLUMNS
    wanted[INGEST_RUNS_TABLE] = INGEST_RUNS_COLUMNS
    wanted[REPLACEMENTS_TABLE] = REPLACEMENTS_COLUMNS
    existing: dict[str, dict[str, str]] = {}
    for table_name, column, data_type in con.execute(
        "SELECT table_name, column_name, data_type FROM duckdb_columns() "
        f"WHERE database_name = current_database() AND schema_name = {literal(RAW_SCHEMA)}"
    ).fetchall():
        existing.setdefault(table_name, {})[column] = data_type
    problems = []
    for name, columns in wanted.items():
        if name not in existing:
            spec = ", ".join(f"{ident(c)} {t}" for c, t in columns)
            con.execute(f"CREATE TABLE {raw_table(name)} ({spec})")
            continue
        have = existing[name]
        _add_missing_stamps(con, name, have)
        bad = [f"{c} {t} (has {have.get(c, 'no such column')})" for c, t in columns if have.get(c) != t]
        if bad:
            problems.append(f"{RAW_SCHEMA}.{name}: expected {', '.join(bad)}")
    if problems:
        raise WarehouseError(
            "the warehouse's raw tables do not match the contract (created by another tool or an older "
            "flowmetrics?); nothing was loaded:\n" + "\n".join(f"  - {p}" for p in problems)
        )
