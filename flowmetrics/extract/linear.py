"""Pull a Linear team's issues with their state history (GraphQL) into contract tables.

I/O only: the queries, relay pagination (`pageInfo { hasNextPage endCursor }`, the issues and each issue's history),
the incremental filter; the rows come from flowmetrics.extract.linear_rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from flowmetrics.errors import ExtractCredentialsError, ExtractError
from flowmetrics.extract.frames import frame, parse_time
from flowmetrics.extract.http import ApiClient
from flowmetrics.extract.linear_rows import state_categories, status_change_rows, ticket_row
from flowmetrics.extract.pull import Pull
from flowmetrics.extract.status_map import suggest_status_map

DEFAULT_URL = "https://api.linear.app"
GRAPHQL_PATH = "/graphql"
KEY_ENV = "LINEAR_API_KEY"
PAGE_SIZE = 50  # issues (and history entries) per page; Linear allows up to 100, nested pages cost complexity

_HISTORY_FIELDS = """
        nodes {
          id createdAt
          fromState { id name type }
          toState { id name type }
          actor { id name displayName }
        }
        pageInfo { hasNextPage endCursor }"""

ISSUES_QUERY = """
query TeamIssues($filter: IssueFilter, $after: String, $first: Int!) {
  issues(filter: $filter, after: $after, first: $first, orderBy: updatedAt) {
    nodes {
      id identifier title createdAt updatedAt
      team { id key name }
      state { id name type }
      creator { id name displayName }
      history(first: $first) {""" + _HISTORY_FIELDS + """
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}"""

HISTORY_QUERY = """
query IssueHistory($id: String!, $after: String, $first: Int!) {
  issue(id: $id) {
    history(first: $first, after: $after) {""" + _HISTORY_FIELDS + """
    }
  }
}"""

STATES_QUERY = """
query TeamStates($filter: WorkflowStateFilter, $after: String, $first: Int!) {
  workflowStates(filter: $filter, after: $after, first: $first) {
    nodes { id name type position }
    pageInfo { hasNextPage endCursor }
  }
}"""


def linear_headers(key: str) -> dict[str, str]:
    """A personal API key goes in Authorization as it is (no Bearer)."""
    return {"Authorization": key, "Content-Type": "application/json"}


def query(client: ApiClient, text: str, variables: dict[str, Any]) -> dict[str, Any]:
    """The `data` of one GraphQL request; GraphQL errors (an answer 200 or 400 carrying `errors`) become an
    ExtractError, a credentials error (exit 2) when Linear says the key was not accepted."""
    try:
        answer = client.post_json(GRAPHQL_PATH, {"query": text, "variables": variables})
    except ExtractError as exc:
        if exc.status == 400 and "authentic" in str(exc).lower():
            raise ExtractCredentialsError(f"{exc}; check {KEY_ENV}", status=400) from None
        raise
    errors = answer.get("errors") if isinstance(answer, dict) else None
    if errors:
        kinds = " ".join(str((e.get("extensions") or {}).get(k, "")) for e in errors for k in ("type", "code"))
        messages = "; ".join(str(e.get("message", "")) for e in errors)[:300]
        if "authentic" in kinds.lower() or "authentic" in messages.lower():
            raise ExtractCredentialsError(f"Linear did not accept the API key ({messages}); check {KEY_ENV}")
        raise ExtractError(f"Linear answered the query with errors: {messages}")
    if not isinstance(answer, dict) or not isinstance(answer.get("data"), dict):
        raise ExtractError("Linear answered without data")
    return answer["data"]


def _pages(client: ApiClient, text: str, variables: dict[str, Any], path: tuple[str, ...]) -> Iterator[Any]:
    """Every node of the connection at ``path`` in the answers, page after page (relay cursors)."""
    after: str | None = None
    while True:
        data: Any = query(client, text, {**variables, "after": after, "first": PAGE_SIZE})
        for key in path:
            data = (data or {}).get(key)
        if data is None:
            return
        yield from data.get("nodes") or ()
        info = data.get("pageInfo") or {}
        if not info.get("hasNextPage"):
            return
        after = info.get("endCursor")


def full_history(client: ApiClient, issue: dict[str, Any]) -> list[dict[str, Any]]:
    """An issue's history entries: the first page came with the issue; the rest page by the history's cursor."""
    history = issue.get("history") or {}
    entries = list(history.get("nodes") or ())
    info = history.get("pageInfo") or {}
    after = info.get("endCursor")
    while info.get("hasNextPage"):
        data = query(client, HISTORY_QUERY, {"id": issue["id"], "after": after, "first": PAGE_SIZE})
        page = ((data.get("issue") or {}).get("history")) or {}
        entries.extend(page.get("nodes") or ())
        info = page.get("pageInfo") or {}
        after = info.get("endCursor")
    return entries


def linear_pull(client: ApiClient, team: str, progress: Callable[[str], None] | None = None
                ) -> Callable[[datetime | None], Pull]:
    """The pull run_extract calls with where to start (aware UTC, None: everything)."""
    def pull(start: datetime | None) -> Pull:
        return pull_linear(client, team, start, progress)
    return pull


def pull_linear(client: ApiClient, team: str, since: datetime | None,
                progress: Callable[[str], None] | None = None) -> Pull:
    """The tickets and status changes of team ``team`` (its key, e.g. ENG) updated at or after ``since``, and a
    status map suggested from the team's workflow states' types and the statuses' names."""
    say = progress or (lambda _message: None)
    team_filter = {"team": {"key": {"eq": team}}}
    issue_filter: dict[str, Any] = dict(team_filter)
    if since is not None:
        issue_filter["updatedAt"] = {"gte": since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")}
    tickets, changes, updates = [], [], []
    for issue in _pages(client, ISSUES_QUERY, {"filter": issue_filter}, ("issues",)):
        tickets.append(ticket_row(issue))
        changes.extend(status_change_rows(issue, full_history(client, issue)))
        updated = parse_time(issue.get("updatedAt"))
        if updated is not None:
            updates.append(updated)
    states = list(_pages(client, STATES_QUERY, {"filter": team_filter}, ("workflowStates",)))
    say(f"Linear {team}: {len(tickets)} issue(s), {len(changes)} status change(s), {len(states)} workflow state(s)")
    status_changes = frame("ticket_status_changes", changes)
    return Pull(
        tables={
            "tickets": frame("tickets", tickets),
            "ticket_status_changes": status_changes,
            "status_map": suggest_status_map(state_categories(states), status_changes),
        },
        items=len(tickets),
        latest_update=max(updates).replace(tzinfo=UTC) if updates else None,
    )
