"""The demo's contract tables as Fivetran's Jira connector lands them (schema `jira`): integer ids, the issue's
field history with every field (a status row's value is the status id), the multi-value history of components and
labels, the lookup tables, and the noise a real sync leaves: a re-synced copy of an issue and of a history row,
a soft-deleted issue with its history, rows of other fields.

Each contract team is a Jira project whose key is the team upper-cased (`web` → `WEB`); the team map landed with
`team_map_frame` maps the keys back, so the adapter's teams equal the contract's.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from tests.python.sources.harness import SyncClock

SCHEMA = "jira"
SOURCE = "jira"
ISSUE_ID_BASE = 10000  # contract ticket FM-<n> has the Jira id 10000 + n
STATUS_ID_BASE = 10100
SYNCED_AT = pd.Timestamp("2026-03-01 02:00:00")  # the lookup tables' sync; a row about an issue is loaded
# a random sync delay after it was written (harness.SyncClock)
DELETED_ISSUE_ID = 99001
# Jira's fixed status category ids (the connector lands id and name only)
CATEGORIES = {1: "No Category", 2: "To Do", 3: "Done", 4: "In Progress"}
# A ticket whose label and component point at different teams (the label wins), and one whose project points
# elsewhere but whose component points at its own team (the component wins); chosen among the demo's tickets.
LABEL_TICKET, COMPONENT_TICKET = "FM-1", "FM-2"


def issue_id(ticket_id: str) -> int:
    """The Jira issue id of a contract ticket id `FM-<n>`."""
    return ISSUE_ID_BASE + int(ticket_id.rsplit("-", 1)[1])


def map_id(column: str, contract_id: str) -> str:
    """A contract id as the Jira source's prefixed id (`jira:<issue id>`)."""
    return f"{SOURCE}:{issue_id(contract_id)}"


def _category(stage_kind: str, stage_order: int, first_order: int) -> int:
    if stage_kind in ("done", "abandoned"):
        return 3
    return 2 if stage_order == first_order else 4


def _status_ids(status_map: pd.DataFrame, changes: pd.DataFrame) -> dict[str, int]:
    names = sorted(set(status_map["raw_status"]) | set(changes["to_status"].dropna()))
    return {name: STATUS_ID_BASE + position for position, name in enumerate(names)}


def _teams(tickets: pd.DataFrame) -> dict[str, int]:
    return {team: 10 + position for position, team in enumerate(sorted(tickets["team"].unique()))}


