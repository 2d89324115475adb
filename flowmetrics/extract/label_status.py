"""A ticket's status from its open/closed state and its status labels: the rule GitHub and GitLab pulls share.

The status at a time: the closed status (the not-planned one when that closure says so) while the ticket is closed;
else the status of the status label put on last among those still on; else the open status. All events of one
second count together, so swapping one status label for another is one change, not two. It is the rule the dbt
GitHub adapters apply to connector tables (macros/sources/github.sql), stated here for the API's events. Pure: event
records in, contract rows out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flowmetrics.extract.frames import epoch_second, utc_second


@dataclass(frozen=True)
class StateStatuses:
    """The status names of a ticket's state: open (no status label on), closed, closed as not planned."""

    open: str = "Open"
    closed: str = "Closed"
    not_planned: str = "Not planned"

    def categories(self, *, with_not_planned: bool = True) -> dict[str, str]:
        """The category each state status declares for the suggested status map (todo, done, canceled); a status
        label's status declares none: its name decides."""
        declared = {self.open: "todo", self.closed: "done"}
        if with_not_planned:
            declared[self.not_planned] = "canceled"
        return declared


@dataclass(frozen=True)
class LabelScheme:
    """Which labels carry a status. A label `<prefix><name>` (prefix matched in any case, the rest trimmed) puts the
    ticket in status `<name>`; a GitLab scoped label `workflow::In Review` is the prefix `workflow::`."""

    prefix: str = "status:"

    def status_of(self, label: str) -> str | None:
        text = label.strip()
        if not self.prefix or not text.lower().startswith(self.prefix.lower()):
            return None
        status = text[len(self.prefix):].strip()
        return status or None


@dataclass(frozen=True)
class StateEvent:
    """The ticket was closed (``closed``) or reopened at ``at``; ``not_planned``: the closure's reason says so."""

    at: datetime
    closed: bool
    actor: str | None = None
    not_planned: bool = False


@dataclass(frozen=True)
class StatusLabelEvent:
    """A label (or a project column) that carries ``status`` was put on (``added``) or taken off at ``at``."""

    at: datetime
    key: str  # what identifies the label being taken off again (its name, in lower case)
    status: str
    added: bool
    actor: str | None = None


@dataclass(frozen=True)
class StatusChange:
    """One change of a ticket's status, contract-shaped but for the ticket's id."""

    changed_at: datetime
    from_status: str | None
    to_status: str
    changed_by: str | None


def status_changes(
    created_at: datetime,
    created_by: str | None,
    state_events: Iterable[StateEvent],
    label_events: Iterable[StatusLabelEvent],
    statuses: StateStatuses,
) -> list[StatusChange]:
    """The status changes of one ticket: its creation (from no status), then every second its status differs.

    Within a second a reopen counts before a close and a removal before an addition (a label swapped for another
    in one second ends on the new one). Events before the creation are ignored. The actor of a second is the
    creator, else whoever changed the state, else whoever put a label on, else whoever took one off."""
    created = utc_second(created_at)
    by_second: dict[datetime, list[tuple[int, StateEvent | StatusLabelEvent]]] = {created: []}
    for event in state_events:
        at = utc_second(event.at)
        if at >= created:
            by_second.setdefault(at, []).append((1 if event.closed else 0, event))
    for label in label_events:
        at = utc_second(label.at)
        if at >= created:
            by_second.setdefault(at, []).append((3 if label.added else 2, label))

    closed = False
    not_planned = False
    labels_on: dict[str, tuple[int, str]] = {}  # label key -> (order put on, status)
    order = 0
    changes: list[StatusChange] = []
    previous: str | None = None
    for at in sorted(by_second):
        events = sorted(by_second[at], key=lambda e: e[0])
        for _, happened in events:
            if isinstance(happened, StateEvent):
                closed, not_planned = happened.closed, happened.closed and happened.not_planned
            elif happened.added:
                order += 1
                labels_on[happened.key] = (order, happened.status)
            else:
                labels_on.pop(happened.key, None)
        status = _status(closed, not_planned, labels_on, statuses)
        if status != previous:
            changes.append(StatusChange(at, previous, status, _actor(at == created, created_by, events)))
            previous = status
    return changes


def _status(closed: bool, not_planned: bool, labels_on: dict[str, tuple[int, str]], statuses: StateStatuses) -> str:
    if closed:
        return statuses.not_planned if not_planned else statuses.closed
    if labels_on:
        return max(labels_on.values())[1]
    return statuses.open


def _actor(is_creation: bool, created_by: str | None,
           events: Sequence[tuple[int, StateEvent | StatusLabelEvent]]) -> str | None:
    if is_creation and created_by:
        return created_by
    ranked = sorted(events, key=lambda e: {1: 0, 0: 0, 3: 1, 2: 2}[e[0]])
    for _, happened in ranked:
        if happened.actor:
            return happened.actor
    return None


def change_rows(ticket_id: str, changes: Iterable[StatusChange]) -> list[dict[str, Any]]:
    """A ticket's status changes as contract rows; a change's id is the ticket and its UTC second (at most one change
    a second), the same on every pull."""
    return [
        {
            "change_id": f"{ticket_id}:{epoch_second(c.changed_at)}",
            "ticket_id": ticket_id,
            "changed_at": c.changed_at,
            "from_status": c.from_status,
            "to_status": c.to_status,
            "changed_by": c.changed_by,
        }
        for c in changes
    ]
