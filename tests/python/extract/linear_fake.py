"""A Linear GraphQL stand-in for pytest-httpserver, serving the demo as team FM: issues with their IssueHistory
(state changes, and entries about other fields where the demo only reassigns), relay pagination of the issues and
of each issue's history, workflow states with their types, and failures to inject."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd
from werkzeug import Request, Response

from tests.python.extract.demo_tracker import demo_tables

TEAM = "FM"  # the demo's ticket ids are FM-<n>: the team's identifiers are the same
KEY = "lin_api_SECRETkey0123456789abcdef"
ISSUE_PAGE = 20  # the stand-in pages at most this many issues ...
HISTORY_PAGE = 4  # ... and history entries, below Linear's limits, so both span pages
KIND_TYPES = {"queue": "unstarted", "active": "started", "wait": "started", "done": "completed",
              "abandoned": "canceled"}


def linear_time(at: object) -> str:
    return pd.Timestamp(at).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def state_types() -> dict[str, str]:
    """Each demo status as a workflow state type: the backlog is backlog, a stage's queue unstarted, ..."""
    status_map = demo_tables()["status_map"]
    types = {str(r.raw_status): KIND_TYPES[str(r.stage_kind)] for r in status_map.itertuples(index=False)}
    types["Backlog"] = "backlog"
    return types


def _state(name: str | None, types: dict[str, str]) -> dict[str, Any] | None:
    return None if name is None else {"id": f"state-{name}", "name": name, "type": types[name]}


def _person(name: str | None) -> dict[str, Any] | None:
    return None if name is None else {"id": f"user-{name}", "name": name, "displayName": name}


def build_issues(cutoff: datetime | None = None) -> list[dict[str, Any]]:
    """The demo's tickets as Linear issues (only what existed at ``cutoff``). A demo change into a new status is a
    history entry with fromState/toState; a demo change that keeps the status (a reassignment) is an entry about
    another field; Linear records no entry for the state an issue is created in (the demo's first change)."""
    tables = demo_tables()
    types = state_types()
    changes = tables["ticket_status_changes"].sort_values(["changed_at", "change_id"])
    if cutoff is not None:
        changes = changes[changes["changed_at"] <= cutoff]
    issues = []
    for t in tables["tickets"].itertuples(index=False):
        if cutoff is not None and t.created_at > cutoff:
            continue
        mine = changes[changes["ticket_id"] == t.ticket_id]
        entries, state = [], None
        for c in mine.itertuples(index=False):
            from_status = None if pd.isna(c.from_status) else str(c.from_status)
            if from_status is None:
                state = str(c.to_status)
                continue
            same = from_status == str(c.to_status)
            entries.append({
                "id": f"hist-{c.change_id}", "createdAt": linear_time(c.changed_at),
                "fromState": None if same else _state(from_status, types),
                "toState": None if same else _state(str(c.to_status), types),
                "actor": _person(str(c.changed_by)),
            })
            state = str(c.to_status)
        updated = max([pd.Timestamp(t.created_at), *[pd.Timestamp(c) for c in mine["changed_at"]]])
        issues.append({
            "id": f"uuid-{t.ticket_id}", "identifier": str(t.ticket_id), "title": str(t.title),
            "createdAt": linear_time(t.created_at), "updatedAt": linear_time(updated),
            "team": {"id": "team-1", "key": TEAM, "name": "Flow"},
            "state": _state(state or "Backlog", types), "creator": _person("pm"),
            "_history": entries,
        })
    return issues


@dataclass
class LinearFake:
    issues: list[dict[str, Any]]
    failures: list[tuple[str, Response]] = field(default_factory=list)  # (query kind, response) served first
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    fail_always: set[str] = field(default_factory=set)
    headers_once: dict[str, dict[str, str]] = field(default_factory=dict)  # added to the next answer of a kind

    def handle(self, request: Request) -> Response:
        response = self._answer(request)
        kind = self.calls[-1][0] if self.calls else ""
        if response.status_code == 200 and kind in self.headers_once:
            response.headers.update(self.headers_once.pop(kind))
        return response

    def _answer(self, request: Request) -> Response:
        body = json.loads(request.get_data(as_text=True) or "{}")
        text, variables = body.get("query", ""), body.get("variables") or {}
        kind = "states" if "workflowStates" in text else "history" if "issue(id" in text else "issues"
        self.calls.append((kind, variables))
        if request.path != "/graphql" or request.method != "POST":
            return _json({"errors": [{"message": "Not found"}]}, 404)
        if request.headers.get("Authorization") != KEY:
            return _json({"errors": [{
                "message": "Authentication required, not authenticated",
                "extensions": {"type": "authentication error", "code": "AUTHENTICATION_ERROR",
                               "userPresentableMessage": "You need to authenticate to access this operation."},
            }]}, 400)
        if kind in self.fail_always:
            return _json({"errors": [{"message": "Internal server error"}]}, 502)
        for i, (failing, response) in enumerate(self.failures):
            if failing == kind:
                del self.failures[i]
                return response
        if kind == "states":
            types = state_types()
            nodes = [{"id": f"state-{n}", "name": n, "type": t, "position": i} for i, (n, t) in
                     enumerate(types.items())]
            return _json({"data": {"workflowStates": _connection(nodes, variables, 100)}}, 200)
        if kind == "history":
            issue = next(i for i in self.issues if i["id"] == variables["id"])
            page = _connection(issue["_history"], variables, HISTORY_PAGE)
            return _json({"data": {"issue": {"history": page}}}, 200)
        chosen = self.issues
        since = ((variables.get("filter") or {}).get("updatedAt") or {}).get("gte")
        if since:
            chosen = [i for i in chosen if i["updatedAt"] >= since]
        page = _connection(chosen, variables, ISSUE_PAGE)
        page["nodes"] = [
            {**{k: v for k, v in i.items() if k != "_history"},
             "history": _connection(i["_history"], {"first": variables.get("first")}, HISTORY_PAGE)}
            for i in page["nodes"]
        ]
        return _json({"data": {"issues": page}}, 200)


def _connection(nodes: list[dict[str, Any]], variables: dict[str, Any], cap: int) -> dict[str, Any]:
    start = int(variables.get("after") or 0)
    size = min(int(variables.get("first") or 50), cap)
    chunk = nodes[start:start + size]
    more = start + size < len(nodes)
    return {"nodes": chunk, "pageInfo": {"hasNextPage": more, "endCursor": str(start + size) if more else None}}


def _json(body: Any, status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers or {}, content_type="application/json")


def too_many_requests(retry_after: int = 5) -> Response:
    return _json({"errors": [{"message": "Rate limit exceeded", "extensions": {"code": "RATELIMITED"}}]}, 429,
                 {"Retry-After": str(retry_after)})


def server_error() -> Response:
    return _json({"errors": [{"message": "Internal server error"}]}, 500)
