"""A GitHub REST v3 stand-in for pytest-httpserver, serving the demo as a repository: issues (pull requests among
them, as the real list has), their events, pull requests, deployments and their statuses, shaped as GitHub
documents them, paged by the Link header, with failures to inject (429, 5xx, a spent rate limit)."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from werkzeug import Request, Response

from tests.python.extract.demo_tracker import (
    CLOSED,
    NOT_PLANNED,
    DemoDeploy,
    DemoTicket,
    iso,
)

REPO = "acme/web"
TOKEN = "ghp_secretTOKENvalue0123456789"
PAGE_SIZE = 25  # the stand-in pages at most this many items, below GitHub's 100, so lists span pages
PR_BASE = 1000  # pull request numbers start here (issues and pull requests share one number sequence)
LABEL = "status: "
ENVIRONMENT = "production"


def _user(login: str) -> dict[str, Any]:
    return {"login": login, "id": abs(hash(login)) % 10**6, "type": "User"}


def _label(name: str) -> dict[str, Any]:
    return {"id": abs(hash(name)) % 10**6, "name": name, "color": "ededed", "default": False}


def issue_events(ticket: DemoTicket) -> list[dict[str, Any]]:
    """The ticket's steps as GitHub issue events: its first status labelled at creation; a status label swapped for
    the next; Done closes (completed), Won't Do closes as not planned (the label stays on, as people leave it); a
    label status after a closure reopens."""
    events: list[dict[str, Any]] = []

    def add(kind: str, at: datetime, actor: str, **extra: Any) -> None:
        events.append({
            "id": ticket.number * 1000 + len(events), "node_id": "IE_x", "url": "https://api.github.com/x",
            "actor": _user(actor), "event": kind, "commit_id": None, "commit_url": None,
            "created_at": iso(at), "performed_via_github_app": None, **extra,
        })

    label_on: str | None = None
    closed = False
    for step in ticket.steps:
        if step.status in (CLOSED, NOT_PLANNED):
            reason = "completed" if step.status == CLOSED else "not_planned"
            add("closed", step.at, step.actor, state_reason=reason)
            closed = True
            continue
        if closed:
            add("reopened", step.at, step.actor, state_reason="reopened")
            closed = False
        if label_on is not None:
            add("unlabeled", step.at, step.actor, label={"name": LABEL + label_on, "color": "ededed"})
        add("labeled", step.at, step.actor, label={"name": LABEL + step.status, "color": "ededed"})
        label_on = step.status
    return events


def issue_json(ticket: DemoTicket) -> dict[str, Any]:
    last = ticket.steps[-1]
    closed = last.status in (CLOSED, NOT_PLANNED)
    labels = [_label(f"type: {ticket.ticket_type}")]
    on = [s.status for s in ticket.steps if s.status not in (CLOSED, NOT_PLANNED)]
    if on:
        labels.append(_label(LABEL + on[-1]))
    return {
        "id": 5_000_000 + ticket.number, "node_id": "I_x", "number": ticket.number,
        "url": f"https://api.github.com/repos/{REPO}/issues/{ticket.number}",
        "title": ticket.title, "user": _user(ticket.creator), "labels": labels,
        "state": "closed" if closed else "open",
        "state_reason": ("completed" if last.status == CLOSED else "not_planned") if closed else None,
        "locked": False, "assignee": None, "assignees": [], "comments": 0,
        "created_at": iso(ticket.created_at), "updated_at": iso(ticket.updated_at),
        "closed_at": iso(last.at) if closed else None, "body": "", "author_association": "MEMBER",
    }


def pull_json(number: int, title: str, body: str, branch: str, merged_at: datetime) -> dict[str, Any]:
    return {
        "id": 7_000_000 + number, "number": number, "state": "closed", "title": title, "body": body,
        "user": _user("dev"), "created_at": iso(merged_at - timedelta(hours=2)),
        "updated_at": iso(merged_at), "closed_at": iso(merged_at), "merged_at": iso(merged_at),
        "merge_commit_sha": f"{number:040d}", "head": {"ref": branch, "sha": "a" * 40},
        "base": {"ref": "main", "sha": "b" * 40},
        "url": f"https://api.github.com/repos/{REPO}/pulls/{number}",
    }


def deployment_created(deploy: DemoDeploy) -> datetime:
    """Deployments of one train (same deployed_at) are created a few seconds apart, in the demo's order, so each
    ships only the pull requests merged for it: the repository has one environment, the demo's."""
    return deploy.deployed_at - timedelta(minutes=10) + timedelta(seconds=2 * deploy.number)


def deployment_json(deploy: DemoDeploy) -> dict[str, Any]:
    created = deployment_created(deploy)
    return {
        "id": deploy.number, "node_id": "DE_x", "sha": deploy.commit_sha, "ref": "main", "task": "deploy",
        "payload": {}, "original_environment": ENVIRONMENT, "environment": ENVIRONMENT,
        "description": None, "creator": _user("deploy-bot"), "created_at": iso(created),
        "updated_at": iso(deploy.deployed_at), "transient_environment": False, "production_environment": True,
    }


