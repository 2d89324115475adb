"""Write constraint findings into the package-owned schema `flowmetrics`, so BI tools chart them next to the marts
and dbt builds `fct_constraint_queue` from them.

- `flowmetrics.constraint_findings`: one row per run × scope: the run's verdict (`scope = 'overall'`), each
  window's constraint (`'window'`) and each shift (`'shift'`).
- `flowmetrics.constraint_stage_signals`: one row per run × window × stage (`team` null), plus the team breakdown
  of the constraint's stage over the verdict's period (`scope = 'overall'`, `team` set).

Tables are created when missing and appended to through the schema's one writer (`package_tables`), one
transaction per run.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from flowmetrics.results import ConstraintFinding, StageVerdict
from flowmetrics.warehouse.connection import Connection, open_connection
from flowmetrics.warehouse.marts import MartReader
from flowmetrics.warehouse.package_tables import PACKAGE_SCHEMA, ensure_package_tables, insert_rows
from flowmetrics.warehouse.profile import Target
from flowmetrics.warehouse.runs import new_run_id
from flowmetrics.warehouse.sql import ident

SIGNAL_COLUMNS = (
    ("waiting_share", "double precision"),
    ("wait_share", "double precision"),
    ("queue_nonempty_share", "double precision"),
    ("bottleneck_share", "double precision"),
    ("sole_bottleneck_share", "double precision"),
    ("shifting_bottleneck_share", "double precision"),
    ("load_dependence", "double precision"),
    ("load_visits", "bigint"),
    ("arrivals_per_week", "double precision"),
    ("departures_per_week", "double precision"),
    ("queue_growth_per_week", "double precision"),
    ("mean_wip", "double precision"),
    ("time_share", "double precision"),
    ("median_hours", "double precision"),
    ("mean_queue_hours", "double precision"),
    ("littles_law_ratio", "double precision"),
    ("has_work", "boolean"),
    ("occupancy", "double precision"),
    ("at_ceiling_share", "double precision"),
    ("burst_response", "double precision"),
    ("bound_by", "varchar"),
)
FINDINGS_COLUMNS = (
    ("run_id", "varchar"),
    ("detected_at", "timestamp"),
    ("as_of", "timestamp"),
    ("scope", "varchar"),
    ("window_start", "timestamp"),
    ("window_end", "timestamp"),
    ("window_days", "bigint"),
    ("constraint_stage", "varchar"),
    ("constraint_team", "varchar"),
    ("kind", "varchar"),
    ("confidence", "double precision"),
    ("shifted_from_stage", "varchar"),
    ("reasons", "varchar"),  # overall rows: a JSON list of {code, message, value, threshold}
    ("window_reason", "varchar"),  # overall rows: how the window length was chosen
)
STAGE_SIGNAL_COLUMNS = (
    ("run_id", "varchar"),
    ("detected_at", "timestamp"),
    ("as_of", "timestamp"),
    ("scope", "varchar"),
    ("window_start", "timestamp"),
    ("window_end", "timestamp"),
    ("stage", "varchar"),
    ("team", "varchar"),
    ("rank", "bigint"),
    ("classification", "varchar"),
    ("confidence", "double precision"),
    ("visits", "bigint"),
    *SIGNAL_COLUMNS,
)
TABLES = {"constraint_findings": FINDINGS_COLUMNS, "constraint_stage_signals": STAGE_SIGNAL_COLUMNS}


def _value(v: Any) -> Any:
    if isinstance(v, float) and v != v:  # NaN -> NULL
        return None
    return v


def _stage_row(base: dict[str, Any], v: StageVerdict) -> dict[str, Any]:
    row = {**base, "stage": v.stage, "team": None, "rank": v.rank, "classification": v.classification}
    row["confidence"] = v.confidence
    row["visits"] = v.signals.load_visits
    row.update({name: getattr(v.signals, name) for name, _ in SIGNAL_COLUMNS})
    return row


def finding_rows(finding: ConstraintFinding, run_id: str, detected_at: datetime) -> dict[str, list[dict[str, Any]]]:
    """The rows one run appends to each table."""
    run = {"run_id": run_id, "detected_at": detected_at, "as_of": finding.as_of}
    findings = [
        {
            **run,
            "scope": "overall",
            "window_start": finding.period_start,
            "window_end": finding.as_of,
            "window_days": finding.window_days,
            "constraint_stage": finding.constraint_stage,
            "constraint_team": finding.constraint_team,
            "kind": finding.kind,
            "confidence": finding.confidence,
            "shifted_from_stage": finding.shifts[-1].from_stage if finding.shifts else None,
            "reasons": json.dumps([r.to_dict() for r in finding.reasons]),
            "window_reason": finding.window_reason,
        }
    ]
    signals = [
        _stage_row({**run, "scope": "overall", "window_start": finding.period_start, "window_end": finding.as_of}, v)
        for v in finding.stages
    ]
    for t in finding.teams:
        signals.append(
            {
                **run,
                "scope": "overall",
                "window_start": finding.period_start,
                "window_end": finding.as_of,
                "stage": t.stage,
                "team": t.team,
                "classification": "constraint" if t.capacity_bound else None,
                "visits": t.visits,
                "waiting_share": t.waiting_share,
                "queue_nonempty_share": t.queue_nonempty_share,
                "load_dependence": t.load_dependence,
                "mean_queue_hours": t.mean_queue_hours,
            }
        )
    for w in finding.windows:
        findings.append(
            {
                **run,
                "scope": "window",
                "window_start": w.start,
                "window_end": w.end,
                "window_days": finding.window_days,
                "constraint_stage": w.constraint_stage,
                "confidence": w.confidence,
            }
        )
        signals += [
            _stage_row({**run, "scope": "window", "window_start": w.start, "window_end": w.end}, v) for v in w.stages
        ]
    for s in finding.shifts:
        findings.append(
            {
                **run,
                "scope": "shift",
                "window_start": s.at,
                "window_end": s.at,
                "constraint_stage": s.to_stage,
                "shifted_from_stage": s.from_stage,
            }
        )
    return {"constraint_findings": findings, "constraint_stage_signals": signals}


def _add_missing_columns(connection: Connection) -> None:
    """Columns added to the findings tables since a warehouse's tables were created (e.g. `reasons`), added."""
    for table, columns in TABLES.items():
        relation = connection.qualify(PACKAGE_SCHEMA, table)
        present = set(connection.query_df(f"select * from {relation} where 1 = 0").columns)
        for name, kind in columns:
            if name not in present:
                connection.execute(f"alter table {relation} add column {ident(name)} {kind}")