def jira_tables(frames: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The connector's tables for the demo's contract frames."""
    tickets = frames["tickets"].copy()
    changes = frames["ticket_status_changes"].copy()
    status_map = frames["status_map"]
    status_ids = _status_ids(status_map, changes)
    teams = _teams(tickets)
    clock = SyncClock("fivetran_jira")
    types = {name: 1 + position for position, name in enumerate(sorted(tickets["ticket_type"].unique()))}
    first_order = int(status_map["stage_order"].min())
    kinds = {row.raw_status: (row.stage_kind, int(row.stage_order)) for row in status_map.itertuples()}

    status = pd.DataFrame({
        "id": list(status_ids.values()),
        "_fivetran_synced": SYNCED_AT,
        "description": "",
        "name": list(status_ids),
        "status_category_id": [_category(*kinds.get(name, ("active", 0)), first_order) for name in status_ids],
    })
    status_category = pd.DataFrame({"id": list(CATEGORIES), "_fivetran_synced": SYNCED_AT,
                                    "name": list(CATEGORIES.values())})
    project = pd.DataFrame({
        "id": list(teams.values()), "_fivetran_synced": SYNCED_AT, "description": "",
        "key": [team.upper() for team in teams], "lead_id": None, "name": [team.title() for team in teams],
        "permission_scheme_id": 0, "project_category_id": None,
    })
    # a project only the component ticket sits in: the team map sends it to another team
    project = pd.concat([project, pd.DataFrame({
        "id": [99], "_fivetran_synced": SYNCED_AT, "description": "", "key": ["OPS"], "lead_id": None,
        "name": ["Operations"], "permission_scheme_id": 0, "project_category_id": None,
    })], ignore_index=True)
    issue_type = pd.DataFrame({"id": list(types.values()), "_fivetran_synced": SYNCED_AT, "description": "",
                               "name": list(types), "subtask": False})
    component = pd.DataFrame({
        "id": [501, 502], "_fivetran_synced": SYNCED_AT, "description": "",
        "name": ["Checkout", "Payments API"], "project_id": [teams[t] for t in sorted(teams)[:2]],
    })

    ordered = changes.sort_values(["ticket_id", "changed_at", "change_id"], kind="stable")
    last_status = ordered.groupby("ticket_id")["to_status"].last()
    ids = tickets["ticket_id"].map(issue_id).astype("int64")
    # an issue row is synced after the issue's last change
    updated = tickets["ticket_id"].map(ordered.groupby("ticket_id")["changed_at"].max()).fillna(tickets["created_at"])
    issue = pd.DataFrame({
        "id": ids,
        "_fivetran_deleted": False,
        "_fivetran_synced": clock.rows(updated).astype("datetime64[us]"),
        "assignee": None,
        "created": tickets["created_at"].astype("datetime64[us]"),
        "creator": None,
        "description": None,
        "issue_type": tickets["ticket_type"].map(types).astype("int64"),
        "key": [f"{team.upper()}-{ticket.rsplit('-', 1)[1]}" for team, ticket in
                zip(tickets["team"], tickets["ticket_id"], strict=True)],
        "priority": 3,
        "project": tickets["team"].map(teams).astype("int64"),
        "resolved": pd.NaT,
        "status": tickets["ticket_id"].map(lambda t: status_ids.get(last_status.get(t))).astype("Int64"),
        "summary": tickets["title"],
        "updated": updated.astype("datetime64[us]"),
    })
    issue.loc[tickets["ticket_id"] == COMPONENT_TICKET, "project"] = 99
    # an older sync's copy of an issue, with the summary it had then: the latest sync wins
    stale = issue.iloc[[0]].assign(_fivetran_synced=lambda f: f["_fivetran_synced"] - pd.Timedelta(days=3),
                                   summary="draft title")
    # an issue deleted in Jira a day after its one change was synced: it and its history are dropped
    deleted_at = SYNCED_AT - pd.Timedelta(days=5)
    deleted = issue.iloc[[1]].assign(id=DELETED_ISSUE_ID, key="WEB-99001", _fivetran_deleted=True,
                                     _fivetran_synced=clock(deleted_at + pd.Timedelta(days=1)))
    issue = pd.concat([issue, stale, deleted], ignore_index=True)

    # the status rows in the order Jira wrote them (the contract's change order); one instant's rows keep it
    # through the write time Fivetran stamps (one sync, a millisecond apart)
    instant = [ordered["ticket_id"], ordered["changed_at"]]
    synced = clock.rows(ordered["changed_at"]).groupby(instant).transform("min")
    ordinal = ordered.groupby(instant).cumcount()
    status_rows = pd.DataFrame({
        "field_id": "status",
        "issue_id": ordered["ticket_id"].map(issue_id).astype("int64"),
        "time": ordered["changed_at"].astype("datetime64[us]"),
        "_fivetran_synced": (synced + pd.to_timedelta(ordinal, unit="ms")).astype("datetime64[us]"),
        "value": ordered["to_status"].map(status_ids).astype(str),
    })
    other_rows = pd.concat([
        pd.DataFrame({"field_id": "summary", "issue_id": ids, "time": tickets["created_at"].astype("datetime64[us]"),
                      "_fivetran_synced": clock.rows(tickets["created_at"]).astype("datetime64[us]"),
                      "value": tickets["title"]}),
        pd.DataFrame({"field_id": "assignee", "issue_id": ordered["ticket_id"].map(issue_id).astype("int64"),
                      "time": ordered["changed_at"].astype("datetime64[us]"),
                      "_fivetran_synced": clock.rows(ordered["changed_at"]).astype("datetime64[us]"),
                      "value": ordered["changed_by"]}),
    ], ignore_index=True)
    resynced = status_rows.iloc[[5]].assign(_fivetran_synced=lambda f: f["_fivetran_synced"] + pd.Timedelta(days=1))
    deleted_history = pd.DataFrame({
        "field_id": "status", "issue_id": DELETED_ISSUE_ID, "time": [deleted_at],
        "_fivetran_synced": [clock(deleted_at)], "value": [str(status_ids["In Progress"])],
    })
    issue_field_history = pd.concat([status_rows, other_rows, resynced, deleted_history], ignore_index=True)
    issue_field_history = issue_field_history[["field_id", "issue_id", "time", "_fivetran_synced", "value"]]

    label_id, component_id = issue_id(LABEL_TICKET), issue_id(COMPONENT_TICKET)
    first_seen = SYNCED_AT - pd.Timedelta(days=40)
    later = SYNCED_AT - pd.Timedelta(days=30)
    issue_multiselect_history = pd.DataFrame({
        "_fivetran_id": [f"ms-{n}" for n in range(6)],
        "time": [first_seen, later, later, first_seen, later, first_seen],
        "_fivetran_synced": [clock(at) for at in [first_seen, later, later, first_seen, later, first_seen]],
        "field_id": ["labels", "labels", "components", "labels", "components", "components"],
        "issue_id": [label_id, label_id, label_id, component_id, component_id, component_id],
        # the label ticket's labels were replaced (`old-squad` is no longer current); the component ticket has a
        # component now and had another before
        "value": ["old-squad", "squad-label", "501", "", "502", "501"],
    })
    return {
        "issue": issue, "issue_field_history": issue_field_history,
        "issue_multiselect_history": issue_multiselect_history, "status": status,
        "status_category": status_category, "project": project, "issue_type": issue_type, "component": component,
        "user": pd.DataFrame({"id": ["u-1"], "_fivetran_synced": SYNCED_AT, "email": None, "locale": "en_US",
                              "name": "someone", "time_zone": "UTC", "username": "someone"}),
    }


def team_map_frame(frames: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The team map that gives every Jira issue its contract team: each project key back to its team; project OPS to
    another team (the component ticket's component maps it back); the label ticket's component to another team and
    its current label to its own."""
    tickets = frames["tickets"].set_index("ticket_id")
    teams = sorted(tickets["team"].unique())
    label_team, component_team = tickets.loc[LABEL_TICKET, "team"], tickets.loc[COMPONENT_TICKET, "team"]
    elsewhere = next(team for team in teams if team not in (label_team, component_team))
    rows = [(SOURCE, "project", team.upper(), team) for team in teams]
    rows += [
        (SOURCE, "project", "OPS", elsewhere),
        (SOURCE, "component", "Payments API", component_team),
        (SOURCE, "component", "Checkout", elsewhere),
        (None, "label", "squad-label", label_team),
        (SOURCE, "label", "old-squad", elsewhere),
    ]
    return pd.DataFrame(rows, columns=["source_name", "attribute", "value", "team"])
