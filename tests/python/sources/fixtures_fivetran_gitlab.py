"""The demo's contract tables as Fivetran's GitLab connector lands them (schema `gitlab`).

GitLab's vocabulary first (`gitlab_system`): an issue is `Open` (the demo's Backlog), `Closed` (Done and Won't Do:
GitLab does not say why), or carries a `workflow::<status>` label for every other demo status; each team's issues,
merge requests and deployments live in its service's project (web → web-app...). The tables then hold what GitLab
records: the issues, their state events (closed / reopened) and label events (add / remove), merge requests whose
titles and descriptions reference the issues a deploy shipped (with decoys that must not link), and deployments.
Noise: events of other labels and of merge requests, a soft-deleted issue with its events, a soft-deleted state
event, re-synced duplicates, a canceled and a running deployment, an unmerged request, a request into another branch
and one in another project.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from tests.python.sources.harness import SyncClock

SCHEMA = "gitlab"
SOURCE = {"name": "gitlab", "adapter": "fivetran_gitlab", "schema": SCHEMA}
PREFIX = "workflow::"

TEAM_PROJECTS: dict[str, str] = {"web": "web-app", "mobile": "mobile-api", "platform": "platform-api"}
GITLAB_STATUS: dict[str, str] = {"Backlog": "Open", "Done": "Closed", "Won't Do": "Closed"}
PROJECT_IDS: dict[str, int] = {path: 101 + n for n, path in enumerate(TEAM_PROJECTS.values())}
DOCS_PROJECT = 199  # a project without deployments: its merged requests ship nothing
ISSUE_BASE, DEPLOY_BASE, GONE_ISSUE = 5000, 9000, 4999
SYNCED = pd.Timestamp("2026-03-01 02:00:00")
EARLIER_SYNC = pd.Timestamp("2026-02-20 02:00:00")
# A row about an issue is loaded a random sync delay after it was written (harness.SyncClock), an older re-synced copy
# three days before its current one; the other tables load at SYNCED.
RESYNC_GAP = pd.Timedelta(days=3)


def issue_ids(system: Mapping[str, pd.DataFrame]) -> dict[str, int]:
    """Each ticket's GitLab global issue id (its position in the tickets frame)."""
    return {t: ISSUE_BASE + n for n, t in enumerate(system["tickets"]["ticket_id"])}


def deploy_ids(system: Mapping[str, pd.DataFrame]) -> dict[str, int]:
    return {d: DEPLOY_BASE + n for n, d in enumerate(system["deploys"]["deploy_id"])}


def id_mapper(system: Mapping[str, pd.DataFrame]):
    """`map_id(column, contract_id)`: a contract build's id as the GitLab source's staged id."""
    tickets, deploys = issue_ids(system), deploy_ids(system)

    def map_id(column: str, contract_id: str) -> str:
        native = tickets[contract_id] if column == "ticket_id" else deploys[contract_id]
        return f"{SOURCE['name']}:{native}"

    return map_id


def _chain_order(changes: pd.DataFrame) -> pd.DataFrame:
    """Each ticket's changes in time order, same-instant changes spread 1 ms apart in the order of their
    from-status chain (GitLab records every event at its own time)."""
    ordered = changes.sort_values(["ticket_id", "changed_at", "change_id"]).reset_index(drop=True)
    tie = ordered.groupby(["ticket_id", "changed_at"]).cumcount()
    ordered["changed_at"] = ordered["changed_at"] + pd.to_timedelta(tie, unit="ms")
    previous = ordered.groupby("ticket_id")["to_status"].shift()
    broken = previous.notna() & (ordered["from_status"] != previous)
    assert not broken.any(), ordered[broken].head()
    return ordered


