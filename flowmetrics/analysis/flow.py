"""Status intervals as arrays: clipped at the as-of, coded by stage, kind and team, and grouped into stage visits.

The one input of detection is `fct_status_intervals` (a data frame with its columns); everything else (counts
over time, visits, waits) is derived here, so an earlier as-of replays the past exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from flowmetrics.errors import AnalysisError

INTERVAL_COLUMNS = (
    "ticket_id",
    "interval_number",
    "stage",
    "stage_kind",
    "stage_order",
    "team",
    "entered_at",
    "exited_at",
)
"""The columns of fct_status_intervals that detection reads."""

QUEUE, ACTIVE, WAIT, UNMAPPED = 0, 1, 2, 3
FLOW_KINDS = {"queue": QUEUE, "active": ACTIVE, "wait": WAIT, "unmapped": UNMAPPED}
"""Kinds of a status in which an item is still in the flow (done and abandoned end it)."""
NO_TEAM = "(no team)"


def to_seconds(values: pd.Series | np.ndarray) -> np.ndarray:
    """Timestamps (naive UTC) as float seconds since 1970; NaT becomes NaN."""
    arr = np.asarray(pd.to_datetime(pd.Series(values)).to_numpy(dtype="datetime64[us]"))
    out = arr.astype("int64").astype(float) / 1e6
    out[np.isnat(arr)] = np.nan
    return out


def timestamp(seconds: float) -> datetime:
    """Float seconds since 1970 as a naive UTC datetime (whole microseconds)."""
    return pd.Timestamp(round(seconds * 1e6), unit="us").to_pydatetime()


@dataclass(frozen=True)
class Flow:
    """The flow up to `as_of` (seconds): intervals in non-terminal statuses and the stage visits they form.

    Interval and visit arrays are parallel; `*_stage` and `*_team` are codes into `stages` and `teams`.
    Open intervals and visits end at the as-of (`v_open` marks visits still running).
    """

    as_of: float
    stages: tuple[str, ...]  # non-terminal stages, in stage order
    teams: tuple[str, ...]
    first_at: float  # the earliest interval start
    i_stage: np.ndarray
    i_kind: np.ndarray
    i_team: np.ndarray
    i_start: np.ndarray
    i_end: np.ndarray
    v_stage: np.ndarray
    v_team: np.ndarray
    v_start: np.ndarray
    v_end: np.ndarray
    v_open: np.ndarray
    v_queue: np.ndarray  # seconds by kind within the visit, up to the as-of
    v_active: np.ndarray
    v_wait: np.ndarray

    @property
    def has_work(self) -> np.ndarray:
        """Per stage: someone works in it (it has an active status in the data)."""
        return np.bincount(self.i_stage[self.i_kind == ACTIVE], minlength=len(self.stages)) > 0

    @property
    def has_queue(self) -> np.ndarray:
        """Per stage: it has a queue status (work waits for its people)."""
        return np.bincount(self.i_stage[self.i_kind == QUEUE], minlength=len(self.stages)) > 0

    def intervals(self, stage: int, kinds: tuple[int, ...], team: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Start and end of the intervals of `stage` in one of `kinds` (and of one team's items)."""
        groups = self._groups()
        idx = np.concatenate([groups.get((stage, k), np.zeros(0, dtype=np.int64)) for k in kinds])
        if team is not None:
            idx = idx[self.i_team[idx] == team]
        return self.i_start[idx], self.i_end[idx]

    def _groups(self) -> dict[tuple[int, int], np.ndarray]:
        """Interval indices per (stage, kind), computed once."""
        cached = self.__dict__.get("_group_cache")
        if cached is None:
            key = self.i_stage * 8 + self.i_kind
            order = np.argsort(key, kind="stable")
            keys, first = np.unique(key[order], return_index=True)
            parts = np.split(order, first[1:])
            cached = {(int(k) // 8, int(k) % 8): part for k, part in zip(keys, parts, strict=True)}
            object.__setattr__(self, "_group_cache", cached)
        return cached


def prepare_flow(intervals: pd.DataFrame, as_of: datetime | pd.Timestamp) -> Flow:
    """The flow of `intervals` (columns INTERVAL_COLUMNS, one row per ticket per status interval) up to `as_of`."""
    missing = [c for c in INTERVAL_COLUMNS if c not in intervals.columns]
    if missing:
        raise AnalysisError(f"status intervals lack column(s) {', '.join(missing)}")
    cut = float(to_seconds(pd.Series([pd.Timestamp(as_of)]))[0])
    start = to_seconds(intervals["entered_at"])
    end = to_seconds(intervals["exited_at"])
    keep = start <= cut
    if not keep.any():
        raise AnalysisError(f"no status interval starts at or before the as-of {as_of}")
    df = intervals.loc[keep]
    start, end = start[keep], end[keep]
    is_open = np.isnan(end) | (end > cut)
    end = np.where(is_open, cut, end)

    # codes straight from the (often Arrow-backed) columns: spelling out millions of strings costs seconds
    ticket = pd.factorize(df["ticket_id"])[0]
    number = df["interval_number"].to_numpy(dtype=np.int64)
    order = np.argsort(ticket.astype(np.int64) * (int(number.max()) + 1) + number)  # one key: faster than lexsort
    ticket, start, end, is_open = ticket[order], start[order], end[order], is_open[order]
    stage_codes, stage_uniques = pd.factorize(df["stage"])
    kind_codes, kind_uniques = pd.factorize(df["stage_kind"])
    team_codes, team_uniques = pd.factorize(df["team"], use_na_sentinel=False)
    stage_codes, kind_codes, team_codes = stage_codes[order], kind_codes[order], team_codes[order]
    stage_order = pd.to_numeric(df["stage_order"], errors="coerce").to_numpy(dtype=float)[order]
    kind = np.array([FLOW_KINDS.get(str(k), -1) for k in kind_uniques], dtype=np.int64)[kind_codes]
    team_names = [NO_TEAM if pd.isna(t) else str(t) for t in team_uniques]

    # visits: consecutive intervals of one ticket in one stage (terminal ones break them too)
    new_visit = np.ones(len(ticket), dtype=bool)
    new_visit[1:] = (ticket[1:] != ticket[:-1]) | (stage_codes[1:] != stage_codes[:-1])
    first = np.flatnonzero(new_visit)
    visit = np.cumsum(new_visit) - 1
    last = np.concatenate([first[1:], [len(ticket)]]) - 1
    seconds = end - start

    def by_kind(k: int) -> np.ndarray:
        return np.bincount(visit, weights=np.where(kind == k, seconds, 0.0), minlength=len(first))

    v_flow = np.bincount(visit, weights=(kind >= 0).astype(float), minlength=len(first)) > 0

    # non-terminal stages in stage order (unmapped last)
    in_flow = kind >= 0
    flow_stages = np.unique(stage_codes[in_flow])
    order_of = {}
    for code in flow_stages:
        orders = stage_order[(stage_codes == code) & in_flow]
        orders = orders[~np.isnan(orders)]
        order_of[code] = float(orders.min()) if len(orders) else np.inf
    ranked = sorted(flow_stages.tolist(), key=lambda c: (order_of[c], str(stage_uniques[c])))
    recode = np.full(len(stage_uniques), -1, dtype=np.int64)
    recode[ranked] = np.arange(len(ranked))
    stages = tuple(str(stage_uniques[c]) for c in ranked)

    i_keep = in_flow
    v_keep = v_flow
    return Flow(
        as_of=cut,
        stages=stages,
        teams=tuple(str(t) for t in team_names),
        first_at=float(start.min()),
        i_stage=recode[stage_codes[i_keep]],
        i_kind=kind[i_keep],
        i_team=team_codes[i_keep],
        i_start=start[i_keep],
        i_end=end[i_keep],
        v_stage=recode[stage_codes[first]][v_keep],
        v_team=team_codes[first][v_keep],
        v_start=start[first][v_keep],
        v_end=np.where(is_open[last], np.nan, end[last])[v_keep],
        v_open=is_open[last][v_keep],
        v_queue=by_kind(QUEUE)[v_keep],
        v_active=by_kind(ACTIVE)[v_keep],
        v_wait=by_kind(WAIT)[v_keep],
    )
