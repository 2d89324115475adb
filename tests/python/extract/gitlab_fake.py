"""A GitLab REST v4 stand-in for pytest-httpserver, serving the demo as project acme/web: issues with scoped status
labels (`workflow::<status>`), their resource_state_events and resource_label_events, deployments, the merge
requests each shipped and the issues those close, paged as GitLab pages (Link on the issues list, X-Next-Page on
every list), with failures to inject."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from werkzeug import Request, Response

from tests.python.extract.demo_tracker import CLOSED, DemoDeploy, DemoTicket

PROJECT = "acme/web"
PROJECT_ID = 42
TOKEN = "glpat-SECRETtoken0123456789"
PAGE_SIZE = 20  # the issues list's pages ...
EVENT_PAGE_SIZE = 10  # ... and every other list's, below GitLab's 100, so lists span pages
SCOPE = "workflow::"
BASE = f"/api/v4/projects/{PROJECT_ID}"


def gitlab_time(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _user(name: str) -> dict[str, Any]:
    return {"id": abs(hash(name)) % 10**6, "username": name, "name": name, "state": "active"}


def _label(name: str) -> dict[str, Any]:
    return {"id": abs(hash(name)) % 10**6, "name": name, "color": "#428BCA", "description": None}


def issue_json(ticket: DemoTicket) -> dict[str, Any]:
    last = ticket.steps[-1]
    closed = last.status == CLOSED
    on = [s.status for s in ticket.steps if s.status != CLOSED]
    return {
        "id": 9_000 + ticket.number, "iid": ticket.number, "project_id": PROJECT_ID, "title": ticket.title,
        "description": "", "state": "closed" if closed else "opened",
        "created_at": gitlab_time(ticket.created_at), "updated_at": gitlab_time(ticket.updated_at),
        "closed_at": gitlab_time(last.at) if closed else None,
        "labels": [f"type::{ticket.ticket_type}", *([SCOPE + on[-1]] if on else [])],
        "author": _user(ticket.creator), "issue_type": "issue", "type": "ISSUE",
        "references": {"short": f"#{ticket.number}", "relative": f"#{ticket.number}",
                       "full": f"{PROJECT}#{ticket.number}"},
        "web_url": f"https://gitlab.example/{PROJECT}/-/issues/{ticket.number}",
    }


def events(ticket: DemoTicket) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The ticket's steps as state events (Done closes; a later status reopens) and label events (a scoped label
    replaces the one of its scope: GitLab records the removal and the addition at the same time)."""
    states: list[dict[str, Any]] = []
    labels: list[dict[str, Any]] = []
    on: str | None = None
    closed = False
    for step in ticket.steps:
        common = {"user": _user(step.actor), "created_at": gitlab_time(step.at), "resource_type": "Issue",
                  "resource_id": 9_000 + ticket.number}
        if step.status == CLOSED:
            states.append({"id": len(states) + 1, **common, "state": "closed"})
            closed = True
            continue
        if closed:
            states.append({"id": len(states) + 1, **common, "state": "reopened"})
            closed = False
        if on is not None:
            labels.append({"id": len(labels) + 1, **common, "label": _label(SCOPE + on), "action": "remove"})
        labels.append({"id": len(labels) + 1, **common, "label": _label(SCOPE + step.status), "action": "add"})
        on = step.status
    return states, labels


def deployment_json(deploy: DemoDeploy) -> dict[str, Any]:
    created = deploy.deployed_at - timedelta(minutes=10)
    return {
        "id": deploy.number, "iid": deploy.number, "ref": "main", "sha": deploy.commit_sha,
        "created_at": gitlab_time(created), "updated_at": gitlab_time(deploy.deployed_at),
        "status": "success" if deploy.status == "success" else "failed", "user": _user("deploy-bot"),
        "environment": {"id": 1, "name": "production", "external_url": None},
        "deployable": {"id": 500 + deploy.number, "status": "success", "stage": "deploy", "name": "deploy",
                       "created_at": gitlab_time(created), "finished_at": gitlab_time(deploy.deployed_at)},
    }


@dataclass
class GitlabFake:
    tickets: tuple[DemoTicket, ...]
    deploys: tuple[DemoDeploy, ...]
    failures: dict[tuple[str, int], list[Response]] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    fail_always: set[str] = field(default_factory=set)

    def lists(self) -> dict[str, list[dict[str, Any]]]:
        by_number = {t.number: t for t in self.tickets}
        routes: dict[str, list[dict[str, Any]]] = {
            f"{BASE}/issues": [issue_json(t) for t in sorted(self.tickets, key=lambda t: t.updated_at)],
            f"{BASE}/deployments": [deployment_json(d) for d in sorted(self.deploys, key=lambda d: d.deployed_at)],
        }
        for t in self.tickets:
            states, labels = events(t)
            routes[f"{BASE}/issues/{t.number}/resource_state_events"] = states
            routes[f"{BASE}/issues/{t.number}/resource_label_events"] = labels
        for d in self.deploys:
            merges = [{"id": 700 + n, "iid": 100 * d.number + n, "project_id": PROJECT_ID, "state": "merged",
                       "title": f"Ship #{n}"} for n in d.ticket_numbers]
            routes[f"{BASE}/deployments/{d.number}/merge_requests"] = merges
            for merge, n in zip(merges, d.ticket_numbers, strict=True):
                routes[f"{BASE}/merge_requests/{merge['iid']}/closes_issues"] = (
                    [issue_json(by_number[n])] if n in by_number else [])
        return routes

    def handle(self, request: Request) -> Response:
        query = dict(request.args)
        self.calls.append((request.path, query))
        if request.headers.get("PRIVATE-TOKEN") != TOKEN:
            return _json({"message": "401 Unauthorized"}, 401)
        page = int(query.get("page", "1"))
        if request.path in self.fail_always:
            return _json({"message": "502 Bad Gateway"}, 502)
        planned = self.failures.get((request.path, page))
        if planned:
            return planned.pop(0)
        items = self.lists().get(request.path)
        if items is None:
            return _json({"message": "404 Not Found"}, 404)
        if "updated_after" in query:
            items = [i for i in items if i["updated_at"] >= query["updated_after"].replace("Z", ".000Z")]
        cap = PAGE_SIZE if request.path.endswith("/issues") else EVENT_PAGE_SIZE
        size = min(int(query.get("per_page", "20")), cap)
        chunk = items[(page - 1) * size: page * size]
        more = page * size < len(items)
        headers = {"X-Page": str(page), "X-Per-Page": str(size), "X-Total": str(len(items)),
                   "X-Next-Page": str(page + 1) if more else ""}
        if more and request.path.endswith("/issues"):
            headers["Link"] = (f'<{request.host_url.rstrip("/")}{request.path}?'
                               f'{urlencode({**query, "page": page + 1})}>; rel="next"')
        return _json(chunk, 200, headers)


def _json(body: Any, status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers or {}, content_type="application/json")


def too_many_requests(retry_after: int = 3) -> Response:
    return _json({"message": "Retry later"}, 429, {"Retry-After": str(retry_after)})


def server_error() -> Response:
    return _json({"message": "500 Internal Server Error"}, 500)
