"""Pull a GitHub repository's issues, their events, pull requests and deployments (REST v3) into contract tables.

I/O only: which endpoints, in which order, with which parameters; the rows come from flowmetrics.extract.github_rows.
Every list is paged by the Link header (`per_page=100`); the client sleeps through rate limits and says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from flowmetrics.extract.frames import frame, iso_z, page_items, parse_time, utc_second
from flowmetrics.extract.github_rows import (
    Deploy,
    GithubScheme,
    deploy_of,
    deploy_row,
    deploy_ticket_rows,
    is_pull_request,
    issue_status_changes,
    previous_success,
    ticket_row,
)
from flowmetrics.extract.http import ApiClient
from flowmetrics.extract.pull import Pull
from flowmetrics.extract.status_map import suggest_status_map

DEFAULT_URL = "https://api.github.com"
TOKEN_ENV = "GITHUB_TOKEN"
PER_PAGE = 100
API_HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}


def github_headers(token: str) -> dict[str, str]:
    """The request headers of the REST API with a token (fine-grained or classic) as a bearer."""
    return {**API_HEADERS, "Authorization": f"Bearer {token}"}




def github_pull(
    client: ApiClient, scheme: GithubScheme, progress: Callable[[str], None] | None = None
) -> Callable[[datetime | None], Pull]:
    """The pull run_extract calls with where to start (aware UTC, None: everything)."""
    def pull(start: datetime | None) -> Pull:
        return pull_github(client, scheme, None if start is None else utc_second(start), progress)
    return pull


def pull_github(
    client: ApiClient,
    scheme: GithubScheme,
    since: datetime | None,
    progress: Callable[[str], None] | None = None,
) -> Pull:
    """The contract tables of ``scheme.repo``: every issue updated at or after ``since`` (naive UTC; all when None)
    with its status changes, and the deploys created since then with the issues their pull requests close."""
    say = progress or (lambda _message: None)
    repo = f"/repos/{scheme.repo}"
    params: dict[str, Any] = {"state": "all", "per_page": PER_PAGE, "sort": "updated", "direction": "asc"}
    if since is not None:
        params["since"] = iso_z(since)
    issues = [i for i in page_items(client.get_pages(f"{repo}/issues", params)) if not is_pull_request(i)]
    say(f"GitHub {scheme.repo}: {len(issues)} issue(s)" + (f" updated since {iso_z(since)}" if since else ""))
    tickets, changes = [], []
    for issue in issues:
        events = list(page_items(client.get_pages(f"{repo}/issues/{issue['number']}/events", {"per_page": PER_PAGE})))
        tickets.append(ticket_row(issue, scheme))
        changes.extend(issue_status_changes(issue, events, scheme))
    say(f"GitHub {scheme.repo}: {len(changes)} status change(s)")

    deploys = _deploys(client, repo, since)
    starts = [_window_start(d, deploys) for d in deploys]
    window_start = None if None in starts else min(s for s in starts if s is not None)
    pulls = list(_merged_pulls(client, repo, window_start)) if deploys else []
    numbers = {int(i["number"]) for i in issues}
    shipped = [d for d in deploys if since is None or d.created_at >= since]
    links = [r for r in deploy_ticket_rows(deploys, pulls, numbers, scheme.repo)
             if r["deploy_id"] in {d.deploy_id for d in shipped}]
    say(f"GitHub {scheme.repo}: {len(shipped)} deploy(s), {len(pulls)} merged pull request(s), "
        f"{len(links)} deploy-ticket link(s)")
    updates = [t for t in (parse_time(i.get("updated_at")) for i in issues) if t is not None]
    updates += [d.created_at for d in shipped]
    status_changes = frame("ticket_status_changes", changes)
    return Pull(
        tables={
            "tickets": frame("tickets", tickets),
            "ticket_status_changes": status_changes,
            "status_map": suggest_status_map(scheme.states.categories(), status_changes),
            "deploys": frame("deploys", [deploy_row(d, scheme) for d in shipped]),
            "deploy_tickets": frame("deploy_tickets", links),
        },
        items=len(issues),
        latest_update=max(updates).replace(tzinfo=UTC) if updates else None,
    )


def _deploys(client: ApiClient, repo: str, since: datetime | None) -> list[Deploy]:
    """The deployments that ended, created at or after ``since``, plus per environment the latest successful one
    before it (it bounds the first window). The API lists deployments newest first."""
    deploys: list[Deploy] = []
    bounded: set[str] = set()  # environments whose earlier success is known
    environments_seen: set[str] = set()
    for deployment in page_items(client.get_pages(f"{repo}/deployments", {"per_page": PER_PAGE})):
        created = parse_time(deployment.get("created_at"))
        environment = str(deployment.get("environment") or "production")
        older = since is not None and created is not None and created < since
        if older and (environment in bounded or environment not in environments_seen):
            continue
        statuses = list(page_items(client.get_pages(f"{repo}/deployments/{deployment['id']}/statuses",
                                                {"per_page": PER_PAGE})))
        deploy = deploy_of(deployment, statuses)
        if deploy is None:
            continue
        environments_seen.add(environment)
        deploys.append(deploy)
        if older and deploy.status == "success":
            bounded.add(environment)
    return deploys


def _window_start(deploy: Deploy, deploys: list[Deploy]) -> datetime | None:
    """When the pull requests ``deploy`` ships start: the creation of the previous success (None: the beginning)."""
    before = previous_success(deploy, deploys)
    return None if before is None else before.created_at


def _merged_pulls(client: ApiClient, repo: str, window_start: datetime | None) -> Iterator[dict[str, Any]]:
    """Merged pull requests, most recently updated first, down to ``window_start`` (a pull request merged after it
    was updated after it too)."""
    params = {"state": "closed", "sort": "updated", "direction": "desc", "per_page": PER_PAGE}
    for pull in page_items(client.get_pages(f"{repo}/pulls", params)):
        updated = parse_time(pull.get("updated_at"))
        if window_start is not None and updated is not None and updated < window_start:
            return
        if pull.get("merged_at"):
            yield pull
