"""A run of nightly exports of one simulated log, as real connectors deliver them: late, partial and revised.

Each night's export is cumulative (it holds every row the source has delivered so far) but each ticket table has
its own lag behind the night's time: a table that stalls for a few nights and then catches up, rows re-sent twice
in one file, a ticket row that arrives nights after its changes, a ticket deleted at the source (gone from every
later export; raw keeps it until someone deletes it, so the night names it), and a ticket whose team, title or
type changes from some night on. The other tables are exported complete up to the night's time (`export_at`).

Pure: data frames and a plan in, frozen nights out; deterministic for a plan.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from flowmetrics.simulation.exports import export_at

LAGGING_TABLES = ("tickets", "ticket_status_changes")  # the tables whose delivery lags, stalls and catches up
MAX_LAG_DAYS = 10
CHANGEABLE_ATTRIBUTES = ("team", "title", "ticket_type")
_EVENT_TIME = {"tickets": "created_at", "ticket_status_changes": "changed_at"}


@dataclass(frozen=True)
class LateTicket:
    """The ticket row (the `ticket`-th ticket, modulo their number) reaches the export only `nights` nights after
    the night its first status change does."""

    ticket: int
    nights: int


@dataclass(frozen=True)
class Deletion:
    """The `ticket`-th ticket is deleted at the source before night `night`: it and its changes are in no export
    from that night on, and raw must lose them."""

    ticket: int
    night: int


@dataclass(frozen=True)
class AttributeChange:
    """From night `night` on, the `ticket`-th ticket's `column` (team, title or ticket_type) has another value."""

    ticket: int
    night: int
    column: str


@dataclass(frozen=True)
class Resend:
    """Night `night`'s export of `table` repeats `rows` of the rows an earlier night already sent (in-file
    duplicates, as a connector that retries a page sends them)."""

    table: str
    night: int
    rows: int


@dataclass(frozen=True)
class NightsPlan:
    """What happens over the nights: per lagging table its lag in days on each night (0 to MAX_LAG_DAYS; a lag
    that grows by a day or more a night is a stall, a drop is a catch-up), and the events."""

    lags: Mapping[str, tuple[int, ...]]
    late_tickets: tuple[LateTicket, ...] = ()
    deletions: tuple[Deletion, ...] = ()
    attribute_changes: tuple[AttributeChange, ...] = ()
    resends: tuple[Resend, ...] = ()

    @property
    def nights(self) -> int:
        return len(next(iter(self.lags.values())))

    def __post_init__(self) -> None:
        if set(self.lags) != set(LAGGING_TABLES):
            raise ValueError(f"lags must be given for exactly {', '.join(LAGGING_TABLES)}; got {sorted(self.lags)}")
        counts = {len(v) for v in self.lags.values()}
        if len(counts) != 1 or 0 in counts:
            raise ValueError(f"every table needs a lag for each night (the same number, at least one): {counts}")
        bad = [lag for v in self.lags.values() for lag in v if not 0 <= lag <= MAX_LAG_DAYS]
        if bad:
            raise ValueError(f"lags are 0 to {MAX_LAG_DAYS} days; got {bad}")
        unknown = {c.column for c in self.attribute_changes} - set(CHANGEABLE_ATTRIBUTES)
        if unknown:
            raise ValueError(f"attribute changes are of {', '.join(CHANGEABLE_ATTRIBUTES)}; got {sorted(unknown)}")
        tables = {r.table for r in self.resends} - set(LAGGING_TABLES)
        if tables:
            raise ValueError(f"re-sends are of {', '.join(LAGGING_TABLES)}; got {sorted(tables)}")


@dataclass(frozen=True)
class Night:
    """One night: its number (from 0), its time (the as-of of its build), its export, and the tickets deleted at
    the source since the night before (to delete from raw after ingesting the export)."""

    number: int
    as_of: pd.Timestamp
    frames: dict[str, pd.DataFrame] = field(repr=False)
    deleted_tickets: tuple[str, ...] = ()


def night_times(frames: Mapping[str, pd.DataFrame], nights: int) -> list[pd.Timestamp]:
    """Midnight after each of the log's first `nights` days: the times the nightly runs."""
    start = frames["ticket_status_changes"]["changed_at"].min().floor("D")
    return [start + pd.Timedelta(days=n + 1) for n in range(nights)]


def watermarks(times: list[pd.Timestamp], lags: tuple[int, ...]) -> list[pd.Timestamp]:
    """How far a table has been delivered on each night: the night's time less its lag, never moving back (an
    export is cumulative: what was sent stays sent)."""
    out: list[pd.Timestamp] = []
    for time, lag in zip(times, lags, strict=True):
        mark = time - pd.Timedelta(days=lag)
        out.append(max(mark, out[-1]) if out else mark)
    return out


