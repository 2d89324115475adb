"""Jira issue JSON → raw contract rows (pure: no I/O).

Shapes are those of Jira's REST API (Cloud v3 and Data Center v2 alike): an issue has ``key``, ``fields`` and, with
``expand=changelog``, ``changelog.histories``; a history has ``id``, ``created``, ``author`` and ``items``; a status
item has ``field`` "status" (``fieldId`` "status" on Cloud) with ``fromString``/``toString`` the status names.
Timestamps are kept as Jira writes them (``2024-01-05T10:11:12.345-0500``): the raw contract reads the offset and
ingest converts to UTC, so nothing here converts to a local time."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import pandas as pd

SEARCH_FIELDS = (
    "summary", "status", "issuetype", "created", "updated", "project", "priority", "labels", "resolutiondate",
    "assignee", "reporter",
)
"""The issue fields a search asks for."""
STATUS_CATEGORIES = {"new": "todo", "indeterminate": "in_progress", "done": "done"}
"""Jira's statusCategory keys in the words of the suggested status map (as the Jira connector adapters read them)."""
_ORDER_BY = re.compile(r"\s+order\s+by\s+.*$", re.IGNORECASE | re.DOTALL)


def ticket_row(issue: dict[str, Any]) -> dict[str, Any]:
    """The tickets row of an issue: its key, summary, issue type, its project's name as the team, and created."""
    fields = issue.get("fields") or {}
    project = fields.get("project") or {}
    return {
        "ticket_id": issue["key"],
        "title": fields.get("summary"),
        "ticket_type": (fields.get("issuetype") or {}).get("name"),
        "team": project.get("name") or project.get("key"),
        "created_at": fields.get("created"),
    }


def is_status_item(item: dict[str, Any]) -> bool:
    """A changelog item that changed the issue's workflow status (not a custom field named "status")."""
    if "fieldId" in item:
        return item.get("fieldId") == "status"
    return item.get("field") == "status" and item.get("fieldtype", "jira") == "jira"


def change_id(history_id: str, position: int) -> str:
    """A status change's id, stable across pulls: the history's id and the item's position in it."""
    return f"{history_id}:{position}"


def status_change_rows(key: str, histories: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One ticket_status_changes row per status item of every history of the issue ``key``."""
    rows = []
    for history in histories:
        author = history.get("author") or {}
        changed_by = author.get("displayName") or author.get("accountId") or author.get("name")
        for position, item in enumerate(history.get("items") or ()):
            if not is_status_item(item):
                continue
            rows.append({
                "change_id": change_id(str(history["id"]), position),
                "ticket_id": key,
                "changed_at": history.get("created"),
                "from_status": item.get("fromString"),
                "to_status": item.get("toString"),
                "changed_by": changed_by,
            })
    return rows


def status_categories(issues: Iterable[dict[str, Any]], statuses: Iterable[dict[str, Any]] = ()) -> dict[str, str]:
    """Status name → category (todo, in_progress, done) from the site's status list and the issues' current
    statuses; a status whose category is unknown is left out."""
    found: dict[str, str] = {}
    current = ((issue.get("fields") or {}).get("status") for issue in issues)
    for status in (*statuses, *current):
        if not status or not status.get("name"):
            continue
        category = STATUS_CATEGORIES.get(str((status.get("statusCategory") or {}).get("key", "")).lower())
        if category:
            found[str(status["name"])] = category
    return found


def seen_types(issues: list[dict[str, Any]]) -> dict[str, Any]:
    """The issue types and projects the issues hold, with counts (what --types-json writes)."""
    types: Counter[str] = Counter()
    projects: dict[str, dict[str, Any]] = {}
    for issue in issues:
        fields = issue.get("fields") or {}
        types[str((fields.get("issuetype") or {}).get("name"))] += 1
        project = fields.get("project") or {}
        entry = projects.setdefault(str(project.get("key")), {"key": project.get("key"), "name": project.get("name"),
                                                              "issues": 0})
        entry["issues"] += 1
    return {
        "issue_types": [{"name": name, "issues": n} for name, n in sorted(types.items())],
        "projects": [projects[k] for k in sorted(projects)],
    }


def parse_time(text: str) -> datetime:
    """A Jira timestamp (``2024-01-05T10:11:12.345-0500``) as an aware time; a naive one is taken as UTC."""
    at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def latest_update(issues: Iterable[dict[str, Any]]) -> datetime | None:
    """The latest ``updated`` of the issues (the next cursor), None when there are none."""
    times = [parse_time(u) for issue in issues if (u := (issue.get("fields") or {}).get("updated"))]
    return max(times, default=None)


def jql_since(jql: str, start: datetime | None) -> str:
    """The user's JQL, restricted to issues updated at or after ``start`` (minute precision, the JQL date format);
    a trailing ORDER BY stays last. The user's JQL is sent as they wrote it, in parentheses."""
    if start is None:
        return jql
    order = _ORDER_BY.search(jql)
    where = jql[: order.start()] if order else jql
    since = f'updated >= "{start.astimezone(UTC):%Y/%m/%d %H:%M}"'
    clause = f"({where.strip()}) AND {since}" if where.strip() else since
    return clause + (order.group(0) if order else "")


def tables(issues: list[dict[str, Any]], histories: dict[str, list[dict[str, Any]]]) -> dict[str, pd.DataFrame]:
    """tickets and ticket_status_changes of the issues; ``histories`` holds every history of each issue key."""
    tickets = pd.DataFrame([ticket_row(issue) for issue in issues],
                           columns=["ticket_id", "title", "ticket_type", "team", "created_at"])
    changes = pd.DataFrame(
        [row for issue in issues for row in status_change_rows(issue["key"], histories.get(issue["key"], []))],
        columns=["change_id", "ticket_id", "changed_at", "from_status", "to_status", "changed_by"],
    )
    return {"tickets": tickets, "ticket_status_changes": changes}
