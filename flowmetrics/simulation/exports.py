"""The raw tables as an export taken earlier would have held them: for nightly (incremental) builds in tests and
benchmarks, where tonight's export adds a day of events, plus late ones that happened before yesterday's export
was taken but had not reached it.

Pure: data frames in, data frames out.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

# The time column that says when each row came into being; rows after the export time are not in the export.
_EVENT_TIME = {
    "tickets": "created_at",
    "ticket_status_changes": "changed_at",
    "deploys": "deployed_at",
    "incidents": "opened_at",
    "experiments": "created_at",
    "experiment_events": "occurred_at",
    "experiment_exposures": "exposed_at",
}
# Entities re-sent when they change: a resolution after the export time is not in the export yet.
_RESOLVED_LATER = {"incidents": "resolved_at"}
# Rows that belong to a parent row: kept when the parent is.
_CHILDREN = {
    "deploy_tickets": ("deploys", "deploy_id"),
    "experiment_variants": ("experiments", "experiment_id"),
}


def export_at(
    frames: dict[str, pd.DataFrame],
    taken_at: pd.Timestamp,
    late_change_ids: Iterable[str] = (),
) -> dict[str, pd.DataFrame]:
    """`frames` as an export taken at `taken_at`: every row that came into being after it is left out, and so are
    the status changes in `late_change_ids` (they happened before `taken_at` but reach only a later export)."""
    taken_at = pd.Timestamp(taken_at)
    late = set(late_change_ids)
    out: dict[str, pd.DataFrame] = {}
    for name, frame in frames.items():
        column = _EVENT_TIME.get(name)
        if column is None:
            continue
        keep = frame[column] <= taken_at
        if name == "ticket_status_changes" and late:
            keep &= ~frame["change_id"].isin(late)
        kept = frame[keep].reset_index(drop=True)
        if name in _RESOLVED_LATER:
            column = _RESOLVED_LATER[name]
            kept[column] = kept[column].where(kept[column] <= taken_at)
        out[name] = kept
    for name, (parent, key) in _CHILDREN.items():
        if name in frames:
            out[name] = frames[name][frames[name][key].isin(out[parent][key])].reset_index(drop=True)
    for name, frame in frames.items():
        out.setdefault(name, frame)  # configuration (status_map): the same in every export
    return {name: out[name] for name in frames}


def late_changes(
    changes: pd.DataFrame, taken_at: pd.Timestamp, within: pd.Timedelta, every: int = 7
) -> list[str]:
    """Every `every`-th status change of the window `within` before `taken_at`: changes to hold back from the
    export at `taken_at` so that they arrive late, with the next one. Deterministic."""
    taken_at = pd.Timestamp(taken_at)
    window = changes[(changes["changed_at"] > taken_at - within) & (changes["changed_at"] <= taken_at)]
    return window.sort_values(["changed_at", "change_id"])["change_id"].iloc[::every].tolist()