def _pick(ids: list[str], index: int) -> str:
    return ids[index % len(ids)]


def _other(values: list[str], current: str) -> str:
    """The next value after `current` among `values` (sorted, cyclic), or `current` revised when there is no other."""
    choices = sorted(set(values))
    if len(choices) < 2:
        return f"{current} (revised)"
    return choices[(choices.index(current) + 1) % len(choices)] if current in choices else choices[0]


def _attributes(
    tickets: pd.DataFrame, ids: list[str], changes: tuple[AttributeChange, ...], night: int
) -> pd.DataFrame:
    """The tickets as the source holds them on `night`: every change of an earlier or this night applied."""
    out = tickets.copy()
    for change in sorted(changes, key=lambda c: (c.night, c.ticket, c.column)):
        if change.night > night:
            continue
        row = out["ticket_id"] == _pick(ids, change.ticket)
        current = out.loc[row, change.column].iloc[0]
        if change.column == "title":
            value = f"{current} (revised)"
        else:
            value = _other(tickets[change.column].dropna().astype(str).tolist(), str(current))
        out.loc[row, change.column] = value
    return out


def nightly_exports(frames: Mapping[str, pd.DataFrame], plan: NightsPlan) -> tuple[Night, ...]:
    """The plan's nights over the complete raw tables `frames` (generate_raw_tables' output)."""
    times = night_times(frames, plan.nights)
    marks = {table: watermarks(times, plan.lags[table]) for table in LAGGING_TABLES}
    tickets, changes = frames["tickets"], frames["ticket_status_changes"]
    ids = sorted(tickets["ticket_id"].astype(str))
    deleted_on: dict[str, int] = {}
    for deletion in sorted(plan.deletions, key=lambda d: d.night):
        deleted_on.setdefault(_pick(ids, deletion.ticket), deletion.night)
    held_until = _late_ticket_nights(changes, ids, plan, marks["ticket_status_changes"])
    nights: list[Night] = []
    sent: dict[str, pd.DataFrame] = {}
    for number, time in enumerate(times):
        gone = {ticket for ticket, night in deleted_on.items() if night <= number}
        out = dict(export_at(dict(frames), time))
        source = {
            "tickets": _attributes(tickets, ids, plan.attribute_changes, number),
            "ticket_status_changes": changes,
        }
        for table in LAGGING_TABLES:
            frame = source[table]
            keep = (frame[_EVENT_TIME[table]] <= marks[table][number]) & ~frame["ticket_id"].isin(gone)
            if table == "tickets":
                keep &= ~frame["ticket_id"].isin([t for t, until in held_until.items() if until > number])
            exported = frame[keep].reset_index(drop=True)
            exported = _with_resends(exported, sent.get(table), plan.resends, table, number)
            out[table] = exported
            sent[table] = exported
        deleted = tuple(sorted(t for t, night in deleted_on.items() if night == number))
        nights.append(Night(number, time, out, deleted))
    return tuple(nights)


def _late_ticket_nights(
    changes: pd.DataFrame, ids: list[str], plan: NightsPlan, change_marks: list[pd.Timestamp]
) -> dict[str, int]:
    """Per late ticket, the first night its row may be exported: `nights` after its first change is."""
    out: dict[str, int] = {}
    first_change = changes.groupby("ticket_id")["changed_at"].min()
    for late in plan.late_tickets:
        ticket = _pick(ids, late.ticket)
        if ticket not in first_change.index:
            continue
        arrives = next((n for n, mark in enumerate(change_marks) if first_change[ticket] <= mark), len(change_marks))
        out[ticket] = max(out.get(ticket, 0), arrives + late.nights)
    return out


def _with_resends(
    exported: pd.DataFrame, before: pd.DataFrame | None, resends: tuple[Resend, ...], table: str, night: int
) -> pd.DataFrame:
    """`exported` plus, appended, a copy of the first rows of each re-send of this table and night among those the
    previous export already held (exact in-file duplicates: ingest keeps the first and quarantines the copy)."""
    rows = sum(r.rows for r in resends if r.table == table and r.night == night)
    if not rows or before is None or before.empty:
        return exported
    key = "ticket_id" if table == "tickets" else "change_id"
    still = exported[key].isin(before[key])
    again = exported[still].drop_duplicates(key).head(rows)
    return pd.concat([exported, again], ignore_index=True)
