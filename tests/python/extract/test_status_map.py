"""The extract's suggested status map applies the build's rules (int_status_mappings_suggested and seed
status_name_rules): on the demo's changes it equals the build's suggestion, and a tracker's declared categories come
before the name rules."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from flowmetrics.extract.status_map import suggest_status_map


def test_on_the_demos_changes_the_suggestion_equals_the_builds(demo_warehouse: Path) -> None:
    from flowmetrics.simulation import generate_raw_tables

    changes = generate_raw_tables(items=400, seed=3)["ticket_status_changes"]  # the demo_warehouse's simulation
    with duckdb.connect(str(demo_warehouse), read_only=True) as con:
        built = con.execute("select raw_status, stage, stage_kind, stage_order "
                            "from main.int_status_mappings_suggested").df()
    ours = suggest_status_map({}, changes.assign(changed_at=changes["changed_at"].astype(str)))
    as_rows = lambda f: sorted(  # noqa: E731
        (str(r.raw_status), str(r.stage), str(r.stage_kind), int(r.stage_order)) for r in f.itertuples())
    assert as_rows(ours) == as_rows(built)
    assert {"wait"} <= set(ours["stage_kind"])  # the demo's Blocked: homed in the stage it follows


def test_declared_categories_come_before_the_name_rules() -> None:
    changes = pd.DataFrame({
        "change_id": ["1", "2", "3", "4"], "ticket_id": ["A-1"] * 4,
        "changed_at": ["2026-01-01T10:00:00.000+0100", "2026-01-02T10:00:00.000-0500", "2026-01-03T10:00:00Z",
                       "2026-01-04T10:00:00Z"],
        "from_status": [None, "Inbox", "Doing", "Blocked"],
        "to_status": ["Inbox", "Doing", "Blocked", "Shipped"],
    })
    categories = {"Inbox": "todo", "Doing": "in_progress", "Shipped": "done", "In Review": "in_progress",
                  "Won't Do": "done", "Closed": "done", "Cancelled": "canceled"}
    found = suggest_status_map(categories, changes).set_index("raw_status")
    assert tuple(found.loc["Inbox", ["stage", "stage_kind"]]) == ("backlog", "queue")
    assert tuple(found.loc["Doing", ["stage", "stage_kind"]]) == ("doing", "active")
    assert tuple(found.loc["Blocked", ["stage", "stage_kind"]]) == ("doing", "wait")  # homed in the stage it follows
    assert tuple(found.loc["Shipped", ["stage", "stage_kind"]]) == ("done", "done")  # a category, not a name
    assert tuple(found.loc["In Review", ["stage", "stage_kind"]]) == ("review", "active")  # declared, never used
    # Jira's done category also holds work nobody finished: an abandoned name decides, so it is no finished work
    assert tuple(found.loc["Won't Do", ["stage", "stage_kind"]]) == ("abandoned", "abandoned")
    assert tuple(found.loc["Closed", ["stage", "stage_kind"]]) == ("done", "done")
    assert tuple(found.loc["Cancelled", ["stage", "stage_kind"]]) == ("abandoned", "abandoned")
    orders = found["stage_order"]
    assert orders["Inbox"] < orders["Doing"] < orders["Shipped"]
