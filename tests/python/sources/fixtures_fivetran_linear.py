"""The demo's contract tables as Fivetran's Linear connector lands them (schema `linear`).

Every Linear object is a table keyed by Linear's uuid, with `_fivetran_synced` and `_fivetran_deleted`. Each team
has its own workflow states (names repeat across teams, ids do not). Linear's history does not record the state an
issue was created in, so most issues land without a creation row; a few keep one (from no state) to exercise both.
Noise the adapter must see through: history rows of other fields (assignee, priority), a state change bundled with an
assignee change, an older re-synced version of an issue and of a history row, a soft-deleted issue with its history,
a soft-deleted history row, a removed label (soft-deleted issue_label row) and archived issues (kept).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

import pandas as pd

from tests.python.sources.harness import SyncClock

SCHEMA = "linear"
SOURCE = {"name": "linear", "adapter": "fivetran_linear", "schema": SCHEMA}

# Linear's state type of each demo status (its workflow states are per team).
STATE_TYPES: dict[str, str] = {
    "Backlog": "backlog",
    "Ready for Dev": "unstarted",
    "In Progress": "started",
    "Ready for Review": "started",
    "In Review": "started",
    "Ready for QA": "started",
    "In QA": "started",
    "Blocked": "started",
    "Ready to Deploy": "started",
    "Done": "completed",
    "Won't Do": "canceled",
}
TEAM_KEYS: dict[str, str] = {"web": "WEB", "mobile": "MOB", "platform": "PLAT"}
LABELS = ("frontend", "backend", "tech-debt", "customer")
UNMOVED, UNMOVED_AT = "FM-9001", pd.Timestamp("2026-01-20 09:00:00")

SYNCED = pd.Timestamp("2026-03-01 02:00:00")  # the lookup tables' sync; a row about an issue is loaded a random sync
# delay after it was written (harness.SyncClock), an older re-synced copy three days before its current one
RESYNC_GAP = pd.Timedelta(days=3)
NAMESPACE = uuid.UUID("6f1c1f64-1b1e-4c55-9d0e-4c1a2b3c4d5e")


def linear_id(kind: str, natural: str) -> str:
    """A deterministic uuid, as Linear gives every object."""
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{natural}"))


def native_ticket_id(contract_ticket_id: str) -> str:
    return linear_id("issue", contract_ticket_id)


def map_id(column: str, contract_id: str) -> str:
    """A contract build's id as the Linear source's staged id."""
    assert column == "ticket_id", column
    return f"{SOURCE['name']}:{native_ticket_id(contract_id)}"


def linear_system(frames: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The part of the demo system Linear holds (tickets, their status changes, and the user's status map), its
    teams named by their Linear team keys (the adapter's team). Deploys and experiments are left out: Linear has
    none, and they would move the contract build's as-of."""
    tickets = frames["tickets"].copy()
    tickets["team"] = tickets["team"].map(TEAM_KEYS).astype("string")
    changes = frames["ticket_status_changes"].copy()
    creation = changes["from_status"].isna()
    created_at = changes["ticket_id"].map(tickets.set_index("ticket_id")["created_at"])
    changes.loc[creation, "changed_at"] = created_at[creation]  # Linear enters the creation state at created_at
    # A ticket created directly in progress and never moved: Linear has no state history for it.
    unmoved = {**tickets.iloc[0].to_dict(), "ticket_id": UNMOVED, "title": "Hotfix login redirect",
               "created_at": UNMOVED_AT}
    tickets = pd.concat([tickets, pd.DataFrame([unmoved]).astype(tickets.dtypes.to_dict())], ignore_index=True)
    creation_change = {"change_id": "900000001", "ticket_id": UNMOVED, "changed_at": UNMOVED_AT, "from_status": None,
                       "to_status": "In Progress", "changed_by": changes["changed_by"].iloc[0]}
    changes = pd.concat([changes, pd.DataFrame([creation_change]).astype(changes.dtypes.to_dict())],
                        ignore_index=True)
    return {"tickets": tickets, "ticket_status_changes": changes, "status_map": frames["status_map"]}


def _frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)


