"""raw.quarantine: rows that break the contract, with the row as text and the reason; nothing is dropped.

The reasons are stable texts without the offending value (that is in ``row_text``), so they can be counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from flowmetrics.contract import (
    EARLIEST_TIMESTAMP,
    LATEST_TIMESTAMP,
    QUARANTINE_TABLE,
    RAW_SCHEMA,
    Column,
    NotBefore,
    RequiredWhen,
)
from flowmetrics.warehouse.sql import literal, qualified

QUARANTINE = qualified(RAW_SCHEMA, QUARANTINE_TABLE)
QUARANTINE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("ingest_run_id", "VARCHAR"),
    ("ingested_at", "TIMESTAMP"),
    ("table_name", "VARCHAR"),
    ("source_file", "VARCHAR"),
    ("row_number", "BIGINT"),  # CSV: the line (header = line 1); Parquet: the row, 1-based
    ("row_text", "VARCHAR"),  # JSON of the row's values as text, or the raw CSV line
    ("reason", "VARCHAR"),
)


def missing_value(column: Column) -> str:
    return f"{column.name}: missing required value"


def wrong_value(column: Column) -> str:
    return f"{column.name}: expected {column.type.expectation}"


def implausible_time(column: Column) -> str:
    return (
        f"{column.name}: outside the plausible range {EARLIEST_TIMESTAMP:%Y-%m-%d} to "
        f"{LATEST_TIMESTAMP:%Y-%m-%d} (UTC)"
    )


def not_accepted(column: Column) -> str:
    return f"{column.name}: not one of the accepted values ({', '.join(column.accepted_values or ())})"


def required_when(rule: RequiredWhen) -> str:
    return f"{rule.column}: required when {rule.when_column} is '{rule.when_value}'"


def before(rule: NotBefore) -> str:
    return f"{rule.column}: before {rule.earlier_column}"


def duplicate_in_file(key: tuple[str, ...], exact: bool) -> str:
    what = "repeats an earlier row exactly" if exact else "differs from the earlier row, which was kept"
    return f"duplicate key ({', '.join(key)}) in file: {what}"


def conflicts_with_loaded(key: tuple[str, ...]) -> str:
    return (
        f"key ({', '.join(key)}) conflicts with the already-loaded row: an append-only table keeps the row "
        "loaded first"
    )


UNREADABLE = "unreadable CSV line"


def reader_detail_sql(reason: str) -> str:
    """SQL: why the reader rejected a record, as a suffix to the reason of its first line."""
    return f"' (' || replace({reason}, {literal(UNREADABLE + ': ')}, '') || ')'"


def swallowed_into_sql(column: str) -> str:
    """SQL: the column a quote swallowed lines into, as a suffix to the reason of the record's first line."""
    return f"' into one value of ' || {column}"


def broken_line_sql(broken: str, line: str) -> str:
    """SQL: the reason of one physical line of a record quarantined line by line (``broken`` has first_line,
    last_line, unclosed, reason and detail). A one-line record keeps the reader's reason."""
    first, last = f"CAST({broken}.first_line AS VARCHAR)", f"CAST({broken}.last_line AS VARCHAR)"
    lines = f"{first} || '–' || {last}"
    return (
        f"CASE WHEN {broken}.first_line = {broken}.last_line THEN {broken}.reason "
        f"WHEN {line} = {broken}.first_line THEN {literal(UNREADABLE + ': a quote opened here swallowed lines ')} "
        f"|| {lines} || CASE WHEN {broken}.unclosed THEN ' and never closed' ELSE {broken}.detail END "
        f"ELSE {literal(UNREADABLE + ': swallowed by the quote opened at line ')} || {first} "
        f"|| ' (lines ' || {lines} || ')' END"
    )


def unreadable_line_sql(expected_fields: int) -> str:
    """SQL over a DuckDB rejects table: the reason for one unreadable CSV line."""
    n = expected_fields
    return (
        "CASE error_type "
        f"WHEN 'TOO MANY COLUMNS' THEN 'unreadable CSV line: too many fields (expected {n})' "
        f"WHEN 'MISSING COLUMNS' THEN 'unreadable CSV line: too few fields (expected {n})' "
        "WHEN 'UNQUOTED VALUE' "
        "THEN 'unreadable CSV line: unterminated quote or a quote inside an unquoted value' "
        "WHEN 'INVALID ENCODING' THEN 'unreadable CSV line: not valid UTF-8' "
        "WHEN 'LINE SIZE OVER MAXIMUM' THEN 'unreadable CSV line: longer than the maximum line size' "
        "ELSE 'unreadable CSV line: ' || lower(CAST(error_type AS VARCHAR)) END"
    )


@dataclass(frozen=True)
class RunContext:
    """What every quarantine row of one table in one run shares."""

    run_id: str
    ingested_at: datetime
    table: str
    source_file: str

    def prefix_sql(self) -> str:
        return (
            f"{literal(self.run_id)}, CAST({literal(self.ingested_at.isoformat())} AS TIMESTAMP), "
            f"{literal(self.table)}, {literal(self.source_file)}"
        )


def insert(con: duckdb.DuckDBPyConnection, ctx: RunContext, select_sql: str) -> None:
    """Append rows to raw.quarantine; ``select_sql`` yields (row_number, row_text, reason)."""
    cols = ", ".join(f'"{c}"' for c, _ in QUARANTINE_COLUMNS)
    con.execute(f"INSERT INTO {QUARANTINE} ({cols}) SELECT {ctx.prefix_sql()}, q.* FROM ({select_sql}) AS q")


def reasons_of_run(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> dict[str, int]:
    """How many rows of this table this run quarantined, per reason (most frequent first)."""
    rows = con.execute(
        f"SELECT reason, count(*) AS n FROM {QUARANTINE} WHERE ingest_run_id = ? AND table_name = ? "
        "GROUP BY reason ORDER BY n DESC, reason",
        [ctx.run_id, ctx.table],
    ).fetchall()
    return {reason: n for reason, n in rows}
