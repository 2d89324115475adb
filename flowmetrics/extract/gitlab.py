"""Pull a GitLab project's issues, their state and label events, and its deployments (REST v4) into contract
tables.

I/O only: which endpoints, in which order, with which parameters; the rows come from flowmetrics.extract.gitlab_rows.
Lists are paged by the Link header (or X-Next-Page), `per_page=100`. A deploy ships the issues its merge requests
close: `deployments/{id}/merge_requests`, then each merge request's `closes_issues`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from flowmetrics.extract.frames import frame, iso_z, page_items, parse_time, utc_second
from flowmetrics.extract.gitlab_rows import (
    GitlabScheme,
    deploy_row,
    issue_status_changes,
    ticket_id,
    ticket_row,
)
from flowmetrics.extract.http import ApiClient
from flowmetrics.extract.pull import Pull
from flowmetrics.extract.status_map import suggest_status_map

DEFAULT_URL = "https://gitlab.com"
API_PATH = "/api/v4"
TOKEN_ENV = "GITLAB_TOKEN"
PER_PAGE = 100


def gitlab_headers(token: str) -> dict[str, str]:
    """A personal, project or group access token goes in PRIVATE-TOKEN."""
    return {"PRIVATE-TOKEN": token}




def project_path(project: str) -> str:
    """The API path of a project given by its numeric id or its full path (`group/sub/project`, URL-encoded)."""
    return f"{API_PATH}/projects/{quote(project.strip(), safe='')}"


def _every(client: ApiClient, path: str) -> list[Any]:
    """Every item of a paged list."""
    return list(page_items(client.get_pages(path, {"per_page": PER_PAGE})))


def gitlab_pull(client: ApiClient, scheme: GitlabScheme, progress: Callable[[str], None] | None = None
                ) -> Callable[[datetime | None], Pull]:
    """The pull run_extract calls with where to start (aware UTC, None: everything)."""
    def pull(start: datetime | None) -> Pull:
        return pull_gitlab(client, scheme, None if start is None else utc_second(start), progress)
    return pull


def pull_gitlab(client: ApiClient, scheme: GitlabScheme, since: datetime | None,
                progress: Callable[[str], None] | None = None) -> Pull:
    """The contract tables of ``scheme.project``: every issue updated at or after ``since`` (naive UTC; all when
    None) with its status changes, and the deployments updated since then with the issues they ship."""
    say = progress or (lambda _message: None)
    base = project_path(scheme.project)
    params: dict[str, Any] = {"scope": "all", "order_by": "updated_at", "sort": "asc", "per_page": PER_PAGE}
    if since is not None:
        params["updated_after"] = iso_z(since)
    issues = list(page_items(client.get_pages(f"{base}/issues", params)))
    tickets, changes = [], []
    for issue in issues:
        iid = issue["iid"]
        states = _every(client, f"{base}/issues/{iid}/resource_state_events")
        labels = _every(client, f"{base}/issues/{iid}/resource_label_events")
        tickets.append(ticket_row(issue, scheme))
        changes.extend(issue_status_changes(issue, states, labels, scheme))
    say(f"GitLab {scheme.project}: {len(issues)} issue(s), {len(changes)} status change(s)")

    deploy_params: dict[str, Any] = {"order_by": "updated_at", "sort": "asc", "per_page": PER_PAGE}
    if since is not None:
        deploy_params["updated_after"] = iso_z(since)
    service = scheme.project.strip().split("/")[-1]
    deploys: list[dict[str, Any]] = []
    links: set[tuple[str, str]] = set()
    for deployment in page_items(client.get_pages(f"{base}/deployments", deploy_params)):
        row = deploy_row(deployment, service)
        if row is None:
            continue
        deploys.append(row)
        for merge in _every(client, f"{base}/deployments/{deployment['id']}/merge_requests"):
            closed = _every(client, f"{base}/merge_requests/{merge['iid']}/closes_issues")
            links.update((row["deploy_id"], ticket_id(issue, scheme.project)) for issue in closed)
    say(f"GitLab {scheme.project}: {len(deploys)} deploy(s), {len(links)} deploy-ticket link(s)")
    updates = [t for t in (parse_time(i.get("updated_at")) for i in issues) if t is not None]
    status_changes = frame("ticket_status_changes", changes)
    return Pull(
        tables={
            "tickets": frame("tickets", tickets),
            "ticket_status_changes": status_changes,
            "status_map": suggest_status_map(scheme.states.categories(with_not_planned=False), status_changes),
            "deploys": frame("deploys", deploys),
            "deploy_tickets": frame("deploy_tickets", [{"deploy_id": d, "ticket_id": t} for d, t in sorted(links)]),
        },
        items=len(issues),
        latest_update=max(updates).replace(tzinfo=UTC) if updates else None,
    )
