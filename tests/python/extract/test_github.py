"""`flowmetrics extract github` against a local GitHub stand-in (pytest-httpserver on 127.0.0.1) serving a small demo
system: the contract rows it writes, paging, rate limits and retries, refused credentials, an interrupted pull, the
incremental second pull, and the extracted files ingested and built into the flow marts."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer

from flowmetrics.cli import main
from flowmetrics.errors import ExtractError
from flowmetrics.extract.github_rows import GithubScheme, closed_issue_numbers, issue_status_changes, ticket_row
from flowmetrics.extract.label_status import StateStatuses
from flowmetrics.steps.extract import LabelStatusOptions, PullOptions, run_extract_github
from tests.python.extract.demo_tracker import (
    CLOSED,
    NOT_PLANNED,
    DemoDeploy,
    DemoTicket,
    demo_deploys,
    demo_tickets,
    expected_changes,
)
from tests.python.extract.github_fake import (
    NOW,
    PAGE_SIZE,
    REPO,
    TOKEN,
    GithubFake,
    rate_limited,
    secondary_limited,
    server_error,
)
from tests.python.extract.tracker_checks import Recorder, options, read, rows

DEMO_STATUSES = ["--closed-status", CLOSED, "--not-planned-status", NOT_PLANNED]
OPTIONS = LabelStatusOptions("status:", closed_status=CLOSED, not_planned_status=NOT_PLANNED)


def tid(ticket: DemoTicket) -> str:
    return f"{REPO}#{ticket.number}"


@pytest.fixture
def fake(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[GithubFake]:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    stand_in = GithubFake(demo_tickets(), demo_deploys())
    httpserver.expect_request(re.compile(".*")).respond_with_handler(stand_in.handle)
    yield stand_in


def pull(httpserver: HTTPServer, out: Path, rec: Recorder | None = None, margin: timedelta = timedelta(days=1),
         full: bool = False) -> object:
    return run_extract_github(REPO, out, url=httpserver.url_for(""), statuses=OPTIONS,
                              options=options(rec or Recorder(), full=full, margin=margin, now=float(NOW)))


def expected_status_changes(tickets: tuple[DemoTicket, ...]) -> pd.DataFrame:
    frame = expected_changes(tickets, tid)
    frame["changed_at"] = frame["changed_at"].map(lambda t: t.strftime("%Y-%m-%d %H:%M:%S"))
    return rows(frame, ["change_id"])


def assert_demo_pulled(out: Path, tickets: tuple[DemoTicket, ...], deploys: tuple[DemoDeploy, ...]) -> None:
    changes = read(out, "ticket_status_changes")
    assert changes["change_id"].is_unique
    pd.testing.assert_frame_equal(rows(changes, ["change_id"]), expected_status_changes(tickets))
    got = rows(read(out, "tickets"), ["ticket_id"])
    assert sorted(got["ticket_id"]) == sorted(tid(t) for t in tickets)  # pull requests are not tickets
    by_id = {tid(t): t for t in tickets}
    assert [by_id[i].title for i in got["ticket_id"]] == list(got["title"])
    assert [by_id[i].ticket_type for i in got["ticket_id"]] == list(got["ticket_type"])
    assert set(got["team"]) == {"web"}
    deployed = rows(read(out, "deploys"), ["deploy_id"])
    assert list(deployed["deploy_id"]) == sorted(str(d.number) for d in deploys)
    by_number = {str(d.number): d for d in deploys}
    assert [by_number[i].deployed_at.strftime("%Y-%m-%d %H:%M:%S") for i in deployed["deploy_id"]] == list(
        deployed["deployed_at"])
    assert [by_number[i].commit_sha for i in deployed["deploy_id"]] == list(deployed["commit_sha"])
    assert set(deployed["status"]) == {"success"} and set(deployed["environment"]) == {"production"}
    links = {(r.deploy_id, r.ticket_id) for r in read(out, "deploy_tickets").itertuples()}
    assert links == {(str(d.number), f"{REPO}#{n}") for d in deploys for n in d.ticket_numbers}


def test_a_full_pull_writes_the_demo_as_contract_rows_across_pages(httpserver: HTTPServer, fake: GithubFake,
                                                                   tmp_path: Path) -> None:
    out = tmp_path / "raw"
    result = CliRunner().invoke(
        main, ["extract", "github", "--repo", REPO, "--url", httpserver.url_for(""), "--out", str(out), "--json",
               *DEMO_STATUSES],
        env={"GITHUB_TOKEN": TOKEN},
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["items"] == len(demo_tickets()) and summary["rows"]["deploy_tickets"] > 0
    assert_demo_pulled(out, demo_tickets(), demo_deploys())
    status_map = read(out, "status_map").set_index("raw_status")
    kinds = {name: (row.stage, row.stage_kind) for name, row in status_map.iterrows()}
    assert kinds[CLOSED] == ("done", "done") and kinds[NOT_PLANNED] == ("abandoned", "abandoned")  # the states
    assert kinds["Open"] == ("backlog", "queue") and kinds["Backlog"] == ("backlog", "queue")
    assert kinds["Ready for QA"] == ("qa", "queue") and kinds["In QA"] == ("qa", "active")  # labels: by name
    assert kinds["Blocked"][1] == "wait"
    issue_pages = [q.get("page", "1") for path, q in fake.calls if path == f"/repos/{REPO}/issues"]
    listed = len(demo_tickets()) + len(fake.pulls)  # GitHub lists pull requests among the issues
    assert len(issue_pages) > 1 and issue_pages == [str(p) for p in range(1, -(-listed // PAGE_SIZE) + 1)]
    assert all(q.get("per_page") == "100" for path, q in fake.calls if path.endswith("/issues"))
    assert TOKEN not in result.output


def test_rate_limits_and_server_errors_are_waited_out_and_said(httpserver: HTTPServer, fake: GithubFake,
                                                               tmp_path: Path) -> None:
    base = f"/repos/{REPO}"
    fake.failures[(f"{base}/issues", 2)] = [secondary_limited(7)]
    fake.failures[(f"{base}/issues/3/events", 1)] = [server_error()]
    fake.failures[(f"{base}/issues/4/events", 1)] = [secondary_limited(11, status=403)]
    fake.failures[(f"{base}/deployments", 1)] = [rate_limited(reset_in=90)]
    rec = Recorder()
    pull(httpserver, tmp_path / "raw", rec)
    assert rec.sleeps == [7.0, 1.0, 11.0, 90.0]
    said = "\n".join(rec.messages)
    assert "429" in said and "retrying in 7s" in said and "retrying in 11s" in said
    assert "500" in said and "403" in said and "retrying in 90s" in said
    assert TOKEN not in said
    assert_demo_pulled(tmp_path / "raw", demo_tickets(), demo_deploys())


def test_refused_token_exits_2_naming_github_token_and_never_showing_it(httpserver: HTTPServer, fake: GithubFake,
                                                                         tmp_path: Path) -> None:
    out = tmp_path / "raw"
    wrong = "ghp_wrongTOKENvalue99999999"
    result = CliRunner().invoke(
        main, ["extract", "github", "--repo", REPO, "--url", httpserver.url_for(""), "--out", str(out)],
        env={"GITHUB_TOKEN": wrong},
    )
    assert result.exit_code == 2
    assert "GITHUB_TOKEN" in result.output and "401" in result.output
    assert wrong not in result.output and wrong not in repr(result.exception)
    assert not out.exists() or not any(out.iterdir())


def test_no_token_a_bad_repo_or_a_bad_url_exits_2(httpserver: HTTPServer, fake: GithubFake, tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["extract", "github", "--url", httpserver.url_for(""), "--out", str(tmp_path / "raw")]
    missing = runner.invoke(main, [*args, "--repo", REPO], env={"GITHUB_TOKEN": ""})
    assert missing.exit_code == 2 and "GITHUB_TOKEN" in missing.output
    bad = runner.invoke(main, [*args, "--repo", "acme/../../orgs/x"], env={"GITHUB_TOKEN": TOKEN})
    assert bad.exit_code == 2 and "OWNER/NAME" in bad.output
    no_url = runner.invoke(main, ["extract", "github", "--repo", REPO, "--url", "api.github.com", "--out",
                                  str(tmp_path / "raw")], env={"GITHUB_TOKEN": TOKEN})
    assert no_url.exit_code == 2 and "--url 'api.github.com' is not an http(s) URL" in no_url.output
    assert fake.calls == []


def test_an_interrupted_pull_leaves_the_previous_output_intact(httpserver: HTTPServer, fake: GithubFake,
                                                               tmp_path: Path) -> None:
    out = tmp_path / "raw"
    pull(httpserver, out, full=True)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    fake.fail_always.add(f"/repos/{REPO}/deployments")
    with pytest.raises(ExtractError) as caught:
        pull(httpserver, out, full=True)
    assert caught.value.exit_code == 1 and "502" in str(caught.value)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not [p for p in tmp_path.iterdir() if p.name != "raw"]  # no staging directory left beside it


def _as_of(cutoff: datetime) -> tuple[tuple[DemoTicket, ...], tuple[DemoDeploy, ...]]:
    """The demo as the repository held it at ``cutoff``."""
    tickets = tuple(
        dataclasses.replace(t, steps=tuple(s for s in t.steps if s.at <= cutoff))
        for t in demo_tickets() if t.created_at <= cutoff
    )
    return tickets, tuple(d for d in demo_deploys() if d.deployed_at <= cutoff)


def test_a_second_pull_asks_since_the_cursor_and_appends_each_change_once(httpserver: HTTPServer,
                                                                          fake: GithubFake, tmp_path: Path) -> None:
    out = tmp_path / "raw"
    cutoff = datetime(2026, 1, 8, 12, 0, 0)
    first_night = GithubFake(*_as_of(cutoff))
    fake.tickets, fake.deploys, fake.pulls = first_night.tickets, first_night.deploys, first_night.pulls
    pull(httpserver, out)
    assert_demo_pulled(out, *_as_of(cutoff))
    cursor = max(t.updated_at for t in fake.tickets)

    fake.tickets, fake.deploys, fake.pulls = demo_tickets(), demo_deploys(), GithubFake(
        demo_tickets(), demo_deploys()).pulls
    fake.calls.clear()
    pull(httpserver, out, margin=timedelta(hours=1))
    since = [q.get("since") for path, q in fake.calls if path == f"/repos/{REPO}/issues"]
    assert set(since) == {(cursor - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")}
    fetched = {int(p.split("/")[-2]) for p, _ in fake.calls if p.endswith("/events")}
    assert fetched and len(fetched) < len(demo_tickets())  # only what changed since the cursor minus the margin
    statuses = {int(p.split("/")[-2]) for p, _ in fake.calls if p.endswith("/statuses")}
    new = {d.number for d in demo_deploys() if d.deployed_at > cutoff}
    bound = max(d.number for d in demo_deploys() if d.deployed_at <= cutoff and d.status == "success")
    assert new and statuses == new | {bound}  # the new deployments and the success before them that bounds them
    assert_demo_pulled(out, demo_tickets(), demo_deploys())


def test_status_rule_swaps_labels_in_one_change_and_closing_overrides_labels() -> None:
    def event(kind: str, at: str, **extra: object) -> dict[str, object]:
        return {"event": kind, "created_at": f"2026-01-05T{at}Z", "actor": {"login": "ann"}, **extra}

    issue = {"number": 4, "created_at": "2026-01-05T09:00:00Z", "user": {"login": "bob"}, "state_reason": None}
    events = [
        event("labeled", "10:00:00", label={"name": "Status: In Progress"}),
        event("unlabeled", "11:00:00", label={"name": "status: in progress"}),
        event("labeled", "11:00:00", label={"name": "status: In Review"}),
        event("labeled", "11:30:00", label={"name": "bug"}),
        event("closed", "12:00:00", state_reason="not_planned"),
        event("reopened", "13:00:00", state_reason="reopened"),
        event("unlabeled", "14:00:00", label={"name": "status: In Review"}),
    ]
    changes = issue_status_changes(issue, events, GithubScheme("o/r", states=StateStatuses(closed="Done")))
    assert [(c["changed_at"].strftime("%H:%M"), c["from_status"], c["to_status"]) for c in changes] == [
        ("09:00", None, "Open"), ("10:00", "Open", "In Progress"), ("11:00", "In Progress", "In Review"),
        ("12:00", "In Review", "Not planned"), ("13:00", "Not planned", "In Review"), ("14:00", "In Review", "Open"),
    ]
    assert changes[0]["changed_by"] == "bob" and changes[0]["change_id"] == "o/r#4:1767603600"


def test_status_from_project_columns() -> None:
    issue = {"number": 9, "created_at": "2026-01-05T09:00:00Z", "user": {"login": "bob"}}

    def card(kind: str, at: str, column: str) -> dict[str, object]:
        return {"event": kind, "created_at": f"2026-01-05T{at}Z", "actor": {"login": "ann"},
                "project_card": {"project_id": 3, "column_name": column, "previous_column_name": None}}

    events = [card("added_to_project", "09:00:00", "Todo"), card("moved_columns_in_project", "10:00:00", "Doing"),
              {"event": "labeled", "created_at": "2026-01-05T10:30:00Z", "label": {"name": "status: Ignored"}}]
    changes = issue_status_changes(issue, events, GithubScheme("o/r", from_columns=True))
    assert [c["to_status"] for c in changes] == ["Todo", "Doing"]


@pytest.mark.parametrize(("title", "body", "branch", "numbers"), [
    ("Fix login", "Closes #12", "main", {12}),
    ("Fixes acme/web#7 and resolves #8", "", "x", {7, 8}),
    ("See #12", "refs #13, page#14", "feature/x", set()),
    ("Tidy", "closes other/repo#5", "15-tidy-up", {15}),
    ("Tidy", "", "gh-21/22-retry", {21, 22}),
])
def test_which_issues_a_pull_request_closes(title: str, body: str, branch: str, numbers: set[int]) -> None:
    pull_request = {"title": title, "body": body, "head": {"ref": branch}}
    assert closed_issue_numbers(pull_request, "acme/web") == numbers


@pytest.fixture(scope="module")
def built_from_github(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One full pull from the stand-in → `ingest` → dbt build of the status intervals (once for the module)."""
    from flowmetrics.ingest import ingest_directory
    from tests.python.conftest import dbt_build_into

    work = tmp_path_factory.mktemp("github-build")
    stand_in = GithubFake(demo_tickets(), demo_deploys())
    server = HTTPServer(host="127.0.0.1")
    server.expect_request(re.compile(".*")).respond_with_handler(stand_in.handle)
    server.start()
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("GITHUB_TOKEN", TOKEN)
            run_extract_github(REPO, work / "raw", url=server.url_for(""), statuses=OPTIONS, options=PullOptions())
    finally:
        server.clear()
        server.stop()
    warehouse = work / "github.duckdb"
    ingest_directory(work / "raw", warehouse)
    dbt_build_into(warehouse, work, "--select", "+fct_status_intervals", "--indirect-selection", "cautious")
    return warehouse