def linear_tables(frames: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The connector's tables for `linear_system` frames."""
    tickets = frames["tickets"].reset_index(drop=True)
    changes = frames["ticket_status_changes"].sort_values(["ticket_id", "changed_at", "change_id"])
    key_to_team = {key: team for team, key in TEAM_KEYS.items()}
    clock = SyncClock("fivetran_linear")

    people = sorted(set(changes["changed_by"].dropna()))
    user_id = {person: linear_id("user", person) for person in people}
    users = _frame(
        [{"id": user_id[p], "name": p.replace("-", " ").replace("_", " ").title(), "display_name": p,
          "email": f"{p}@example.com", "active": True, "admin": False,
          "created_at": pd.Timestamp("2025-06-01"), "_fivetran_deleted": False, "_fivetran_synced": SYNCED}
         for p in people],
        ["id", "name", "display_name", "email", "active", "admin", "created_at", "_fivetran_deleted",
         "_fivetran_synced"],
    )

    team_rows, state_rows = [], []
    state_id: dict[tuple[str, str], str] = {}
    for key, team in key_to_team.items():
        team_rows.append({"id": linear_id("team", key), "key": key, "name": team.title(),
                          "created_at": pd.Timestamp("2025-01-01"), "_fivetran_deleted": False,
                          "_fivetran_synced": SYNCED})
        for position, (name, kind) in enumerate(STATE_TYPES.items()):
            state_id[(key, name)] = linear_id("state", f"{key}:{name}")
            state_rows.append({"id": state_id[(key, name)], "name": name, "type": kind, "position": float(position),
                               "color": "#95a2b3", "description": None, "team_id": linear_id("team", key),
                               "created_at": pd.Timestamp("2025-01-01"), "archived_at": None,
                               "_fivetran_deleted": False, "_fivetran_synced": SYNCED})
    # A state a team deleted long ago: no change uses it; it must not disturb the declared statuses.
    state_rows.append({"id": linear_id("state", "WEB:Triage"), "name": "Triage", "type": "triage", "position": -1.0,
                       "color": "#fc7840", "description": "old intake", "team_id": linear_id("team", "WEB"),
                       "created_at": pd.Timestamp("2025-01-01"), "archived_at": pd.Timestamp("2025-02-01"),
                       "_fivetran_deleted": True, "_fivetran_synced": SYNCED})
    teams = _frame(team_rows, ["id", "key", "name", "created_at", "_fivetran_deleted", "_fivetran_synced"])
    workflow_state = _frame(state_rows, ["id", "name", "type", "position", "color", "description", "team_id",
                                         "created_at", "archived_at", "_fivetran_deleted", "_fivetran_synced"])

    projects = _frame(
        [{"id": linear_id("project", key), "name": f"{key} roadmap", "state": "started",
          "created_at": pd.Timestamp("2025-01-01"), "_fivetran_deleted": False, "_fivetran_synced": SYNCED}
         for key in key_to_team],
        ["id", "name", "state", "created_at", "_fivetran_deleted", "_fivetran_synced"],
    )
    labels = _frame(
        [{"id": linear_id("label", name), "name": name, "color": "#bec2c8", "team_id": None, "parent_id": None,
          "created_at": pd.Timestamp("2025-01-01"), "_fivetran_deleted": False, "_fivetran_synced": SYNCED}
         for name in LABELS],
        ["id", "name", "color", "team_id", "parent_id", "created_at", "_fivetran_deleted", "_fivetran_synced"],
    )

    last = changes.groupby("ticket_id").tail(1).set_index("ticket_id")
    first = changes.groupby("ticket_id").head(1).set_index("ticket_id")
    issue_rows, history_rows, issue_label_rows = [], [], []
    for position, ticket in tickets.iterrows():
        tid = ticket["ticket_id"]
        key = ticket["team"]
        number = int(str(tid).rsplit("-", 1)[1])
        current = last.loc[tid, "to_status"]
        final_at = last.loc[tid, "changed_at"]
        archived = current in ("Done", "Won't Do") and position % 3 == 0
        issue_rows.append({
            "id": native_ticket_id(tid), "identifier": f"{key}-{number}", "number": number,
            "title": ticket["title"], "description": None, "priority": position % 5, "estimate": float(position % 4),
            "team_id": linear_id("team", key), "state_id": state_id[(key, current)],
            "project_id": linear_id("project", key) if position % 4 else None,
            "creator_id": user_id[first.loc[tid, "changed_by"]], "assignee_id": None,
            "created_at": ticket["created_at"], "updated_at": final_at,
            "completed_at": final_at if current == "Done" else None,
            "canceled_at": final_at if current == "Won't Do" else None,
            "archived_at": final_at + pd.Timedelta(days=30) if archived else None,
            "_fivetran_deleted": False, "_fivetran_synced": clock(final_at),
        })
        if position % 2:
            issue_label_rows.append({"issue_id": native_ticket_id(tid),
                                     "label_id": linear_id("label", LABELS[position % 4]),
                                     "_fivetran_deleted": False, "_fivetran_synced": clock(ticket["created_at"])})
        if position % 7 == 0:  # a label removed later: a soft-deleted row
            issue_label_rows.append({"issue_id": native_ticket_id(tid), "label_id": linear_id("label", "customer"),
                                     "_fivetran_deleted": True, "_fivetran_synced": clock(final_at)})

    records_creation = {tid for n, tid in enumerate(tickets["ticket_id"]) if n % 10 == 5}
    team_of = dict(zip(tickets["ticket_id"], tickets["team"], strict=True))
    for n, change in enumerate(changes.itertuples(index=False)):
        key = team_of[change.ticket_id]
        creation = pd.isna(change.from_status)
        if creation and change.ticket_id not in records_creation:
            continue
        # A change into the status the ticket is in (the demo's reassignment) is an assignee change in Linear.
        reassignment = change.from_status == change.to_status
        bundled = n % 9 == 0 or reassignment
        history_rows.append({
            "id": linear_id("history", change.change_id), "issue_id": native_ticket_id(change.ticket_id),
            "created_at": change.changed_at, "updated_at": change.changed_at, "actor_id": user_id[change.changed_by],
            "from_state_id": None if creation or reassignment else state_id[(key, change.from_status)],
            "to_state_id": None if reassignment else state_id[(key, change.to_status)],
            "from_assignee_id": None, "to_assignee_id": user_id[change.changed_by] if bundled else None,
            "from_priority": None, "to_priority": None,
            "_fivetran_deleted": False, "_fivetran_synced": clock(change.changed_at),
        })
        if n % 4 == 0:  # another field changed a little later: not a state change
            history_rows.append({
                "id": linear_id("history", f"{change.change_id}:priority"),
                "issue_id": native_ticket_id(change.ticket_id),
                "created_at": change.changed_at + pd.Timedelta(seconds=7),
                "updated_at": change.changed_at + pd.Timedelta(seconds=7), "actor_id": user_id[change.changed_by],
                "from_state_id": None, "to_state_id": None,
                "from_assignee_id": None, "to_assignee_id": None, "from_priority": 3, "to_priority": 1,
                "_fivetran_deleted": False, "_fivetran_synced": clock(change.changed_at + pd.Timedelta(seconds=7)),
            })

    # Re-synced duplicates: an older version of a history row and of an issue (its old title must not win).
    history_rows.append({**history_rows[3], "_fivetran_synced": history_rows[3]["_fivetran_synced"] - RESYNC_GAP})
    issue_rows.append({**issue_rows[5], "title": "an older title",
                       "_fivetran_synced": issue_rows[5]["_fivetran_synced"] - RESYNC_GAP})
    # A state change soft-deleted at the source (a history row of a change that no longer exists).
    victim = issue_rows[8]
    history_rows.append({
        **history_rows[0], "id": linear_id("history", "deleted-change"), "issue_id": victim["id"],
        "created_at": victim["created_at"] + pd.Timedelta(hours=1), "_fivetran_deleted": True,
        "_fivetran_synced": clock(victim["created_at"] + pd.Timedelta(days=1)),
    })
    # An issue deleted in Linear, with its history: neither may reach the marts.
    gone = linear_id("issue", "gone")
    deleted_issue = {**issue_rows[0], "id": gone, "identifier": "WEB-99999", "number": 99999,
                     "title": "deleted issue", "_fivetran_deleted": True,
                     "_fivetran_synced": issue_rows[0]["_fivetran_synced"] + pd.Timedelta(days=2)}
    issue_rows.append(deleted_issue)
    issue_rows.append({**deleted_issue, "_fivetran_deleted": False,
                       "_fivetran_synced": deleted_issue["_fivetran_synced"] - RESYNC_GAP})
    history_rows.append({**history_rows[1], "id": linear_id("history", "gone"), "issue_id": gone})

    issue = pd.DataFrame(issue_rows)
    history = pd.DataFrame(history_rows)
    for frame, columns in ((issue, ("created_at", "updated_at", "completed_at", "canceled_at", "archived_at")),
                           (history, ("created_at", "updated_at"))):
        for column in columns:
            frame[column] = pd.to_datetime(frame[column])
    for frame, columns in ((issue, ("project_id", "assignee_id", "description")),
                           (history, ("from_state_id", "to_state_id", "from_assignee_id", "to_assignee_id"))):
        for column in columns:
            frame[column] = frame[column].astype("string")
    for column in ("from_priority", "to_priority"):
        history[column] = history[column].astype("Int64")
    workflow_state["archived_at"] = pd.to_datetime(workflow_state["archived_at"])
    workflow_state["description"] = workflow_state["description"].astype("string")
    labels["team_id"] = labels["team_id"].astype("string")
    labels["parent_id"] = labels["parent_id"].astype("string")

    return {
        "issue": issue,
        "issue_history": history,
        "workflow_state": workflow_state,
        "team": teams,
        "project": projects,
        "label": labels,
        "issue_label": pd.DataFrame(issue_label_rows),
        "users": users,
    }


def landed(frames: Mapping[str, pd.DataFrame]) -> dict[str, dict[str, pd.DataFrame]]:
    """`{schema: {table: frame}}` for `connector_warehouse`: the Linear tables, and the contract's status map in
    raw (the map is the user's, whatever the source)."""
    return {SCHEMA: linear_tables(frames), "raw": {"status_map": frames["status_map"]}}
