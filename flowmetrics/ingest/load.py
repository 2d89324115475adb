"""Combine staged rows with what raw already holds, by the table's load mode (set-based SQL, no pandas).

In-file duplicates of a key keep the first row in file order; the rest go to quarantine. APPEND adds new keys
and quarantines a loaded key that comes back with other values; UPSERT updates it; REPLACE swaps the table.
Rows are compared on the columns the file has: a column absent from a newer export keeps its loaded values.
Every row written (inserted, updated, or the whole table replaced) gets the load stamps of the run: its id, its
start (the row's load time) and the row's position in the file; an unchanged row keeps the stamps it had.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from flowmetrics.contract import LoadMode
from flowmetrics.ingest import quarantine
from flowmetrics.ingest.raw_tables import raw_table
from flowmetrics.ingest.stage import Staged
from flowmetrics.warehouse.sql import ident, literal

VALID = "s._reason IS NULL"


@dataclass(frozen=True)
class LoadStamp:
    """What a run writes in the load-stamp columns (contract.LOAD_STAMPS) of the rows it writes."""

    run_id: str
    loaded_at: datetime  # the run's start, UTC (naive)

    def values_sql(self, row: str) -> str:
        """_ingest_run_id, _loaded_at, _file_row for a staged row read as ``row``."""
        return f"{literal(self.run_id)}, CAST({literal(self.loaded_at.isoformat(sep=' '))} AS TIMESTAMP), {row}._row"

    def assignments_sql(self, row: str) -> str:
        return (
            f"_ingest_run_id = {literal(self.run_id)}, "
            f"_loaded_at = CAST({literal(self.loaded_at.isoformat(sep=' '))} AS TIMESTAMP), _file_row = {row}._row"
        )


@dataclass(frozen=True)
class LoadCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _same(columns: tuple[str, ...], left: str, right: str) -> str:
    if not columns:
        return "true"
    return " AND ".join(f"{left}.{ident(c)} IS NOT DISTINCT FROM {right}.{ident(c)}" for c in columns)


def flag_duplicates(con: duckdb.DuckDBPyConnection, staged: Staged) -> None:
    """Mark every valid row whose key already appeared earlier in the file (the first occurrence stays)."""
    table, stage = staged.layout.table, ident(staged.names.rows)
    key = ", ".join(ident(k) for k in table.key)
    on = " AND ".join(f"s.{ident(k)} = f.{ident(k)}" for k in table.key)
    exact = literal(quarantine.duplicate_in_file(table.key, exact=True))
    differs = literal(quarantine.duplicate_in_file(table.key, exact=False))
    con.execute(
        f"WITH firsts AS (SELECT {key}, min(_row) AS first_row FROM {stage} "
        f"  WHERE _reason IS NULL GROUP BY {key} HAVING count(*) > 1), "
        "dups AS ("
        f"  SELECT s._row, {_same(staged.layout.present, 's', 'fr')} AS exact "
        f"  FROM {stage} AS s JOIN firsts AS f ON {on} JOIN {stage} AS fr ON fr._row = f.first_row "
        f"  WHERE {VALID} AND s._row <> f.first_row) "
        f"UPDATE {stage} AS t SET _reason = CASE WHEN dups.exact THEN {exact} ELSE {differs} END "
        "FROM dups WHERE t._row = dups._row"
    )


def merge(con: duckdb.DuckDBPyConnection, staged: Staged, stamp: LoadStamp) -> LoadCounts:
    """Apply the staged valid rows to the raw table by its load mode; conflicts are flagged in the stage.

    A replaced table is rewritten when any value or the rows' order changed (a status map's order is meaningful).
    """
    table = staged.layout.table
    stage, target = ident(staged.names.rows), raw_table(table.name)
    mode = table.load_mode
    compared = table.column_names if mode is LoadMode.REPLACE else staged.layout.present
    values = tuple(c for c in compared if c not in table.key)
    on = " AND ".join(f"r.{ident(k)} = s.{ident(k)}" for k in table.key)
    same = _same(values, "r", "s")
    if mode is LoadMode.REPLACE:
        same = f"{same} AND r._file_row IS NOT DISTINCT FROM s._row"
    matched = f"FROM {stage} AS s JOIN {target} AS r ON {on} WHERE {VALID}"
    row = con.execute(
        f"SELECT count(*) FILTER (WHERE {same}), count(*) FILTER (WHERE NOT ({same})) {matched}"
    ).fetchone()
    unchanged, changed = (int(row[0]), int(row[1])) if row else (0, 0)
    all_columns = ", ".join(ident(c) for c in table.column_names)
    written = f"{all_columns}, _ingest_run_id, _loaded_at, _file_row"
    new_rows = (
        f"INSERT INTO {target} ({written}) SELECT {all_columns}, {stamp.values_sql('s')} FROM {stage} AS s "
        f"WHERE {VALID} AND NOT EXISTS (SELECT 1 FROM {target} AS r WHERE {on})"
    )

    if mode is LoadMode.REPLACE:
        valid_rows = _count(con, f"SELECT count(*) FROM {stage} AS s WHERE {VALID}")
        deleted = _count(
            con,
            f"SELECT count(*) FROM {target} AS r "
            f"WHERE NOT EXISTS (SELECT 1 FROM {stage} AS s WHERE {on} AND {VALID})",
        )
        if changed or deleted or valid_rows != unchanged:
            con.execute(f"DELETE FROM {target}")
            con.execute(
                f"INSERT INTO {target} ({written}) SELECT {all_columns}, {stamp.values_sql('s')} "
                f"FROM {stage} AS s WHERE {VALID}"
            )
        return LoadCounts(valid_rows - unchanged - changed, changed, unchanged, deleted)

    if changed and mode is LoadMode.APPEND:
        conflict = literal(quarantine.conflicts_with_loaded(table.key))
        con.execute(
            f"UPDATE {stage} AS s SET _reason = {conflict} FROM {target} AS r "
            f"WHERE {on} AND {VALID} AND NOT ({same})"
        )
    if changed and mode is LoadMode.UPSERT:
        assignments = ", ".join([*(f"{ident(c)} = s.{ident(c)}" for c in values), stamp.assignments_sql("s")])
        con.execute(
            f"UPDATE {target} AS r SET {assignments} FROM {stage} AS s "
            f"WHERE {on} AND {VALID} AND NOT ({same})"
        )
    inserted = _count(con, new_rows)
    updated = changed if mode is LoadMode.UPSERT else 0
    return LoadCounts(inserted, updated, unchanged, 0)
