"""The Jira client of `flowmetrics extract jira`: the HTTP side (search pages, long changelogs, the status list).

Jira Cloud: `GET /rest/api/3/search/jql` pages with ``nextPageToken`` until ``isLast``; a Data Center site answers
404 there and is searched with `GET /rest/api/2/search` (``startAt``/``maxResults``/``total``). A search embeds only
the latest part of a long changelog (``total`` > ``maxResults``): the rest comes from the issue's changelog
endpoint, paged by ``startAt``. Cloud authenticates with JIRA_EMAIL + JIRA_API_TOKEN (basic), Data Center with a
personal access token JIRA_PAT (bearer)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from flowmetrics.errors import ConfigError, ExtractError
from flowmetrics.extract import jira_map
from flowmetrics.extract.credentials import first_credentials
from flowmetrics.extract.http import ApiClient
from flowmetrics.extract.pull import Pull
from flowmetrics.extract.status_map import suggest_status_map

CLOUD_ENV = ("JIRA_EMAIL", "JIRA_API_TOKEN")
DATA_CENTER_ENV = ("JIRA_PAT",)
PAGE_SIZE = 100  # issues per search page and histories per changelog page
CLOUD_SEARCH = "/rest/api/3/search/jql"
DATA_CENTER_SEARCH = "/rest/api/2/search"

Progress = Callable[[str], None] | None


def jira_client(url: str, *, progress: Progress = None, sleep: Callable[[float], None] = time.sleep,
                env: Mapping[str, str] | None = None) -> ApiClient:
    """An ApiClient for the Jira site at ``url`` with the credentials of the environment (Cloud first)."""
    parsed = httpx.URL(url)
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ConfigError(f"--url {url!r} is not a Jira site address: give one like https://your-site.atlassian.net")
    found = first_credentials("Jira", (CLOUD_ENV, DATA_CENTER_ENV), env)
    if "JIRA_PAT" in found:
        token = found["JIRA_PAT"]
        return ApiClient(url, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                         credential_env="JIRA_PAT", progress=progress, sleep=sleep, secrets=(token,))
    token = found["JIRA_API_TOKEN"]
    return ApiClient(url, auth=httpx.BasicAuth(found["JIRA_EMAIL"], token), headers={"Accept": "application/json"},
                     credential_env="JIRA_EMAIL and JIRA_API_TOKEN", progress=progress, sleep=sleep,
                     secrets=(token,))


def pull_jira(api: ApiClient, jql: str, start: datetime | None, *, progress: Progress = None) -> Pull:
    """Every issue the JQL matches (updated since ``start`` when given) with its whole status history, as tickets,
    ticket_status_changes and a suggested status_map."""
    query = jira_map.jql_since(jql, start)
    issues: list[dict[str, Any]] = []
    version = "3"
    for page_version, page in _search(api, query):
        version = page_version
        issues.extend(page)
        _say(progress, f"jira: {len(issues):,} issue(s) read")
    histories = {}
    for issue in issues:
        changelog = issue.get("changelog") or {}
        embedded = list(changelog.get("histories") or ())
        total = int(changelog.get("total") or len(embedded))
        if total > len(embedded):
            _say(progress, f"jira: {issue['key']} has {total} changelog entries; reading them all")
            embedded = _whole_changelog(api, version, issue["key"])
        histories[issue["key"]] = embedded
    tables = jira_map.tables(issues, histories)
    categories = jira_map.status_categories(issues, _site_statuses(api, version, progress))
    tables["status_map"] = suggest_status_map(categories, tables["ticket_status_changes"])
    return Pull(tables=tables, items=len(issues), latest_update=jira_map.latest_update(issues),
                seen=jira_map.seen_types(issues))


def _search(api: ApiClient, jql: str) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Pages of issues: the Cloud search, or the Data Center one when the site has no Cloud search (404)."""
    params: dict[str, Any] = {"jql": jql, "fields": ",".join(jira_map.SEARCH_FIELDS), "expand": "changelog",
                              "maxResults": PAGE_SIZE}
    try:
        page = api.get_json(CLOUD_SEARCH, params=params)
    except ExtractError as exc:
        if exc.status != 404:
            raise
        yield from _search_data_center(api, params)
        return
    while True:
        yield "3", _issues(page, CLOUD_SEARCH)
        token = page.get("nextPageToken")
        if page.get("isLast", token is None) or not token:
            return
        page = api.get_json(CLOUD_SEARCH, params={**params, "nextPageToken": token})


def _search_data_center(api: ApiClient, params: dict[str, Any]) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    start_at = 0
    while True:
        page = api.get_json(DATA_CENTER_SEARCH, params={**params, "startAt": start_at})
        issues = _issues(page, DATA_CENTER_SEARCH)
        yield "2", issues
        start_at += len(issues)
        if not issues or start_at >= int(page.get("total", 0)):
            return


def _whole_changelog(api: ApiClient, version: str, key: str) -> list[dict[str, Any]]:
    """Every history of one issue from its changelog endpoint (pages of ``values``, oldest first)."""
    path = f"/rest/api/{version}/issue/{quote(key, safe='')}/changelog"
    histories: list[dict[str, Any]] = []
    while True:
        page = api.get_json(path, params={"startAt": len(histories), "maxResults": PAGE_SIZE})
        values = page.get("values", page.get("histories")) if isinstance(page, dict) else None
        if not isinstance(values, list):
            raise ExtractError(f"GET {path} answered without a list of changelog values")
        histories.extend(values)
        if not values or page.get("isLast") or len(histories) >= int(page.get("total", len(histories))):
            return histories


def _site_statuses(api: ApiClient, version: str, progress: Progress) -> list[dict[str, Any]]:
    """Every status of the site with its category; [] when the site does not list them to this user."""
    try:
        statuses = api.get_json(f"/rest/api/{version}/status")
    except ExtractError as exc:
        if exc.status not in (403, 404):
            raise
        _say(progress, "jira: the site's status list is not readable; categories come from the issues' statuses")
        return []
    return [s for s in statuses if isinstance(s, dict)] if isinstance(statuses, list) else []


def _issues(page: Any, path: str) -> list[dict[str, Any]]:
    issues = page.get("issues") if isinstance(page, dict) else None
    if not isinstance(issues, list) or not all(isinstance(i, dict) and "key" in i for i in issues):
        raise ExtractError(f"GET {path} answered without a list of issues with keys; is --url a Jira site?")
    return issues


def _say(progress: Progress, message: str) -> None:
    if progress is not None:
        progress(message)
