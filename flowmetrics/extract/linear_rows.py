"""Linear GraphQL JSON → the raw contract's rows: tickets and ticket_status_changes; the workflow states' categories.

Pure. The rules are those of the dbt Linear adapter (models/staging/fivetran_linear), stated for the API's JSON:
- a change is an IssueHistory entry whose toState is set and differs from its fromState (entries about other
  fields are skipped); its change id is the entry's id (Linear's uuid, stable across pulls);
- Linear's history does not record the state an issue was created in, so every issue gets one creation change
  `<issue id>:created` at its createdAt into the fromState of its first change, or its current state when it has
  none (then the state it was created in). Always written, so a pull before and after an issue's first change
  writes the same creation change and an incremental pull appends without contradicting it;
- a workflow state's category comes from its type: backlog and triage → backlog, unstarted → todo,
  started → in_progress, completed → done, canceled → canceled.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from flowmetrics.extract.frames import parse_time

STATE_CATEGORIES = {
    "backlog": "backlog",
    "triage": "backlog",
    "unstarted": "todo",
    "started": "in_progress",
    "completed": "done",
    "canceled": "canceled",
}
"""Linear's workflow state type → the status category flowmetrics' suggested map reads."""


def _name(person: Mapping[str, Any] | None) -> str | None:
    if not person:
        return None
    return person.get("displayName") or person.get("name") or person.get("id")


def _state_name(state: Mapping[str, Any] | None) -> str | None:
    return None if not state else state.get("name")


def ticket_row(issue: Mapping[str, Any]) -> dict[str, Any]:
    """The tickets row of one issue: its identifier (`ENG-12`) as ticket id, its team's key as team."""
    team = issue.get("team") or {}
    return {
        "ticket_id": issue["identifier"],
        "title": issue.get("title"),
        "ticket_type": None,
        "team": team.get("key") or team.get("name"),
        "requested_by": None,
        "experiment_id": None,
        "ai_assisted": None,
        "created_at": parse_time(issue["createdAt"]),
    }


def status_change_rows(issue: Mapping[str, Any], history: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The ticket_status_changes rows of one issue from all its history entries (every page)."""
    rows = []
    for entry in history:
        to_status = _state_name(entry.get("toState"))
        from_status = _state_name(entry.get("fromState"))
        if to_status is None or to_status == from_status:
            continue
        rows.append({
            "change_id": entry["id"],
            "ticket_id": issue["identifier"],
            "changed_at": parse_time(entry["createdAt"]),
            "from_status": from_status,
            "to_status": to_status,
            "changed_by": _name(entry.get("actor")),
        })
    rows.sort(key=lambda r: (r["changed_at"], r["change_id"]))
    created_in = rows[0]["from_status"] if rows else _state_name(issue.get("state"))
    if created_in:
        rows.insert(0, {
            "change_id": f"{issue['id']}:created",
            "ticket_id": issue["identifier"],
            "changed_at": parse_time(issue["createdAt"]),
            "from_status": None,
            "to_status": created_in,
            "changed_by": _name(issue.get("creator")),
        })
    return rows


def state_categories(states: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Each workflow state name → its category (a name whose states differ in type across teams takes the type most
    of its states have; ties: the earliest category in flow order)."""
    order = ("backlog", "todo", "in_progress", "done", "canceled")
    counts: dict[str, dict[str, int]] = {}
    for state in states:
        category = STATE_CATEGORIES.get(str(state.get("type", "")).lower())
        name = state.get("name")
        if category and name:
            per_name = counts.setdefault(name, {})
            per_name[category] = per_name.get(category, 0) + 1
    return {
        name: min(per_name, key=lambda c: (-per_name[c], order.index(c)))
        for name, per_name in sorted(counts.items())
    }
