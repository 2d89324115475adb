"""Read one raw file with DuckDB's own reader into a temporary staging table, typed, with row-level reasons.

The file streams through DuckDB (never through pandas). A staged row has ``_row`` (its position in the file),
every contract column in the contract type, the original text of parsed columns (``_raw_<column>``), and
``_reason``: why the row breaks the contract, or NULL. Lines the CSV parser cannot read go to a rejects table.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass

import duckdb

from flowmetrics.contract import EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, ColumnType
from flowmetrics.errors import RawContractError, WarehouseError
from flowmetrics.ingest import quarantine
from flowmetrics.ingest.lines import line_texts
from flowmetrics.ingest.schema_check import FileLayout
from flowmetrics.warehouse.sql import ident, literal


@dataclass(frozen=True)
class StageNames:
    """The temporary tables of one staged file."""

    rows: str
    scanned: str  # a CSV file as the reader gave it, in the file's order (before the conversions)
    rejects: str
    reject_scans: str
    rejected_lines: str
    spans: str  # CSV records over several physical lines (from the line census)
    skipped: str  # records the reader gives no row for: blank and unreadable lines
    broken: str  # records quarantined line by line: unreadable records and swallowed lines
    texts: str  # the file's own text of the broken records' lines

    @classmethod
    def of(cls, table: str) -> StageNames:
        return cls(
            *(
                f"_fm_{kind}_{table}"
                for kind in (
                    "stage", "scanned", "rejects", "reject_scans", "rejected", "spans", "skipped", "broken", "texts"
                )
            )
        )

    def all(self) -> tuple[str, ...]:
        return astuple(self)


@dataclass(frozen=True)
class Staged:
    layout: FileLayout
    names: StageNames
    rows_staged: int
    lines_rejected: int  # unreadable records (each quarantined line by line when it spans lines)
    lines_broken: int = 0  # physical lines quarantined one by one beyond one per broken record
    rows_swallowed: int = 0  # staged rows whose quote swallowed lines (quarantined line by line)

    @property
    def rows_read(self) -> int:
        return self.rows_staged + self.lines_rejected + self.lines_broken

    @property
    def unreadable_lines(self) -> int:
        """Physical lines quarantined as unreadable: rejected by the reader or swallowed by a quote."""
        return self.lines_rejected + self.rows_swallowed + self.lines_broken


def _line_breaks_sql(value: str) -> str:
    """How many line breaks (CRLF, LF or CR) a text value holds."""
    lf = f"replace({value}, chr(13) || chr(10), chr(10))"
    return f"(length({lf}) - length(replace(replace({lf}, chr(13), ''), chr(10), '')))"


def _has_break_sql(value: str) -> str:
    return f"(contains({value}, chr(10)) OR contains({value}, chr(13)))"


def _line_sql(layout: FileLayout) -> tuple[str, str]:
    """``_breaks`` (line breaks inside the row's values) and ``_swallow`` (the column a quote swallowed lines
    into, or NULL) over the reader's columns c0, c1, ...

    A key, status or timestamp never holds a line break; free text (a title, or a column outside the contract)
    may, unless a line after the break looks like a record of the file (as many commas as the header)."""
    columns = [ident(f"c{i}") for i in range(len(layout.file_columns))]
    breaks = " + ".join(f"CASE WHEN {_has_break_sql(c)} THEN {_line_breaks_sql(c)} ELSE 0 END" for c in columns)
    record_like = f"[\r\n]([^\r\n,]*,){{{len(columns) - 1}}}"
    strict = {s.alias: s.file_column for s in layout.sources if not s.column.free_text}
    cases = []
    for i, column in enumerate(columns):
        alias = f"c{i}"
        if alias in strict:
            cases.append(f"WHEN {_has_break_sql(column)} THEN {literal(strict[alias])}")
        else:
            test = f"{_has_break_sql(column)} AND regexp_matches({column}, {literal(record_like)})"
            cases.append(f"WHEN {test} THEN {literal(layout.file_columns[i])}")
    return breaks, f"CASE {' '.join(cases)} END"


def scan_sql(layout: FileLayout, names: StageNames) -> str:
    """The file as a relation of columns c0, c1, ... plus ``_row`` (its position in the file), ``_breaks`` and
    ``_swallow``: a Parquet file read by DuckDB's reader, a CSV file from the table ``read_csv_file`` filled."""
    raw_file = layout.raw_file
    if raw_file.fmt == "parquet":
        picks = ", ".join(f"{ident(s.file_column)} AS {ident(s.alias)}" for s in layout.sources)
        return (
            f"SELECT file_row_number + 1 AS _row, {picks}, 0 AS _breaks, CAST(NULL AS VARCHAR) AS _swallow "
            f"FROM read_parquet({literal(raw_file.path)}, file_row_number = true)"
        )
    # A new table's rowids number its rows in the order they were inserted, which is the file's (CREATE TABLE AS
    # keeps the reader's order under preserve_insertion_order, DuckDB's default), from an offset that depends on
    # the transaction; read_csv_file checks they run without a gap. Numbering the rows with row_number() OVER ()
    # in the reader's query would hold the reader and every conversion to one thread.
    scanned = f"temp.{ident(names.scanned)}"
    return f"SELECT rowid - (SELECT min(rowid) FROM {scanned}) + 1 AS _row, * FROM {scanned}"


