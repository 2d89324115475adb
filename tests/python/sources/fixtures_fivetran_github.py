"""The demo system as Fivetran's GitHub connector lands it (schema `github`), made by code from the contract frames.

GitHub cannot say everything the contract can, so the compared system is first narrowed to what it can say
(`github_system`, used for both builds); then `fivetran_tables` writes the issues, their close and label histories,
pull requests with commits, and deployments with their statuses, with the noise a real sync has: labels that are
not statuses, a deleted issue and deployment, re-synced duplicate rows, superseded (inactive) and unfinished
deployments, and references in pull requests that are not links (a URL fragment, a version, an HTML entity).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping

import pandas as pd

from tests.python.sources.harness import SyncClock

OWNER = "acme"
REPOSITORIES = {"web": "web-app", "mobile": "mobile-api", "platform": "platform-api"}
# The statuses of the demo's map that an issue's state names (var github_state_statuses of the build).
STATE_STATUSES = {"open": "Backlog", "closed": "Done", "not_planned": "Won't Do"}
AI_LABEL = "ai-assisted"
ISSUE_ID_BASE = 2_000_000_000
PULL_REQUEST_ID_BASE = 3_000_000_000
DEPLOYMENT_ID_BASE = 900_000_000
SOURCE = "github"
# A row about an issue is loaded a random sync delay after it was written (harness.SyncClock), an older re-synced copy
# three days before its current one; the other tables load at one sync.
RESYNC_GAP = pd.Timedelta(days=3)


def build_vars(team_map_relation: str = "raw.github_team_map") -> dict:
    """The vars of a build reading the fixture: this source, the demo's state statuses, the AI label, the team map."""
    return {
        "flowmetrics_sources": [{"name": SOURCE, "adapter": "fivetran_github", "schema": "github"}],
        "github_state_statuses": STATE_STATUSES,
        "github_ai_assisted_label": AI_LABEL,
        "team_map_relation": team_map_relation,
    }


def team_map() -> pd.DataFrame:
    """Repository → team (a connector ticket's team is its repository name unless the team map says otherwise)."""
    return pd.DataFrame({
        "source_name": [None] * len(REPOSITORIES),
        "attribute": ["project"] * len(REPOSITORIES),
        "value": list(REPOSITORIES.values()),
        "team": list(REPOSITORIES),
    })


def _ordered_changes(changes: pd.DataFrame) -> pd.DataFrame:
    """A ticket's changes in the order their times and from-status chain give (ties follow the chain)."""
    rows = []
    for _, group in changes.groupby("ticket_id", sort=False):
        group = group.sort_values(["changed_at", "change_id"])
        ordered: list[pd.Series] = []
        status = None
        pending = list(group.itertuples(index=False))
        while pending:
            time = pending[0].changed_at
            tie = [row for row in pending if row.changed_at == time]
            while tie:
                nxt = next((row for row in tie if row.from_status == status), tie[0])
                tie.remove(nxt)
                pending.remove(nxt)
                ordered.append(nxt)
                status = nxt.to_status
        rows.extend(ordered)
    return pd.DataFrame(rows, columns=changes.columns)


