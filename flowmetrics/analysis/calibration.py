"""Calibrate the what-if simulation from the marts: a pure function from data frames to a `Calibration`.

Arrival rates come from the tickets *created* (not from throughput: a constrained system finishes less than it
is asked for, and the what-if must see the demand). Per stage: whether people work in it (an active status) or
items only wait there; for work stages the service time (active seconds per visit), the people working in
parallel (the most items in work at once), rework (the share of visits followed by a visit to an earlier work
stage) and blocking (the share of visits with time in a wait status, and how long); for waits their delay, the
share of items passing through and the share abandoned from there.
"""

from __future__ import annotations

import math
from datetime import datetime

import numpy as np
import pandas as pd

from flowmetrics.analysis.flow import INTERVAL_COLUMNS, NO_TEAM, timestamp, to_seconds
from flowmetrics.analysis.timeline import StepFunction
from flowmetrics.errors import AnalysisError
from flowmetrics.results import Calibration, DemandCalibration, StageCalibration

CALIBRATION_INTERVAL_COLUMNS = (*INTERVAL_COLUMNS, "status")
WORK_ITEM_COLUMNS = ("ticket_id", "team", "requested_by", "ai_assisted", "created_at")
UNKNOWN_FUNCTION = "(unknown)"
AMPLE_WAITING_SHARE = 0.02  # a work stage where items wait less than this share of their time has room to spare
MIN_AI_VISITS = 20


def _mean_cv(x: np.ndarray) -> tuple[float, float]:
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return float("nan"), float("nan")
    mean = float(x.mean())
    return mean, float(x.std() / mean) if mean > 0 and len(x) > 1 else 0.0


def _mode(values: pd.Series) -> str | None:
    values = values.dropna()
    return None if values.empty else str(values.value_counts().index[0])


def calibrate(
    intervals: pd.DataFrame,
    work_items: pd.DataFrame,
    as_of: datetime | pd.Timestamp,
    weeks: float = 12.0,
) -> Calibration:
    """The delivery system in `intervals` (fct_status_intervals, CALIBRATION_INTERVAL_COLUMNS) and `work_items`
    (fct_work_items, WORK_ITEM_COLUMNS) over the `weeks` before `as_of` (or all of it, if shorter). The same
    calibration whatever order the warehouse returned the rows in, so a seeded simulation of it reproduces."""
    work_items = work_items.sort_values("ticket_id", kind="stable").reset_index(drop=True)
    end = float(to_seconds(pd.Series([pd.Timestamp(as_of)]))[0])
    created = to_seconds(work_items["created_at"])
    if not (created <= end).any():
        raise AnalysisError("no ticket was created before the as-of: nothing to calibrate")
    start = max(end - weeks * 7 * 86_400, float(np.nanmin(created)))
    days = (end - start) / 86_400
    if days < 1:
        raise AnalysisError("less than a day of history: too little to calibrate a simulation")
    in_period = (created >= start) & (created < end)
    tickets = work_items.loc[in_period]
    demand = _demand(tickets, days)

    iv = intervals.copy()
    iv["start"] = to_seconds(iv["entered_at"])
    iv["end"] = to_seconds(iv["exited_at"])
    iv = iv[iv["start"] <= end]
    iv["open"] = iv["end"].isna() | (iv["end"] > end)
    iv["end"] = np.where(iv["open"], end, iv["end"])
    iv = iv.sort_values(["ticket_id", "interval_number"], kind="stable").reset_index(drop=True)
    iv["seconds"] = iv["end"] - iv["start"]
    ticket = iv["ticket_id"].to_numpy()
    stage = iv["stage"].astype(str).to_numpy()
    new_visit = np.ones(len(iv), dtype=bool)
    new_visit[1:] = (ticket[1:] != ticket[:-1]) | (stage[1:] != stage[:-1])
    iv["visit"] = np.cumsum(new_visit) - 1
    kinds = iv["stage_kind"].astype(str)
    for kind in ("queue", "active", "wait", "unmapped"):
        iv[kind] = np.where(kinds == kind, iv["seconds"], 0.0)
    visits = iv.groupby("visit", sort=True).agg(
        ticket_id=("ticket_id", "first"),
        stage=("stage", "first"),
        start=("start", "first"),
        open=("open", "last"),
        queue=("queue", "sum"),
        active=("active", "sum"),
        wait=("wait", "sum"),
        unmapped=("unmapped", "sum"),
    )
    same_ticket_next = visits["ticket_id"].shift(-1) == visits["ticket_id"]
    visits["next_stage"] = visits["stage"].shift(-1).where(same_ticket_next)
    ai = work_items.set_index("ticket_id")["ai_assisted"].astype("boolean").fillna(False)
    visits["ai"] = visits["ticket_id"].map(ai).fillna(False).astype(bool).to_numpy()

    stage_kind = {str(stage): set(kinds.astype(str)) for stage, kinds in iv.groupby("stage")["stage_kind"]}
    stage_order = iv.groupby("stage")["stage_order"].min()
    terminal = {s for s, k in stage_kind.items() if k & {"done", "abandoned"}}
    abandoned = {s for s, k in stage_kind.items() if "abandoned" in k}
    flow_stages = [
        s for s in stage_kind if s not in terminal and s != "unmapped" and not pd.isna(stage_order.get(s))
    ]
    flow_stages.sort(key=lambda s: (float(stage_order[s]), s))
    work = [s for s in flow_stages if "active" in stage_kind[s]]

    stages = []
    n_tickets = max(1, int(in_period.sum()))
    for s in flow_stages:
        mine = visits[(visits["stage"] == s) & (visits["start"] >= start) & (visits["start"] < end)]
        done = mine[~mine["open"]]
        statuses = iv[iv["stage"] == s]
        order = int(stage_order[s])
        share = len(mine) / n_tickets
        if s in work:
            stages.append(_work_stage(s, order, mine, done, statuses, work, share, start, end))
        else:
            stages.append(_wait_stage(s, order, mine, done, statuses, abandoned, share))
    done_status = _mode(iv.loc[kinds == "done", "status"]) or "Done"
    abandoned_status = _mode(iv.loc[kinds == "abandoned", "status"]) or "Won't Do"
    return Calibration(
        start=timestamp(start),
        end=timestamp(end),
        tickets=int(in_period.sum()),
        demand=demand,
        stages=tuple(stages),
        done_status=done_status,
        abandoned_status=abandoned_status,
    )