def write_findings(target: Target, finding: ConstraintFinding, run_id: str | None = None) -> str:
    """Append a run's findings to the target's `flowmetrics` schema (tables created if missing); its run id."""
    detected_at = datetime.now(UTC).replace(tzinfo=None)
    run_id = run_id or new_run_id(detected_at)
    rows = finding_rows(finding, run_id, detected_at)
    connection = open_connection(target, read_only=False)
    try:
        ensure_package_tables(connection, TABLES)
        _add_missing_columns(connection)
        connection.execute("begin")
        try:
            for table, table_rows in rows.items():
                columns = TABLES[table]
                insert_rows(connection, table, columns, [[_value(r.get(c)) for c, _ in columns] for r in table_rows])
            connection.execute("commit")
        except Exception:
            connection.execute("rollback")
            raise
    finally:
        connection.close()
    return run_id


def read_status_intervals(reader: MartReader, columns: Sequence[str], since: datetime | None = None) -> pd.DataFrame:
    """fct_status_intervals of every ticket still in the flow at or after `since` (in a status that is not done or
    abandoned then; all of its intervals, so its visits are whole), or of every ticket."""
    if since is None:
        return reader.read("fct_status_intervals", columns)
    relation = reader.relation("fct_status_intervals")
    stamp = since.strftime("%Y-%m-%d %H:%M:%S")
    where = (
        f"ticket_id in (select ticket_id from {relation} where stage_kind not in ('done', 'abandoned') "
        f"and (exited_at is null or exited_at >= cast('{stamp}' as timestamp)))"
    )
    return reader.read("fct_status_intervals", columns, where=where)
