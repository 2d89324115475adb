"""Small hand-made flows for the analysis tests: status intervals as fct_status_intervals would hold them."""

from __future__ import annotations

import pandas as pd
import pytest

EPOCH = pd.Timestamp("2026-01-05")


def intervals(rows: list[tuple[str, int, str, str, int, float, float | None]], team: str = "t") -> pd.DataFrame:
    """(ticket, number, stage, kind, order, entered hours, exited hours or None) -> an intervals frame."""
    return pd.DataFrame(
        {
            "ticket_id": [r[0] for r in rows],
            "interval_number": [r[1] for r in rows],
            "stage": [r[2] for r in rows],
            "stage_kind": [r[3] for r in rows],
            "stage_order": [r[4] for r in rows],
            "team": team,
            "entered_at": [EPOCH + pd.Timedelta(hours=r[5]) for r in rows],
            "exited_at": [EPOCH + pd.Timedelta(hours=r[6]) if r[6] is not None else pd.NaT for r in rows],
        }
    )


@pytest.fixture
def tiny_flow() -> pd.DataFrame:
    """Two tickets through review (queue, active) into done; B waits in review's queue while A is reviewed,
    then is blocked (wait) and still open at the as-of (hour 10)."""
    return intervals(
        [
            ("A", 0, "review", "queue", 40, 0.0, 1.0),
            ("A", 1, "review", "active", 40, 1.0, 3.0),
            ("A", 2, "done", "done", 90, 3.0, None),
            ("B", 0, "review", "queue", 40, 2.0, 3.0),
            ("B", 1, "review", "active", 40, 3.0, 4.0),
            ("B", 2, "review", "wait", 40, 4.0, None),
        ]
    )
