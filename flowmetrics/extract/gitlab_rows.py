"""GitLab REST v4 JSON → the raw contract's rows: tickets, ticket_status_changes, deploys.

Pure. A ticket's status follows flowmetrics.extract.label_status's rule over the issue's resource_state_events
(closed, reopened) and resource_label_events (add, remove) with a label scheme such as scoped labels
`workflow::In Review` (prefix `workflow::`). A deploy is a deployment that finished: success → success, failed →
failed; created, running, blocked and canceled deployments are left out (canceled did not ship, the others have not
ended).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flowmetrics.extract.frames import parse_time
from flowmetrics.extract.label_status import (
    LabelScheme,
    StateEvent,
    StateStatuses,
    StatusLabelEvent,
    change_rows,
    status_changes,
)


@dataclass(frozen=True)
class GitlabScheme:
    """How a GitLab issue's status, type and team are read."""

    project: str  # the --project value: a numeric id or a path
    labels: LabelScheme = field(default_factory=lambda: LabelScheme("workflow::"))
    states: StateStatuses = field(default_factory=StateStatuses)
    type_prefix: str = "type::"
    team: str | None = None  # None: the project's path without its namespace


def ticket_id(issue: Mapping[str, Any], project: str) -> str:
    """An issue's ticket id: its full reference `group/project#12`, else `<project>#<iid>`."""
    full = (issue.get("references") or {}).get("full")
    return str(full) if full else f"{project}#{issue['iid']}"


def _user(user: Mapping[str, Any] | None) -> str | None:
    return None if not user else user.get("username") or user.get("name")


def team_of(issue: Mapping[str, Any], scheme: GitlabScheme) -> str:
    if scheme.team:
        return scheme.team
    project = ticket_id(issue, scheme.project).split("#")[0]
    return project.split("/")[-1]


def ticket_row(issue: Mapping[str, Any], scheme: GitlabScheme) -> dict[str, Any]:
    """The tickets row of one issue; its type is its first label `<type prefix><type>`, else its issue_type."""
    type_labels = LabelScheme(scheme.type_prefix)
    found = [t for t in (type_labels.status_of(str(label)) for label in issue.get("labels") or ()) if t]
    return {
        "ticket_id": ticket_id(issue, scheme.project),
        "title": issue.get("title"),
        "ticket_type": found[0] if found else issue.get("issue_type"),
        "team": team_of(issue, scheme),
        "requested_by": None,
        "experiment_id": None,
        "ai_assisted": None,
        "created_at": parse_time(issue["created_at"]),
    }


def issue_status_changes(
    issue: Mapping[str, Any],
    state_events: Sequence[Mapping[str, Any]],
    label_events: Sequence[Mapping[str, Any]],
    scheme: GitlabScheme,
) -> list[dict[str, Any]]:
    """The ticket_status_changes rows of one issue; change ids `<ticket id>:<epoch second>`, stable across pulls."""
    states = []
    for event in state_events:
        at = parse_time(event.get("created_at"))
        state = str(event.get("state", "")).lower()
        if at is not None and state in ("closed", "reopened"):
            states.append(StateEvent(at, state == "closed", _user(event.get("user"))))
    labels = []
    for event in label_events:
        at = parse_time(event.get("created_at"))
        name = str((event.get("label") or {}).get("name") or "")  # a deleted label comes back as null
        status = scheme.labels.status_of(name)
        action = str(event.get("action", "")).lower()
        if at is not None and status is not None and action in ("add", "remove"):
            labels.append(StatusLabelEvent(at, name.strip().lower(), status, action == "add", _user(event.get("user"))))
    tid = ticket_id(issue, scheme.project)
    created = parse_time(issue["created_at"])
    assert created is not None
    return change_rows(tid, status_changes(created, _user(issue.get("author")), states, labels, scheme.states))


def deploy_row(deployment: Mapping[str, Any], service: str) -> dict[str, Any] | None:
    """The deploys row of one deployment, or None while it has not finished (or was canceled). deployed_at is when
    its job finished, else when the deployment was last updated."""
    status = str(deployment.get("status", "")).lower()
    if status not in ("success", "failed"):
        return None
    deployable = deployment.get("deployable") or {}
    deployed_at = parse_time(deployable.get("finished_at")) or parse_time(deployment.get("updated_at"))
    return {
        "deploy_id": str(deployment["id"]),
        "service": service,
        "environment": (deployment.get("environment") or {}).get("name") or "production",
        "deployed_at": deployed_at,
        "status": status,
        "commit_sha": deployment.get("sha"),
        "first_commit_at": None,
    }