def deployment_statuses(deploy: DemoDeploy) -> list[dict[str, Any]]:
    created = deployment_created(deploy)
    state = "success" if deploy.status == "success" else "failure"
    return [  # newest first, as GitHub lists them
        {"id": deploy.number * 10 + 2, "state": state, "creator": _user("deploy-bot"),
         "created_at": iso(deploy.deployed_at), "updated_at": iso(deploy.deployed_at), "environment": ENVIRONMENT},
        {"id": deploy.number * 10 + 1, "state": "in_progress", "creator": _user("deploy-bot"),
         "created_at": iso(created), "updated_at": iso(created), "environment": ENVIRONMENT},
    ]


def deploy_pulls(deploys: tuple[DemoDeploy, ...]) -> list[dict[str, Any]]:
    """Per demo deploy link one pull request closing the ticket, merged a second before its deployment was created
    (after the one before it); and a pull request that only mentions a ticket (no closing keyword: it ships
    nothing)."""
    pulls = []
    number = PR_BASE
    for deploy in deploys:
        merged = deployment_created(deploy) - timedelta(seconds=1)
        for ticket in deploy.ticket_numbers:
            number += 1
            pulls.append(pull_json(number, f"Ship work for #{ticket}", f"Closes #{ticket}", f"feature/work-{number}",
                                   merged))
    if deploys:
        first = deploys[0]
        pulls.append(pull_json(PR_BASE, "Refactor", f"See #{first.ticket_numbers[0] if first.ticket_numbers else 1}",
                               "refactor", first.deployed_at - timedelta(minutes=40)))
    return pulls


@dataclass
class GithubFake:
    """The stand-in's data and its failure plan. ``failures[(path, page)]``: responses served (and used up) before
    the real one; ``calls``: every (path, query) served, for assertions."""

    tickets: tuple[DemoTicket, ...]
    deploys: tuple[DemoDeploy, ...]
    failures: dict[tuple[str, int], list[Response]] = field(default_factory=lambda: defaultdict(list))
    calls: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    fail_always: set[str] = field(default_factory=set)  # paths that answer 502 every time (an outage mid-pull)

    def __post_init__(self) -> None:
        self.pulls = deploy_pulls(self.deploys)

    def lists(self) -> dict[str, list[dict[str, Any]]]:
        base = f"/repos/{REPO}"
        issue_list = [issue_json(t) for t in self.tickets]
        issue_list += [{**p, "pull_request": {"url": p["url"]}, "labels": [], "user": p["user"],
                        "state_reason": None} for p in self.pulls]
        routes: dict[str, list[dict[str, Any]]] = {
            f"{base}/issues": issue_list,
            f"{base}/pulls": sorted(self.pulls, key=lambda p: p["updated_at"], reverse=True),
            f"{base}/deployments": [deployment_json(d) for d in sorted(self.deploys, key=deployment_created,
                                                                         reverse=True)],  # newest first
        }
        for t in self.tickets:
            routes[f"{base}/issues/{t.number}/events"] = issue_events(t)
        for d in self.deploys:
            routes[f"{base}/deployments/{d.number}/statuses"] = deployment_statuses(d)
        return routes

    def handle(self, request: Request) -> Response:
        query = dict(request.args)
        self.calls.append((request.path, query))
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return _json({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}, 401)
        page = int(query.get("page", "1"))
        if request.path in self.fail_always:
            return _json({"message": "Server Error"}, 502)
        planned = self.failures.get((request.path, page))
        if planned:
            return planned.pop(0)
        items = self.lists().get(request.path)
        if items is None:
            return _json({"message": "Not Found"}, 404)
        if request.path.endswith("/issues") and "since" in query:
            since = query["since"]
            items = [i for i in items if i["updated_at"] >= since]
        size = min(int(query.get("per_page", "30")), PAGE_SIZE)
        chunk = items[(page - 1) * size: page * size]
        headers = {"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "4999",
                   "X-RateLimit-Reset": str(NOW + 3600)}
        links = []
        if page * size < len(items):
            links.append(f'<{request.host_url.rstrip("/")}{request.path}?{urlencode({**query, "page": page + 1})}>; '
                         'rel="next"')
        if page > 1:
            links.append(f'<{request.host_url.rstrip("/")}{request.path}?{urlencode({**query, "page": 1})}>; '
                         'rel="first"')
        if links:
            headers["Link"] = ", ".join(links)
        return _json(chunk, 200, headers)


def _json(body: Any, status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers or {}, content_type="application/json")


NOW = 1_767_000_000  # the clock tests give the client, so a rate limit's reset is a known number of seconds away


def rate_limited(reset_in: int = 90) -> Response:
    """A primary rate limit spent: 403 with X-RateLimit-Remaining 0 and the reset's epoch second (from NOW)."""
    reset = NOW + reset_in
    return _json({"message": "API rate limit exceeded"}, 403,
                 {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset), "X-RateLimit-Limit": "5000"})


def secondary_limited(retry_after: int = 7, status: int = 429) -> Response:
    """GitHub's secondary rate limit: 429 or 403 with Retry-After, the primary limit not spent."""
    return _json({"message": "You have exceeded a secondary rate limit"}, status,
                 {"Retry-After": str(retry_after), "X-RateLimit-Remaining": "4000"})


def server_error() -> Response:
    return _json({"message": "Server Error"}, 500)
