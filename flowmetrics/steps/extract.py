"""`flowmetrics extract <tracker>`: pull a tracker's tickets and status changes through its API into raw contract
files (`flowmetrics ingest DIR` reads them), incrementally from the cursor kept in the output directory.

One flow serves every tracker (`run_extract`): where the pull starts (--since, --full or the cursor minus the
margin), the tracker's pull, the all-or-nothing write merged by the contract's keys, then the cursor."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flowmetrics.errors import ConfigError
from flowmetrics.extract.cursor import pull_start, read_cursor, write_cursor
from flowmetrics.extract.output import SUFFIX, write_tables
from flowmetrics.extract.pull import Pull
from flowmetrics.results import Result

Progress = Callable[[str], None] | None
KEPT_TABLES = ("status_map",)
"""Tables an extract suggests only when --out holds none: a map already there (perhaps edited) is kept."""
_MARGIN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([dhm]?)\s*$")
_MARGIN_UNITS = {"d": "days", "": "days", "h": "hours", "m": "minutes"}


@dataclass(frozen=True)
class ExtractSummary(Result):
    """What one extract pulled and wrote."""

    source: str
    out_dir: str
    since: str | None  # where the pull started (UTC); None: everything the query matches
    items: int  # tickets (issues, pull requests...) the pull read
    rows: dict[str, int]  # rows per table now in out_dir
    cursor: str | None  # the cursor now kept in out_dir (UTC)
    kept: tuple[str, ...]  # files left as they were (a status map already in out_dir)
    types_json: str | None
    seconds: float


def parse_margin(text: str) -> timedelta:
    """--margin: '1d', '12h', '90m' or a number of days; a ValueError says what is accepted."""
    match = _MARGIN.match(str(text).lower())
    if not match:
        raise ValueError(f"{text!r} is not a margin: give one like 1d, 12h or 90m")
    return timedelta(**{_MARGIN_UNITS[match.group(2)]: float(match.group(1))})


def parse_since(text: str | None) -> datetime | None:
    """--since as an aware UTC time (the CLI already normalised it to 'YYYY-MM-DD HH:MM:SS' UTC)."""
    if text is None:
        return None
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def run_extract(
    source: str,
    out_dir: Path,
    pull: Callable[[datetime | None], Pull],
    *,
    since: datetime | None = None,
    full: bool = False,
    margin: timedelta,
    types_json: Path | None = None,
    progress: Progress = None,
) -> ExtractSummary:
    """Pull ``source`` from where it should start, write its tables into ``out_dir`` (merged by key with what is
    there, all or nothing), then move the cursor. Nothing is written when the pull fails."""
    started = time.perf_counter()
    if out_dir.exists() and not out_dir.is_dir():
        raise ConfigError(f"--out {out_dir} is a file; give a directory")
    start = pull_start(out_dir, source, margin=margin, since=since, full=full)
    _say(progress, f"{source}: pulling " + (f"what changed since {start:%Y-%m-%d %H:%M} UTC" if start
                                            else "everything the query matches"))
    pulled = pull(start)
    tables = dict(pulled.tables)
    kept = tuple(f"{name}{SUFFIX}" for name in KEPT_TABLES
                 if name in tables and (out_dir / f"{name}{SUFFIX}").exists())
    for name in kept:
        tables.pop(name.removesuffix(SUFFIX))
    _say(progress, f"{source}: read {pulled.items} item(s); writing {', '.join(tables)} into {out_dir}")
    rows = write_tables(out_dir, tables, append=True)
    previous = read_cursor(out_dir, source)
    cursor = max((t for t in (previous, pulled.latest_update) if t is not None), default=None)
    if cursor is not None and cursor != previous:
        write_cursor(out_dir, source, cursor)
    if types_json is not None:
        _write_json(types_json, pulled.seen)
    return ExtractSummary(
        source=source,
        out_dir=str(out_dir),
        since=_utc_text(start),
        items=pulled.items,
        rows=rows,
        cursor=_utc_text(cursor),
        kept=kept,
        types_json=None if types_json is None else str(types_json),
        seconds=round(time.perf_counter() - started, 2),
    )


def extract_text(summary: ExtractSummary) -> str:
    """The summary for people: rows per table, where the pull started and the cursor kept."""
    lines = [f"{summary.source}: {summary.items:,} item(s) pulled "
             + (f"(changed since {summary.since} UTC)" if summary.since else "(everything the query matches)")
             + f" into {summary.out_dir} ({summary.seconds}s):"]
    lines += [f"  {name:<24}{n:>12,} rows" for name, n in summary.rows.items()]
    lines += [f"  kept {name} already there (edit it; delete it to get a new suggestion)" for name in summary.kept]
    if any(name in summary.rows for name in KEPT_TABLES):
        lines.append(f"  {', '.join(n for n in KEPT_TABLES if n in summary.rows)}{SUFFIX} is a suggestion from the "
                     "statuses' categories and names: check it before the first build (edits are kept)")
    if summary.types_json:
        lines.append(f"  wrote the issue types and projects seen to {summary.types_json}")
    lines.append(f"cursor: {summary.cursor} UTC (the next pull starts there minus the margin)" if summary.cursor
                 else "no cursor: nothing was pulled")
    lines.append(f"next: flowmetrics ingest {summary.out_dir}")
    return "\n".join(lines)


def _utc_text(at: datetime | None) -> str | None:
    """'YYYY-MM-DD HH:MM:SS' UTC, as the other commands print times."""
    return None if at is None else at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _write_json(path: Path, document: dict[str, object]) -> None:
    try:
        path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write --types-json {path}: {exc.strerror or exc}") from exc


def _say(progress: Progress, message: str) -> None:
    if progress is not None:
        progress(message)


def run_extract_jira(
    url: str,
    jql: str,
    out_dir: Path,
    *,
    since: datetime | None = None,
    full: bool = False,
    margin: timedelta,
    types_json: Path | None = None,
    progress: Progress = None,
    sleep: Callable[[float], None] = time.sleep,
) -> ExtractSummary:
    """`flowmetrics extract jira`: the issues of ``jql`` on the Jira site ``url`` into ``out_dir``."""
    from flowmetrics.extract.jira import jira_client, pull_jira

    if not jql.strip():
        raise ConfigError("--jql is empty: give the issues to pull, e.g. 'project = ABC'")
    with jira_client(url, progress=progress, sleep=sleep) as api:
        return run_extract("jira", out_dir, lambda start: pull_jira(api, jql, start, progress=progress),
                           since=since, full=full, margin=margin, types_json=types_json, progress=progress)


# -- GitHub, Linear, GitLab ------------------------------------------------------------------------------------------

_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


@dataclass(frozen=True)
class LabelStatusOptions:
    """How a GitHub or GitLab ticket's status is read: a label `<prefix><status>` (GitHub: or its project column),
    else its state's status (open, closed, closed as not planned)."""

    prefix: str
    from_columns: bool = False
    open_status: str = "Open"
    closed_status: str = "Closed"
    not_planned_status: str = "Not planned"
    team: str | None = None


