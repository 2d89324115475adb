"""The demo system as Airbyte's GitHub source lands it (schema `github`): the streams issues, issue_events,
pull_requests, pull_request_commits, deployments and deployment_statuses, one table each, nested objects as JSON
text, `repository` the `owner/name` text, with Airbyte's metadata columns.

Made from the Fivetran fixture's tables of the same system (one description of what happened in GitHub, two
ways of landing it), with Airbyte's own noise: a record extracted again by a later sync, and issue events that
are not statuses (assigned, renamed, a project card moved). GitHub forgets a deleted issue, so the stream has none.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import pandas as pd

from tests.python.sources import fixtures_fivetran_github as fivetran
from tests.python.sources.harness import SyncClock

SOURCE = fivetran.SOURCE


def build_vars(team_map_relation: str = "raw.github_team_map") -> dict:
    """The Fivetran fixture's vars with this adapter as the source."""
    return {**fivetran.build_vars(team_map_relation),
            "flowmetrics_sources": [{"name": SOURCE, "adapter": "airbyte_github", "schema": "github"}]}


def _current(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Fivetran's rows as GitHub has them now: the latest sync per key, without deleted rows."""
    frame = frame.sort_values("_fivetran_synced").drop_duplicates(keys, keep="last")
    if "_fivetran_deleted" in frame:
        frame = frame[~frame["_fivetran_deleted"].astype(bool)]
    return frame.reset_index(drop=True)


def _metadata(frame: pd.DataFrame, stream: str, extracted: pd.Timestamp | pd.Series) -> pd.DataFrame:
    """Airbyte's columns on a stream's records; `extracted` is the sync time of all or of each (UTC)."""
    frame = frame.reset_index(drop=True).copy()
    frame["_airbyte_raw_id"] = [f"{stream}-{n:08d}" for n in range(len(frame))]
    extracted = pd.Series(extracted, index=frame.index) if isinstance(extracted, pd.Timestamp) else extracted
    extracted = pd.to_datetime(pd.Series(list(extracted), index=frame.index))
    frame["_airbyte_extracted_at"] = extracted if extracted.dt.tz else extracted.dt.tz_localize("UTC")
    frame["_airbyte_meta"] = '{"changes": [], "sync_id": 42}'
    frame["_airbyte_generation_id"] = 0
    return frame


def _user(login: object) -> str | None:
    return None if login is None or pd.isna(login) else json.dumps({"login": login, "type": "User"})


def airbyte_tables(fivetran_tables: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The Fivetran fixture's tables re-landed as Airbyte's streams."""
    extracted = pd.Timestamp("2026-02-01 04:00:00", tz="UTC")  # the streams not about issues
    clock = SyncClock("airbyte_github")
    logins = _current(fivetran_tables["user"], ["id"]).set_index("id")["login"]
    labels = _current(fivetran_tables["label"], ["id"]).set_index("id")["name"]
    repositories = _current(fivetran_tables["repository"], ["id"]).set_index("id")["full_name"]
    issue = _current(fivetran_tables["issue"], ["id"])
    issue_ref = {row.id: json.dumps({"id": int(row.id), "number": int(row.number)})
                 for row in issue.itertuples(index=False)}
    repository_of = issue.set_index("id")["repository_id"].map(repositories)

    issues = pd.DataFrame({
        "id": issue["id"], "number": issue["number"], "repository": issue["repository_id"].map(repositories),
        "title": issue["title"], "body": issue["body"], "state": issue["state"],
        "state_reason": issue["state_reason"],
        "user": issue["user_id"].map(logins).map(_user),
        "pull_request": [json.dumps({"url": f"https://api.github.com/pulls/{n}"}) if pr else None
                         for n, pr in zip(issue["number"], issue["pull_request"], strict=True)],
        "created_at": issue["created_at"], "updated_at": issue["updated_at"], "closed_at": issue["closed_at"],
    })
    # an issue is extracted when Fivetran synced it (the same sync after the same change); a later sync extracts
    # some issues again (unchanged): counted once
    issue_extracted = issue["_fivetran_synced"]
    issues = pd.concat([_metadata(issues, "issues", issue_extracted),
                        _metadata(issues.iloc[::30], "issues-again",
                                  issue_extracted.iloc[::30] + pd.Timedelta(hours=6))])

    events = []
    for row in _current(fivetran_tables["issue_label_history"], ["issue_id", "label_id", "updated_at"]).rename(
            columns={"_fivetran_synced": "synced"}).itertuples():
        if row.issue_id in issue_ref:
            events.append({"issue_id": row.issue_id, "event": "labeled" if row.labeled else "unlabeled",
                           "created_at": row.updated_at, "actor_id": row.actor_id,
                           "label": json.dumps({"name": labels[row.label_id], "color": "ededed"}),
                           "rank": 1 if row.labeled else 0, "extracted": row.synced})
    for row in _current(fivetran_tables["issue_closed_history"], ["issue_id", "updated_at", "closed"]).rename(
            columns={"_fivetran_synced": "synced"}).itertuples():
        events.append({"issue_id": row.issue_id, "event": "closed" if row.closed else "reopened",
                       "created_at": row.updated_at, "actor_id": row.actor_id, "label": None, "rank": 2,
                       "extracted": row.synced})
    for n, row in enumerate(issue[~issue["pull_request"]].iloc[::7].itertuples(index=False)):
        kind = ("assigned", "renamed", "moved_columns_in_project")[n % 3]
        events.append({"issue_id": row.id, "event": kind, "created_at": row.created_at + pd.Timedelta(hours=5),
                       "actor_id": row.user_id, "label": None, "rank": 3,
                       "extracted": clock(row.created_at + pd.Timedelta(hours=5))})
    events = pd.DataFrame(events).sort_values(["created_at", "rank", "issue_id"]).reset_index(drop=True)
    issue_events = pd.DataFrame({
        "id": 30_000_000_000 + events.index * 7, "repository": events["issue_id"].map(repository_of),
        "event": events["event"], "actor": events["actor_id"].map(logins).map(_user),
        "created_at": events["created_at"], "issue": events["issue_id"].map(issue_ref),
        "label": events["label"], "commit_id": None,
    })
    issue_events = pd.concat([_metadata(issue_events, "issue_events", events["extracted"]),
                              _metadata(issue_events.iloc[::40], "issue_events-again",
                                        events["extracted"].iloc[::40] + pd.Timedelta(hours=6))])

    pr = _current(fivetran_tables["pull_request"], ["id"]).merge(
        issue.rename(columns={"id": "issue_id"}), on="issue_id")
    merged_at = _current(fivetran_tables["issue_merged"], ["issue_id", "merged_at"]).groupby("issue_id")[
        "merged_at"].min()
    pull_requests = pd.DataFrame({
        "id": pr["id"], "number": pr["number"], "repository": pr["repository_id"].map(repositories),
        "title": pr["title"], "state": "closed", "merged_at": pr["issue_id"].map(merged_at),
        "merge_commit_sha": pr["merge_commit_sha"],
        "head": [json.dumps({"ref": ref, "sha": sha}) for ref, sha in zip(pr["head_ref"], pr["head_sha"],
                                                                             strict=True)],
        "base": [json.dumps({"ref": "main"})] * len(pr),
        "created_at": pr["created_at"], "updated_at": pr["updated_at"],
    })
    pr_number = pr.set_index("id")["number"]
    pr_repository = pr.set_index("id")["repository_id"].map(repositories)
    commit = _current(fivetran_tables["commit"], ["sha"]).set_index("sha")
    links = _current(fivetran_tables["commit_pull_request"], ["commit_sha", "pull_request_id"])
    pull_request_commits = pd.DataFrame({
        "sha": links["commit_sha"], "pull_number": links["pull_request_id"].map(pr_number),
        "repository": links["pull_request_id"].map(pr_repository),
        "commit": [json.dumps({"message": commit.loc[sha, "message"],
                               "author": {"name": "dev", "date": commit.loc[sha, "author_date"].isoformat()}})
                   for sha in links["commit_sha"]],
    })

    deployment = _current(fivetran_tables["deployment"], ["id"])
    deployments = pd.DataFrame({
        "id": deployment["id"], "sha": deployment["commit_sha"], "ref": deployment["ref"],
        "task": deployment["task"], "environment": deployment["environment"],
        "repository": deployment["repository_id"].map(repositories),
        "creator": deployment["creator_id"].map(logins).map(_user),
        "created_at": deployment["created_at"], "updated_at": deployment["updated_at"],
    })
    status = _current(fivetran_tables["deployment_status"], ["id"])
    status = status[status["deployment_id"].isin(deployment["id"])]
    deployment_statuses = pd.DataFrame({
        "id": status["id"], "deployment_id": status["deployment_id"], "state": status["state"],
        "environment": status["environment"], "created_at": status["created_at"],
        "updated_at": status["updated_at"],
        "repository": status["deployment_id"].map(deployment.set_index("id")["repository_id"]).map(repositories),
        "creator": status["creator_id"].map(logins).map(_user),
    })
    return {
        "issues": issues,
        "issue_events": issue_events,
        "pull_requests": _metadata(pull_requests, "pull_requests", extracted),
        "pull_request_commits": _metadata(pull_request_commits, "pull_request_commits", extracted),
        "deployments": _metadata(deployments, "deployments", extracted),
        "deployment_statuses": _metadata(deployment_statuses, "deployment_statuses", extracted),
    }
