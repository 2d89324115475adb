"""Read one raw file with DuckDB's own reader into a temporary staging table, typed, with row-level reasons.

The file streams through DuckDB (never through pandas). A staged row has ``_row`` (its position in the file),
every contract column in the contract type, the original text of parsed columns (``_raw_<column>``), and
``_reason``: why the row breaks the contract, or NULL. Lines the CSV parser cannot read go to a rejects table.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from flowmetrics.contract import EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, ColumnType
from flowmetrics.ingest import quarantine
from flowmetrics.ingest.schema_check import FileLayout
from flowmetrics.ingest.sql import ident, literal


@dataclass(frozen=True)
class StageNames:
    """The temporary tables of one staged file."""

    rows: str
    rejects: str
    reject_scans: str
    rejected_lines: str

    @classmethod
    def of(cls, table: str) -> StageNames:
        return cls(
            f"_fm_stage_{table}", f"_fm_rejects_{table}", f"_fm_reject_scans_{table}", f"_fm_rejected_{table}"
        )

    def all(self) -> tuple[str, ...]:
        return (self.rows, self.rejects, self.reject_scans, self.rejected_lines)


@dataclass(frozen=True)
class Staged:
    layout: FileLayout
    names: StageNames
    rows_staged: int
    lines_rejected: int

    @property
    def rows_read(self) -> int:
        return self.rows_staged + self.lines_rejected


def scan_sql(layout: FileLayout, names: StageNames) -> str:
    """The file as a relation of columns c0, c1, ... plus ``_row``, read by DuckDB's CSV or Parquet reader."""
    raw_file = layout.raw_file
    wanted = ", ".join(ident(s.alias) for s in layout.sources)
    if raw_file.fmt == "parquet":
        picks = ", ".join(f"{ident(s.file_column)} AS {ident(s.alias)}" for s in layout.sources)
        return (
            f"SELECT file_row_number + 1 AS _row, {picks} "
            f"FROM read_parquet({literal(raw_file.path)}, file_row_number = true)"
        )
    columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(layout.file_columns)))
    reader = (
        f"read_csv({literal(raw_file.path)}, header = true, auto_detect = false, delim = ',', quote = '\"', "
        f"escape = '\"', strict_mode = true, null_padding = false, store_rejects = true, "
        f"rejects_table = {literal(names.rejects)}, rejects_scan = {literal(names.reject_scans)}, "
        f"columns = {{{columns}}})"
    )
    # With preserve_insertion_order (DuckDB's default) row_number() OVER () follows the file's order.
    return f"SELECT row_number() OVER () AS _row, {wanted} FROM {reader}"


