"""Schema ``flowmetrics``: the one writer of what the package computes (quality runs, publish runs and their
volumes, detect's findings), and the writer connection that waits for DuckDB's single-writer lock instead of
failing at once."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from flowmetrics.contract import RAW_SCHEMA
from flowmetrics.errors import WarehouseError
from flowmetrics.warehouse.connection import Connection, open_connection
from flowmetrics.warehouse.optional_tables import STAGED, connector_only
from flowmetrics.warehouse.profile import Target
from flowmetrics.warehouse.sql import ident

PACKAGE_SCHEMA = "flowmetrics"

QUALITY_RUNS_COLUMNS: tuple[tuple[str, str], ...] = (
    ("run_id", "varchar"),
    ("checked_at", "timestamp"),
    ("reference_time", "timestamp"),
    ("as_of", "timestamp"),
    ("ingest_run_id", "varchar"),
    ("check_id", "varchar"),
    ("suite", "varchar"),
    ("relation", "varchar"),
    ("severity", "varchar"),
    ("status", "varchar"),
    ("description", "varchar"),
    ("observed", "varchar"),
    ("threshold", "varchar"),
    ("unexpected_count", "bigint"),
    ("element_count", "bigint"),
    ("message", "varchar"),
    ("sample_json", "varchar"),
)
PUBLISH_RUNS_COLUMNS: tuple[tuple[str, str], ...] = (
    ("run_id", "varchar"),
    ("published_at", "timestamp"),
    ("as_of", "timestamp"),
    ("snapshot_schema", "varchar"),
    ("relations_json", "varchar"),
    ("quality_run_id", "varchar"),
)
PUBLISHED_COUNTS_COLUMNS: tuple[tuple[str, str], ...] = (
    ("run_id", "varchar"),
    ("relation", "varchar"),  # layer.name: raw.tickets, mart.fct_work_items
    ("row_count", "bigint"),
)
PUBLISHED_DAILY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("run_id", "varchar"),
    ("relation", "varchar"),
    ("day", "date"),
    ("row_count", "bigint"),
)
TABLES: dict[str, tuple[tuple[str, str], ...]] = {
    "quality_runs": QUALITY_RUNS_COLUMNS,
    "publish_runs": PUBLISH_RUNS_COLUMNS,
    "published_counts": PUBLISHED_COUNTS_COLUMNS,
    "published_daily_counts": PUBLISHED_DAILY_COLUMNS,
}

# Raw event tables whose rows per UTC day are recorded at publish time and compared by the volume check: a
# lost day shows there even when the table's total barely moves.
DAILY_EVENTS: tuple[tuple[str, str], ...] = (
    ("ticket_status_changes", "changed_at"),
    ("deploys", "deployed_at"),
    ("experiment_events", "occurred_at"),
)


def ensure_package_tables(con: Connection,
                          tables: Mapping[str, Sequence[tuple[str, str]]] | None = None) -> None:
    """Schema flowmetrics and its tables (`tables`, default the quality and publish records), created if missing."""
    con.execute(f"create schema if not exists {con.qualify(PACKAGE_SCHEMA)}")
    for name, columns in (TABLES if tables is None else tables).items():
        spec = ", ".join(f"{ident(c)} {t}" for c, t in columns)
        con.execute(f"create table if not exists {con.qualify(PACKAGE_SCHEMA, name)} ({spec})")


def insert_rows(con: Connection, table: str, columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[Any]]) -> None:
    """Append `rows` (values in the order of `columns`) to flowmetrics.`table`: the one insert into schema
    flowmetrics (quality runs, publish records, detect's findings)."""
    names = ", ".join(ident(c) for c, _ in columns)
    marks = ", ".join("?" for _ in columns)
    for row in rows:
        con.execute(f"insert into {con.qualify(PACKAGE_SCHEMA, table)} ({names}) values ({marks})", list(row))


def open_writer(target: Target, lock_timeout: float = 60.0, poll: float = 0.2) -> Connection:
    """A read-write connection; on DuckDB, waits up to ``lock_timeout`` seconds while readers or another writer
    hold the file (DuckDB allows one writer or many readers across processes)."""
    deadline = time.monotonic() + lock_timeout
    while True:
        try:
            return open_connection(target, read_only=False)
        except WarehouseError as exc:
            if "lock" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(poll)


def open_reader(target: Target, lock_timeout: float = 60.0, poll: float = 0.2) -> Connection:
    """A read-only connection, waiting while a writer holds a DuckDB file."""
    deadline = time.monotonic() + lock_timeout
    while True:
        try:
            return open_connection(target, read_only=True)
        except WarehouseError as exc:
            if "lock" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(poll)


def daily_event_counts(con: Connection) -> pd.DataFrame:
    """Rows per UTC day of each raw event table: relation, day (a date), n. A warehouse whose tickets come only
    from connector sources is counted in the staged views of those sources (named after the contract table)."""
    staged = connector_only(con)
    frames = []
    for table, column in DAILY_EVENTS:
        schema, relation = (con.target.schema, STAGED[table]) if staged else (RAW_SCHEMA, table)
        if not con.relation_exists(schema, relation):
            continue
        frames.append(
            con.query_df(
                f"select '{table}' as relation, cast({column} as date) as day, count(*) as n "
                f"from {con.qualify(schema, relation)} group by cast({column} as date)"
            )
        )
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame({"relation": pd.Series(dtype=str), "day": pd.Series(dtype=object),
                             "n": pd.Series(dtype="int64")})
    out = pd.concat(frames, ignore_index=True)
    out["day"] = pd.to_datetime(out["day"]).dt.date
    out["n"] = out["n"].astype("int64")
    return out


def last_publish(con: Connection) -> dict[str, Any] | None:
    """The last published run: run id, time, snapshot, relations, and its recorded volumes; None if none."""
    if not con.relation_exists(PACKAGE_SCHEMA, "publish_runs"):
        return None
    runs = con.query_df(
        f"select run_id, published_at, as_of, snapshot_schema, relations_json "
        f"from {con.qualify(PACKAGE_SCHEMA, 'publish_runs')} order by published_at desc, run_id desc limit 1"
    )
    if runs.empty:
        return None
    row = runs.iloc[0]
    run_id = str(row["run_id"])
    counts = con.query_df(
        f"select relation, row_count from {con.qualify(PACKAGE_SCHEMA, 'published_counts')} where run_id = ?",
        [run_id],
    )
    daily = con.query_df(
        f"select relation, day, row_count as n from {con.qualify(PACKAGE_SCHEMA, 'published_daily_counts')} "
        "where run_id = ?",
        [run_id],
    )
    if not daily.empty:
        daily["day"] = pd.to_datetime(daily["day"]).dt.date
        daily["n"] = daily["n"].astype("int64")
    return {
        "run_id": run_id,
        "published_at": pd.Timestamp(row["published_at"]).to_pydatetime(),
        "as_of": None if pd.isna(row["as_of"]) else pd.Timestamp(row["as_of"]).to_pydatetime(),
        "snapshot_schema": str(row["snapshot_schema"]),
        "relations": json.loads(row["relations_json"] or "{}"),
        "row_counts": {
            str(relation): int(rows) for relation, rows in zip(counts["relation"], counts["row_count"], strict=True)
        },
        "daily": daily,
    }
