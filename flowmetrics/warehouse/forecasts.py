"""Write forecasts into the package-owned schema `flowmetrics`, so BI tools chart them next to the marts and
`flowmetrics publish` publishes them (the sources YAML's `publish` meta says so).

`flowmetrics.forecasts`: one row per run × method × quantile (the scope is the run's); a method without enough
data writes one row with its status and no quantile. Created when missing, appended through the schema's one
writer (`package_tables`), one transaction per run.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flowmetrics.results import Forecast
from flowmetrics.warehouse.package_tables import ensure_package_tables, insert_rows, open_writer
from flowmetrics.warehouse.profile import Target
from flowmetrics.warehouse.runs import new_run_id

FORECASTS = "forecasts"
FORECAST_COLUMNS: tuple[tuple[str, str], ...] = (
    ("run_id", "varchar"),
    ("created_at", "timestamp"),
    ("as_of", "timestamp"),
    ("method", "varchar"),
    ("question", "varchar"),
    ("horizon_days", "bigint"),
    ("items_asked", "bigint"),
    ("team", "varchar"),
    ("requested_by", "varchar"),
    ("ticket_type", "varchar"),
    ("change", "varchar"),
    ("status", "varchar"),
    ("quantile", "varchar"),
    ("likelihood", "double precision"),
    ("items", "bigint"),
    ("days", "double precision"),
    ("finish_date", "date"),
)
TABLES = {FORECASTS: FORECAST_COLUMNS}


def forecast_rows(forecast: Forecast, run_id: str, created_at: datetime) -> list[dict[str, Any]]:
    """The rows one run appends: per method, one per quantile (or one with its status when it had no answer)."""
    base: dict[str, Any] = {
        "run_id": run_id,
        "created_at": created_at,
        "as_of": forecast.as_of,
        "question": forecast.question,
        "horizon_days": forecast.horizon_days,
        "items_asked": forecast.items_asked,
        "change": forecast.change,
        **{column: forecast.scope.get(column) for column in ("team", "requested_by", "ticket_type")},
    }
    rows: list[dict[str, Any]] = []
    for f in forecast.forecasts:
        method = {**base, "method": f.method, "status": f.status}
        values = f.items if f.items is not None else f.days
        if f.status != "ok" or not values:
            rows.append(method)
            continue
        for quantile, value in values.items():
            row = {**method, "quantile": quantile, "likelihood": int(quantile[1:]) / 100}
            if f.items is not None:
                row["items"] = value
            else:
                row["days"] = value
                date = (f.dates or {}).get(quantile)
                row["finish_date"] = datetime.fromisoformat(date).date() if date else None
            rows.append(row)
    return rows


def write_forecast(target: Target, forecast: Forecast, lock_timeout: float = 60.0) -> str:
    """Append a forecast to the target's `flowmetrics.forecasts` (created if missing); its run id."""
    created_at = datetime.now(UTC).replace(tzinfo=None)
    run_id = new_run_id(created_at)
    rows = forecast_rows(forecast, run_id, created_at)
    connection = open_writer(target, lock_timeout)
    try:
        ensure_package_tables(connection, TABLES)
        connection.execute("begin")
        try:
            insert_rows(connection, FORECASTS, FORECAST_COLUMNS,
                        [[r.get(c) for c, _ in FORECAST_COLUMNS] for r in rows])
            connection.execute("commit")
        except Exception:
            connection.execute("rollback")
            raise
    finally:
        connection.close()
    return run_id
