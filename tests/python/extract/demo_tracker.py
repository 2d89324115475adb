"""A small demo system (flowmetrics.simulation) as a tracker would hold it: per ticket its creation and the statuses
it went through, one step per second, as GitHub's and GitLab's label events can express them.

A label tracker records events, not changes: several demo changes within one second (a ticket pulled from the
backlog and started at once) are one step to its final status, and a demo change that keeps the status (a
reassignment) is no step at all. The first status is put on at the ticket's creation. Test servers build their
API JSON from these steps; the expected contract rows come from them too, independently of the code under test.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

import pandas as pd

from flowmetrics.simulation import generate_raw_tables

ITEMS = 60
SEED = 3
CLOSED = "Done"  # the demo's done status: a closed issue
NOT_PLANNED = "Won't Do"  # the demo's abandoned status: an issue closed as not planned


@dataclass(frozen=True)
class Step:
    at: datetime  # naive UTC, whole seconds
    status: str
    actor: str


@dataclass(frozen=True)
class DemoTicket:
    number: int  # FM-12 -> 12
    title: str
    ticket_type: str
    team: str
    created_at: datetime
    steps: tuple[Step, ...]  # steps[0] is at created_at, by the creator

    @property
    def creator(self) -> str:
        return self.steps[0].actor

    @property
    def updated_at(self) -> datetime:
        return self.steps[-1].at


@dataclass(frozen=True)
class DemoDeploy:
    number: int  # DEP-00003 -> 3
    service: str
    deployed_at: datetime
    status: str
    commit_sha: str
    ticket_numbers: tuple[int, ...]


def _number(text: str) -> int:
    return int(str(text).split("-")[-1])


def _ts(value: object) -> datetime:
    return pd.Timestamp(value).to_pydatetime().replace(microsecond=0)


@cache
def demo_tables(items: int = ITEMS, seed: int = SEED) -> dict[str, pd.DataFrame]:
    return generate_raw_tables(items=items, seed=seed)


@cache
def demo_tickets(items: int = ITEMS, seed: int = SEED) -> tuple[DemoTicket, ...]:
    tables = demo_tables(items, seed)
    changes = tables["ticket_status_changes"]
    changes = changes[changes["from_status"].isna() | (changes["from_status"] != changes["to_status"])]
    tickets = []
    for row in tables["tickets"].sort_values("ticket_id", key=lambda s: s.map(_number)).itertuples(index=False):
        mine = changes[changes["ticket_id"] == row.ticket_id].sort_values(["changed_at", "change_id"])
        created = _ts(row.created_at)
        per_second: dict[datetime, tuple[str, str]] = {}
        for change in mine.itertuples(index=False):
            at = max(_ts(change.changed_at), created)
            per_second[at] = (str(change.to_status), str(change.changed_by))
        seconds = sorted(per_second)
        first_status, creator = per_second[seconds[0]]
        steps = [Step(created, first_status, creator)]
        for at in seconds[1:]:
            status, actor = per_second[at]
            if at > created and status != steps[-1].status:
                steps.append(Step(at, status, actor))
        tickets.append(DemoTicket(
            _number(row.ticket_id), str(row.title), str(row.ticket_type), str(row.team), created, tuple(steps)
        ))
    return tuple(tickets)


@cache
def demo_deploys(items: int = ITEMS, seed: int = SEED) -> tuple[DemoDeploy, ...]:
    tables = demo_tables(items, seed)
    links = tables["deploy_tickets"]
    return tuple(
        DemoDeploy(
            _number(d.deploy_id), str(d.service), _ts(d.deployed_at), str(d.status), str(d.commit_sha),
            tuple(sorted(_number(t) for t in links.loc[links["deploy_id"] == d.deploy_id, "ticket_id"])),
        )
        for d in tables["deploys"].itertuples(index=False)
    )


def iso(at: datetime) -> str:
    """GitHub/GitLab style UTC time: `2026-01-05T10:11:12Z`."""
    return at.replace(tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def expected_changes(tickets: tuple[DemoTicket, ...], ticket_id: object) -> pd.DataFrame:
    """The ticket_status_changes a label tracker's pull must give: one per step, change id `<ticket id>:<epoch>`.
    ``ticket_id`` turns a DemoTicket into its tracker's ticket id."""
    rows = []
    for ticket in tickets:
        tid = ticket_id(ticket)  # type: ignore[operator]
        previous = None
        for step in ticket.steps:
            rows.append({
                "change_id": f"{tid}:{int(step.at.replace(tzinfo=UTC).timestamp())}",
                "ticket_id": tid,
                "changed_at": step.at,
                "from_status": previous,
                "to_status": step.status,
                "changed_by": step.actor,
            })
            previous = step.status
    return pd.DataFrame(rows)


def later(at: datetime, **delta: float) -> datetime:
    return at + timedelta(**delta)