def stage_sql(layout: FileLayout, names: StageNames) -> str:
    """The staged rows: typed contract columns, kept raw text, and the row's problems as ``_reason``."""
    table = layout.table
    typed_cols, raw_cols, blank_cols = [], [], []
    for column in table.columns:
        source = layout.source(column.name)
        if source is None:
            typed_cols.append(f"CAST(NULL AS {column.type.duckdb_type}) AS {ident(column.name)}")
            continue
        typed_cols.append(f"{source.typed_sql()} AS {ident(column.name)}")
        blank_cols.append(f"{source.blank_sql()} AS {ident('_blank_' + column.name)}")
        if source.keeps_raw_text:
            raw_cols.append(f"{ident(source.alias)} AS {ident(source.raw_column)}")
    converted = ", ".join(["_row", *typed_cols, *raw_cols, *blank_cols])

    reasons: list[str] = []
    for source in layout.sources:
        column, value, blank = source.column, ident(source.name), ident("_blank_" + source.name)
        if column.required:
            reasons.append(f"CASE WHEN {blank} THEN {literal(quarantine.missing_value(column))} END")
        if column.type is not ColumnType.STRING:
            reasons.append(
                f"CASE WHEN NOT {blank} AND {value} IS NULL "
                f"THEN {literal(quarantine.wrong_value(column))} END"
            )
        if column.type is ColumnType.TIMESTAMP:
            earliest, latest = (literal(t.isoformat()) for t in (EARLIEST_TIMESTAMP, LATEST_TIMESTAMP))
            reasons.append(
                f"CASE WHEN {value} < CAST({earliest} AS TIMESTAMP) OR {value} >= CAST({latest} AS TIMESTAMP) "
                f"THEN {literal(quarantine.implausible_time(column))} END"
            )
        if column.accepted_values:
            accepted = ", ".join(literal(v) for v in column.accepted_values)
            reasons.append(
                f"CASE WHEN {value} NOT IN ({accepted}) THEN {literal(quarantine.not_accepted(column))} END"
            )
    for rule in table.required_when:
        if layout.source(rule.when_column) is None:
            continue
        absent = "true" if layout.source(rule.column) is None else ident("_blank_" + rule.column)
        reasons.append(
            f"CASE WHEN {ident(rule.when_column)} = {literal(rule.when_value)} AND {absent} "
            f"THEN {literal(quarantine.required_when(rule))} END"
        )
    reason = f"nullif(concat_ws('; ', {', '.join(reasons)}), '')" if reasons else "CAST(NULL AS VARCHAR)"
    kept = ", ".join(
        [
            "_row",
            *(ident(c.name) for c in table.columns),
            *(ident(s.raw_column) for s in layout.sources if s.keeps_raw_text),
        ]
    )
    return (
        f"SELECT {kept}, {reason} AS _reason FROM ("
        f"SELECT {converted} FROM ({scan_sql(layout, names)}) AS scanned) AS converted"
    )


def drop(con: duckdb.DuckDBPyConnection, names: StageNames) -> None:
    for name in names.all():
        con.execute(f"DROP TABLE IF EXISTS temp.{ident(name)}")


def stage(con: duckdb.DuckDBPyConnection, layout: FileLayout) -> Staged:
    """Read the file into temporary tables (staged rows and, for CSV, the unreadable lines)."""
    names = StageNames.of(layout.table.name)
    drop(con, names)
    con.execute(f"CREATE TEMP TABLE {ident(names.rows)} AS {stage_sql(layout, names)}")
    staged = con.execute(f"SELECT count(*) FROM {ident(names.rows)}").fetchone()
    rejected = 0
    if layout.raw_file.fmt == "csv":
        reason = quarantine.unreadable_line_sql(len(layout.file_columns))
        con.execute(
            f"CREATE TEMP TABLE {ident(names.rejected_lines)} AS "
            "SELECT line, reason, csv_line, "
            "  line - 2 - (row_number() OVER (ORDER BY line) - 1) AS accepted_before "
            f"FROM (SELECT line, string_agg(DISTINCT {reason}, '; ') AS reason, "
            "        trim(first(csv_line), chr(10) || chr(13)) AS csv_line "
            f"      FROM {ident(names.rejects)} GROUP BY line)"
        )
        found = con.execute(f"SELECT count(*) FROM {ident(names.rejected_lines)}").fetchone()
        rejected = found[0] if found else 0
    return Staged(layout, names, staged[0] if staged else 0, rejected)


def row_number_sql(staged: Staged) -> str:
    """A staged row's line in the CSV file (header = line 1), counting the unreadable lines before it;
    exact unless an earlier value spans lines or blank lines precede it. Parquet: the 1-based row."""
    if staged.layout.raw_file.fmt == "parquet" or not staged.lines_rejected:
        return "_row + 1" if staged.layout.raw_file.fmt == "csv" else "_row"
    lines = ident(staged.names.rejected_lines)
    return f"_row + 1 + (SELECT count(*) FROM {lines} AS r WHERE r.accepted_before <= _row - 1)"


def row_text_sql(layout: FileLayout) -> str:
    """A staged row as JSON of its values as text, keyed by the file's column names."""
    pairs = ", ".join(f"{literal(s.file_column)}, {s.text_sql()}" for s in layout.sources)
    return f"CAST(json_object({pairs}) AS VARCHAR)"
