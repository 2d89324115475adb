"""The forecasts `flowmetrics forecast` writes (``flowmetrics.forecasts``, one row per run x method x quantile: a
log that grows by one run's rows), run by the gate when the table exists."""

from __future__ import annotations

from flowmetrics.quality.suite import Layer, Suite, VolumeKind, accepted, non_negative, not_null, rate
from flowmetrics.results import FORECAST_METHODS, FORECAST_QUESTIONS, FORECAST_STATUSES

R = "forecasts"
FORECASTS = Suite(
    name=f"flowmetrics.{R}",
    layer=Layer.PACKAGE,
    relation=R,
    volume=VolumeKind.SUMMARY,
    columns=("run_id", "as_of", "method", "question", "status", "likelihood", "items", "days"),
    checks=(
        not_null(R, "run_id"),
        not_null(R, "as_of"),
        accepted(R, "method", FORECAST_METHODS),
        accepted(R, "question", FORECAST_QUESTIONS),
        accepted(R, "status", FORECAST_STATUSES),
        rate(R, "likelihood"),
        non_negative(R, "items"),
        non_negative(R, "days"),
    ),
)

SUITES: tuple[Suite, ...] = (FORECASTS,)
"""The suites, one small module per domain; ``flowmetrics.quality.registry`` registers them in one place."""
