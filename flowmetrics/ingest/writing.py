"""Open the warehouse for ingest's writes, waiting for DuckDB's file lock, and turn a failed write (a lock held
past the timeout, a full disk, an OS error) into an error that names the file and says nothing changed."""

from __future__ import annotations

import contextlib
import errno
from pathlib import Path

import duckdb

from flowmetrics.errors import FlowmetricsError, WarehouseError, WarehouseWriteError
from flowmetrics.warehouse.profile import Target

_DISK_FULL = ("no space left on device", "max_temp_directory_size", "disk quota exceeded")


def open_waiting(warehouse: Path, lock_timeout: float, *, existed: bool, who: str) -> duckdb.DuckDBPyConnection:
    """A read-write connection, waiting up to ``lock_timeout`` seconds for DuckDB's file lock with the helper
    the gate and publish use. ``who`` names the writer and the file in messages ("ingest into <file>")."""
    from flowmetrics.warehouse.package_tables import open_writer

    try:
        connection = open_writer(Target("duckdb", "duckdb", "main", warehouse), lock_timeout)
    except BaseException as exc:
        if not existed:
            remove_created(warehouse)
        error = write_error(exc, warehouse, who, "could not start, nothing changed")
        if error is None and isinstance(exc, WarehouseError) and "lock" in str(exc):
            error = WarehouseWriteError(
                f"{who} gave up after waiting {lock_timeout:g}s (--lock-timeout) for its lock, nothing changed: "
                f"{exc}"
            )
        if error is not None:
            raise error from exc
        raise
    return connection.raw  # type: ignore[attr-defined]  # the Connection protocol lacks raw; DuckDB's connection has it


def remove_created(warehouse: Path) -> None:
    """Remove the warehouse file (and its WAL) that a failed first write created."""
    for leftover in (warehouse, warehouse.with_name(warehouse.name + ".wal")):
        with contextlib.suppress(OSError):
            leftover.unlink(missing_ok=True)


def write_error(exc: BaseException, warehouse: Path, who: str, outcome: str) -> WarehouseError | None:
    """The error to report for a database or OS failure while writing ``warehouse``; None for any other.

    A full disk names itself wherever it surfaced (an OSError, a DuckDB I/O error, a failed commit, a temp
    directory that cannot grow, an error chained under another), so the message says what to do.
    """
    chain: list[BaseException] = []
    cause: BaseException | None = exc
    while cause is not None and cause not in chain:
        chain.append(cause)
        cause = cause.__cause__ or (None if cause.__suppress_context__ else cause.__context__)
    text = " ".join(str(e) for e in chain).lower()
    full = any(isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT) for e in chain)
    full = full or any(marker in text for marker in _DISK_FULL)
    if isinstance(exc, FlowmetricsError) and not (full and isinstance(exc, WarehouseError)):
        return None  # a contract, configuration or warehouse-shape error says what it has to say
    if not isinstance(exc, (FlowmetricsError, duckdb.Error, OSError)):
        return None
    if full:
        detail = next((e for e in chain if isinstance(e, (OSError, duckdb.IOException))), exc)
        return WarehouseWriteError(
            f"{who} {outcome}: the disk is full ({_one_line(detail)}); free space on the "
            f"disk of {warehouse} (DuckDB also spills to {warehouse.name}.tmp beside it) and run it again"
        )
    if isinstance(exc, (OSError, duckdb.IOException)):
        return WarehouseWriteError(f"{who} {outcome}: {_one_line(exc)}")
    return WarehouseError(f"{who} {outcome}: {exc}")


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