@dataclass(frozen=True)
class PullOptions:
    """Where a tracker pull starts and how it waits (``sleep``, ``clock``: injectable, so tests do not wait)."""

    since: datetime | None = None
    full: bool = False
    margin: timedelta = timedelta(days=1)
    progress: Progress = None
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time


def run_extract_github(repo: str, out_dir: Path, *, url: str, statuses: LabelStatusOptions,
                       options: PullOptions) -> ExtractSummary:
    """`flowmetrics extract github`: a repository's issues, status changes, deploys and deploy tickets."""
    from flowmetrics.extract.github import TOKEN_ENV, github_headers, github_pull
    from flowmetrics.extract.github_rows import GithubScheme
    from flowmetrics.extract.label_status import LabelScheme, StateStatuses

    if not _REPO.match(repo) or repo.split("/")[1] in (".", ".."):
        raise ConfigError(f"--repo {repo!r} is not OWNER/NAME (e.g. octo-org/web)")
    scheme = GithubScheme(
        repo, LabelScheme(statuses.prefix), statuses.from_columns,
        StateStatuses(statuses.open_status, statuses.closed_status, statuses.not_planned_status), team=statuses.team,
    )
    return _run_tracker(f"github {repo}", out_dir, "GitHub", url, TOKEN_ENV, github_headers,
                        lambda client: github_pull(client, scheme, options.progress), options)


def run_extract_linear(team: str, out_dir: Path, *, url: str, options: PullOptions) -> ExtractSummary:
    """`flowmetrics extract linear`: a team's issues and their state changes."""
    from flowmetrics.extract.linear import KEY_ENV, linear_headers, linear_pull

    if not team.strip():
        raise ConfigError("--team is empty: give the team's key (e.g. ENG)")
    return _run_tracker(f"linear {team.strip()}", out_dir, "Linear", url, KEY_ENV, linear_headers,
                        lambda client: linear_pull(client, team.strip(), options.progress), options)


def run_extract_gitlab(project: str, out_dir: Path, *, url: str, statuses: LabelStatusOptions,
                       options: PullOptions) -> ExtractSummary:
    """`flowmetrics extract gitlab`: a project's issues, status changes, deploys and deploy tickets."""
    from flowmetrics.extract.gitlab import TOKEN_ENV, gitlab_headers, gitlab_pull
    from flowmetrics.extract.gitlab_rows import GitlabScheme
    from flowmetrics.extract.label_status import LabelScheme, StateStatuses

    if not project.strip():
        raise ConfigError("--project is empty: give the project's id or its path (group/project)")
    scheme = GitlabScheme(
        project.strip(), LabelScheme(statuses.prefix),
        StateStatuses(statuses.open_status, statuses.closed_status, statuses.not_planned_status), team=statuses.team,
    )
    return _run_tracker(f"gitlab {project.strip()}", out_dir, "GitLab", url, TOKEN_ENV, gitlab_headers,
                        lambda client: gitlab_pull(client, scheme, options.progress), options)


def _run_tracker(
    source: str,
    out_dir: Path,
    tracker: str,
    url: str,
    env: str,
    headers: Callable[[str], dict[str, str]],
    make_pull: Callable[..., Callable[[datetime | None], Pull]],
    options: PullOptions,
) -> ExtractSummary:
    """The credential from ``env``, a client on ``url`` sending it, and run_extract with the tracker's pull."""
    from urllib.parse import urlsplit

    from flowmetrics.extract.credentials import first_credentials
    from flowmetrics.extract.http import ApiClient

    parsed = urlsplit(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ConfigError(f"--url {url!r} is not an http(s) URL (e.g. https://api.github.com)")
    secret = first_credentials(tracker, ((env,),))[env]
    with ApiClient(url, headers=headers(secret), credential_env=env, progress=options.progress,
                   sleep=options.sleep, clock=options.clock, secrets=(secret,)) as client:
        return run_extract(source, out_dir, make_pull(client), since=options.since, full=options.full,
                           margin=options.margin, progress=options.progress)
