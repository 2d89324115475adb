"""The demo system as Airbyte's Jira source lands it (destinations v2, typed final tables), made by code.

Jira creates an issue in its first status and writes no changelog item for it, so the system both builds compare is
the demo with each ticket created at the moment it entered its first status (`system_frames`). The landed tables
carry what a real sync does: Airbyte's metadata columns, JSON `fields` / `changelog` / `statusCategory`, histories
written in the author's UTC offset, history items of other fields (assignee, labels, resolution, a custom field named
"Status") beside and apart from the status items, a status renamed since (old name in the items and in an older
extraction of workflow_statuses), and issues extracted twice (an older row with a shorter changelog).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping

import pandas as pd

from tests.python.sources.harness import SyncClock

SOURCE = "jira"
ADAPTER = "airbyte_jira"
SCHEMA = "jira"
SOURCES = [{"name": SOURCE, "adapter": ADAPTER, "schema": SCHEMA}]
# The team map the connector build reads (var team_map_relation): Jira project key → the demo's team.
TEAM_MAP_RELATION = "flowmetrics_config.team_map"
PROJECTS = {"web": ("WEB", "-0500"), "mobile": ("MOB", "+0100"), "platform": ("PLAT", "+0530")}
PROJECT_IDS = {"WEB": "10100", "MOB": "10101", "PLAT": "10102"}
RENAMED = ("Ready for QA", "QA Queue")  # (current name, the name the older histories and extraction hold)
EXTRACTED_AT = pd.Timestamp("2026-06-01 04:00:00", tz="UTC")  # the workflow statuses' sync
# An issue is extracted a random sync delay after its last change (harness.SyncClock); every n-th issue also has an
# older extraction, RESYNC_GAP before the latest.
RESYNCED_EVERY = 10
RESYNC_GAP = pd.Timedelta(days=3)


def issue_id(ticket_id: str) -> str:
    """Jira's issue id (digits, as text) of a demo ticket `FM-<n>`."""
    return str(10000 + int(ticket_id.split("-")[1]))


def map_id(column: str, value: str) -> str:
    """The connector build's id of a contract build's id."""
    return f"{SOURCE}:{issue_id(value)}"


def system_frames(frames: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The demo as Jira can hold it: each ticket created when it entered its first status."""
    system = {name: frame.copy() for name, frame in frames.items()}
    first = (system["ticket_status_changes"].sort_values(["ticket_id", "changed_at", "change_id"])
             .groupby("ticket_id")["changed_at"].first())
    tickets = system["tickets"]
    tickets["created_at"] = tickets["ticket_id"].map(first).fillna(tickets["created_at"])
    return system


def jira_time(moment: pd.Timestamp, offset: str) -> str:
    """A UTC moment as Jira writes it in a user's zone: `2024-01-05T10:00:00.000-0500`."""
    sign = 1 if offset[0] == "+" else -1
    shift = pd.Timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5])) * sign
    return (moment + shift).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}" + offset


def status_ids(frames: Mapping[str, pd.DataFrame]) -> dict[str, str]:
    changes = frames["ticket_status_changes"]
    names = sorted(set(frames["status_map"]["raw_status"]) | set(changes["to_status"].dropna())
                   | set(changes["from_status"].dropna()))
    return {name: str(10000 + position) for position, name in enumerate(names, start=1)}


def category_key(status: str, status_map: pd.DataFrame) -> str:
    row = status_map.loc[status_map["raw_status"] == status]
    if row.empty:
        return "indeterminate"
    stage, kind = row.iloc[0]["stage"], row.iloc[0]["stage_kind"]
    if stage == "backlog":
        return "new"
    return "done" if kind in ("done", "abandoned") else "indeterminate"


def airbyte_meta(rows: int, sync_id: int) -> list[str]:
    return [json.dumps({"changes": [], "sync_id": sync_id})] * rows


def raw_id(*parts: object) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(str(part) for part in parts)))


