"""GitHub REST v3 JSON → the raw contract's rows: tickets, ticket_status_changes, deploys, deploy_tickets.

Pure: the JSON the API returned in, data frames out. The status rule is flowmetrics.extract.label_status's; the
deploy rules are those the dbt GitHub adapters apply (macros/sources/github.sql), stated here for the API's JSON:
- a deploy is a deployment with a success, failure or error status; its outcome and deployed_at come from the latest
  of those (success → success, failure/error → failed); a deployment still queued/pending/in progress is left out;
- a deploy ships the pull requests merged after the previous successful deploy to the same environment was created,
  up to its own creation;
- a pull request ships the issues it closes: a closing keyword (close, closes, closed, fix, fixes, fixed, resolve,
  resolves, resolved) before `#N` or `owner/repo#N` naming this repository in its title or body, or its branch
  named after the issue (a path segment `N`, `N-…`, `issue-N` or `gh-N`, as GitHub's "create a branch" names it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
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

COLUMNS_SCHEME = "columns"
"""--status-from value: a ticket's status is its project column (classic projects' card events)."""


@dataclass(frozen=True)
class GithubScheme:
    """How a GitHub issue's status, type and team are read."""

    repo: str  # owner/name
    labels: LabelScheme = field(default_factory=LabelScheme)
    from_columns: bool = False  # the status is the issue's project column instead of a status label
    states: StateStatuses = field(default_factory=StateStatuses)
    type_prefix: str = "type:"
    team: str | None = None  # None: the repository's name

    @property
    def team_name(self) -> str:
        return self.team or self.repo.split("/")[-1]


def ticket_id(repo: str, number: int) -> str:
    """A GitHub issue's ticket id: `owner/name#number` (what people type to name it)."""
    return f"{repo}#{number}"


def _login(user: Mapping[str, Any] | None) -> str | None:
    return None if not user else user.get("login")


def is_pull_request(issue: Mapping[str, Any]) -> bool:
    """The issues list holds pull requests too: they carry a `pull_request` member."""
    return bool(issue.get("pull_request"))


def ticket_row(issue: Mapping[str, Any], scheme: GithubScheme) -> dict[str, Any]:
    """The tickets row of one issue; its type is the first label `<type prefix><type>` it carries."""
    ticket_type = None
    for label in issue.get("labels") or ():
        name = str(label.get("name") or "") if isinstance(label, Mapping) else str(label)
        found = LabelScheme(scheme.type_prefix).status_of(name)
        if found:
            ticket_type = found
            break
    return {
        "ticket_id": ticket_id(scheme.repo, issue["number"]),
        "title": issue.get("title"),
        "ticket_type": ticket_type,
        "team": scheme.team_name,
        "requested_by": None,
        "experiment_id": None,
        "ai_assisted": None,
        "created_at": parse_time(issue["created_at"]),
    }


def issue_status_changes(
    issue: Mapping[str, Any], events: Sequence[Mapping[str, Any]], scheme: GithubScheme
) -> list[dict[str, Any]]:
    """The ticket_status_changes rows of one issue from its events (`/issues/{n}/events`). A closure's reason is the
    event's `state_reason` when it has one, else the issue's for its last closure. Change ids are
    `<ticket id>:<epoch second>`, stable across pulls."""
    state_events: list[StateEvent] = []
    label_events: list[StatusLabelEvent] = []
    closures = [e for e in events if e.get("event") == "closed"]
    last_closure = closures[-1] if closures else None
    for event in events:
        kind = event.get("event")
        at = parse_time(event.get("created_at"))
        if at is None:
            continue
        actor = _login(event.get("actor"))
        if kind in ("closed", "reopened"):
            reason = event.get("state_reason")
            if reason is None and event is last_closure:
                reason = issue.get("state_reason")
            state_events.append(StateEvent(at, kind == "closed", actor, reason == "not_planned"))
        elif kind in ("labeled", "unlabeled") and not scheme.from_columns:
            name = str((event.get("label") or {}).get("name") or "")
            status = scheme.labels.status_of(name)
            if status is not None:
                label_events.append(StatusLabelEvent(at, name.strip().lower(), status, kind == "labeled", actor))
        elif kind in ("added_to_project", "moved_columns_in_project", "removed_from_project") and scheme.from_columns:
            card = event.get("project_card") or {}
            key = f"project:{card.get('project_id')}"
            column = card.get("column_name")
            if kind == "removed_from_project":
                label_events.append(StatusLabelEvent(at, key, "", False, actor))
            elif column:
                label_events.append(StatusLabelEvent(at, key, str(column), True, actor))
    tid = ticket_id(scheme.repo, issue["number"])
    created = parse_time(issue["created_at"])
    assert created is not None
    changes = status_changes(created, _login(issue.get("user")), state_events, label_events, scheme.states)
    return change_rows(tid, changes)


