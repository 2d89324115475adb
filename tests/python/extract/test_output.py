"""The extract's output directory: all-or-nothing writes, merges by the contract's keys, and the cursor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from flowmetrics.errors import ConfigError
from flowmetrics.extract.cursor import CURSOR_FILE, pull_start, read_cursor, write_cursor
from flowmetrics.extract.output import read_table, write_tables


def changes(*rows: tuple[str, str, str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["change_id", "ticket_id", "to_status"]).assign(
        changed_at="2026-01-05T10:11:12.345-0500")


def test_an_appended_pull_replaces_repeated_keys_instead_of_duplicating(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_tables(out, {"ticket_status_changes": changes(("1", "A-1", "To Do"), ("2", "A-1", "Doing"))}, append=True)
    rows = write_tables(out, {"ticket_status_changes": changes(("2", "A-1", "In Progress"), ("3", "A-2", "To Do"))},
                        append=True)
    merged = read_table(out / "ticket_status_changes.csv")
    assert rows == {"ticket_status_changes": 3}
    assert sorted(merged["change_id"]) == ["1", "2", "3"]
    assert merged.set_index("change_id").loc["2", "to_status"] == "In Progress"
    assert list(merged.columns[:3]) == ["change_id", "ticket_id", "changed_at"]  # the contract's column order
    assert merged["changed_at"].iloc[0] == "2026-01-05T10:11:12.345-0500"  # the offset is kept as written


def test_a_key_pulled_twice_in_one_pull_is_written_once(tmp_path: Path) -> None:
    rows = write_tables(tmp_path, {"ticket_status_changes": changes(("1", "A-1", "To Do"), ("1", "A-1", "Doing"))},
                        append=True)
    assert rows == {"ticket_status_changes": 1}
    assert list(read_table(tmp_path / "ticket_status_changes.csv")["to_status"]) == ["Doing"]


def test_without_append_the_file_is_replaced(tmp_path: Path) -> None:
    write_tables(tmp_path, {"ticket_status_changes": changes(("1", "A-1", "To Do"))}, append=False)
    write_tables(tmp_path, {"ticket_status_changes": changes(("9", "A-9", "Done"))}, append=False)
    assert list(read_table(tmp_path / "ticket_status_changes.csv")["change_id"]) == ["9"]


def test_a_failed_write_leaves_the_previous_files_and_no_temporary_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    write_tables(out, {"ticket_status_changes": changes(("1", "A-1", "To Do"))}, append=True)
    before = (out / "ticket_status_changes.csv").read_bytes()
    real = pd.DataFrame.to_csv
    calls = {"n": 0}

    def failing_second(self: pd.DataFrame, *args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(28, "No space left on device")
        return real(self, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(pd.DataFrame, "to_csv", failing_second)
    tickets = pd.DataFrame({"ticket_id": ["A-1"], "team": ["web"], "created_at": ["2026-01-01"]})
    with pytest.raises(ConfigError, match="No space left on device"):
        write_tables(out, {"ticket_status_changes": changes(("2", "A-1", "Done")), "tickets": tickets},
                     append=True)
    assert (out / "ticket_status_changes.csv").read_bytes() == before
    assert not (out / "tickets.csv").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # the staging directory is gone


def test_another_file_for_the_same_table_is_refused(tmp_path: Path) -> None:
    (tmp_path / "tickets.parquet").write_bytes(b"PAR1")
    with pytest.raises(ConfigError, match=r"tickets\.parquet"):
        write_tables(tmp_path, {"tickets": pd.DataFrame({"ticket_id": ["A-1"]})}, append=True)


def test_the_cursor_round_trips_per_source_and_sets_where_the_next_pull_starts(tmp_path: Path) -> None:
    at = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
    assert read_cursor(tmp_path, "jira") is None
    assert pull_start(tmp_path, "jira") is None  # first pull: everything
    write_cursor(tmp_path, "jira", at)
    write_cursor(tmp_path, "github", at + timedelta(days=3))
    assert read_cursor(tmp_path, "jira") == at
    assert pull_start(tmp_path, "jira") == at - timedelta(days=1)  # the default margin
    assert pull_start(tmp_path, "jira", margin=timedelta(hours=2)) == at - timedelta(hours=2)
    assert pull_start(tmp_path, "jira", full=True) is None
    since = datetime(2025, 1, 1, tzinfo=UTC)
    assert pull_start(tmp_path, "jira", since=since) == since
    assert read_cursor(tmp_path, "github") == at + timedelta(days=3)


def test_a_damaged_cursor_is_a_config_error_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / CURSOR_FILE).write_text("{not json")
    with pytest.raises(ConfigError, match=CURSOR_FILE) as caught:
        read_cursor(tmp_path, "jira")
    assert caught.value.exit_code == 2


def test_extract_options_are_checked_before_any_request(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from flowmetrics.cli import main

    args = ["extract", "jira", "--url", "https://site.example", "--jql", "project = A"]
    bad_margin = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "o"), "--margin", "soon"])
    assert bad_margin.exit_code == 2 and "'soon' is not a margin" in bad_margin.output
    (tmp_path / "file").write_text("x")
    env = {"JIRA_EMAIL": "a@example.com", "JIRA_API_TOKEN": "t0k3n-abcdefgh", "JIRA_PAT": ""}
    on_a_file = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "file")], env=env)
    assert on_a_file.exit_code == 2 and "is a file" in on_a_file.output
    bad_url = CliRunner().invoke(main, ["extract", "jira", "--url", "site.example", "--jql", "x", "--out",
                                        str(tmp_path / "o")], env=env)
    assert bad_url.exit_code == 2 and "--url 'site.example'" in bad_url.output
    assert not (tmp_path / "o").exists()