def workflow_statuses(frames: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    ids = status_ids(frames)
    rows = []
    for name, status_id in ids.items():
        category = category_key(name, frames["status_map"])
        rows.append({"_airbyte_raw_id": raw_id("status", status_id), "_airbyte_extracted_at": EXTRACTED_AT,
                     "id": status_id, "name": name, "untranslatedName": name, "description": "",
                     "statusCategory": json.dumps({"id": {"new": 2, "indeterminate": 4, "done": 3}[category],
                                                   "key": category, "colorName": "blue-gray"}),
                     "scope": None})
    current, old = RENAMED
    rows.append({**rows[list(ids).index(current)], "_airbyte_raw_id": raw_id("status-old", ids[current]),
                 "_airbyte_extracted_at": EXTRACTED_AT - pd.Timedelta(days=30), "name": old,
                 "untranslatedName": old})
    frame = pd.DataFrame(rows)
    frame.insert(2, "_airbyte_meta", airbyte_meta(len(frame), 7))
    frame.insert(3, "_airbyte_generation_id", 0)
    return frame


def item(field: str, before: str | None, after: str | None, fieldtype: str = "jira",
         ids: tuple[str | None, str | None] = (None, None)) -> dict[str, object]:
    return {"field": field, "fieldtype": fieldtype, "fieldId": field, "from": ids[0], "fromString": before,
            "to": ids[1], "toString": after}


def histories_of(ticket: pd.Series, changes: pd.DataFrame, ids: Mapping[str, str], history_ids: list[int],
                 offset: str) -> list[dict[str, object]]:
    """The changelog histories of one ticket: every status change but the first (the status it was created in),
    with noise items and histories of other fields."""
    histories = []
    number = int(ticket["ticket_id"].split("-")[1])
    for position, change in enumerate(changes.iloc[1:].itertuples(index=False)):
        history_ids[0] += 1
        written = {name: (RENAMED[1] if name == RENAMED[0] and number % 2 == 0 else name)
                   for name in (change.from_status, change.to_status)}
        status_item = item("status", written[change.from_status], written[change.to_status],
                           ids=(ids[change.from_status], ids[change.to_status]))
        items: list[dict[str, object]] = [status_item]
        if position % 3 == 0:
            items.insert(0, item("assignee", None, change.changed_by))
        if change.to_status == "Done":
            items.append(item("resolution", None, "Done", ids=(None, "10000")))
        if position % 4 == 1:
            items.append(item("Status", "green", "amber", fieldtype="custom"))
        histories.append({"id": str(history_ids[0]), "created": jira_time(change.changed_at, offset),
                          "author": {"accountId": f"acc-{change.changed_by}", "displayName": change.changed_by},
                          "items": items})
        if position == 0 and number % 5 == 0:
            history_ids[0] += 1
            histories.append({"id": str(history_ids[0]),
                              "created": jira_time(change.changed_at + pd.Timedelta(minutes=5), offset),
                              "author": {"accountId": "acc-bot", "displayName": "automation"},
                              "items": [item("labels", None, "needs-triage")]})
    return histories


def issue_row(ticket: pd.Series, changes: pd.DataFrame, histories: list[dict[str, object]],
              ids: Mapping[str, str], extracted_at: pd.Timestamp, keys: Mapping[str, str]) -> dict[str, object]:
    project, offset = PROJECTS[ticket["team"]]
    status = changes.iloc[len(histories_status(histories))]["to_status"] if len(changes) else None
    created = pd.Timestamp(ticket["created_at"])
    updated = max([created, *[pd.Timestamp(c) for c in changes["changed_at"]]])
    number = int(ticket["ticket_id"].split("-")[1])
    fields = {
        "summary": ticket["title"],
        "issuetype": {"id": "1", "name": str(ticket["ticket_type"]).capitalize(), "subtask": False},
        "project": {"id": PROJECT_IDS[project], "key": project, "name": ticket["team"].title()},
        "status": {"id": ids.get(status), "name": status, "statusCategory": {"key": "indeterminate"}},
        "components": [{"id": "200", "name": f"{ticket['team']}-core"}] if number % 3 == 0 else [],
        "labels": ["customer"] if number % 4 == 0 else [],
        "creator": {"accountId": f"acc-{changes.iloc[0]['changed_by']}",
                    "displayName": changes.iloc[0]["changed_by"]},
        "created": jira_time(created, offset),
        "updated": jira_time(updated, offset),
    }
    changelog = {"startAt": 0, "maxResults": 100, "total": len(histories), "histories": list(reversed(histories))}
    return {
        "_airbyte_raw_id": raw_id("issue", ticket["ticket_id"], extracted_at),
        "_airbyte_extracted_at": extracted_at,
        "_airbyte_meta": json.dumps({"changes": [], "sync_id": 7}),
        "_airbyte_generation_id": 0,
        "expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
        "id": issue_id(ticket["ticket_id"]),
        "self": f"https://example.atlassian.net/rest/api/3/issue/{issue_id(ticket['ticket_id'])}",
        "key": keys[ticket["ticket_id"]],
        "fields": json.dumps(fields),
        "changelog": json.dumps(changelog),
        "projectId": fields["project"]["id"],
        "projectKey": project,
        "created": created.tz_localize("UTC"),
        "updated": updated.tz_localize("UTC"),
    }


def histories_status(histories: list[dict[str, object]]) -> list[dict[str, object]]:
    return [h for h in histories if any(i["field"] == "status" and i["fieldtype"] == "jira" for i in h["items"])]


def issues(frames: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    ids = status_ids(frames)
    changes = frames["ticket_status_changes"].sort_values(["ticket_id", "changed_at", "change_id"])
    by_ticket = {ticket: group for ticket, group in changes.groupby("ticket_id")}
    tickets = frames["tickets"].sort_values("created_at")
    counters: dict[str, int] = {}
    keys = {}
    for ticket in tickets.itertuples(index=False):
        project = PROJECTS[ticket.team][0]
        counters[project] = counters.get(project, 0) + 1
        keys[ticket.ticket_id] = f"{project}-{counters[project]}"
    history_ids = [20000]
    clock = SyncClock("airbyte_jira")
    rows = []
    for _, ticket in tickets.iterrows():
        ticket_changes = by_ticket[ticket["ticket_id"]].reset_index(drop=True)
        histories = histories_of(ticket, ticket_changes, ids, history_ids, PROJECTS[ticket["team"]][1])
        extracted = clock(max([pd.Timestamp(ticket["created_at"]), *ticket_changes["changed_at"]])).tz_localize("UTC")
        rows.append(issue_row(ticket, ticket_changes, histories, ids, extracted, keys))
        if int(ticket["ticket_id"].split("-")[1]) % RESYNCED_EVERY == 0 and len(histories) > 1:
            older = histories[: len(histories) // 2]
            rows.append(issue_row(ticket, ticket_changes, older, ids, extracted - RESYNC_GAP, keys))
    return pd.DataFrame(rows)


def landed(frames: Mapping[str, pd.DataFrame]) -> dict[str, dict[str, pd.DataFrame]]:
    """The connector's tables per schema, plus the contract's status map (raw.status_map) and the team map."""
    team_map = pd.DataFrame([{"source_name": SOURCE, "attribute": "project", "value": project, "team": team}
                             for team, (project, _) in PROJECTS.items()])
    schema, table = TEAM_MAP_RELATION.split(".")
    return {
        SCHEMA: {"issues": issues(frames), "workflow_statuses": workflow_statuses(frames)},
        "raw": {"status_map": frames["status_map"]},
        schema: {table: team_map},
    }


# The JSON columns as the destination types them (landed from text, then retyped).
JSON_COLUMNS = {"issues": ("_airbyte_meta", "fields", "changelog"),
                "workflow_statuses": ("_airbyte_meta", "statusCategory", "scope")}
