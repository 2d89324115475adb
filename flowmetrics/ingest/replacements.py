"""Replace-mode tables (status_map) replaced by a nightly run stay provisional until its check-raw passes.

A nightly's ingest keeps the version a replacement overwrites in ``raw.<table>__previous`` and records the
replacement in ``raw.replacements`` as pending. Check-raw then accepts it (the kept copy is dropped) or, when the
night is refused, puts the kept version back, so a refused night leaves the table as the last good night left it.
A replacement still pending when the next nightly starts (that night was killed before check-raw decided) is put
back before anything is loaded or built. The standalone `flowmetrics ingest` has no check-raw: its replacements
are final at once (accepted), and settle a pending one of the same table. Append and upsert tables are not kept:
a refused night's rows stay in them (they are idempotent on their keys).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from enum import StrEnum

import duckdb

from flowmetrics.contract import RAW_SCHEMA, TABLES, LoadMode
from flowmetrics.errors import FlowmetricsError
from flowmetrics.ingest.raw_tables import (
    INGEST_RUNS,
    REPLACEMENTS,
    REPLACEMENTS_COLUMNS,
    REPLACEMENTS_TABLE,
    previous_table,
    raw_table,
    stored_column_names,
)
from flowmetrics.ingest.writing import open_waiting
from flowmetrics.warehouse.profile import Target
from flowmetrics.warehouse.sql import ident


class State(StrEnum):
    PENDING = "pending"  # loaded by a nightly whose check-raw has not passed yet
    ACCEPTED = "accepted"  # check-raw passed, or loaded by the standalone ingest
    RESTORED = "restored"  # refused (or never checked): the version before it was put back
    SUPERSEDED = "superseded"  # a standalone ingest loaded the table again before a nightly decided


REPLACE_TABLES: tuple[str, ...] = tuple(n for n, t in TABLES.items() if t.load_mode is LoadMode.REPLACE)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _pending(con: duckdb.DuckDBPyConnection, table: str | None = None) -> list[tuple[str, str, str | None]]:
    """(table, run id, previous run id) of every pending replacement, of one table when given."""
    sql = f"SELECT table_name, ingest_run_id, previous_run_id FROM {REPLACEMENTS} WHERE state = ?"
    params: list[str] = [State.PENDING]
    if table is not None:
        sql += " AND table_name = ?"
        params.append(table)
    return [(str(t), str(r), p) for t, r, p in con.execute(sql + " ORDER BY replaced_at", params).fetchall()]


def _current_version(con: duckdb.DuckDBPyConnection, table: str, run_id: str) -> str | None:
    """The run that loaded what raw.<table> holds now (before ``run_id`` replaces it); None: never loaded."""
    row = con.execute(
        f"SELECT ingest_run_id FROM {REPLACEMENTS} WHERE table_name = ? AND state = ? "
        "ORDER BY replaced_at DESC LIMIT 1",
        [table, State.ACCEPTED],
    ).fetchone()
    if row:
        return str(row[0])
    # A warehouse loaded before replacements were recorded: the latest other run that read a file for it.
    row = con.execute(
        f"SELECT ingest_run_id FROM {INGEST_RUNS} WHERE table_name = ? AND source_file IS NOT NULL "
        f"AND ingest_run_id <> ? AND ingest_run_id NOT IN (SELECT ingest_run_id FROM {REPLACEMENTS} "
        "WHERE table_name = ?) ORDER BY finished_at DESC LIMIT 1",
        [table, run_id, table],
    ).fetchone()
    return str(row[0]) if row else None


def keep_previous(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Before a replacement: copy raw.<table> aside, unless a pending replacement already keeps an older one."""
    if not _pending(con, table):
        con.execute(f"CREATE OR REPLACE TABLE {previous_table(table)} AS SELECT * FROM {raw_table(table)}")


def record(
    con: duckdb.DuckDBPyConnection, table: str, run_id: str, at: datetime, *, changed: bool, hold: bool
) -> None:
    """After the merge of a replace-mode table that had a file, inside the ingest's transaction."""
    older = _pending(con, table)
    if hold and not changed and not older:
        con.execute(f"DROP TABLE {previous_table(table)}")
        return
    if hold and not changed:
        return  # the table still holds the older pending replacement: it stays pending, its copy stays kept
    previous = older[0][2] if older else _current_version(con, table, run_id)
    if older:
        _settle(con, table, State.SUPERSEDED, run_id)
    if hold:
        _insert(con, table, run_id, previous, State.PENDING, at)
        return
    con.execute(f"DROP TABLE IF EXISTS {previous_table(table)}")
    if changed or older:
        _insert(con, table, run_id, previous, State.ACCEPTED, at, settled=at)


def _insert(
    con: duckdb.DuckDBPyConnection,
    table: str,
    run_id: str,
    previous: str | None,
    state: State,
    at: datetime,
    settled: datetime | None = None,
) -> None:
    columns = ", ".join(ident(c) for c, _ in REPLACEMENTS_COLUMNS)
    con.execute(
        f"INSERT INTO {REPLACEMENTS} ({columns}) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [table, run_id, previous, state, at, settled, run_id if settled else None],
    )


