"""Write contract-shaped data frames as raw files (`generate`, tests, the benchmark).

CSV: ISO-8601 timestamps in UTC with `Z`, booleans true/false, empty for null. Parquet: the contract types,
timestamps stored as UTC instants. Text columns are written verbatim, so a caller can also write values that
break the contract on purpose.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pandas as pd

from flowmetrics.contract import FILE_SUFFIXES, TABLES, ColumnType
from flowmetrics.errors import ConfigError
from flowmetrics.warehouse.sql import ident, literal

FORMATS = {"csv": ".csv", "csv.gz": ".csv.gz", "parquet": ".parquet"}


def write_raw_tables(frames: dict[str, pd.DataFrame], out_dir: Path, fmt: str = "csv") -> dict[str, int]:
    """Write each frame as ``<table><suffix>`` in ``out_dir``; returns the rows written per table."""
    if fmt not in FORMATS:
        raise ConfigError(f"unknown raw file format {fmt!r}: use one of {', '.join(FORMATS)}")
    unknown = [name for name in frames if name not in TABLES]
    if unknown:
        raise ConfigError(
            f"not raw contract tables: {', '.join(unknown)}; the contract has {', '.join(TABLES)}"
        )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    suffix = FORMATS[fmt]
    for name in frames:
        others = [
            out_dir / f"{name}{s}" for s in FILE_SUFFIXES if s != suffix and (out_dir / f"{name}{s}").exists()
        ]
        if others:
            raise ConfigError(
                f"{others[0]} already exists: ingest would find two files for {name}; "
                "remove it or write elsewhere"
            )
    rows: dict[str, int] = {}
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET enable_progress_bar = false")
        for name, frame in frames.items():
            target = out_dir / f"{name}{suffix}"
            partial = target.with_name(target.name + ".partial")
            con.register("frame", frame)
            try:
                select = _select(con, name, fmt)
                options = "FORMAT parquet" if fmt == "parquet" else "FORMAT csv, HEADER true, DELIMITER ','"
                if fmt == "csv.gz":
                    options += ", COMPRESSION gzip"
                con.execute(f"COPY ({select}) TO {literal(partial)} ({options})")
            finally:
                con.unregister("frame")
            os.replace(partial, target)
            rows[name] = len(frame)
    return rows


def _select(con: duckdb.DuckDBPyConnection, name: str, fmt: str) -> str:
    """Contract columns first (in contract order, converted), then the frame's other columns as they are."""
    types = {c: t for c, t, *_ in con.execute("DESCRIBE frame").fetchall()}
    table = TABLES[name]
    picks = []
    for column in table.columns:
        if column.name not in types:
            continue
        picks.append(
            f"{_value(ident(column.name), column.type, types[column.name], fmt)} AS {ident(column.name)}"
        )
    contract = set(table.column_names)
    picks += [ident(c) for c in types if c not in contract]
    return f"SELECT {', '.join(picks) or '*'} FROM frame"


def _value(src: str, ctype: ColumnType, source_type: str, fmt: str) -> str:
    if source_type == "VARCHAR":
        return src  # verbatim: already text (valid or deliberately not)
    typed = f"CAST({src} AS {'TIMESTAMPTZ' if ctype is ColumnType.TIMESTAMP else ctype.duckdb_type})"
    if fmt == "parquet" or ctype is not ColumnType.TIMESTAMP:
        return typed
    utc = f"CAST({typed} AS TIMESTAMP)"
    return (
        f"CASE WHEN epoch_us({utc}) % 1000000 = 0 THEN strftime({utc}, '%Y-%m-%dT%H:%M:%SZ') "
        f"ELSE strftime({utc}, '%Y-%m-%dT%H:%M:%S.%fZ') END"
    )