def read_csv_file(con: duckdb.DuckDBPyConnection, layout: FileLayout, names: StageNames) -> None:
    """A CSV file into the temporary table ``names.scanned``, as text, in the file's order (the reader runs on
    every thread); unreadable lines go to the rejects table. Nothing to do for a Parquet file."""
    raw_file = layout.raw_file
    if raw_file.fmt == "parquet":
        return
    wanted = ", ".join(ident(s.alias) for s in layout.sources)
    columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(layout.file_columns)))
    reader = (
        f"read_csv({literal(raw_file.path)}, header = true, auto_detect = false, delim = ',', quote = '\"', "
        f"escape = '\"', strict_mode = true, null_padding = false, store_rejects = true, "
        f"rejects_table = {literal(names.rejects)}, rejects_scan = {literal(names.reject_scans)}, "
        f"columns = {{{columns}}})"
    )
    if layout.census is not None and not layout.census.span_records:
        # No record of the file spans lines, so no value holds a line break (stage checks the reader agrees).
        breaks, swallow = "0", "CAST(NULL AS VARCHAR)"
    else:
        breaks, swallow = _line_sql(layout)
    scanned = f"temp.{ident(names.scanned)}"
    con.execute(
        f"CREATE TEMP TABLE {scanned} AS SELECT {wanted}, {breaks} AS _breaks, {swallow} AS _swallow FROM {reader}"
    )
    numbered = con.execute(f"SELECT count(*), coalesce(max(rowid) - min(rowid) + 1, 0) FROM {scanned}").fetchone()
    if numbered is None or numbered[0] != numbered[1]:
        raise WarehouseError(
            f"{raw_file.name}: DuckDB numbered the {numbered[0] if numbered else 0:,} rows it read with gaps, so "
            "their lines in the file are unknown; nothing was loaded"
        )