def _settle(con: duckdb.DuckDBPyConnection, table: str, state: State, by_run_id: str) -> None:
    con.execute(
        f"UPDATE {REPLACEMENTS} SET state = ?, settled_at = ?, settled_by_run_id = ? "
        "WHERE table_name = ? AND state = ?",
        [state, _now(), by_run_id, table, State.PENDING],
    )


def _restore(con: duckdb.DuckDBPyConnection, table: str, by_run_id: str) -> int:
    """Put the kept version back into raw.<table>; returns its row count."""
    copy = previous_table(table)
    kept = {d[0] for d in con.execute(f"SELECT * FROM {copy} LIMIT 0").description}  # an older copy: no stamps
    columns = ", ".join(ident(c) for c in stored_column_names(TABLES[table]) if c in kept)
    con.execute(f"DELETE FROM {raw_table(table)}")
    con.execute(f"INSERT INTO {raw_table(table)} ({columns}) SELECT {columns} FROM {copy}")
    row = con.execute(f"SELECT count(*) FROM {copy}").fetchone()
    con.execute(f"DROP TABLE {copy}")
    _settle(con, table, State.RESTORED, by_run_id)
    return int(row[0]) if row else 0


def _version(previous: str | None, rows: int, run_id: str) -> str:
    if previous is not None:
        return f"the version loaded by run {previous} ({rows:,} rows)"
    if rows:
        return f"the version it had before run {run_id} ({rows:,} rows)"
    return f"empty, as it was before run {run_id}"


@contextlib.contextmanager
def _writer(target: Target, lock_timeout: float, who: str) -> Iterator[duckdb.DuckDBPyConnection | None]:
    """The warehouse's duckdb connection when it exists and has raw.replacements; else None."""
    if not target.is_duckdb or target.path is None or not target.path.exists():
        yield None
        return
    con = open_waiting(target.path, lock_timeout, existed=True, who=f"{who} {target.path}")
    try:
        found = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
            "AND schema_name = ? AND table_name = ?",
            [RAW_SCHEMA, REPLACEMENTS_TABLE],
        ).fetchone()
        yield con if found and found[0] else None
    finally:
        with contextlib.suppress(duckdb.Error):
            con.close()


def _in_transaction(con: duckdb.DuckDBPyConnection, work: Callable[[], list[str]]) -> list[str]:
    con.execute("BEGIN TRANSACTION")
    try:
        result = work()
        con.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(duckdb.Error):
            con.execute("ROLLBACK")
        raise
    return result


def restore_unchecked(target: Target, *, by_run_id: str, lock_timeout: float, who: str) -> list[str]:
    """Put back every replacement an earlier nightly left pending (it stopped before its check-raw decided).

    A nightly calls this before it loads or builds, so it never builds on a replacement nobody checked. ``who``
    names the step in a lock or disk error ("ingest into", followed by the file).
    """
    with _writer(target, lock_timeout, who) as con:
        if con is None:
            return []

        def work() -> list[str]:
            notes = []
            for table, run_id, previous in _pending(con):
                rows = _restore(con, table, by_run_id)
                notes.append(
                    f"raw.{table} restored to {_version(previous, rows, run_id)}: run {run_id}'s replacement was never "
                    "checked (that night stopped before check-raw decided)"
                )
            return notes

        return _in_transaction(con, work)


def settle_run(target: Target, run_id: str, *, accept: bool, lock_timeout: float) -> list[str]:
    """Accept (check-raw passed) or restore (the night was refused) the replacements pending for ``run_id``.

    Returns one line per table for the log and the result. A restore that cannot be written now (a lock held
    past the timeout, a full disk) leaves the replacement pending and says so: the next nightly restores it.
    """
    try:
        with _writer(target, lock_timeout, "check-raw on") as con:
            if con is None:
                return []

            def work() -> list[str]:
                notes = []
                for table, pending_run, previous in _pending(con):
                    if pending_run != run_id:
                        continue
                    if accept:
                        con.execute(f"DROP TABLE {previous_table(table)}")
                        _settle(con, table, State.ACCEPTED, run_id)
                        notes.append(f"raw.{table}: run {run_id}'s replacement accepted")
                    else:
                        rows = _restore(con, table, run_id)
                        notes.append(
                            f"raw.{table} restored to {_version(previous, rows, run_id)}: the night refused run "
                            f"{run_id}'s replacement"
                        )
                return notes

            return _in_transaction(con, work)
    except (FlowmetricsError, duckdb.Error) as exc:
        if accept:
            raise
        tables = ", ".join(f"raw.{t}" for t in REPLACE_TABLES)
        return [
            f"{tables}: restoring what run {run_id} replaced failed ({exc}); a replacement it made stays "
            "pending and the next nightly restores it before it loads or builds"
        ]
