"""File-level contract checks: header or Parquet schema, required columns, and column types.

Everything here reports problems as messages naming the file, the column and what was expected; the caller
collects them all and raises one RawContractError, so a user fixes every file in one round.
"""

from __future__ import annotations

import csv
import gzip
from collections import Counter
from dataclasses import dataclass, replace

import duckdb

from flowmetrics.contract import Table
from flowmetrics.ingest.convert import ColumnSource, compatible
from flowmetrics.ingest.files import RawFile
from flowmetrics.ingest.lines import Census, census
from flowmetrics.warehouse.sql import ident, literal

_OTHER_DELIMITERS = {";": "';'", "\t": "tab", "|": "'|'"}


@dataclass(frozen=True)
class FileLayout:
    """How one file's columns map onto its contract table."""

    raw_file: RawFile
    table: Table
    file_columns: tuple[str, ...]  # in file order, as the header or schema names them
    file_types: tuple[str, ...]  # VARCHAR for every CSV column; the stored type for Parquet
    sources: tuple[ColumnSource, ...]  # the contract columns present, in contract order
    ignored_columns: tuple[str, ...]
    census: Census | None = None  # CSV: the file's physical lines, counted apart from DuckDB's reader

    def source(self, column: str) -> ColumnSource | None:
        return next((s for s in self.sources if s.name == column), None)

    @property
    def present(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.sources)


def check_file(
    raw_file: RawFile, table: Table, con: duckdb.DuckDBPyConnection
) -> tuple[FileLayout | None, list[str]]:
    """The file's layout, or None and the problems that make it unreadable against the contract."""
    name = raw_file.name
    try:
        size = raw_file.path.stat().st_size
    except OSError as exc:
        return None, [f"{name}: cannot be read: {exc.strerror}"]
    if size == 0:
        expected = "a Parquet file" if raw_file.fmt == "parquet" else "a header line naming the columns"
        return None, [f"{name}: the file is empty (0 bytes): expected {expected}"]
    if raw_file.fmt == "parquet":
        columns, types, problems = _parquet_schema(raw_file, con)
    else:
        columns, problems = _csv_header(raw_file, table)
        types = ["VARCHAR"] * len(columns)
    if problems:
        return None, problems
    layout, problems = _match(raw_file, table, tuple(columns), tuple(types))
    if layout is not None and raw_file.fmt == "csv":
        lines = census(raw_file.path)
        if lines.problems:
            return None, list(lines.problems)
        layout = replace(layout, census=lines)
    return layout, problems


def _csv_header(raw_file: RawFile, table: Table) -> tuple[list[str], list[str]]:
    name = raw_file.name
    try:
        header = next(csv.reader([_first_record(raw_file)]), None)
    except UnicodeDecodeError:
        return [], [f"{name}: the header line is not UTF-8 text"]
    except (OSError, EOFError) as exc:
        return [], [
            f"{name}: cannot be read ({exc}); is it a valid {'gzip' if name.endswith('.gz') else 'CSV'} file?"
        ]
    except csv.Error as exc:
        return [], [f"{name}: the header line cannot be parsed as CSV: {exc}"]
    if not header or all(not h.strip() for h in header):
        return [], [f"{name}: no header line: the first line is empty; expected {_expected_header(table)}"]
    known = {c.lower() for c in table.column_names}
    if not any(h.strip().lower() in known for h in header):
        first = ",".join(header)
        first = first if len(first) <= 80 else first[:77] + "..."
        hint = ""
        if len(header) == 1:
            hint = next(
                (
                    f" (it seems to use {label} as delimiter; the contract expects ',')"
                    for d, label in _OTHER_DELIMITERS.items()
                    if d in header[0]
                ),
                "",
            )
        return [], [
            f"{name}: no header line naming the columns: its first line {first!r} names none of the contract "
            f"columns{hint}; expected {_expected_header(table)}"
        ]
    return header, []