def create_staged_rows(con: duckdb.DuckDBPyConnection, layout: FileLayout, names: StageNames) -> None:
    """The temporary table ``names.rows`` of ``stage_sql``, read from the file; the text scan is dropped after."""
    read_csv_file(con, layout, names)
    con.execute(f"CREATE TEMP TABLE {ident(names.rows)} AS {stage_sql(layout, names)}")
    con.execute(f"DROP TABLE IF EXISTS temp.{ident(names.scanned)}")


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
    converted = ", ".join(["_row", *typed_cols, *raw_cols, *blank_cols, "_breaks", "_swallow"])

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
    for order in table.not_before:
        if layout.source(order.column) is None or layout.source(order.earlier_column) is None:
            continue
        reasons.append(
            f"CASE WHEN {ident(order.column)} < {ident(order.earlier_column)} "
            f"THEN {literal(quarantine.before(order))} END"
        )
    reason = f"nullif(concat_ws('; ', {', '.join(reasons)}), '')" if reasons else "CAST(NULL AS VARCHAR)"
    reason = f"CASE WHEN _swallow IS NOT NULL THEN {literal(quarantine.UNREADABLE)} ELSE {reason} END"
    kept = ", ".join(
        [
            "_row",
            *(ident(c.name) for c in table.columns),
            *(ident(s.raw_column) for s in layout.sources if s.keeps_raw_text),
            "_breaks",
            "_swallow",
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
    """Read the file into temporary tables (staged rows and, for CSV, the unreadable records and the records
    to quarantine line by line), and check that every physical line of a CSV file is accounted for."""
    names = StageNames.of(layout.table.name)
    drop(con, names)
    create_staged_rows(con, layout, names)
    rows = ident(names.rows)
    found = con.execute(
        "SELECT count(*), coalesce(sum(_breaks), 0), count(*) FILTER (WHERE _swallow IS NOT NULL), "
        f"coalesce(sum(_breaks) FILTER (WHERE _swallow IS NOT NULL), 0) FROM {rows}"
    ).fetchone()
    staged, breaks, swallowed_rows, swallowed = found if found else (0, 0, 0, 0)
    if layout.census is None:
        return Staged(layout, names, staged, 0)
    lines = layout.census
    reason = quarantine.unreadable_line_sql(len(layout.file_columns))
    con.execute(
        f"CREATE TEMP TABLE {ident(names.rejected_lines)} AS SELECT line, string_agg(DISTINCT {reason}, '; ') "
        f"AS reason FROM {ident(names.rejects)} GROUP BY line"
    )
    con.execute(f"CREATE TEMP TABLE {ident(names.spans)} (record BIGINT, first_line BIGINT, last_line BIGINT)")
    if lines.span_records:
        con.execute(
            f"INSERT INTO {ident(names.spans)} SELECT unnest(?), unnest(?), unnest(?)",
            [list(lines.span_records), list(lines.span_first), list(lines.span_last)],
        )
    con.execute(
        f"CREATE TEMP TABLE {ident(names.skipped)} AS "
        "SELECT line, line - 2 - (row_number() OVER (ORDER BY line) - 1) AS accepted_before FROM ("
        f"SELECT line FROM {ident(names.rejected_lines)} UNION ALL SELECT unnest(CAST(? AS BIGINT[])) AS line)",
        [list(lines.blank_records)],
    )
    counted = con.execute(
        f"SELECT (SELECT count(*) FROM {ident(names.rejected_lines)}), "
        f"(SELECT coalesce(sum(last_line - first_line), 0) FROM {ident(names.spans)} "
        f" WHERE record NOT IN (SELECT line FROM {ident(names.rejected_lines)})), "
        f"(SELECT coalesce(sum(last_line - first_line), 0) FROM {ident(names.spans)} "
        f" WHERE record IN (SELECT line FROM {ident(names.rejected_lines)}))"
    ).fetchone()
    rejected, accepted_breaks, rejected_breaks = counted if counted else (0, 0, 0)
    if staged + rejected != lines.records or breaks != accepted_breaks:
        raise RawContractError(
            [
                f"{layout.raw_file.name}: ingest cannot account for every line: the CSV reader gave "
                f"{_count(staged, 'row')} and {_count(rejected, 'unreadable record')} over "
                f"{_count(staged + rejected + breaks, 'line')}, but the file holds {_count(lines.records, 'record')} "
                f"on {_count(lines.data_lines, 'line')} after the header"
            ]
        )
    staged_result = Staged(layout, names, staged, rejected, swallowed + rejected_breaks, swallowed_rows)
    _break_up(con, staged_result)
    return staged_result


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _record_of_row_sql(staged: Staged) -> str:
    """A staged row's record number (as DuckDB numbers lines: header = 1, blank and unreadable lines count)."""
    skipped = ident(staged.names.skipped)
    return f"(_row + 1 + (SELECT count(*) FROM {skipped} AS k WHERE k.accepted_before < _row))"


def _first_line_sql(staged: Staged, record: str) -> str:
    """The physical line (header = 1) where a record starts: records before it may span several lines."""
    census = staged.layout.census
    header_extra = census.header_lines - 1 if census else 0
    spans = ident(staged.names.spans)
    return (
        f"({record} + {header_extra} + coalesce((SELECT sum(p.last_line - p.first_line) FROM {spans} AS p "
        f"WHERE p.record < {record}), 0))"
    )


def _break_up(con: duckdb.DuckDBPyConnection, staged: Staged) -> None:
    """The records quarantined line by line (unreadable ones, and rows whose quote swallowed lines), with the
    text of each of their lines taken from the file."""
    names = staged.names
    spans, rows = ident(names.spans), ident(names.rows)
    con.execute(
        f"CREATE TEMP TABLE {ident(names.broken)} AS "
        "SELECT first_line, first_line + extra AS last_line, unclosed, reason, detail FROM ("
        f"  SELECT {_first_line_sql(staged, 'r.line')} AS first_line, "
        f"    coalesce((SELECT p.last_line - p.first_line FROM {spans} AS p WHERE p.record = r.line), 0) AS extra, "
        f"    false AS unclosed, r.reason, {quarantine.reader_detail_sql('r.reason')} AS detail "
        f"  FROM {ident(names.rejected_lines)} AS r "
        "  UNION ALL "
        f"  SELECT {_first_line_sql(staged, _record_of_row_sql(staged))}, _breaks, false, NULL, "
        f"    {quarantine.swallowed_into_sql('_swallow')} FROM {rows} WHERE _swallow IS NOT NULL)"
    )
    census = staged.layout.census
    if census is not None and census.unclosed_quote:
        con.execute(f"UPDATE {ident(names.broken)} SET unclosed = true WHERE last_line = ?", [census.lines])
    ranges = con.execute(f"SELECT first_line, last_line FROM {ident(names.broken)} ORDER BY 1").fetchall()
    con.execute(f"CREATE TEMP TABLE {ident(names.texts)} (line BIGINT, text VARCHAR)")
    for batch in line_texts(staged.layout.raw_file.path, ranges):
        numbers, texts = zip(*batch, strict=True)
        con.execute(
            f"INSERT INTO {ident(names.texts)} SELECT unnest(?), unnest(?)", [list(numbers), list(texts)]
        )


def quarantine_selects(staged: Staged) -> list[str]:
    """Queries yielding (row_number, row_text, reason) for everything of this file that goes to quarantine:
    rows with a reason as JSON of their values, and unreadable or swallowed lines one by one as the file's text."""
    layout = staged.layout
    rows = ident(staged.names.rows)
    selects = [
        f"SELECT {row_number_sql(staged)}, {row_text_sql(layout)}, _reason "
        f"FROM {rows} WHERE _reason IS NOT NULL AND _swallow IS NULL"
    ]
    if layout.census is not None:
        broken, texts = ident(staged.names.broken), ident(staged.names.texts)
        selects.append(
            f"SELECT t.line, t.text, {quarantine.broken_line_sql('b', 't.line')} "
            f"FROM {broken} AS b JOIN {texts} AS t ON t.line BETWEEN b.first_line AND b.last_line"
        )
    return selects


def row_number_sql(staged: Staged) -> str:
    """A staged row's line in the CSV file (header = line 1) where the row starts; Parquet: the 1-based row."""
    if staged.layout.census is None:
        return "_row"
    return _first_line_sql(staged, _record_of_row_sql(staged))


def row_text_sql(layout: FileLayout) -> str:
    """A staged row as JSON of its values as text, keyed by the file's column names."""
    pairs = ", ".join(f"{literal(s.file_column)}, {s.text_sql()}" for s in layout.sources)
    return f"CAST(json_object({pairs}) AS VARCHAR)"