@dataclass(frozen=True)
class Deploy:
    """A deployment that ended: its contract row and what the shipping window needs."""

    deploy_id: str
    environment: str
    created_at: datetime
    deployed_at: datetime
    status: str  # success | failed
    commit_sha: str | None


def deploy_of(deployment: Mapping[str, Any], statuses: Sequence[Mapping[str, Any]]) -> Deploy | None:
    """The deploy of one deployment from its statuses (`/deployments/{id}/statuses`), or None while it has not ended."""
    ended = [
        (parse_time(s.get("created_at")), position, str(s.get("state", "")).lower())
        for position, s in enumerate(reversed(statuses))  # the API lists the newest first
        if str(s.get("state", "")).lower() in ("success", "failure", "error")
    ]
    ended = [e for e in ended if e[0] is not None]
    if not ended:
        return None
    at, _, state = max(ended, key=lambda e: (e[0], e[1]))
    created = parse_time(deployment["created_at"])
    assert at is not None and created is not None
    return Deploy(
        deploy_id=str(deployment["id"]),
        environment=str(deployment.get("environment") or "production"),
        created_at=created,
        deployed_at=at,
        status="success" if state == "success" else "failed",
        commit_sha=deployment.get("sha"),
    )


def deploy_row(deploy: Deploy, scheme: GithubScheme) -> dict[str, Any]:
    return {
        "deploy_id": deploy.deploy_id,
        "service": scheme.repo.split("/")[-1],
        "environment": deploy.environment,
        "deployed_at": deploy.deployed_at,
        "status": deploy.status,
        "commit_sha": deploy.commit_sha,
        "first_commit_at": None,
    }


def previous_success(deploy: Deploy, deploys: Iterable[Deploy]) -> Deploy | None:
    """The latest successful deploy to the same environment created before ``deploy``."""
    earlier = [
        d for d in deploys
        if d.environment == deploy.environment and d.status == "success" and d.created_at < deploy.created_at
    ]
    return max(earlier, key=lambda d: d.created_at, default=None)


_KEYWORDS = r"(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)"


def closed_issue_numbers(pull: Mapping[str, Any], repo: str) -> set[int]:
    """The issue numbers of this repository a pull request closes (see the module's rule)."""
    numbers: set[int] = set()
    text = f"{pull.get('title') or ''}\n{pull.get('body') or ''}"
    pattern = re.compile(
        rf"(?i)(?<![A-Za-z0-9_]){_KEYWORDS}:?\s+(?:{re.escape(repo)})?#([0-9]+)(?![A-Za-z0-9_])"
    )
    numbers.update(int(n) for n in pattern.findall(text))
    branch = ((pull.get("head") or {}).get("ref")) or ""
    for segment in branch.split("/"):
        found = re.fullmatch(r"(?:(?:issue|gh)-)?([0-9]+)(?:-.*)?", segment)
        if found:
            numbers.add(int(found.group(1)))
    return numbers


def deploy_ticket_rows(
    deploys: Sequence[Deploy], pulls: Iterable[Mapping[str, Any]], issue_numbers: set[int], repo: str
) -> list[dict[str, Any]]:
    """One row per deploy per issue its pull requests close (issues of ``issue_numbers`` only, not pull requests)."""
    merged = [(parse_time(p.get("merged_at")), p) for p in pulls if p.get("merged_at")]
    rows: set[tuple[str, str]] = set()
    for deploy in deploys:
        before = previous_success(deploy, deploys)
        for merged_at, pull in merged:
            assert merged_at is not None
            if merged_at > deploy.created_at or (before is not None and merged_at <= before.created_at):
                continue
            for number in closed_issue_numbers(pull, repo) & issue_numbers:
                rows.add((deploy.deploy_id, ticket_id(repo, number)))
    return [{"deploy_id": d, "ticket_id": t} for d, t in sorted(rows)]
