"""Per-column SQL: a file's value in the contract type, whether it is blank, and its text for quarantine.

CSV values arrive as VARCHAR. Parquet columns arrive in their stored type: a type that can hold the contract
type is converted natively, VARCHAR is parsed like CSV text, anything else is a file-level type error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flowmetrics.contract import Column, ColumnType
from flowmetrics.warehouse.sql import ident

TEXT = "VARCHAR"
NULL_TYPE = '"NULL"'  # a Parquet column with only nulls (pyarrow's null type)
INTEGER_TYPES = frozenset(
    {
        "TINYINT",
        "SMALLINT",
        "INTEGER",
        "BIGINT",
        "HUGEINT",
        "UTINYINT",
        "USMALLINT",
        "UINTEGER",
        "UBIGINT",
        "UHUGEINT",
    }
)
FLOAT_TYPES = frozenset({"FLOAT", "DOUBLE"})
NAIVE_TIME_TYPES = frozenset({"TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS", "DATE"})
ZONED_TIME_TYPE = "TIMESTAMP WITH TIME ZONE"

TRUE_WORDS = ("true", "t", "1", "yes")
FALSE_WORDS = ("false", "f", "0", "no")
_INTEGER_TEXT = r"[+-]?[0-9]+(\.0*)?"
_NUMBER_TEXT = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?"
# ISO-8601 as text: a date, optionally a time (minutes, seconds, fractions) and an offset (Z, +hh, +hhmm,
# +hh:mm). DuckDB's own cast also takes 'epoch', slashes, zone abbreviations and zone names: those are refused.
ISO_TIMESTAMP_TEXT = (
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"([Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)?)?"
)


def _is_decimal(source_type: str) -> bool:
    return re.fullmatch(r"DECIMAL\(\d+,\s*\d+\)", source_type) is not None


def compatible(contract_type: ColumnType, source_type: str) -> bool:
    """Whether a Parquet column stored as ``source_type`` can hold values of ``contract_type``."""
    if source_type in (TEXT, NULL_TYPE):
        return True
    numeric = source_type in INTEGER_TYPES or source_type in FLOAT_TYPES or _is_decimal(source_type)
    return {
        ColumnType.STRING: source_type in INTEGER_TYPES or source_type == "UUID",
        ColumnType.TIMESTAMP: source_type in NAIVE_TIME_TYPES or source_type == ZONED_TIME_TYPE,
        ColumnType.BOOLEAN: source_type == "BOOLEAN" or source_type in INTEGER_TYPES,
        ColumnType.INTEGER: numeric,
        ColumnType.DOUBLE: numeric,
    }[contract_type]


@dataclass(frozen=True)
class ColumnSource:
    """Where a contract column comes from in one file."""

    column: Column
    file_column: str  # its name in the file's header or schema
    alias: str  # its name in the scan (c0, c1, ...), safe whatever the header says
    source_type: str = TEXT  # as read: VARCHAR for CSV, the stored type for Parquet

    @property
    def name(self) -> str:
        return self.column.name

    @property
    def is_text(self) -> bool:
        return self.source_type == TEXT

    @property
    def keeps_raw_text(self) -> bool:
        """Text that must be parsed keeps its original string (for quarantine and the type check)."""
        return self.is_text and self.column.type is not ColumnType.STRING

    @property
    def raw_column(self) -> str:
        return f"_raw_{self.name}"

    def blank_sql(self) -> str:
        """True when the file holds no value (empty or whitespace-only text, or null)."""
        src = ident(self.alias)
        return f"(nullif(trim({src}), '') IS NULL)" if self.is_text else f"({src} IS NULL)"

    def typed_sql(self) -> str:
        """The value in the contract type, or NULL when it is blank or does not convert."""
        src = ident(self.alias)
        if self.source_type == NULL_TYPE:
            return f"CAST(NULL AS {self.column.type.duckdb_type})"
        if self.is_text:
            return _typed_from_text(self.column.type, src)
        return _typed_from_native(self.column.type, self.source_type, src)

    def text_sql(self) -> str:
        """The value as the file held it, as text (for row_text in quarantine), given the staged columns."""
        if self.keeps_raw_text:
            return ident(self.raw_column)
        return f"CAST({ident(self.name)} AS VARCHAR)"


def _typed_from_text(ctype: ColumnType, src: str) -> str:
    t = f"trim({src})"
    if ctype is ColumnType.STRING:
        return f"CASE WHEN nullif({t}, '') IS NULL THEN NULL ELSE {src} END"
    if ctype is ColumnType.TIMESTAMP:
        # Without an offset the session time zone (UTC) applies; with one DuckDB converts to UTC.
        tz = f"try_cast({t} AS TIMESTAMPTZ)"
        iso = f"regexp_full_match({t}, '{ISO_TIMESTAMP_TEXT}')"
        return f"CASE WHEN {iso} AND isfinite({tz}) THEN CAST({tz} AS TIMESTAMP) END"
    if ctype is ColumnType.BOOLEAN:
        low = f"lower({t})"
        trues = ", ".join(f"'{w}'" for w in TRUE_WORDS)
        falses = ", ".join(f"'{w}'" for w in FALSE_WORDS)
        return f"CASE WHEN {low} IN ({trues}) THEN true WHEN {low} IN ({falses}) THEN false END"
    if ctype is ColumnType.INTEGER:
        return (
            f"CASE WHEN regexp_full_match({t}, '{_INTEGER_TEXT}') "
            f"THEN try_cast(regexp_replace({t}, '\\.0*$', '') AS BIGINT) END"
        )
    num = f"try_cast({t} AS DOUBLE)"
    return f"CASE WHEN regexp_full_match({t}, '{_NUMBER_TEXT}') AND isfinite({num}) THEN {num} END"


def _typed_from_native(ctype: ColumnType, source_type: str, src: str) -> str:
    if ctype is ColumnType.STRING:
        return f"CAST({src} AS VARCHAR)"
    if ctype is ColumnType.TIMESTAMP:
        # A zoned timestamp becomes UTC through the session time zone; a naive one is UTC already.
        return f"CASE WHEN isfinite({src}) THEN CAST({src} AS TIMESTAMP) END"
    if ctype is ColumnType.BOOLEAN:
        if source_type == "BOOLEAN":
            return src
        return f"CASE WHEN {src} = 1 THEN true WHEN {src} = 0 THEN false END"
    if ctype is ColumnType.INTEGER:
        if source_type in INTEGER_TYPES:
            return f"try_cast({src} AS BIGINT)"
        whole = f"isfinite(CAST({src} AS DOUBLE)) AND {src} = trunc({src})"
        return f"CASE WHEN {whole} THEN try_cast({src} AS BIGINT) END"
    return f"CASE WHEN isfinite(CAST({src} AS DOUBLE)) THEN CAST({src} AS DOUBLE) END"
