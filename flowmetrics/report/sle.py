"""The service-level expectations (SLE) as fct_cycle_time_sle publishes them: which percentiles, and their lines."""

from __future__ import annotations

import pandas as pd

PERCENTILES = (50, 85, 95)
"""The percentiles of cycle time the mart publishes (its p50/p85/p95_cycle_time_seconds columns)."""

AT_RISK = 85
"""An open item older than this percentile of cycle time is at risk of missing the SLE."""


def column(percentile: int) -> str:
    return f"p{percentile}_cycle_time_seconds"


def overall_lines(sle: pd.DataFrame) -> dict[int, float]:
    """{percentile: seconds} of the overall row; empty when nothing finished in the window (or no row)."""
    if sle.empty:
        return {}
    overall = sle[sle["sle_scope"] == "overall"]
    if overall.empty:
        return {}
    row = overall.iloc[0]
    return {p: float(row[column(p)]) for p in PERCENTILES if pd.notna(row[column(p)])}


def window_weeks(sle: pd.DataFrame) -> int | None:
    """The window's length in whole weeks, read from the mart's window_start and window_end."""
    if sle.empty:
        return None
    row = sle.iloc[0]
    return round((pd.Timestamp(row["window_end"]) - pd.Timestamp(row["window_start"])) / pd.Timedelta(weeks=1))
