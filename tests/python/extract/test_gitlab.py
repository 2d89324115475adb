"""`flowmetrics extract gitlab` against a local GitLab stand-in (pytest-httpserver on 127.0.0.1) serving the demo as
a project with scoped status labels: the contract rows it writes, Link and X-Next-Page paging, retries, a refused
token, an interrupted pull and the incremental second pull."""

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
from flowmetrics.steps.extract import LabelStatusOptions, run_extract_gitlab
from tests.python.extract.demo_tracker import (
    CLOSED,
    DemoDeploy,
    DemoTicket,
    demo_deploys,
    demo_tickets,
    expected_changes,
)
from tests.python.extract.gitlab_fake import (
    BASE,
    EVENT_PAGE_SIZE,
    PROJECT,
    PROJECT_ID,
    TOKEN,
    GitlabFake,
    server_error,
    too_many_requests,
)
from tests.python.extract.tracker_checks import Recorder, assert_ingests_whole, options, read, rows

OPTIONS = LabelStatusOptions("workflow::", closed_status=CLOSED)


def tid(ticket: DemoTicket) -> str:
    return f"{PROJECT}#{ticket.number}"


@pytest.fixture
def fake(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[GitlabFake]:
    monkeypatch.setenv("GITLAB_TOKEN", TOKEN)
    stand_in = GitlabFake(demo_tickets(), demo_deploys())
    httpserver.expect_request(re.compile(".*")).respond_with_handler(stand_in.handle)
    yield stand_in


def pull(httpserver: HTTPServer, out: Path, rec: Recorder | None = None, full: bool = False) -> object:
    return run_extract_gitlab(str(PROJECT_ID), out, url=httpserver.url_for(""), statuses=OPTIONS,
                              options=options(rec or Recorder(), full=full))


def assert_demo_pulled(out: Path, tickets: tuple[DemoTicket, ...], deploys: tuple[DemoDeploy, ...]) -> None:
    changes = read(out, "ticket_status_changes")
    assert changes["change_id"].is_unique
    expected = expected_changes(tickets, tid)
    expected["changed_at"] = expected["changed_at"].map(lambda t: t.strftime("%Y-%m-%d %H:%M:%S"))
    pd.testing.assert_frame_equal(rows(changes, ["change_id"]), rows(expected, ["change_id"]))
    got = rows(read(out, "tickets"), ["ticket_id"])
    by_id = {tid(t): t for t in tickets}
    assert sorted(got["ticket_id"]) == sorted(by_id)
    assert [by_id[i].ticket_type for i in got["ticket_id"]] == list(got["ticket_type"])
    assert set(got["team"]) == {"web"}
    deployed = rows(read(out, "deploys"), ["deploy_id"])
    assert list(deployed["deploy_id"]) == sorted(str(d.number) for d in deploys)
    assert set(deployed["environment"]) == {"production"} and set(deployed["status"]) == {"success"}
    by_number = {str(d.number): d for d in deploys}
    assert list(deployed["deployed_at"]) == [by_number[i].deployed_at.strftime("%Y-%m-%d %H:%M:%S")
                                             for i in deployed["deploy_id"]]
    links = {(r.deploy_id, r.ticket_id) for r in read(out, "deploy_tickets").itertuples()}
    assert links == {(str(d.number), f"{PROJECT}#{n}") for d in deploys for n in d.ticket_numbers}


def test_a_full_pull_writes_the_demo_following_link_and_x_next_page(httpserver: HTTPServer, fake: GitlabFake,
                                                                     tmp_path: Path) -> None:
    out = tmp_path / "raw"
    result = CliRunner().invoke(
        main, ["extract", "gitlab", "--project", str(PROJECT_ID), "--url", httpserver.url_for(""), "--out",
               str(out), "--closed-status", CLOSED, "--json"],
        env={"GITLAB_TOKEN": TOKEN},
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["items"] == len(demo_tickets())
    assert_demo_pulled(out, demo_tickets(), demo_deploys())
    status_map = read(out, "status_map").set_index("raw_status")
    assert tuple(status_map.loc[CLOSED, ["stage", "stage_kind"]]) == ("done", "done")
    assert tuple(status_map.loc["In Review", ["stage", "stage_kind"]]) == ("review", "active")
    assert "Not planned" not in status_map.index  # GitLab closes without a reason
    assert [q.get("page", "1") for p, q in fake.calls if p == f"{BASE}/issues"] == ["1", "2", "3"]  # Link
    long_history = max(demo_tickets(), key=lambda t: len(t.steps))
    label_path = f"{BASE}/issues/{long_history.number}/resource_label_events"
    # its label events span pages, linked by X-Next-Page only (no Link header on that list)
    events = len(long_history.steps) * 2 - 1
    assert events > EVENT_PAGE_SIZE
    pages = [str(k) for k in range(1, -(-events // EVENT_PAGE_SIZE) + 1)]
    assert [q.get("page", "1") for p, q in fake.calls if p == label_path] == pages
    assert TOKEN not in result.output
    assert_ingests_whole(out, tmp_path / "pulled.duckdb")


def test_429_and_500_are_retried(httpserver: HTTPServer, fake: GitlabFake, tmp_path: Path) -> None:
    fake.failures[(f"{BASE}/issues", 2)] = [too_many_requests(3)]
    fake.failures[(f"{BASE}/deployments", 1)] = [server_error()]
    rec = Recorder()
    pull(httpserver, tmp_path / "raw", rec)
    assert rec.sleeps == [3.0, 1.0]
    assert "429" in "\n".join(rec.messages) and "500" in "\n".join(rec.messages)
    assert_demo_pulled(tmp_path / "raw", demo_tickets(), demo_deploys())


def test_a_refused_token_exits_2_naming_gitlab_token_and_never_showing_it(httpserver: HTTPServer,
                                                                          fake: GitlabFake, tmp_path: Path) -> None:
    wrong = "glpat-WRONGtoken99999999"
    result = CliRunner().invoke(
        main, ["extract", "gitlab", "--project", str(PROJECT_ID), "--url", httpserver.url_for(""), "--out",
               str(tmp_path / "o")],
        env={"GITLAB_TOKEN": wrong},
    )
    assert result.exit_code == 2
    assert "GITLAB_TOKEN" in result.output and "401" in result.output and wrong not in result.output
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())


def test_an_interrupted_pull_leaves_the_previous_output_intact(httpserver: HTTPServer, fake: GitlabFake,
                                                               tmp_path: Path) -> None:
    out = tmp_path / "raw"
    pull(httpserver, out, full=True)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    fake.fail_always.add(f"{BASE}/deployments")
    with pytest.raises(ExtractError) as caught:
        pull(httpserver, out, full=True)
    assert caught.value.exit_code == 1 and "502" in str(caught.value)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_a_second_pull_asks_updated_after_and_appends_each_change_once(httpserver: HTTPServer, fake: GitlabFake,
                                                                       tmp_path: Path) -> None:
    out = tmp_path / "raw"
    cutoff = datetime(2026, 1, 8, 12, 0, 0)
    fake.tickets = tuple(dataclasses.replace(t, steps=tuple(s for s in t.steps if s.at <= cutoff))
                         for t in demo_tickets() if t.created_at <= cutoff)
    fake.deploys = tuple(d for d in demo_deploys() if d.deployed_at <= cutoff)
    first = (fake.tickets, fake.deploys)
    pull(httpserver, out)
    assert_demo_pulled(out, *first)
    cursor = max(t.updated_at for t in fake.tickets)
    fake.tickets, fake.deploys = demo_tickets(), demo_deploys()
    fake.calls.clear()
    pull(httpserver, out)
    asked = {q.get("updated_after") for p, q in fake.calls if p == f"{BASE}/issues"}
    assert asked == {(cursor - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")}
    assert_demo_pulled(out, demo_tickets(), demo_deploys())
