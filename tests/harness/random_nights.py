"""What the random-nights property shares between DuckDB (pytest) and another engine (engine_check): the hypothesis
strategy of nightly plans, the fixed plans the engine check replays, and deleting tickets from raw."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
from hypothesis import strategies as st

from flowmetrics.simulation.nights import (
    CHANGEABLE_ATTRIBUTES,
    LAGGING_TABLES,
    MAX_LAG_DAYS,
    AttributeChange,
    Deletion,
    LateTicket,
    NightsPlan,
    Resend,
)

MIN_NIGHTS, MAX_NIGHTS = 3, 8
MIN_ITEMS, MAX_ITEMS = 30, 80
MAX_TICKET_INDEX = 200  # tickets are picked by index modulo their number
MAX_EVENTS = 3  # per kind of event


@st.composite
def lag_schedules(draw: st.DrawFn, nights: int) -> tuple[int, ...]:
    """A table's lag in days on each night: steady, a stall (a day more behind each night), a catch-up (back to no
    lag) or a jump; the simplest (what shrinking aims at) is steady and on time."""
    lags = [draw(st.integers(0, 3))]
    for _ in range(nights - 1):
        step = draw(st.sampled_from(("steady", "stall", "catch-up", "jump")))
        previous = lags[-1]
        if step == "steady":
            lags.append(previous)
        elif step == "stall":
            lags.append(min(previous + 1, MAX_LAG_DAYS))
        elif step == "catch-up":
            lags.append(0)
        else:
            lags.append(draw(st.integers(0, MAX_LAG_DAYS)))
    return tuple(lags)


@st.composite
def nights_plans(draw: st.DrawFn) -> NightsPlan:
    """A random plan: 3 to 8 nights, each ticket table's lags, and up to three of each event."""
    nights = draw(st.integers(MIN_NIGHTS, MAX_NIGHTS))
    night = st.integers(0, nights - 1)
    ticket = st.integers(0, MAX_TICKET_INDEX)
    events = {"max_size": MAX_EVENTS}
    return NightsPlan(
        lags={table: draw(lag_schedules(nights)) for table in LAGGING_TABLES},
        late_tickets=tuple(draw(st.lists(st.builds(LateTicket, ticket, st.integers(1, 3)), **events))),
        deletions=tuple(draw(st.lists(st.builds(Deletion, ticket, night), **events))),
        attribute_changes=tuple(draw(st.lists(
            st.builds(AttributeChange, ticket, night, st.sampled_from(CHANGEABLE_ATTRIBUTES)), **events
        ))),
        resends=tuple(draw(st.lists(
            st.builds(Resend, st.sampled_from(LAGGING_TABLES), night, st.integers(1, 10)), **events
        ))),
    )


# The plans the engine check replays (items, seed, plan): one with a stalled changes table and late, deleted and
# changed tickets; one where the tickets table stalls behind its changes, with re-sends.
FIXED_PLANS: tuple[tuple[int, int, NightsPlan], ...] = (
    (40, 3, NightsPlan(
        lags={"tickets": (0, 0, 1, 0), "ticket_status_changes": (1, 2, 3, 0)},
        late_tickets=(LateTicket(3, 1),),
        deletions=(Deletion(5, 2),),
        attribute_changes=(AttributeChange(7, 1, "team"), AttributeChange(11, 2, "ticket_type")),
    )),
    (60, 11, NightsPlan(
        lags={"tickets": (1, 2, 3, 0), "ticket_status_changes": (0, 0, 1, 0)},
        deletions=(Deletion(2, 3),),
        attribute_changes=(AttributeChange(4, 2, "title"),),
        resends=(Resend("tickets", 3, 5), Resend("ticket_status_changes", 2, 5)),
    )),
)


def delete_tickets(con: duckdb.DuckDBPyConnection, tickets: Sequence[str]) -> None:
    """Delete `tickets` and their status changes from raw, as another tool or a person would (ingest never deletes
    from an upsert-mode table)."""
    for ticket in tickets:
        for table in LAGGING_TABLES:
            con.execute(f"delete from raw.{table} where ticket_id = ?", [ticket])
