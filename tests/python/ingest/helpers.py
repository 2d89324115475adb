"""Helpers for the ingest tests: small contract-shaped data and readers of the warehouse."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd


def ts(*values: str | None) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values), utc=True, format="ISO8601"))


def valid_frames() -> dict[str, pd.DataFrame]:
    """Every contract table, a few valid rows each (typed as a generator would produce them)."""
    return {
        "tickets": pd.DataFrame(
            {
                "ticket_id": ["T-1", "T-2", "T-3"],
                "title": ["Checkout, faster", 'Say "hi"', None],
                "ticket_type": ["story", "bug", "story"],
                "team": ["payments", "payments", "growth"],
                "requested_by": ["growth", "product", "marketing"],
                "experiment_id": ["E-1", None, None],
                "ai_assisted": pd.array([True, False, None], dtype="boolean"),
                "created_at": ts("2024-03-01T09:00:00Z", "2024-03-02T10:30:00Z", "2024-03-03T11:00:00.250Z"),
            }
        ),
        "ticket_status_changes": pd.DataFrame(
            {
                "change_id": ["C-1", "C-2", "C-3", "C-4"],
                "ticket_id": ["T-1", "T-1", "T-2", "T-1"],
                "changed_at": ts(
                    "2024-03-01T10:00:00Z",
                    "2024-03-02T10:00:00Z",
                    "2024-03-03T10:00:00Z",
                    "2024-03-04T10:00:00Z",
                ),
                "from_status": [None, "To Do", None, "In Progress"],
                "to_status": ["To Do", "In Progress", "To Do", "Done"],
                "changed_by": ["ann", "bob", "ann", None],
            }
        ),
        "status_map": pd.DataFrame(
            {
                "raw_status": ["To Do", "In Progress", "Done"],
                "stage": ["backlog", "development", "done"],
                "stage_kind": ["queue", "active", "done"],
                "stage_order": [1, 2, 3],
            }
        ),
        "deploys": pd.DataFrame(
            {
                "deploy_id": ["D-1", "D-2"],
                "service": ["checkout", "checkout"],
                "environment": ["prod", "prod"],
                "deployed_at": ts("2024-03-04T12:00:00Z", "2024-03-05T12:00:00Z"),
                "status": ["success", "rolled_back"],
                "commit_sha": ["abc123", None],
                "first_commit_at": ts("2024-03-02T12:00:00Z", None),
            }
        ),
        "deploy_tickets": pd.DataFrame({"deploy_id": ["D-1", "D-2"], "ticket_id": ["T-1", "T-2"]}),
        "incidents": pd.DataFrame(
            {
                "incident_id": ["INC-1", "INC-2"],
                "service": ["checkout", "checkout"],
                "opened_at": ts("2024-03-05T12:10:00Z", "2024-03-06T08:00:00Z"),
                "resolved_at": ts("2024-03-05T13:00:00Z", None),
                "severity": ["sev1", None],
                "caused_by_deploy_id": ["D-2", None],
            }
        ),
        "experiments": pd.DataFrame(
            {
                "experiment_id": ["E-1"],
                "name": ["faster checkout"],
                "team": ["payments"],
                "ticket_id": ["T-1"],
                "ai_assisted": [True],
                "min_sample_size": pd.array([1000], dtype="Int64"),
                "created_at": ts("2024-03-01T00:00:00Z"),
            }
        ),
        "experiment_variants": pd.DataFrame(
            {"experiment_id": ["E-1", "E-1"], "variant": ["control", "treatment"], "weight": [0.5, 0.5]}
        ),
        "experiment_events": pd.DataFrame(
            {
                "event_id": ["V-1", "V-2", "V-3"],
                "experiment_id": ["E-1", "E-1", "E-1"],
                "event_type": ["created", "launched", "decided"],
                "occurred_at": ts("2024-03-01T00:00:00Z", "2024-03-05T00:00:00Z", "2024-03-20T00:00:00Z"),
                "decision": [None, None, "ship"],
                "variant": [None, None, "treatment"],
            }
        ),
        "experiment_exposures": pd.DataFrame(
            {
                "experiment_id": ["E-1", "E-1", "E-1"],
                "unit_id": ["u1", "u2", "u1"],
                "variant": ["control", "treatment", "control"],
                "exposed_at": ts("2024-03-06T00:00:00Z", "2024-03-06T00:00:01Z", "2024-03-07T00:00:00Z"),
            }
        ),
    }


def write_text(directory: Path, name: str, text: str) -> Path:
    """A raw file with exactly this text (the tests spell out their CSV lines)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def minimal_required(directory: Path) -> None:
    """The two required files, valid, one row each."""
    write_text(directory, "tickets.csv", "ticket_id,team,created_at\nT-1,payments,2024-03-01T09:00:00Z\n")
    write_text(
        directory,
        "ticket_status_changes.csv",
        "change_id,ticket_id,changed_at,to_status\nC-1,T-1,2024-03-01T10:00:00Z,To Do\n",
    )


def rows(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def snapshot(warehouse: Path) -> dict[str, list[tuple]]:
    """Full, ordered contents of every table in schema raw (contract tables, quarantine, ingest_runs)."""
    if not warehouse.exists():
        return {}
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        names = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'raw' ORDER BY table_name"
            ).fetchall()
        ]
        return {n: sorted(con.execute(f'SELECT * FROM raw."{n}"').fetchall(), key=repr) for n in names}
    finally:
        con.close()


def by_table(summary) -> dict:
    return {t.table: t for t in summary.tables}