def gitlab_system(frames: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The part of the demo system GitLab holds, in GitLab's statuses and projects (see the module doc)."""
    tickets = frames["tickets"].copy()
    tickets["team"] = tickets["team"].map(TEAM_PROJECTS).astype("string")
    changes = frames["ticket_status_changes"].copy()
    creation = changes["from_status"].isna()
    created_at = changes["ticket_id"].map(tickets.set_index("ticket_id")["created_at"])
    changes.loc[creation, "changed_at"] = created_at[creation]  # GitLab opens an issue at its created_at
    changes = _chain_order(changes)
    for column in ("from_status", "to_status"):
        changes[column] = changes[column].map(lambda s: GITLAB_STATUS.get(s, s) if isinstance(s, str) else s)
        changes[column] = changes[column].astype("string")
    status_map = frames["status_map"]
    kept = status_map[~status_map["raw_status"].isin(list(GITLAB_STATUS))]
    done = status_map[status_map["raw_status"] == "Done"].iloc[0]
    backlog = status_map[status_map["raw_status"] == "Backlog"].iloc[0]
    status_map = pd.concat([
        kept,
        pd.DataFrame([{**backlog.to_dict(), "raw_status": "Open"}, {**done.to_dict(), "raw_status": "Closed"}]),
    ], ignore_index=True).astype(frames["status_map"].dtypes.to_dict())
    deploys = frames["deploys"].copy()
    deploys["status"] = deploys["status"].replace({"rolled_back": "failed"}).astype("string")
    deploys["first_commit_at"] = pd.NaT  # GitLab's deployments do not say when the first commit was made
    deploys["first_commit_at"] = deploys["first_commit_at"].astype("datetime64[us]")
    return {"tickets": tickets, "ticket_status_changes": changes, "status_map": status_map,
            "deploys": deploys, "deploy_tickets": frames["deploy_tickets"]}


class _Events:
    """Event rows with increasing ids, as GitLab numbers them."""

    def __init__(self) -> None:
        self.state: list[dict] = []
        self.label: list[dict] = []
        self.next_id = 70000
        self.clock = SyncClock("fivetran_gitlab:events")

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id

    def state_event(self, resource: int, at: pd.Timestamp, state: str, user: int, kind: str = "Issue") -> None:
        self.state.append({"id": self._id(), "resource_type": kind, "resource_id": resource, "user_id": user,
                           "state": state, "created_at": at, "_fivetran_deleted": False,
                           "_fivetran_synced": self.clock(at)})

    def label_event(self, resource: int, at: pd.Timestamp, label: int, action: str, user: int,
                    kind: str = "Issue") -> None:
        self.label.append({"id": self._id(), "resource_type": kind, "resource_id": resource, "label_id": label,
                           "action": action, "user_id": user, "created_at": at, "_fivetran_deleted": False,
                           "_fivetran_synced": self.clock(at)})


def _references(iids: list[int], decoys: list[int], n: int) -> tuple[str, str]:
    """A merge request's title and description: the true `#iid` references in varied forms, and decoys naming
    other issues of the project in ways that are not references."""
    first, rest = iids[0], iids[1:]
    titles = [f"Closes #{first}", f"Fix login redirect (#{first})", f"#{first} tidy the settings page",
              f"Resolve #{first}: cache headers"]
    title = titles[n % len(titles)]
    lines = [f"Also fixes #{i}" if k % 2 else f"Closes #{i}, see review" for k, i in enumerate(rest)]
    other = next(p for p in PROJECT_IDS if p != "web-app")
    for k, d in enumerate(decoys):
        lines.append([
            f"Docs: https://docs.example.com/guide#{d}",
            f"Follows {other}#{d} upstream",
            f"Depends on !{d} and epic &{d}",
            f"Bumps widget#{d} and colour #{d}ab",
            f"See issue#{d}; release v1.{d}.0",
        ][(n + k) % 5])
    return title, "\n".join(lines)


def gitlab_tables(system: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The connector's tables for `gitlab_system` frames."""
    tickets = system["tickets"].reset_index(drop=True)
    changes = system["ticket_status_changes"]
    people = sorted(set(changes["changed_by"].dropna()))
    user_id = {p: 300 + n for n, p in enumerate(people)}
    users = pd.DataFrame([{"id": user_id[p], "username": p, "name": p.replace("-", " ").title(), "state": "active",
                           "_fivetran_deleted": False, "_fivetran_synced": SYNCED} for p in people])
    projects = pd.DataFrame([{"id": pid, "name": path.replace("-", " ").title(), "path": path,
                              "path_with_namespace": f"acme/{path}", "default_branch": "main",
                              "_fivetran_deleted": False, "_fivetran_synced": SYNCED}
                             for path, pid in {**PROJECT_IDS, "docs-site": DOCS_PROJECT}.items()])
    environments = pd.DataFrame([{"id": 800 + pid, "project_id": pid, "name": "production", "state": "available",
                                  "_fivetran_deleted": False, "_fivetran_synced": SYNCED}
                                 for pid in PROJECT_IDS.values()])

    statuses = sorted(set(changes["to_status"].dropna()) - {"Open", "Closed"})
    label_rows, label_id = [], {}
    for path, pid in PROJECT_IDS.items():
        for name in [*(f"{PREFIX}{s}" for s in statuses), "bug", "customer"]:
            label_id[(path, name)] = 600 + len(label_rows)
            label_rows.append({"id": label_id[(path, name)], "name": name, "project_id": pid, "color": "#428bca",
                               "_fivetran_deleted": False, "_fivetran_synced": SYNCED})
    labels = pd.DataFrame(label_rows)

    ids = issue_ids(system)
    iid_of: dict[str, int] = {}
    counters = dict.fromkeys(PROJECT_IDS, 0)
    issue_rows = []
    events = _Events()
    clock = SyncClock("fivetran_gitlab:issues")
    by_ticket = dict(tuple(changes.groupby("ticket_id", sort=False)))
    for n, ticket in tickets.iterrows():
        tid, path = ticket["ticket_id"], ticket["team"]
        counters[path] += 1
        iid_of[tid] = counters[path]
        history = by_ticket[tid]
        author = user_id[history.iloc[0]["changed_by"]]
        closed, label = False, None
        for change in history.itertuples(index=False):
            target, at, user = change.to_status, change.changed_at, user_id[change.changed_by]
            if pd.isna(change.from_status):  # the creation: open, with its status label if created with one
                if target not in ("Open", "Closed"):
                    events.label_event(ids[tid], at, label_id[(path, PREFIX + target)], "add", user)
                    label = target
                continue
            if target == "Closed":
                if not closed:
                    events.state_event(ids[tid], at, "closed", user)
                closed = True
                continue
            if closed:
                events.state_event(ids[tid], at, "reopened", user)
                closed = False
            wanted = None if target == "Open" else target
            if label != wanted:
                if label is not None:
                    events.label_event(ids[tid], at, label_id[(path, PREFIX + label)], "remove", user)
                if wanted is not None:
                    events.label_event(ids[tid], at, label_id[(path, PREFIX + wanted)], "add", user)
                label = wanted
        if n % 5 == 0:  # another label, added later: not a status
            events.label_event(ids[tid], history.iloc[0]["changed_at"] + pd.Timedelta(minutes=5),
                               label_id[(path, "bug")], "add", author)
        last = history.iloc[-1]
        issue_rows.append({
            "id": ids[tid], "iid": iid_of[tid], "project_id": PROJECT_IDS[path], "title": ticket["title"],
            "description": f"Work item {tid}", "state": "closed" if closed else "opened", "author_id": author,
            "created_at": ticket["created_at"], "updated_at": last["changed_at"],
            "closed_at": last["changed_at"] if closed else pd.NaT,
            "_fivetran_deleted": False, "_fivetran_synced": clock(last["changed_at"]),
        })

    # Noise: a deleted issue with its events, a deleted state event, re-synced duplicates, merge request events.
    gone = {**issue_rows[0], "id": GONE_ISSUE, "iid": 9999, "title": "deleted issue", "_fivetran_deleted": True,
            "_fivetran_synced": issue_rows[0]["_fivetran_synced"] + pd.Timedelta(days=2)}
    issue_rows.append(gone)
    events.state_event(GONE_ISSUE, gone["created_at"] + pd.Timedelta(hours=2), "closed", author)
    events.state_event(ids[tickets["ticket_id"].iloc[3]], tickets["created_at"].iloc[3] + pd.Timedelta(minutes=1),
                       "closed", author)
    events.state[-1].update(_fivetran_deleted=True,
                            _fivetran_synced=events.state[-1]["_fivetran_synced"] + pd.Timedelta(days=1))
    events.state.append({**events.state[0], "_fivetran_synced": events.state[0]["_fivetran_synced"] - RESYNC_GAP})
    events.label.append({**events.label[0], "_fivetran_synced": events.label[0]["_fivetran_synced"] - RESYNC_GAP})
    issue_rows.append({**issue_rows[2], "title": "an older title",
                       "_fivetran_synced": issue_rows[2]["_fivetran_synced"] - RESYNC_GAP})

    merge_requests, deployments = _requests_and_deployments(system, iid_of, user_id, events)

    issue = pd.DataFrame(issue_rows)
    issue["closed_at"] = pd.to_datetime(issue["closed_at"])
    return {
        "issue": issue,
        "resource_state_event": pd.DataFrame(events.state),
        "resource_label_event": pd.DataFrame(events.label),
        "label": labels,
        "project": projects,
        "user": users,
        "merge_request": merge_requests,
        "deployment": deployments,
        "environment": environments,
    }


def _requests_and_deployments(system: Mapping[str, pd.DataFrame], iid_of: dict[str, int],
                              user_id: dict[str, int], events: _Events) -> tuple[pd.DataFrame, pd.DataFrame]:
    tickets = system["tickets"].set_index("ticket_id")
    deploys = system["deploys"].sort_values(["deployed_at", "deploy_id"]).reset_index(drop=True)
    links = system["deploy_tickets"]
    dep_ids = deploy_ids(system)
    someone = next(iter(user_id.values()))
    request_rows, deployment_rows = [], []
    shipped: set[str] = set()
    last_success: dict[str, pd.Timestamp] = {}
    for n, deploy in deploys.iterrows():
        path = deploy["service"]
        pid = PROJECT_IDS[path]
        since = last_success.get(path, deploy["deployed_at"] - pd.Timedelta(days=2))
        new = sorted(t for t in links.loc[links["deploy_id"] == deploy["deploy_id"], "ticket_id"] if t not in shipped)
        project_iids = [iid_of[t] for t in tickets.index if tickets.at[t, "team"] == path]
        linked = {iid_of[t] for t in links.loc[links["deploy_id"] == deploy["deploy_id"], "ticket_id"]}
        decoys = [i for i in project_iids if i not in linked][n % 7: n % 7 + 3]
        for k in range(0, len(new), 2):  # one merge request per one or two tickets
            group = new[k:k + 2]
            merged = since + (deploy["deployed_at"] - since) * (0.5 + 0.1 * (k % 4))
            title, description = _references([iid_of[t] for t in group], decoys, n + k)
            rid = 20000 + len(request_rows)
            request_rows.append({"id": rid, "iid": len(request_rows) + 1, "project_id": pid, "title": title,
                                 "description": description, "state": "merged", "source_branch": f"feature-{rid}",
                                 "target_branch": "main", "merged_at": merged, "merge_commit_sha": f"{rid:040x}",
                                 "created_at": merged - pd.Timedelta(hours=6), "author_id": someone,
                                 "_fivetran_deleted": False, "_fivetran_synced": SYNCED})
            events.state_event(rid, merged, "merged", someone, kind="MergeRequest")
        if decoys:  # requests that must not link: unmerged, into another branch, in a project without deploys
            other = DOCS_PROJECT
            mid = since + (deploy["deployed_at"] - since) * 0.4
            for variant, (state, target, project) in enumerate(
                    (("opened", "main", pid), ("merged", "release-1.x", pid), ("merged", "main", other))):
                rid = 20000 + len(request_rows)
                request_rows.append({"id": rid, "iid": len(request_rows) + 1, "project_id": project,
                                     "title": f"Closes #{decoys[0]}", "description": f"Fixes #{decoys[-1]}",
                                     "state": state, "source_branch": f"feature-{rid}", "target_branch": target,
                                     "merged_at": mid if state == "merged" else pd.NaT,
                                     "merge_commit_sha": f"{rid:040x}" if state == "merged" else None,
                                     "created_at": mid - pd.Timedelta(hours=3 + variant), "author_id": someone,
                                     "_fivetran_deleted": False, "_fivetran_synced": SYNCED})
        shipped.update(new)
        if deploy["status"] == "success":
            last_success[path] = deploy["deployed_at"]
        deployment_rows.append({
            "id": dep_ids[deploy["deploy_id"]], "iid": n + 1, "project_id": pid, "environment_id": 800 + pid,
            "ref": "main", "sha": deploy["commit_sha"], "status": deploy["status"],
            "created_at": deploy["deployed_at"] - pd.Timedelta(minutes=12),
            "updated_at": deploy["deployed_at"] + pd.Timedelta(minutes=1), "finished_at": deploy["deployed_at"],
            "user_id": someone, "_fivetran_deleted": False, "_fivetran_synced": SYNCED,
        })
    # Deployments that are not deploys: canceled, still running, deleted at the source; and a re-synced duplicate.
    last = deployment_rows[-1]
    for k, (status, deleted) in enumerate((("canceled", False), ("running", False), ("success", True))):
        deployment_rows.append({**last, "id": DEPLOY_BASE + 900 + k, "iid": 900 + k, "status": status,
                                "finished_at": pd.NaT if status == "running" else last["finished_at"],
                                "_fivetran_deleted": deleted})
    deployment_rows.append({**deployment_rows[0], "status": "running", "finished_at": pd.NaT,
                            "_fivetran_synced": EARLIER_SYNC})
    requests = pd.DataFrame(request_rows)
    requests["merged_at"] = pd.to_datetime(requests["merged_at"])
    requests["merge_commit_sha"] = requests["merge_commit_sha"].astype("string")
    deployments = pd.DataFrame(deployment_rows)
    deployments["finished_at"] = pd.to_datetime(deployments["finished_at"])
    return requests, deployments


def landed(system: Mapping[str, pd.DataFrame]) -> dict[str, dict[str, pd.DataFrame]]:
    """`{schema: {table: frame}}` for `connector_warehouse`: the GitLab tables, and the system's status map in raw."""
    return {SCHEMA: gitlab_tables(system), "raw": {"status_map": system["status_map"]}}
