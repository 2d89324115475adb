"""A Jira site on pytest-httpserver (127.0.0.1) built from the demo simulation: the demo's tickets and status changes
as Jira issues with changelog histories, served in the shapes of Atlassian's REST API (Cloud v3 search with
nextPageToken/isLast, or Data Center v2 search with startAt/total; the per-issue changelog endpoint; the status
list), with faults to inject."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pandas as pd
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

EMAIL, TOKEN, PAT = "flow@example.com", "jira-TOKEN-9f8e7d6c5b4a", "dc-PAT-0a1b2c3d4e5f"
OFFSETS = (timezone(timedelta(hours=-5)), timezone(timedelta(hours=1)), UTC)
"""Each issue's times are written in one of these offsets, as a site's users' zones would."""
HISTORY_BASE = 10000  # Jira history ids: the demo's change number plus this (same width, same order)


def jira_time(value: Any, zone: timezone) -> str:
    """A UTC instant as Jira writes it: 2026-01-05T10:11:12.000-0500."""
    at = pd.Timestamp(value).to_pydatetime().replace(tzinfo=UTC).astimezone(zone)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}" + at.strftime("%z")


def status_category(stage_kind: str, stage: str) -> str:
    if stage_kind in ("done", "abandoned"):
        return "done"
    return "new" if stage == "backlog" else "indeterminate"


