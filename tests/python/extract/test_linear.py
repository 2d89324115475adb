"""`flowmetrics extract linear` against a local Linear GraphQL stand-in (pytest-httpserver on 127.0.0.1) serving the
demo as team FM: the contract rows it writes, relay pagination of issues and of nested history, the 429 and 5xx
retries, a refused key, an interrupted pull and the incremental second pull."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer
from werkzeug import Response

from flowmetrics.cli import main
from flowmetrics.errors import ExtractError
from flowmetrics.extract.linear_rows import state_categories
from flowmetrics.steps.extract import run_extract_linear
from tests.python.extract.demo_tracker import demo_tables
from tests.python.extract.linear_fake import (
    KEY,
    TEAM,
    LinearFake,
    build_issues,
    server_error,
    too_many_requests,
)
from tests.python.extract.tracker_checks import Recorder, assert_ingests_whole, options, read, rows


@pytest.fixture
def fake(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[LinearFake]:
    monkeypatch.setenv("LINEAR_API_KEY", KEY)
    stand_in = LinearFake(build_issues())
    httpserver.expect_request(re.compile(".*")).respond_with_handler(stand_in.handle)
    yield stand_in


def pull(httpserver: HTTPServer, out: Path, rec: Recorder | None = None, full: bool = False) -> object:
    return run_extract_linear(TEAM, out, url=httpserver.url_for(""), options=options(rec or Recorder(), full=full))


def expected_changes(cutoff: datetime | None = None) -> pd.DataFrame:
    """The demo's changes as Linear can hold them: every change into another status, by its history id, and per
    ticket a creation change into the status its first such change leaves (else its current status)."""
    tables = demo_tables()
    changes = tables["ticket_status_changes"].sort_values(["changed_at", "change_id"])
    tickets = tables["tickets"]
    if cutoff is not None:
        changes = changes[changes["changed_at"] <= cutoff]
        tickets = tickets[tickets["created_at"] <= cutoff]
    moves = changes[changes["from_status"].notna() & (changes["from_status"] != changes["to_status"])]
    expected = [
        {"change_id": f"hist-{c.change_id}", "ticket_id": c.ticket_id, "changed_at": c.changed_at,
         "from_status": c.from_status, "to_status": c.to_status, "changed_by": c.changed_by}
        for c in moves.itertuples(index=False)
    ]
    for t in tickets.itertuples(index=False):
        mine = changes[changes["ticket_id"] == t.ticket_id]
        moved = moves[moves["ticket_id"] == t.ticket_id]
        created_in = moved["from_status"].iloc[0] if len(moved) else mine["to_status"].iloc[-1]
        expected.append({"change_id": f"uuid-{t.ticket_id}:created", "ticket_id": t.ticket_id,
                         "changed_at": t.created_at, "from_status": None, "to_status": str(created_in),
                         "changed_by": "pm"})
    frame = pd.DataFrame(expected)
    frame["changed_at"] = pd.to_datetime(frame["changed_at"]).dt.strftime("%Y-%m-%d %H:%M:%S")
    return rows(frame, ["change_id"])


def assert_demo_pulled(out: Path, cutoff: datetime | None = None) -> None:
    changes = read(out, "ticket_status_changes")
    assert changes["change_id"].is_unique
    pd.testing.assert_frame_equal(rows(changes, ["change_id"]), expected_changes(cutoff))
    tickets = read(out, "tickets").sort_values("ticket_id")
    demo = demo_tables()["tickets"]
    if cutoff is not None:
        demo = demo[demo["created_at"] <= cutoff]
    demo = demo.sort_values("ticket_id")
    assert list(tickets["ticket_id"]) == list(demo["ticket_id"])
    assert list(tickets["title"]) == list(demo["title"])
    assert list(tickets["created_at"]) == list(demo["created_at"].dt.strftime("%Y-%m-%d %H:%M:%S"))
    assert set(tickets["team"]) == {TEAM}


def test_a_full_pull_pages_issues_and_their_history(httpserver: HTTPServer, fake: LinearFake,
                                                    tmp_path: Path) -> None:
    out = tmp_path / "raw"
    result = CliRunner().invoke(
        main, ["extract", "linear", "--team", TEAM, "--url", httpserver.url_for(""), "--out", str(out), "--json"],
        env={"LINEAR_API_KEY": KEY},
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["items"] == len(demo_tables()["tickets"])
    assert_demo_pulled(out)
    status_map = read(out, "status_map").set_index("raw_status")
    kinds = {name: (row.stage, row.stage_kind) for name, row in status_map.iterrows()}
    assert kinds["Done"] == ("done", "done") and kinds["Won't Do"] == ("abandoned", "abandoned")  # their types
    assert kinds["Backlog"] == ("backlog", "queue") and kinds["In Review"] == ("review", "active")
    assert kinds["Ready for Review"] == ("review", "queue")  # unstarted: a queue, its stage from the name
    issue_pages = [v.get("after") for kind, v in fake.calls if kind == "issues"]
    assert issue_pages == [None, "20", "40"]  # 60 issues, 20 a page
    assert [k for k, _ in fake.calls].count("history") > 0  # histories longer than a page were paged on
    assert all(v["filter"] == {"team": {"key": {"eq": TEAM}}} for kind, v in fake.calls if kind == "issues")
    assert KEY not in result.output
    assert_ingests_whole(out, tmp_path / "pulled.duckdb")


def test_429_and_500_are_retried(httpserver: HTTPServer, fake: LinearFake, tmp_path: Path) -> None:
    fake.failures = [("issues", too_many_requests(5)), ("history", server_error())]
    rec = Recorder()
    pull(httpserver, tmp_path / "raw", rec)
    assert rec.sleeps == [5.0, 1.0]
    said = "\n".join(rec.messages)
    assert "429" in said and "retrying in 5s" in said and "500" in said
    assert_demo_pulled(tmp_path / "raw")


def test_a_spent_request_budget_waits_until_it_resets_and_says_so(httpserver: HTTPServer, fake: LinearFake,
                                                                   tmp_path: Path) -> None:
    now = 1_767_000_000.0
    fake.headers_once["issues"] = {"X-RateLimit-Requests-Remaining": "0",
                                   "X-RateLimit-Requests-Reset": str(int((now + 30) * 1000))}  # epoch ms
    rec = Recorder()
    run_extract_linear(TEAM, tmp_path / "raw", url=httpserver.url_for(""), options=options(rec, now=now))
    assert rec.sleeps == [30.0]
    assert any("rate limit" in m and "waiting 30s" in m for m in rec.messages), rec.messages
    assert_demo_pulled(tmp_path / "raw")


def test_a_refused_key_exits_2_naming_linear_api_key_and_never_showing_it(httpserver: HTTPServer,
                                                                          fake: LinearFake, tmp_path: Path) -> None:
    wrong = "lin_api_WRONGkey99999999999"
    result = CliRunner().invoke(
        main, ["extract", "linear", "--team", TEAM, "--url", httpserver.url_for(""), "--out", str(tmp_path / "o")],
        env={"LINEAR_API_KEY": wrong},
    )
    assert result.exit_code == 2
    assert "LINEAR_API_KEY" in result.output and wrong not in result.output
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())
    missing = CliRunner().invoke(
        main, ["extract", "linear", "--team", TEAM, "--url", httpserver.url_for(""), "--out", str(tmp_path / "o")],
        env={"LINEAR_API_KEY": ""},
    )
    assert missing.exit_code == 2 and "LINEAR_API_KEY" in missing.output


def test_an_interrupted_pull_leaves_the_previous_output_intact(httpserver: HTTPServer, fake: LinearFake,
                                                               tmp_path: Path) -> None:
    out = tmp_path / "raw"
    pull(httpserver, out, full=True)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    fake.fail_always.add("history")
    with pytest.raises(ExtractError) as caught:
        pull(httpserver, out, full=True)
    assert caught.value.exit_code == 1 and "502" in str(caught.value)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_a_second_pull_filters_on_updated_at_and_appends_each_change_once(httpserver: HTTPServer,
                                                                          fake: LinearFake, tmp_path: Path) -> None:
    out = tmp_path / "raw"
    cutoff = datetime(2026, 1, 8, 12, 0, 0)
    fake.issues = build_issues(cutoff)
    pull(httpserver, out)
    assert_demo_pulled(out, cutoff)
    cursor = max(pd.Timestamp(i["updatedAt"]) for i in fake.issues)
    fake.issues = build_issues()
    fake.calls.clear()
    pull(httpserver, out)
    gte = {v["filter"]["updatedAt"]["gte"] for kind, v in fake.calls if kind == "issues"}
    assert gte == {(cursor - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")}
    assert_demo_pulled(out)


def test_state_categories_follow_linear_types_and_the_most_common_type_wins() -> None:
    states = [{"name": "Todo", "type": "unstarted"}, {"name": "Triage", "type": "triage"},
              {"name": "Doing", "type": "started"}, {"name": "Doing", "type": "started"},
              {"name": "Doing", "type": "completed"}, {"name": "Shipped", "type": "completed"},
              {"name": "Dropped", "type": "canceled"}]
    assert state_categories(states) == {"Todo": "todo", "Triage": "backlog", "Doing": "in_progress",
                                        "Shipped": "done", "Dropped": "canceled"}


@pytest.mark.parametrize(("errors", "exit_code", "said"), [
    ([{"message": "Cannot query field \"x\" on type \"Issue\"."}], 1, "Cannot query field"),
    ([{"message": "Authentication required", "extensions": {"type": "authentication error"}}], 2, "LINEAR_API_KEY"),
])
def test_graphql_errors_fail_the_pull_and_a_refused_key_names_the_variable(
        httpserver: HTTPServer, fake: LinearFake, tmp_path: Path, errors: list[dict[str, object]], exit_code: int,
        said: str) -> None:
    fake.failures = [("issues", Response(json.dumps({"data": None, "errors": errors}), status=200,
                                         content_type="application/json"))]
    with pytest.raises(ExtractError) as caught:
        pull(httpserver, tmp_path / "raw")
    assert caught.value.exit_code == exit_code and said in str(caught.value)
    assert KEY not in str(caught.value)
    assert not (tmp_path / "raw").exists() or not any((tmp_path / "raw").iterdir())