def github_system(frames: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The demo narrowed to what GitHub can say, for both builds: an issue is in its first status from its creation
    (the first change moves to created_at); no change into the status an issue is already in (GitHub has no such
    event); at most one status change of an issue per second (label history is kept to the second: a tie group is
    spread one second apart in chain order); no requester or experiment on an issue; a deploy fails but is not
    rolled back (GitHub's deployment statuses have no rollback); and a deploy's first commit is the earliest
    commit of the tickets it ships (a redeploy after a failure carries the failed deploy's commits)."""
    tickets = frames["tickets"].copy()
    tickets["requested_by"] = pd.Series([None] * len(tickets), dtype="string")
    tickets["experiment_id"] = pd.Series([None] * len(tickets), dtype="string")
    created = tickets.set_index("ticket_id")["created_at"]

    changes = _ordered_changes(frames["ticket_status_changes"])
    kept = []
    for ticket_id, group in changes.groupby("ticket_id", sort=False):
        status = None
        last_at = None
        for number, row in enumerate(group.itertuples(index=False)):
            if number > 0 and row.to_status == status:
                continue
            at = created[ticket_id] if number == 0 else row.changed_at
            if last_at is not None and at <= last_at:
                at = last_at + pd.Timedelta(seconds=1)
            kept.append({**row._asdict(), "from_status": status, "changed_at": at})
            status, last_at = row.to_status, at
    changes = pd.DataFrame(kept).astype({"change_id": "string", "ticket_id": "string", "from_status": "string",
                                         "to_status": "string", "changed_by": "string"})

    deploys = frames["deploys"].copy()
    deploys["status"] = deploys["status"].replace({"rolled_back": "failed"})
    links = frames["deploy_tickets"]
    first_shipped = (links.merge(deploys[["deploy_id", "deployed_at", "first_commit_at"]], on="deploy_id")
                     .sort_values("deployed_at").drop_duplicates("ticket_id"))
    commit_at = first_shipped.set_index("ticket_id")["first_commit_at"]
    earliest = links.assign(commit_at=links["ticket_id"].map(commit_at)).groupby("deploy_id")["commit_at"].min()
    deploys["first_commit_at"] = deploys["deploy_id"].map(earliest)
    return {"tickets": tickets, "ticket_status_changes": changes, "status_map": frames["status_map"].copy(),
            "deploys": deploys, "deploy_tickets": links.copy()}


def _sha(*parts: object) -> str:
    return hashlib.sha1("/".join(map(str, parts)).encode()).hexdigest()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class _Ids:
    """GitHub-typed ids: integer users and labels by name, issue numbers per repository."""

    def __init__(self) -> None:
        self.users: dict[str, int] = {}
        self.labels: dict[str, int] = {}
        self.numbers: dict[str, int] = {}

    def user(self, login: str) -> int:
        return self.users.setdefault(login, 5_000 + len(self.users))

    def label(self, name: str) -> int:
        return self.labels.setdefault(name, 7_000_000 + len(self.labels))

    def number(self, repository: str) -> int:
        self.numbers[repository] = self.numbers.get(repository, 0) + 1
        return self.numbers[repository]


def fivetran_tables(system: Mapping[str, pd.DataFrame]) -> tuple[dict[str, pd.DataFrame], dict[str, int]]:
    """The system's tables as Fivetran lands them, and the map contract ticket id → GitHub issue id."""
    ids = _Ids()
    synced = pd.Timestamp("2026-02-01 03:00:00")
    clock = SyncClock("fivetran_github")
    tickets = system["tickets"].sort_values("created_at").reset_index(drop=True)
    changes = system["ticket_status_changes"]
    repo_ids = {name: 41_000_000 + n for n, name in enumerate(REPOSITORIES.values())}

    issue_rows, closed_rows, label_rows, current_labels = [], [], [], []
    issue_ids: dict[str, int] = {}
    numbers: dict[str, int] = {}
    for n, ticket in enumerate(tickets.itertuples(index=False)):
        repository = REPOSITORIES[ticket.team]
        issue_id = ISSUE_ID_BASE + 17 * n + 3
        issue_ids[ticket.ticket_id] = issue_id
        numbers[ticket.ticket_id] = ids.number(repository)
        history = changes[changes["ticket_id"] == ticket.ticket_id].sort_values("changed_at")
        author = history["changed_by"].iloc[0] if len(history) else "triage-bot"
        on: set[str] = set()
        state, reason, closed_at = "open", None, None

        def label_event(at: pd.Timestamp, name: str, labeled: bool, actor: str, issue_id: int = issue_id,
                        on: set[str] = on) -> None:
            label_rows.append({"issue_id": issue_id, "label_id": ids.label(name), "updated_at": at,
                               "labeled": labeled, "actor_id": ids.user(actor), "_fivetran_synced": clock(at)})
            (on.add if labeled else on.discard)(name)

        label_event(ticket.created_at, f"type: {ticket.ticket_type}", True, author)
        if ticket.ai_assisted:
            label_event(ticket.created_at, AI_LABEL, True, author)
        if n % 9 == 0:  # a label that is not a status, put on and taken off
            label_event(ticket.created_at + pd.Timedelta(hours=2), "good first issue", True, "triage-bot")
            label_event(ticket.created_at + pd.Timedelta(hours=30), "good first issue", False, "triage-bot")
        for change in history.itertuples(index=False):
            if change.to_status in (STATE_STATUSES["closed"], STATE_STATUSES["not_planned"]):
                closed_rows.append({"issue_id": issue_id, "updated_at": change.changed_at, "closed": True,
                                    "actor_id": ids.user(change.changed_by), "commit_sha": None,
                                    "_fivetran_synced": clock(change.changed_at)})
                state, closed_at = "closed", change.changed_at
                reason = "not_planned" if change.to_status == STATE_STATUSES["not_planned"] else "completed"
                continue  # the status label stays on a closed issue: closed wins
            for name in sorted(on):
                if name.startswith("status: "):
                    label_event(change.changed_at, name, False, change.changed_by)
            if change.to_status != STATE_STATUSES["open"]:
                label_event(change.changed_at, f"status: {change.to_status}", True, change.changed_by)
        last_at = history["changed_at"].max() if len(history) else ticket.created_at
        current_labels += [{"issue_id": issue_id, "label_id": ids.label(name), "_fivetran_synced": clock(last_at)}
                           for name in sorted(on)]
        issue_rows.append({
            "id": issue_id, "number": numbers[ticket.ticket_id], "repository_id": repo_ids[repository],
            "title": ticket.title, "body": f"Tracked in {OWNER}/{repository}.", "state": state,
            "state_reason": reason, "pull_request": False, "user_id": ids.user(author), "locked": False,
            "milestone_id": None, "created_at": ticket.created_at, "closed_at": closed_at,
            "updated_at": closed_at or ticket.created_at, "_fivetran_synced": clock(last_at),
            "_fivetran_deleted": False,
        })

    # re-synced duplicates: an older sync of some issues (stale title) and of some label history rows
    for row in issue_rows[::25]:
        issue_rows.append({**row, "title": "stale title", "_fivetran_synced": row["_fivetran_synced"] - RESYNC_GAP})
    label_rows += [{**row, "_fivetran_synced": row["_fivetran_synced"] - RESYNC_GAP} for row in label_rows[::10]]
    # a deleted issue with a status history of its own
    deleted = ISSUE_ID_BASE - 1
    issue_rows.append({**issue_rows[0], "id": deleted, "number": 999, "title": "Deleted issue",
                       "_fivetran_deleted": True, "_fivetran_synced": clock(tickets["created_at"].max())})
    label_rows.append({"issue_id": deleted, "label_id": ids.label("status: In Progress"),
                       "updated_at": tickets["created_at"].max(), "labeled": True,
                       "actor_id": ids.user("triage-bot"), "_fivetran_synced": clock(tickets["created_at"].max())})

    pr_tables = _pull_requests_and_deployments(system, issue_ids, numbers, repo_ids, ids, synced)
    label_names = sorted(ids.labels, key=ids.labels.get)
    users = sorted(ids.users, key=ids.users.get)
    tables = {
        "repository": pd.DataFrame([{
            "id": repo_id, "name": name, "full_name": f"{OWNER}/{name}", "archived": False,
            "created_at": pd.Timestamp("2024-01-01"), "default_branch": "main", "description": None, "fork": False,
            "homepage": None, "language": "Python", "owner_id": 1, "private": True, "_fivetran_synced": synced,
        } for name, repo_id in repo_ids.items()]),
        "user": pd.DataFrame({"id": [ids.users[u] for u in users], "login": users, "name": users,
                              "company": ["acme"] * len(users), "_fivetran_synced": synced}),
        "label": pd.DataFrame({"id": [ids.labels[n] for n in label_names], "name": label_names,
                               "color": "ededed", "description": None, "is_default": False,
                               "url": [f"https://api.github.com/labels/{n}" for n in range(len(label_names))],
                               "_fivetran_synced": synced}),
        "issue": pd.concat([pd.DataFrame(issue_rows), pr_tables.pop("pull_request_issue")], ignore_index=True),
        "issue_closed_history": pd.DataFrame(closed_rows),
        "issue_label_history": pd.DataFrame(label_rows),
        "issue_label": pd.DataFrame(current_labels),
        **pr_tables,
    }
    return tables, issue_ids


def _pull_requests_and_deployments(system: Mapping[str, pd.DataFrame], issue_ids: dict[str, int],
                                   numbers: dict[str, int], repo_ids: dict[str, int], ids: _Ids,
                                   synced: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """One merged pull request per shipped ticket, referencing it in its title, branch or a commit message (with
    decoys beside the reference), merged before the deployment that first ships it; deployments with statuses."""
    deploys = system["deploys"].sort_values(["deployed_at", "deploy_id"]).reset_index(drop=True)
    links = system["deploy_tickets"]
    tickets = system["tickets"].set_index("ticket_id")
    pr_issues, pull_requests, merges, commits, commit_prs = [], [], [], [], []
    deployments, statuses = [], []
    shipped: set[str] = set()
    last_success: dict[str, dict] = {}
    pr_number = 0
    for n, deploy in enumerate(deploys.itertuples(index=False)):
        repository = deploy.service
        created_at = deploy.deployed_at - pd.Timedelta(minutes=30)
        deployment_id = DEPLOYMENT_ID_BASE + 11 * n
        new = sorted(t for t in links.loc[links["deploy_id"] == deploy.deploy_id, "ticket_id"] if t not in shipped)
        for k, ticket_id in enumerate(new):
            shipped.add(ticket_id)
            pr_number += 1
            pr_issue = PULL_REQUEST_ID_BASE + 13 * pr_number
            number = numbers[ticket_id]
            decoy = 1 + (number * 7 + 3) % 40  # an issue number of the repository that this PR does not ship
            title = tickets.loc[ticket_id, "title"]
            first_commit_at = system["deploys"].set_index("deploy_id").loc[deploy.deploy_id, "first_commit_at"]
            form = pr_number % 4
            if form == 2 and pd.isna(first_commit_at):
                form = 0  # without landed commits the reference is in the title
            pr_title = {0: f"{title} (#{number})", 1: f"{title}", 2: f"Bump parser to v1.2-{decoy}",
                        3: f"{title} ({OWNER}/{repository}#{number}), see https://docs.example.com/guide#{decoy}"}[form]
            branch = {0: f"feature/pr-{pr_number}", 1: f"{number}-{_slug(title)}", 2: f"chore/v1.{decoy}-2",
                      3: f"fix/pr-{pr_number}"}[form]
            messages = {0: [f"Update {title.lower()}", f"Tidy &#{decoy}; entities, XFM-{decoy} untouched"],
                        1: [f"wip {decoy}", f"Address review of PR#{decoy}"],
                        2: [f"Closes #{number}", f"See #{decoy}a for context"],
                        3: ["Apply review", f"Release v1.2-{decoy}, follow-up in {OWNER}/other-repo#{decoy}"]}[form]
            merged_at = created_at - pd.Timedelta(minutes=5) - pd.Timedelta(seconds=10 * k)
            pr_issues.append({
                "id": pr_issue, "number": 1000 + pr_number, "repository_id": repo_ids[repository],
                "title": pr_title, "body": f"Related: #{decoy}", "state": "closed", "state_reason": None,
                "pull_request": True, "user_id": ids.user("dev-bot"), "locked": False, "milestone_id": None,
                "created_at": merged_at - pd.Timedelta(hours=3), "closed_at": merged_at, "updated_at": merged_at,
                "_fivetran_synced": synced, "_fivetran_deleted": False,
            })
            pull_request_id = 600_000_000 + pr_number
            pull_requests.append({
                "id": pull_request_id, "issue_id": pr_issue, "head_ref": branch, "head_sha": _sha("head", pr_issue),
                "head_label": f"{OWNER}:{branch}", "head_repo_id": repo_ids[repository], "head_user_id": 1,
                "base_ref": "main", "base_label": f"{OWNER}:main", "base_repo_id": repo_ids[repository],
                "base_sha": _sha("base", pr_issue), "base_user_id": 1,
                "merge_commit_sha": _sha("merge", pr_issue), "_fivetran_synced": synced,
            })
            merges.append({"issue_id": pr_issue, "merged_at": merged_at, "commit_sha": _sha("merge", pr_issue),
                           "actor_id": ids.user("dev-bot"), "_fivetran_synced": synced})
            if pd.isna(first_commit_at):
                continue  # the connector landed no commits of this pull request
            for c, message in enumerate(messages):
                sha = _sha("commit", pr_issue, c)
                authored = first_commit_at + pd.Timedelta(seconds=0 if k == 0 and c == 0 else 60 * (k + c + 1))
                commits.append({"sha": sha, "message": message, "author_date": authored,
                                "author_name": "dev", "author_email": "dev@acme.example",
                                "committer_date": authored, "committer_name": "dev",
                                "committer_email": "dev@acme.example", "repository_id": repo_ids[repository],
                                "_fivetran_synced": synced})
                commit_prs.append({"commit_sha": sha, "pull_request_id": pull_request_id,
                                   "_fivetran_synced": synced})

        deployments.append({
            "id": deployment_id, "repository_id": repo_ids[repository], "commit_sha": deploy.commit_sha,
            "ref": "main", "task": "deploy", "environment": deploy.environment, "original_environment":
            deploy.environment, "production_environment": True, "transient_environment": False,
            "description": None, "creator_id": ids.user("deploy-bot"), "created_at": created_at,
            "updated_at": deploy.deployed_at, "_fivetran_synced": synced, "_fivetran_deleted": False,
        })

        def status(at: pd.Timestamp, state: str, n: int = n, deployment_id: int = deployment_id,
                   environment: str = deploy.environment) -> None:
            statuses.append({"id": 800_000_000 + 10 * n + len([s for s in statuses
                                                               if s["deployment_id"] == deployment_id]),
                             "deployment_id": deployment_id, "state": state, "created_at": at,
                             "environment": environment, "description": None,
                             "creator_id": ids.user("deploy-bot"), "updated_at": at, "_fivetran_synced": synced,
                             "_fivetran_deleted": False})

        status(created_at, "queued")
        status(created_at + pd.Timedelta(minutes=1), "in_progress")
        if deploy.status == "success":
            status(deploy.deployed_at, "success")
            key = f"{repository}/{deploy.environment}"
            if key in last_success:  # the previous deployment is superseded: inactive, its outcome kept
                previous = last_success[key]
                statuses.append({**previous, "id": previous["id"] + 5, "state": "inactive",
                                 "created_at": deploy.deployed_at, "updated_at": deploy.deployed_at})
            last_success[key] = next(s for s in statuses if s["deployment_id"] == deployment_id
                                     and s["state"] == "success")
        elif n % 2:  # reported a success, then a failure (a failed post-deploy check)
            status(deploy.deployed_at - pd.Timedelta(minutes=10), "success")
            status(deploy.deployed_at, "failure")
        else:
            status(deploy.deployed_at, "error")

    last = deploys.iloc[-1]
    # a deployment still running (not a deploy yet) and a deleted one
    for offset, deleted in ((1, False), (2, True)):
        deployment_id = DEPLOYMENT_ID_BASE - offset
        deployments.append({**deployments[-1], "id": deployment_id, "commit_sha": _sha("pending", offset),
                            "created_at": last.deployed_at - pd.Timedelta(hours=1), "_fivetran_deleted": deleted})
        statuses.append({**statuses[-1], "id": 700_000_000 + offset, "deployment_id": deployment_id,
                         "state": "in_progress" if not deleted else "success",
                         "created_at": last.deployed_at - pd.Timedelta(minutes=50)})
    statuses.append({**statuses[0], "_fivetran_synced": synced - pd.Timedelta(days=2)})  # a re-synced duplicate
    return {
        "pull_request_issue": pd.DataFrame(pr_issues),
        "pull_request": pd.DataFrame(pull_requests),
        "issue_merged": pd.DataFrame(merges),
        "commit": pd.DataFrame(commits),
        "commit_pull_request": pd.DataFrame(commit_prs),
        "deployment": pd.DataFrame(deployments),
        "deployment_status": pd.DataFrame(statuses),
    }


def deployment_ids(system: Mapping[str, pd.DataFrame]) -> dict[str, int]:
    """Contract deploy id → the GitHub deployment id the fixture gives it."""
    deploys = system["deploys"].sort_values(["deployed_at", "deploy_id"]).reset_index(drop=True)
    return {deploy_id: DEPLOYMENT_ID_BASE + 11 * n for n, deploy_id in enumerate(deploys["deploy_id"])}


def _frame(rows: list[dict], synced: pd.Timestamp, **defaults: object) -> pd.DataFrame:
    return pd.DataFrame([{**defaults, **row, "_fivetran_synced": row.get("_fivetran_synced", synced)}
                         for row in rows])


def rule_cases() -> tuple[dict[str, pd.DataFrame], dict[str, set[int]]]:
    """Small hand-made tables of one repository (`acme/tools`) for the adapter's stated rules, and the tickets
    (issue numbers) each deployment truly ships. Issues: #1 labelled in progress, closed with the label on, reopened,
    unlabelled; #2 opened with a status label, its label swapped in one second, closed as not planned; #3 shipped
    by a later pull request; #4 deleted in GitHub; #5 and one of its label events re-synced. Pull requests hold
    true references (`#1`, `acme/tools#2`, `Closes #3`) and the cases the rule gets wrong: a mention ("see #3 for
    context") and a branch that looks like an issue's (`hotfix/5-3`)."""
    synced = pd.Timestamp("2026-03-01")
    t = pd.Timestamp("2026-02-01 09:00:00")

    def at(hours: float) -> pd.Timestamp:
        return t + pd.Timedelta(hours=hours)

    repo = 77
    issues = [
        {"id": 101, "number": 1, "title": "Crash on save", "state": "open", "state_reason": "reopened",
         "created_at": at(0)},
        {"id": 102, "number": 2, "title": "Slow search", "state": "closed", "state_reason": "not_planned",
         "created_at": at(0)},
        {"id": 103, "number": 3, "title": "Typo", "state": "open", "state_reason": None, "created_at": at(0)},
        {"id": 104, "number": 4, "title": "Gone", "state": "open", "state_reason": None, "created_at": at(0),
         "_fivetran_deleted": True},
        {"id": 105, "number": 5, "title": "Flaky test", "state": "open", "state_reason": None, "created_at": at(0)},
        {"id": 105, "number": 5, "title": "Flaky test (old sync)", "state": "open", "state_reason": None,
         "created_at": at(0), "_fivetran_synced": synced - pd.Timedelta(days=5)},
    ]
    pr_titles = {201: "Fix #1, see #3 for context", 202: "Bump tools", 203: "Refs acme/tools#2",
                 204: "Closes #3"}
    for n, (pr, title) in enumerate(pr_titles.items()):
        issues.append({"id": pr, "number": 10 + n, "title": title, "state": "closed", "state_reason": None,
                       "pull_request": True, "created_at": at(1)})
    labels = {1: "status: In Progress", 2: "Status: Review", 3: "status: QA", 4: "bug"}
    label_history = [
        (101, 1, at(1), True), (101, 4, at(1.5), True), (101, 1, at(4), False),
        (102, 2, at(0), True), (102, 2, at(2), False), (102, 3, at(2), True),
        (104, 1, at(1), True),
        (105, 1, at(1), True), (105, 1, at(1), True),
    ]
    closed_history = [(101, at(2), True), (101, at(3), False), (102, at(5), True)]
    merged = {201: at(11), 202: at(11.5), 203: at(12), 204: at(22)}
    branches = {201: "feature/save", 202: "hotfix/5-3", 203: "docs/search", 204: "typo"}
    # deployments (tools / production): created, then their statuses
    deployments = {301: at(10), 302: at(13), 303: at(16), 304: at(23), 305: at(24)}
    statuses = [
        (301, "pending", at(10)), (301, "in_progress", at(10.1)), (301, "success", at(10.2)),
        (302, "success", at(13.2)), (302, "failure", at(13.5)),
        (303, "failure", at(16.2)), (303, "success", at(16.4)),
        (304, "success", at(23.2)), (304, "inactive", at(30)),
        (305, "queued", at(24)), (305, "in_progress", at(24.1)),
    ]
    tables = {
        "repository": _frame([{"id": repo, "name": "tools", "full_name": "acme/tools"}], synced),
        "user": _frame([{"id": 1, "login": "ana"}, {"id": 2, "login": "bo"}], synced),
        "label": _frame([{"id": i, "name": name} for i, name in labels.items()], synced),
        "issue": _frame(issues, synced, repository_id=repo, pull_request=False, user_id=1, _fivetran_deleted=False),
        "issue_label_history": _frame(
            [{"issue_id": i, "label_id": label, "updated_at": when, "labeled": on, "actor_id": 2,
              **({"_fivetran_synced": synced - pd.Timedelta(days=1)} if n == 8 else {})}
             for n, (i, label, when, on) in enumerate(label_history)], synced),
        "issue_closed_history": _frame([{"issue_id": i, "updated_at": when, "closed": closed, "actor_id": 2}
                                        for i, when, closed in closed_history], synced),
        "issue_label": _frame([{"issue_id": 101, "label_id": 4}, {"issue_id": 102, "label_id": 3}], synced),
        "pull_request": _frame([{"id": pr + 1000, "issue_id": pr, "head_ref": branch}
                                for pr, branch in branches.items()], synced),
        "issue_merged": _frame([{"issue_id": pr, "merged_at": when} for pr, when in merged.items()], synced),
        "commit": _frame([{"sha": "c1", "message": "Handle empty file", "author_date": at(-20)}], synced),
        "commit_pull_request": _frame([{"commit_sha": "c1", "pull_request_id": 1201}], synced),
        "deployment": _frame([{"id": d, "repository_id": repo, "commit_sha": f"sha{d}", "environment": "production",
                               "created_at": when} for d, when in deployments.items()], synced,
                             _fivetran_deleted=False),
        "deployment_status": _frame([{"id": 900 + n, "deployment_id": d, "state": state, "created_at": when}
                                     for n, (d, state, when) in enumerate(statuses)], synced,
                                    _fivetran_deleted=False),
    }
    truth = {302: {1, 2}, 303: {1, 2}, 304: {3}}
    return tables, truth