def demo_issues(raw: dict[str, pd.DataFrame]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The demo's tickets as Jira issues (with every history, oldest first) and the site's status list."""
    status_map = raw["status_map"]
    categories = {r.raw_status: status_category(r.stage_kind, r.stage) for r in status_map.itertuples()}
    statuses = [{"id": str(i + 1), "name": name, "statusCategory": {"key": key}}
                for i, (name, key) in enumerate(sorted(categories.items()))]
    status_ids = {s["name"]: s["id"] for s in statuses}
    changes = raw["ticket_status_changes"].sort_values(["changed_at", "change_id"])
    by_ticket = {k: g for k, g in changes.groupby("ticket_id")}
    issues = []
    for n, t in enumerate(raw["tickets"].itertuples()):
        zone = OFFSETS[n % len(OFFSETS)]
        histories = []
        mine = by_ticket.get(t.ticket_id, changes.iloc[0:0])
        for m, c in enumerate(mine.itertuples()):
            status_item = {
                "field": "status", "fieldtype": "jira", "fieldId": "status",
                "from": status_ids.get(c.from_status) if isinstance(c.from_status, str) else None,
                "fromString": c.from_status if isinstance(c.from_status, str) else None,
                "to": status_ids.get(c.to_status), "toString": c.to_status,
            }
            items = [status_item]
            if m % 3 == 1:  # another field changed in the same history, listed first
                items.insert(0, {"field": "assignee", "fieldtype": "jira", "fieldId": "assignee", "from": None,
                                 "fromString": None, "to": "acc-1", "toString": "Someone"})
            if m % 4 == 2:  # a custom field that happens to be called "status"
                items.append({"field": "status", "fieldtype": "custom", "fieldId": "customfield_10042",
                              "from": None, "fromString": "red", "to": None, "toString": "green"})
            histories.append({
                "id": str(HISTORY_BASE + int(c.change_id)),
                "author": {"accountId": f"acc-{c.changed_by}", "displayName": c.changed_by, "active": True},
                "created": jira_time(c.changed_at, zone),
                "items": items,
            })
        current = mine["to_status"].iloc[-1] if len(mine) else "Backlog"
        updated = mine["changed_at"].iloc[-1] if len(mine) else t.created_at
        issues.append({
            "id": str(20000 + n), "key": t.ticket_id,
            "fields": {
                "summary": t.title,
                "status": {"name": current, "id": status_ids.get(current),
                           "statusCategory": {"key": categories.get(current, "indeterminate")}},
                "issuetype": {"name": t.ticket_type},
                "created": jira_time(t.created_at, zone),
                "updated": jira_time(updated, zone),
                "project": {"key": str(t.team).upper(), "name": t.team},
                "priority": {"name": "Medium"},
                "labels": [],
                "resolutiondate": None,
                "assignee": None,
                "reporter": {"accountId": "acc-reporter", "displayName": "Reporter"},
            },
            "histories": histories,
        })
    return issues, statuses


@dataclass
class FakeJira:
    """The site's state and what it was asked. ``cloud``: v3 search (else v3 answers 404, as on Data Center);
    ``page_size``/``embedded``/``changelog_page``: the server's caps; ``faults``: (path regex, remaining count,
    status, headers) answered instead of the real page while the count lasts (-1: forever), ``fail_after``: every
    request after that many fails with 500 (an outage mid-pull)."""

    issues: list[dict[str, Any]]
    statuses: list[dict[str, Any]]
    cloud: bool = True
    page_size: int = 50
    embedded: int = 40
    changelog_page: int = 100
    faults: list[list[Any]] = field(default_factory=list)
    fail_after: int | None = None
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def install(self, server: HTTPServer) -> None:
        server.expect_request(re.compile(r"/rest/api/.*")).respond_with_handler(self.handle)

    def handle(self, request: Request) -> Response:
        path, args = request.path, dict(request.args)
        self.requests.append((path, args))
        if self.fail_after is not None and len(self.requests) > self.fail_after:
            return Response("the site is down", status=500, headers={"Retry-After": "0"})
        for fault in self.faults:
            if fault[1] != 0 and re.search(fault[0], path):
                fault[1] -= 1
                return Response("fault", status=fault[2], headers=fault[3])
        if not self._authorized(request.headers.get("Authorization", "")):
            return _json({"errorMessages": ["You are not authenticated."]}, 401)
        if path == "/rest/api/3/search/jql" and self.cloud:
            return self._cloud_search(args)
        if path == "/rest/api/2/search" and not self.cloud:
            return self._dc_search(args)
        match = re.fullmatch(r"/rest/api/(\d)/issue/([^/]+)/changelog", path)
        if match and match.group(1) == ("3" if self.cloud else "2"):
            return self._changelog(match.group(2), args)
        if path == f"/rest/api/{3 if self.cloud else 2}/status":
            return _json(self.statuses)
        return _json({"errorMessages": ["Not found"]}, 404)

    def _authorized(self, header: str) -> bool:
        if self.cloud:
            return header == "Basic " + base64.b64encode(f"{EMAIL}:{TOKEN}".encode()).decode()
        return header == f"Bearer {PAT}"

    def matching(self, jql: str) -> list[dict[str, Any]]:
        """The issues a JQL selects: the fake reads only an `updated >= "yyyy/MM/dd HH:mm"` clause (site zone UTC)."""
        found = re.search(r'updated >= "(\d{4}/\d\d/\d\d \d\d:\d\d)"', jql)
        if not found:
            return self.issues
        since = datetime.strptime(found.group(1), "%Y/%m/%d %H:%M").replace(tzinfo=UTC)
        return [i for i in self.issues if datetime.fromisoformat(i["fields"]["updated"]) >= since]

    def _page(self, issue: dict[str, Any], fields: str) -> dict[str, Any]:
        histories = issue["histories"]
        latest_first = list(reversed(histories))[: self.embedded]
        wanted = set(fields.split(","))
        return {
            "id": issue["id"], "key": issue["key"], "self": f"https://jira.example/rest/api/3/issue/{issue['id']}",
            "fields": {k: v for k, v in issue["fields"].items() if k in wanted},
            "changelog": {"startAt": 0, "maxResults": self.embedded, "total": len(histories),
                          "histories": latest_first},
        }

    def _cloud_search(self, args: dict[str, str]) -> Response:
        assert args.get("expand") == "changelog", args
        found = self.matching(args["jql"])
        size = min(int(args.get("maxResults", 50)), self.page_size)
        start = int(args.get("nextPageToken", "0"))
        page = found[start: start + size]
        body: dict[str, Any] = {"issues": [self._page(i, args["fields"]) for i in page],
                                "isLast": start + size >= len(found)}
        if not body["isLast"]:
            body["nextPageToken"] = str(start + size)
        return _json(body)

    def _dc_search(self, args: dict[str, str]) -> Response:
        found = self.matching(args["jql"])
        size = min(int(args.get("maxResults", 50)), self.page_size)
        start = int(args.get("startAt", "0"))
        return _json({"startAt": start, "maxResults": size, "total": len(found),
                      "issues": [self._page(i, args["fields"]) for i in found[start: start + size]]})

    def _changelog(self, key: str, args: dict[str, str]) -> Response:
        issue = next(i for i in self.issues if i["key"] == key)
        start = int(args.get("startAt", "0"))
        size = min(int(args.get("maxResults", 100)), self.changelog_page)
        values = issue["histories"][start: start + size]
        return _json({"self": "https://jira.example/changelog", "maxResults": size, "startAt": start,
                      "total": len(issue["histories"]), "isLast": start + size >= len(issue["histories"]),
                      "values": values})

    def paths(self, pattern: str) -> list[str]:
        return [p for p, _ in self.requests if re.search(pattern, p)]


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")