def test_the_extracted_files_ingest_and_build_into_the_demo_status_intervals(built_from_github: Path) -> None:
    """One interval per demo step: GitHub's events group a second into one change, and the demo passes through
    several statuses within one second and records reassignments, so the demo restricted to what GitHub can say is
    its steps (demo_tracker), not its raw changes."""
    import duckdb

    con = duckdb.connect(str(built_from_github), read_only=True)
    try:
        got = con.execute("select ticket_id, interval_number, status, entered_at from main.fct_status_intervals "
                          "order by ticket_id, interval_number").df()
    finally:
        con.close()
    expected = pd.DataFrame(
        [(tid(t), k, s.status, s.at) for t in demo_tickets() for k, s in enumerate(t.steps)],
        columns=["ticket_id", "interval_number", "status", "entered_at"],
    ).sort_values(["ticket_id", "interval_number"]).reset_index(drop=True)
    got["entered_at"] = pd.to_datetime(got["entered_at"]).astype("datetime64[us]")
    expected["entered_at"] = expected["entered_at"].astype("datetime64[us]")
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_a_label_without_a_name_is_no_status_label() -> None:
    issue = {"number": 2, "created_at": "2026-01-05T09:00:00Z", "user": None, "title": "t",
             "labels": [{"id": 1, "name": None}]}
    events = [{"event": "labeled", "created_at": "2026-01-05T10:00:00Z", "actor": None, "label": {"name": None}}]
    scheme = GithubScheme("o/r")
    assert ticket_row(issue, scheme)["ticket_type"] is None
    assert [c["to_status"] for c in issue_status_changes(issue, events, scheme)] == ["Open"]
