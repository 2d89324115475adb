"""Open a DuckDB warehouse file: session time zone UTC, resource limits, and clear errors for locks and I/O.

DuckDB allows one writer or many read-only readers per file across processes; the lock error it raises is
turned into a ``WarehouseError`` that says which process holds the file, whether it reads or writes when that is
known, and what to do.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from flowmetrics.contract import RAW_SCHEMA
from flowmetrics.errors import ConfigError, WarehouseError

# DuckDB names a file's catalog after its stem: a stem equal to one of its own catalogs or to a schema the
# project writes makes names like raw.quarantine ambiguous.
_CLASHING_STEMS = ("main", "temp", "system", RAW_SCHEMA)
_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>\S+)(?: \(PID (?P<pid>\d+)\))?")
_READERS_ONLY = "would be able to open this database in read-only mode"  # DuckDB's hint: its read-lock probe passed


def connect(
    path: Path,
    read_only: bool = False,
    *,
    memory_limit: str | None = None,
    threads: int | None = None,
    temp_directory: Path | None = None,
) -> duckdb.DuckDBPyConnection:
    """A connection to the DuckDB file at ``path`` with TimeZone UTC (timestamps are stored as naive UTC).

    ``memory_limit`` (e.g. "4GB"), ``threads`` and ``temp_directory`` (where DuckDB spills when it exceeds the
    limit) are applied when given. A writable connection creates the file and its parent directory if needed.
    """
    path = Path(path)
    check_warehouse_path(path)
    if read_only and not path.exists():
        raise WarehouseError(
            f"warehouse {path} does not exist: run `flowmetrics ingest` and `flowmetrics build` first"
        )
    if not read_only:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WarehouseError(f"cannot create the directory of warehouse {path}: {exc.strerror}") from exc
    config: dict[str, str | bool | int | float | list[str]] = {}
    if memory_limit is not None:
        config["memory_limit"] = memory_limit
    if threads is not None:
        config["threads"] = threads
    if temp_directory is not None:
        config["temp_directory"] = str(temp_directory)
    try:
        con = duckdb.connect(str(path), read_only=read_only, config=config)
    except duckdb.Error as exc:
        raise WarehouseError(_explain(path, str(exc), read_only)) from exc
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET enable_progress_bar = false")  # never mix a progress bar into CLI output
    except duckdb.Error as exc:
        con.close()
        raise WarehouseError(f"cannot set the session time zone of {path} to UTC: {exc}") from exc
    return con


def check_warehouse_path(path: Path) -> None:
    """Refuse a DuckDB file name that DuckDB or dbt cannot work with, before anything opens it (ConfigError)."""
    if path.stem.lower() in _CLASHING_STEMS:
        raise ConfigError(
            f"warehouse {path}: DuckDB names the database after the file, and {path.stem!r} clashes with "
            f"DuckDB's own catalogs or the schemas flowmetrics writes ({', '.join(_CLASHING_STEMS)}); "
            "choose another file name"
        )


def _explain(path: Path, message: str, read_only: bool = False) -> str:
    """A one-line message for a DuckDB open error: the lock holder, a corrupt file, or the raw I/O error."""
    held = _LOCK_HOLDER.search(message)
    if "Could not set lock" in message or held:
        who = "another process"
        if held and held.group("pid"):
            who = f"another process ({held.group('program')}, PID {held.group('pid')})"
        if read_only or (held and _READERS_ONLY not in message):
            # only a write lock keeps out a reader, and DuckDB adds its hint whenever a read lock would be granted
            return (
                f"{who} holds a write lock on {path}: wait for it to finish (e.g. a running `dbt build` "
                "or ingest) and try again"
            )
        if _READERS_ONLY in message:
            return (
                f"{who} has {path} open read-only and holds a read lock on it; writing needs every reader to close "
                "the file first: wait for the readers to finish (or close them) and try again"
            )
        return f"{who} holds a lock on {path}: wait for it to finish and try again ({message})"
    if "not a valid DuckDB database file" in message:
        return f"{path} exists but is not a DuckDB database file: point --warehouse at a .duckdb file"
    if "newer version" in message or "older version" in message or "serialization" in message.lower():
        return f"{path} was written by a different DuckDB version: {message}"
    return f"cannot open warehouse {path}: {message}"
