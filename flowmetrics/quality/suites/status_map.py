"""The status map in force (raw ``status_map`` when it has rows, else the suggested map or the default seed the
last build chose, else the seed read from the project when it is not loaded yet), one row per stage: a map that
breaks these rules builds without an error and every flow number after it is wrong.

- exactly one stage holds the done statuses (two done stages turn a move between them into a finish or rework);
- done and abandoned stages come after every queue/active/wait stage in ``stage_order`` (a move is backward,
  i.e. rework, when it goes to a lower stage_order: a done stage ordered first makes every finish rework);
- within a stage no queue status is ordered after an active one (each return to the queue would be rework);
- no stage is both terminal and not, or both done and abandoned (a visit is terminal when any of its statuses is).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from flowmetrics.quality.reader import GateReader
from flowmetrics.quality.suite import Check, CheckContext, Layer, Suite, _gxe, zero
from flowmetrics.quality.suites._derived import status_map_in_force
from flowmetrics.warehouse.project import PROJECT_DIR

DEFAULT_MAP = PROJECT_DIR / "seeds" / "default_status_map.csv"

FLOW_KINDS = ("queue", "active", "wait")
TERMINAL_KINDS = ("done", "abandoned")
COLUMNS = ["map_source", "stage", "kinds", "statuses", "stage_order_min", "stage_order_max", "done_stages",
           "mixes_kinds", "queue_after_active", "terminal_before_flow"]


def stage_rules(status_map: pd.DataFrame, source: str) -> pd.DataFrame:
    """Per stage of a map (raw_status, stage, stage_kind, stage_order): its kinds, orders and rule flags."""
    frame = status_map.assign(stage_kind=status_map["stage_kind"].astype("string").str.lower())
    flow = frame[frame["stage_kind"].isin(FLOW_KINDS)]
    last_flow_order = flow["stage_order"].max() if not flow.empty else None
    done_stages = frame.loc[frame["stage_kind"] == "done", "stage"].nunique()
    rows = []
    for stage, group in frame.groupby("stage", sort=True):
        kinds = set(group["stage_kind"].dropna())
        terminal = kinds & set(TERMINAL_KINDS)
        queue = group.loc[group["stage_kind"] == "queue", "stage_order"]
        active = group.loc[group["stage_kind"] == "active", "stage_order"]
        rows.append({
            "map_source": source,
            "stage": str(stage),
            "kinds": ", ".join(sorted(kinds)),
            "statuses": ", ".join(sorted(group["raw_status"].astype(str)))[:200],
            "stage_order_min": _order(group["stage_order"].min()),
            "stage_order_max": _order(group["stage_order"].max()),
            "done_stages": int(done_stages),
            "mixes_kinds": int(bool(terminal) and (bool(kinds - terminal) or len(terminal) > 1)),
            "queue_after_active": int(not queue.empty and not active.empty and queue.max() > active.min()),
            "terminal_before_flow": int(
                bool(terminal) and last_flow_order is not None and group["stage_order"].min() < last_flow_order
            ),
        })
    return pd.DataFrame(rows, columns=COLUMNS)


def _order(value: Any) -> int | None:
    return None if pd.isna(value) else int(value)  # a null order is raw.status_map.stage_order.not_null's finding


def _stages(reader: GateReader, ctx: CheckContext) -> pd.DataFrame:
    in_force = status_map_in_force(reader)
    if in_force is None:  # before the first build: the seed dbt will load
        return stage_rules(pd.read_csv(DEFAULT_MAP), f"{DEFAULT_MAP.name} (not loaded yet)")
    relation, source = in_force
    status_map = reader.df(f"select raw_status, stage, stage_kind, stage_order from {relation}")
    return stage_rules(status_map, source)


N = "status_map"
SAMPLE = ("map_source", "stage", "kinds", "statuses", "stage_order_min", "stage_order_max")
STATUS_MAP = Suite(
    name=N,
    layer=Layer.RAW,
    frame=_stages,
    checks=(
        Check(
            f"{N}.one_done_stage",
            "exactly one stage holds the done statuses (two make a move between them a finish or rework; none "
            "means nothing ever finishes)",
            lambda ctx: _gxe().ExpectColumnValuesToBeBetween(column="done_stages", min_value=1, max_value=1),
            threshold=lambda ctx: "1 done stage",
            sample_columns=(*SAMPLE, "done_stages"),
        ),
        zero(N, "terminal_before_flow",
             "done and abandoned stages come after every queue, active and wait stage in stage_order (a move to a "
             "lower stage_order counts as rework: a done stage ordered first makes every finish rework)"),
        zero(N, "queue_after_active",
             "within a stage no queue status has a higher stage_order than an active one (every return to the "
             "queue would count as rework)"),
        zero(N, "mixes_kinds",
             "no stage is both terminal (done, abandoned) and not, or both done and abandoned"),
    ),
    description="The status map in force: one done stage, last in the order; queue before active in a stage.",
)

SUITES: tuple[Suite, ...] = (STATUS_MAP,)
