"""Several simulated systems as one raw export, so one ingest and one dbt build serve many scenarios.

Every id gets the system's key as a prefix (`S01-FM-1`), the status maps are merged (a status must mean the same
in every system) and each system's timestamps are shifted so that all of them end at the same instant: the
warehouse's as-of is then every system's own end, and open items are measured up to it.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from flowmetrics.contract import TABLES, ColumnType
from flowmetrics.simulation.raw_tables import conform


def _latest_event(tables: Mapping[str, pd.DataFrame]) -> np.datetime64:
    latest = [
        frame[col.name].max()
        for name, frame in tables.items()
        for col in TABLES[name].columns
        if col.type is ColumnType.TIMESTAMP and len(frame) and frame[col.name].notna().any()
    ]
    return np.datetime64(max(latest), "us")


def combine_raw_tables(
    systems: Mapping[str, Mapping[str, pd.DataFrame]], align_end: bool = True
) -> dict[str, pd.DataFrame]:
    """The raw contract tables of every system in `systems` (key -> its tables) as one set of tables.

    Ids (every `*_id` column) are prefixed with `key-`; with `align_end` every system's timestamps move so its
    latest event falls on the latest event of all systems.
    """
    if not systems:
        raise ValueError("no systems to combine")
    ends = {key: _latest_event(tables) for key, tables in systems.items()}
    end = max(ends.values())
    out: dict[str, list[pd.DataFrame]] = {name: [] for name in TABLES}
    for key, tables in systems.items():
        shift = (end - ends[key]) if align_end else np.timedelta64(0, "us")
        for name, frame in tables.items():
            frame = frame.copy()
            for col in TABLES[name].columns:
                if col.type is ColumnType.TIMESTAMP:
                    frame[col.name] = frame[col.name] + pd.Timedelta(shift)
                elif col.name.endswith("_id"):
                    frame[col.name] = (key + "-" + frame[col.name].astype("str")).where(frame[col.name].notna())
            out[name].append(frame)
    combined = {name: pd.concat(frames, ignore_index=True) for name, frames in out.items()}
    status_map = combined["status_map"].drop_duplicates()
    clash = status_map["raw_status"].duplicated(keep=False)
    if clash.any():
        raise ValueError(
            "statuses mean different things in the systems combined: "
            + ", ".join(sorted(status_map.loc[clash, "raw_status"].unique()))
        )
    combined["status_map"] = status_map
    return {name: conform(name, frame) for name, frame in combined.items()}
