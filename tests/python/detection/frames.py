"""Small status-interval frames for detection tests: tickets through backlog → review queue → review → done, at
chosen arrival times, without a dbt build."""

from __future__ import annotations

import numpy as np
import pandas as pd

from flowmetrics.analysis import detect_constraint

START = pd.Timestamp("2026-01-05 09:00:00")
COLUMNS = ("ticket_id", "interval_number", "stage", "stage_kind", "stage_order", "team", "entered_at", "exited_at",
           "status")


def flow_frame(
    arrivals_hours: np.ndarray,
    *,
    queue_hours: float = 4.0,
    active_hours: float = 3.0,
    finished: bool = True,
    unmapped_every: int = 0,
) -> pd.DataFrame:
    """Tickets arriving at `arrivals_hours` after START: backlog → review queue → review in progress → done (or
    still in progress when not `finished`); every `unmapped_every`-th ticket passes a status missing from the map."""
    rows = []
    for n, at in enumerate(np.sort(arrivals_hours)):
        t = START + pd.Timedelta(hours=float(at))
        steps = [("backlog", "wait", 10, "Open", 2.0)]
        if unmapped_every and n % unmapped_every == 0:
            steps.append(("unmapped", "unmapped", None, "Triage Hold", 5.0))
        steps += [("review", "queue", 20, "Ready for Review", queue_hours),
                  ("review", "active", 20, "In Review", active_hours if finished else None)]
        if finished:
            steps.append(("done", "done", 90, "Done", None))
        for k, (stage, kind, order, status, hours) in enumerate(steps, start=1):
            end = None if hours is None else t + pd.Timedelta(hours=hours)
            rows.append((f"T-{n}", k, stage, kind, order, "web", t, end, status))
            if end is not None:
                t = end
    return pd.DataFrame(rows, columns=list(COLUMNS))


def spread(n: int, days: float, seed: int = 1) -> np.ndarray:
    """`n` arrival times (hours) spread evenly at random over `days`."""
    return np.random.default_rng(seed).uniform(0, days * 24, n)


def judged(frame: pd.DataFrame, **kwargs):
    as_of = pd.Timestamp(frame["entered_at"].max()) + pd.Timedelta(hours=12)
    return detect_constraint(frame, as_of, replicates=20, **kwargs)
