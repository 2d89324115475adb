"""A written status map keeps the map's own order (it decides the entry status): the map in force's order for the
statuses it maps, then new statuses by their typical position; never the status name."""

from __future__ import annotations

import pandas as pd

from flowmetrics.steps.statuses import StatusRow, merged_status_map


def _row(status: str, position: float, current: tuple[str, str, int] | None, suggested: tuple[str, str, int]):
    stage, kind, order = current if current else (None, None, None)
    return StatusRow(
        raw_status=status, status_category=None, change_count=1, ticket_count=1, typical_position=position,
        current_stage=stage, current_kind=kind, current_order=order,
        current_map_source=None if current is None else "raw",
        suggested_stage=suggested[0], suggested_kind=suggested[1], suggested_order=suggested[2],
        name_rule=None, differs=current is None,
    )


def test_the_map_in_force_keeps_its_order_and_new_statuses_follow_by_position():
    in_force = pd.DataFrame({
        "raw_status": ["Queued", "Accepted", "Working", "Closed"],
        "stage": ["intake", "intake", "intake", "done"],
        "stage_kind": ["queue", "queue", "active", "done"],
        "stage_order": [1, 1, 1, 9],
        "map_order": [1.0, 2.0, 3.0, 4.0],
        "map_source": ["raw"] * 4,
    })
    rows = (
        _row("Accepted", 1.0, ("intake", "queue", 1), ("intake", "queue", 10)),
        _row("Queued", 2.0, ("intake", "queue", 1), ("intake", "queue", 10)),
        _row("Brand New", 0.5, None, ("intake", "queue", 10)),  # new: first by position, after the mapped ones
        _row("Waiting", 3.0, None, ("intake", "queue", 10)),
        _row("Working", 4.0, ("intake", "active", 1), ("intake", "active", 10)),
        _row("Closed", 5.0, ("done", "done", 9), ("done", "done", 90)),
    )

    written = merged_status_map(rows, in_force)

    assert list(written["raw_status"]) == ["Queued", "Accepted", "Brand New", "Waiting", "Working", "Closed"]


def test_without_an_order_in_force_the_typical_position_decides_not_the_name():
    in_force = pd.DataFrame(columns=["raw_status", "stage", "stage_kind", "stage_order", "map_source"])
    rows = (
        _row("Zeta Queue", 1.0, None, ("intake", "queue", 10)),
        _row("Alpha Queue", 2.0, None, ("intake", "queue", 10)),
    )

    assert list(merged_status_map(rows, in_force)["raw_status"]) == ["Zeta Queue", "Alpha Queue"]