def _demand(tickets: pd.DataFrame, days: float) -> tuple[DemandCalibration, ...]:
    fn = tickets["requested_by"].astype(object).where(tickets["requested_by"].notna(), UNKNOWN_FUNCTION)
    team = tickets["team"].astype(object).where(tickets["team"].notna(), NO_TEAM)
    ai = tickets["ai_assisted"].astype("boolean").fillna(False).astype(bool)
    out = []
    for name in sorted(fn.unique()):
        mine = (fn == name).to_numpy()
        teams = team[mine].value_counts(normalize=True).sort_index()  # by name, not by how ties happened to fall
        out.append(
            DemandCalibration(
                requested_by=str(name),
                per_day=float(mine.sum() / days),
                teams={str(t): float(w) for t, w in teams.items()},
                ai_share=float(ai[mine].mean()),
            )
        )
    return tuple(out)


def _work_stage(
    stage: str,
    order: int,
    mine: pd.DataFrame,
    done: pd.DataFrame,
    statuses: pd.DataFrame,
    work: list[str],
    share: float,
    start: float,
    end: float,
) -> StageCalibration:
    kinds = statuses["stage_kind"].astype(str)
    served = done[done["active"] > 0]
    mean, cv = _mean_cv(served["active"].to_numpy() / 3600)
    active = statuses[kinds == "active"]
    busy = StepFunction.count(active["start"].to_numpy(), active["end"].to_numpy())
    in_period = (busy.times >= start) & (busy.times < end)
    peak = float(busy.values[in_period].max()) if in_period.any() else 0.0
    peak = max(peak, float(busy.at(np.array([start]))[0]))
    mean_busy = float(busy.integrals(np.array([start, end]))[0] / (end - start))
    servers = max(1, int(round(peak)))
    time_in = float((mine["queue"] + mine["active"]).sum())
    if time_in > 0 and mine["queue"].sum() / time_in < AMPLE_WAITING_SHARE:
        servers = max(servers, math.ceil(2 * mean_busy))  # nobody waits: more people than ever worked at once
    earlier = set(work[: work.index(stage)])
    back = done["next_stage"].isin(earlier)
    rework_to = _mode(done.loc[back, "next_stage"])
    p = float(back.mean()) if len(done) else 0.0
    ai_done = done[done["ai"]]
    p_ai = float(ai_done["next_stage"].isin(earlier).mean()) if len(ai_done) >= MIN_AI_VISITS else None
    p_plain = float(done.loc[~done["ai"], "next_stage"].isin(earlier).mean()) if (~done["ai"]).sum() else p
    blocked = done[done["wait"] > 0]
    b_mean, b_cv = _mean_cv(blocked["wait"].to_numpy() / 3600)
    return StageCalibration(
        stage=stage,
        order=order,
        kind="work",
        visits=len(mine),
        visit_share=share,
        queue_status=_mode(statuses.loc[kinds == "queue", "status"]),
        active_status=_mode(active["status"]),
        wait_status=_mode(statuses.loc[kinds == "wait", "status"]),
        service_mean_hours=mean,
        service_cv=cv,
        servers=servers,
        utilisation=mean_busy / servers,
        rework_to=rework_to,
        rework_probability=p_plain if rework_to else 0.0,
        rework_probability_ai=p_ai if rework_to else None,
        blocking_probability=float(len(blocked) / len(done)) if len(done) else 0.0,
        blocking_mean_hours=b_mean,
        blocking_cv=b_cv,
    )


def _wait_stage(
    stage: str,
    order: int,
    mine: pd.DataFrame,
    done: pd.DataFrame,
    statuses: pd.DataFrame,
    abandoned: set[str],
    share: float,
) -> StageCalibration:
    total = (done["queue"] + done["wait"] + done["unmapped"]).to_numpy() / 3600
    leaves = done["next_stage"].isin(abandoned).to_numpy()
    mean, cv = _mean_cv(total[~leaves])
    a_mean, _ = _mean_cv(total[leaves])
    status = _mode(statuses["status"])
    kind = _mode(statuses.loc[statuses["status"] == status, "stage_kind"].astype(str)) if status else "wait"
    return StageCalibration(
        stage=stage,
        order=order,
        kind="wait",
        visits=len(mine),
        visit_share=min(1.0, share),
        wait_status=status,
        wait_kind=kind if kind in ("queue", "wait") else "wait",
        delay_mean_hours=mean,
        delay_cv=cv,
        abandon_probability=float(leaves.mean()) if len(done) else 0.0,
        abandon_mean_hours=a_mean,
    )
