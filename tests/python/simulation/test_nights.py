"""The nightly exports generator: lags, stalls and catch-ups, re-sends, late, deleted and changed tickets."""

from __future__ import annotations

import pandas as pd
import pytest

from flowmetrics.simulation import generate_raw_tables
from flowmetrics.simulation.nights import (
    AttributeChange,
    Deletion,
    LateTicket,
    NightsPlan,
    Resend,
    nightly_exports,
    watermarks,
)

ON_TIME = (0, 0, 0, 0, 0)


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    return generate_raw_tables(items=40, seed=3)


def ids(frames: dict[str, pd.DataFrame]) -> list[str]:
    return sorted(frames["tickets"]["ticket_id"])


def test_a_stalled_table_stays_where_it_was_and_catches_up(frames):
    plan = NightsPlan(lags={"tickets": ON_TIME, "ticket_status_changes": (1, 2, 3, 0, 0)})
    nights = nightly_exports(frames, plan)
    changes = [n.frames["ticket_status_changes"] for n in nights]
    assert [n.as_of for n in nights] == sorted({n.as_of for n in nights}), "one night a day, in order"
    assert len(changes[0]) == len(changes[1]) == len(changes[2]), "stalled: the lag grew a day a night"
    assert len(changes[3]) > len(changes[2]), "caught up"
    for night, frame in zip(nights, changes, strict=True):
        assert (frame["changed_at"] <= night.as_of).all()
    assert (changes[1]["changed_at"] <= nights[0].as_of - pd.Timedelta(days=1)).all()
    ticket_rows = [len(n.frames["tickets"]) for n in nights]
    assert ticket_rows == sorted(ticket_rows) and ticket_rows[0] < ticket_rows[-1], "tickets on time, cumulative"


def test_a_delivered_row_stays_delivered_when_the_lag_grows_faster_than_a_day():
    times = [pd.Timestamp("2026-01-02") + pd.Timedelta(days=n) for n in range(3)]
    assert watermarks(times, (0, 5, 1)) == [times[0], times[0], times[2] - pd.Timedelta(days=1)]


def test_a_deleted_ticket_is_in_no_later_export_and_the_night_names_it(frames):
    plan = NightsPlan(lags={"tickets": ON_TIME, "ticket_status_changes": ON_TIME}, deletions=(Deletion(5, 3),))
    nights = nightly_exports(frames, plan)
    ticket = ids(frames)[5]
    assert [n.deleted_tickets for n in nights] == [(), (), (), (ticket,), ()]
    for night in nights[3:]:
        for table in ("tickets", "ticket_status_changes"):
            assert not night.frames[table]["ticket_id"].eq(ticket).any(), f"night {night.number} {table}"
    assert nights[2].frames["tickets"]["ticket_id"].eq(ticket).any(), "it was exported before its deletion"


def test_a_late_ticket_row_arrives_nights_after_its_first_change(frames):
    ticket = ids(frames)[0]
    plan = NightsPlan(lags={"tickets": ON_TIME, "ticket_status_changes": ON_TIME}, late_tickets=(LateTicket(0, 2),))
    nights = nightly_exports(frames, plan)
    changes = [n.number for n in nights if n.frames["ticket_status_changes"]["ticket_id"].eq(ticket).any()]
    rows = [n.number for n in nights if n.frames["tickets"]["ticket_id"].eq(ticket).any()]
    assert rows[0] == changes[0] + 2


def test_an_attribute_change_holds_from_its_night_on(frames):
    ticket = ids(frames)[7]
    plan = NightsPlan(
        lags={"tickets": ON_TIME, "ticket_status_changes": ON_TIME},
        attribute_changes=(AttributeChange(7, 2, "team"), AttributeChange(7 + 40, 3, "title")),
    )
    nights = nightly_exports(frames, plan)
    original = frames["tickets"].set_index("ticket_id").loc[ticket]
    rows = [n.frames["tickets"].set_index("ticket_id").loc[ticket] for n in nights[1:]]
    assert rows[0]["team"] == original["team"] and rows[1]["team"] != original["team"]
    assert rows[1]["team"] in set(frames["tickets"]["team"]), "another of the log's teams"
    assert rows[2]["title"] == f"{original['title']} (revised)", "index modulo the number of tickets"
    assert rows[3]["team"] == rows[1]["team"]


def test_a_resend_repeats_rows_already_sent_exactly(frames):
    plan = NightsPlan(lags={"tickets": ON_TIME, "ticket_status_changes": ON_TIME},
                      resends=(Resend("ticket_status_changes", 2, 4), Resend("tickets", 0, 3)))
    nights = nightly_exports(frames, plan)
    changes = nights[2].frames["ticket_status_changes"]
    repeated = changes[changes.duplicated(keep="first")]
    assert len(repeated) == 4 and changes["change_id"].duplicated().sum() == 4, "exact copies"
    assert repeated["change_id"].isin(nights[1].frames["ticket_status_changes"]["change_id"]).all()
    assert not nights[0].frames["tickets"]["ticket_id"].duplicated().any(), "nothing was sent before night 0"


@pytest.mark.parametrize("plan_args, message", [
    ({"lags": {"tickets": (0,)}}, "lags must be given"),
    ({"lags": {"tickets": (0, 1), "ticket_status_changes": (0,)}}, "the same number"),
    ({"lags": {"tickets": (11,), "ticket_status_changes": (0,)}}, "0 to 10 days"),
    ({"lags": {"tickets": (0,), "ticket_status_changes": (0,)},
      "attribute_changes": (AttributeChange(0, 0, "created_at"),)}, "team, title, ticket_type"),
])
def test_a_plan_out_of_range_is_refused(plan_args, message):
    with pytest.raises(ValueError, match=message):
        NightsPlan(**plan_args)


def test_the_same_plan_gives_the_same_nights(frames):
    plan = NightsPlan(lags={"tickets": (2, 0, 4), "ticket_status_changes": (0, 3, 0)}, deletions=(Deletion(1, 1),))
    first, second = nightly_exports(frames, plan), nightly_exports(frames, plan)
    for a, b in zip(first, second, strict=True):
        assert a.as_of == b.as_of and a.deleted_tickets == b.deleted_tickets
        for table in a.frames:
            pd.testing.assert_frame_equal(a.frames[table], b.frames[table])
