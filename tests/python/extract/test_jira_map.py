"""Jira JSON → contract rows, without a server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from flowmetrics.extract.jira_map import jql_since, latest_update, status_categories, status_change_rows


def test_the_incremental_clause_wraps_the_users_jql_and_keeps_order_by_last() -> None:
    start = datetime(2026, 3, 1, 12, 30, tzinfo=timezone(timedelta(hours=2)))
    assert jql_since("project = A OR project = B ORDER BY created DESC", start) == (
        '(project = A OR project = B) AND updated >= "2026/03/01 10:30" ORDER BY created DESC')
    assert jql_since("project = A", None) == "project = A"


def test_only_workflow_status_items_become_changes_with_ids_from_history_and_position() -> None:
    histories = [{
        "id": "501", "created": "2024-01-05T10:11:12.345-0500", "author": {"displayName": "Ana", "accountId": "x"},
        "items": [
            {"field": "assignee", "fieldtype": "jira", "fieldId": "assignee", "toString": "Bo"},
            {"field": "status", "fieldtype": "jira", "fieldId": "status", "fromString": "To Do",
             "toString": "In Progress"},
            {"field": "status", "fieldtype": "custom", "fieldId": "customfield_1", "toString": "green"},
        ],
    }, {  # Data Center: no fieldId
        "id": "502", "created": "2024-01-06T09:00:00.000+0000", "author": {"name": "bo"},
        "items": [{"field": "status", "fieldtype": "jira", "fromString": "In Progress", "toString": "Done"}],
    }]
    rows = status_change_rows("A-1", histories)
    assert [(r["change_id"], r["from_status"], r["to_status"], r["changed_by"]) for r in rows] == [
        ("501:1", "To Do", "In Progress", "Ana"), ("502:0", "In Progress", "Done", "bo")]
    assert rows[0]["changed_at"] == "2024-01-05T10:11:12.345-0500"  # as Jira wrote it: ingest reads the offset


def test_categories_and_the_cursor_time() -> None:
    issues = [{"key": "A-1", "fields": {"updated": "2024-01-05T10:00:00.000-0500",
                                        "status": {"name": "Doing", "statusCategory": {"key": "indeterminate"}}}},
              {"key": "A-2", "fields": {"updated": "2024-01-05T14:30:00.000+0000"}}]
    site = [{"name": "Inbox", "statusCategory": {"key": "new"}}, {"name": "Odd", "statusCategory": {"key": "?"}}]
    assert status_categories(issues, site) == {"Inbox": "todo", "Doing": "in_progress"}
    assert latest_update(issues) == datetime(2024, 1, 5, 15, 0, tzinfo=UTC)