def _first_record(raw_file: RawFile, limit: int = 1 << 20) -> str:
    """The file's first CSV record as text (its lines up to a balanced quote); only these bytes are decoded,
    so a bad byte further down is a row-level problem, not a header problem."""
    opener = gzip.open if raw_file.name.endswith(".gz") else open
    data = b""
    with opener(raw_file.path, "rb") as fh:
        while len(data) < limit:
            line = fh.readline(limit)
            data += line
            if not line or data.count(b'"') % 2 == 0:
                break
    return data.decode("utf-8-sig").rstrip("\r\n")


def _expected_header(table: Table) -> str:
    return (
        f"a first line like {','.join(table.column_names)!r} (required: {', '.join(table.required_columns)})"
    )


def _parquet_schema(
    raw_file: RawFile, con: duckdb.DuckDBPyConnection
) -> tuple[list[str], list[str], list[str]]:
    try:
        rows = con.execute(f"DESCRIBE SELECT * FROM read_parquet({literal(raw_file.path)})").fetchall()
    except duckdb.Error as exc:
        first_line = str(exc).splitlines()[0]
        return [], [], [f"{raw_file.name}: not a readable Parquet file ({first_line})"]
    return [r[0] for r in rows], [r[1] for r in rows], []


def _match(
    raw_file: RawFile, table: Table, columns: tuple[str, ...], types: tuple[str, ...]
) -> tuple[FileLayout | None, list[str]]:
    name = raw_file.name
    problems: list[str] = []
    normalized = [c.strip().lower() for c in columns]
    for col, n in Counter(normalized).items():
        if n > 1 and col in {c.lower() for c in table.column_names}:
            problems.append(f"{name}: column {col} appears {n} times in the header: keep one")
    found = ", ".join(c if c.strip() else "(unnamed)" for c in columns)
    missing = [c for c in table.required_columns if c.lower() not in normalized]
    if missing:
        problems.append(
            f"{name}: missing required column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"(the file has columns: {found})"
        )
    sources: list[ColumnSource] = []
    for column in table.columns:
        if column.name.lower() not in normalized:
            continue
        index = normalized.index(column.name.lower())
        source = ColumnSource(column, columns[index], f"c{index}", types[index])
        if not compatible(column.type, source.source_type):
            problems.append(
                f"{name}: column {column.name}: expected {column.type.expectation}, "
                f"but the file stores it as {source.source_type}"
            )
        sources.append(source)
    if problems:
        return None, problems
    contract = {c.lower() for c in table.column_names}
    ignored = tuple(
        c if c.strip() else f"(unnamed column {i + 1})"
        for i, c in enumerate(columns)
        if normalized[i] not in contract
    )
    return FileLayout(raw_file, table, columns, types, tuple(sources), ignored), []


def type_problems(con: duckdb.DuckDBPyConnection, relation: str, layout: FileLayout) -> list[str]:
    """Columns of parsed text where no non-empty value converts to the contract type: a file-level type error.

    ``relation`` is the staged rows (a table name or a parenthesised query) with the raw text kept.
    """
    checked = [s for s in layout.sources if s.keeps_raw_text]
    if not checked:
        return []
    parts = []
    for s in checked:
        raw, typed = ident(s.raw_column), ident(s.name)
        nonblank = f"nullif(trim({raw}), '') IS NOT NULL"
        parts += [
            f"count(*) FILTER (WHERE {nonblank})",
            f"count({typed})",
            f"arg_min({raw}, _row) FILTER (WHERE {nonblank} AND {typed} IS NULL)",
        ]
    row = con.execute(f"SELECT {', '.join(parts)} FROM {relation}").fetchone()
    assert row is not None
    problems = []
    for i, s in enumerate(checked):
        nonblank, converted, example = row[3 * i], row[3 * i + 1], row[3 * i + 2]
        if nonblank and not converted:
            found = f"none of its {nonblank:,} values converts, e.g." if nonblank > 1 else "its one value"
            problems.append(
                f"{layout.raw_file.name}: column {s.name}: expected {s.column.type.expectation}, "
                f"but {found} {example!r}{' does not convert' if nonblank == 1 else ''}"
            )
    return problems
