"""`flowmetrics report --team/--requested-by/--from/--to`: a report of one scope computes every number from that
scope's published rows (the teams add up to the whole), the period cuts by UTC days, an unknown value is a usage
error that lists the known ones, and a scope value is data: bound in SQL, escaped in the page."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from click.testing import CliRunner, Result

from flowmetrics.cli import main
from flowmetrics.report.data import load_report_data, sle_from_items, stage_daily_from_visits, team_at_constraint
from flowmetrics.scope import Scope
from flowmetrics.warehouse.profile import resolve_target
from tests.harness.warehouse_query import query_df as query

HOSTILE = "<script>alert(1)</script>'; drop table x; --"


@pytest.fixture(scope="module")
def published(demo_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the session's demo warehouse, published (read only by the tests below, except on copies)."""
    copy = tmp_path_factory.mktemp("scope") / "scope.duckdb"
    shutil.copy(demo_warehouse, copy)
    proc = subprocess.run(
        [sys.executable, "-m", "flowmetrics.cli", "publish", "--warehouse", str(copy),
         "--report-dir", str(copy.parent / "quality")],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return copy


def teams(warehouse: Path) -> list[str]:
    return sorted(query(warehouse, "select distinct team from published.fct_work_items")["team"])


def report(*args: str) -> Result:
    return CliRunner().invoke(main, ["report", "--replications", "2", *args], catch_exceptions=False)


def test_a_team_report_counts_what_a_hand_query_counts_for_that_team(published: Path):
    target = resolve_target(None, published)
    whole = load_report_data(target)
    for team in teams(published):
        data = load_report_data(target, Scope(team=team))
        hand = query(published, "select sum(started) as started, sum(finished) as finished "
                                "from published.fct_work_item_finish_rate where team = ?", [team])
        assert data.work_item_finish["started"].sum() == hand["started"].iloc[0] > 0
        assert data.work_item_finish["finished"].sum() == hand["finished"].iloc[0]
        assert data.work_item_finish["started"].sum() < whole.work_item_finish["started"].sum()
        visits = query(published, "select count(*) as n from published.fct_stage_visits where team = ? and "
                                  "not is_terminal and not is_open and stage <> 'unmapped'", [team])
        assert data.stage_time["visits"].sum() == visits["n"].iloc[0]
        assert set(data.open_items["team"]) <= {team}
        assert data.scope_notes and "whole system" in data.scope_notes[0]
    assert whole.scope.is_whole and whole.scope_notes == ()


def test_the_teams_scoped_numbers_add_up_to_the_whole(published: Path):
    target = resolve_target(None, published)
    assert query(published, "select count(*) as n from published.fct_work_items where team is null")["n"][0] == 0
    whole = load_report_data(target)
    parts = [load_report_data(target, Scope(team=team)) for team in teams(published)]

    def total(frame_of, key: str, column: str) -> pd.Series:
        return pd.concat([frame_of(p) for p in parts]).groupby(key)[column].sum()

    for column in ("started", "finished", "still_open"):
        assert total(lambda d: d.work_item_finish, "cohort_month", column).to_dict() == \
            whole.work_item_finish.set_index("cohort_month")[column].to_dict()
    assert total(lambda d: d.stage_time, "stage", "visits").to_dict() == \
        whole.stage_time.set_index("stage")["visits"].to_dict()
    # the recomputed cumulative flow of the teams stacks up to the published fct_stage_daily
    last = whole.stage_daily["date_day"].max()
    for column in ("cumulative_arrivals", "wip_end_of_day"):
        at_end = total(lambda d: d.stage_daily[pd.to_datetime(d.stage_daily["date_day"]) == pd.Timestamp(last)],
                       "stage", column)
        published_end = whole.stage_daily[whole.stage_daily["date_day"] == last].set_index("stage")[column]
        assert at_end.to_dict() == published_end.to_dict()
    assert sum(len(p.open_items) for p in parts) == len(whole.open_items)
    overall = [int(p.sle.loc[p.sle["sle_scope"] == "overall", "finished_items"].iloc[0]) for p in parts]
    assert sum(overall) == int(whole.sle.loc[whole.sle["sle_scope"] == "overall", "finished_items"].iloc[0])
    assert len({round(float(p.sle["p85_cycle_time_seconds"].iloc[0])) for p in parts}) > 1, "lines per team"
    launched = sum(int(p.experiment_funnel.set_index("step")["experiments"]["launched"]) for p in parts)
    assert launched == int(whole.experiment_funnel.set_index("step")["experiments"]["launched"])
    started = total(lambda d: d.ai_comparison, "ai_assisted", "started")
    assert started.to_dict() == whole.ai_comparison.set_index("ai_assisted")["started"].to_dict()


def test_a_team_report_names_the_teams_own_signal_at_the_whole_systems_constraint():
    findings = pd.DataFrame({"scope": ["overall", "window"], "constraint_stage": ["review", "review"]})
    signals = pd.DataFrame({"stage": ["review", "review", "review", "build"], "team": [None, "web", "app", "web"],
                            "classification": ["constraint", "constraint", None, None],
                            "waiting_share": [0.5, 0.64, 0.7, 0.9]})
    assert team_at_constraint(Scope(team="web"), findings, signals) == \
        "team web at review: 64% of its time there waiting in the queue, capacity-bound"
    assert team_at_constraint(Scope(team="app"), findings, signals).endswith("70% of its time there waiting in the "
                                                                             "queue, not capacity-bound")
    assert team_at_constraint(Scope(team="ops"), findings, signals) is None  # no signal of that team
    assert team_at_constraint(Scope(requested_by="sales"), findings, signals) is None
    nothing = findings.assign(constraint_stage=[None, None])
    assert team_at_constraint(Scope(team="web"), nothing, signals) is None


def test_the_recomputation_of_unscoped_marts_reproduces_them_for_the_whole_system(published: Path):
    whole = load_report_data(resolve_target(None, published))
    visits = query(published, "select stage, entered_at, exited_at from published.fct_stage_visits")
    daily = stage_daily_from_visits(whole.stage_daily, visits)
    mart = whole.stage_daily.assign(date_day=pd.to_datetime(whole.stage_daily["date_day"]))
    both = mart.merge(daily, on=["date_day", "stage"], suffixes=("", "_again"), validate="one_to_one")
    assert len(both) == len(mart) == len(daily)
    for column in ("arrivals", "departures", "cumulative_arrivals", "cumulative_departures", "wip_end_of_day"):
        assert (both[column] == both[f"{column}_again"]).all(), column
    sle = sle_from_items(whole.finished_items, whole.sle["window_start"].max(), whole.sle["window_end"].max())
    key = ["sle_scope", "ticket_type", "finished_items", "p50_cycle_time_seconds", "p85_cycle_time_seconds",
           "p95_cycle_time_seconds"]
    expected = whole.sle[key].sort_values(key[:2], na_position="first").reset_index(drop=True)
    pd.testing.assert_frame_equal(sle[key].reset_index(drop=True), expected, check_dtype=False)


def test_the_period_cuts_by_utc_days_with_both_ends_included(published: Path):
    span = query(published, "select cast(min(exited_at) as date) as first, cast(max(exited_at) as date) as last "
                            "from published.fct_stage_visits where not is_open")
    start = span["first"][0].date() + timedelta(days=7)
    end = start + timedelta(days=13)
    data = load_report_data(resolve_target(None, published), Scope(start=start, end=end))
    completed = ("select count(*) as n from published.fct_stage_visits where not is_terminal and not is_open "
                 "and stage <> 'unmapped' and exited_at >= ? and exited_at < ?")
    inside = query(published, completed, [start, end + timedelta(days=1)])["n"][0]
    assert data.stage_time["visits"].sum() == inside
    last_day = query(published, completed, [end, end + timedelta(days=1)])["n"][0]
    assert last_day > 0, "the --to day's own visits must count (the period runs to the end of that UTC day)"
    days = pd.to_datetime(data.stage_daily["date_day"])
    assert days.min() == pd.Timestamp(start) and days.max() == pd.Timestamp(end)
    months = {pd.Timestamp(start.replace(day=1)), pd.Timestamp(end.replace(day=1))}
    assert set(pd.to_datetime(data.work_item_finish["cohort_month"])) == months
    assert "2026" in data.scope.label() and "the period cuts the history" in data.scope_notes[-1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--team", "nobody"), "--team 'nobody' is not in fct_work_items.team; known: mobile, platform, web"),
        (("--requested-by", "legal"), "--requested-by 'legal' is not in fct_work_items.requested_by; known: data,"),
        (("--from", "2031-01-01"), "--from 2031-01-01 is after the published as-of"),
        (("--team", "web", "--to", "2001-01-01"), "no work of team web, the start to 2001-01-01 (UTC) in"),
        (("--from", "2026-02-01", "--to", "2026-01-01"), "--from 2026-02-01 is after --to 2026-01-01"),
        (("--team", "web", "--all-teams", "dir"), "--all-teams writes every team's report: leave out --team"),
    ],
)
def test_an_unknown_or_empty_scope_exits_2_names_it_and_writes_nothing(published: Path, tmp_path: Path,
                                                                       args: tuple[str, ...], message: str):
    before = query(published, "select count(*) as n from published.fct_work_items")["n"][0]
    out = tmp_path / "report.html"
    result = report("--warehouse", str(published), "--out", str(out), *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert not out.exists() and not (tmp_path / "dir").exists()
    assert query(published, "select count(*) as n from published.fct_work_items")["n"][0] == before


def test_a_team_name_is_data_bound_in_sql_and_escaped_in_the_page(published: Path, tmp_path: Path):
    hostile = tmp_path / "hostile.duckdb"
    shutil.copy(published, hostile)
    with duckdb.connect(str(hostile)) as con:  # rename team web, in every published relation that has a team
        con.execute("create schema renamed")
        for (name,) in con.execute("select table_name from information_schema.columns where "
                                   "table_schema = 'published' and column_name = 'team'").fetchall():
            con.execute(f"create table renamed.{name} as select * from published.{name}")
            con.execute(f"update renamed.{name} set team = ? where team = 'web'", [HOSTILE])
            con.execute(f"create or replace view published.{name} as select * from renamed.{name}")
    before = query(hostile, "select count(*) as n from information_schema.tables")["n"][0]
    out = tmp_path / "report.html"
    result = report("--warehouse", str(hostile), "--out", str(out), "--team", HOSTILE)
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert "<script>alert(1)" not in page and HOSTILE not in page
    assert "Flow report of team &lt;script&gt;alert(1)&lt;/script&gt;&#x27;; drop table x; --" in page
    assert query(hostile, "select count(*) as n from information_schema.tables")["n"][0] == before
    data = load_report_data(resolve_target(None, hostile), Scope(team=HOSTILE))
    web = load_report_data(resolve_target(None, published), Scope(team="web"))
    assert data.work_item_finish["started"].sum() == web.work_item_finish["started"].sum() > 0

    unknown = report("--warehouse", str(published), "--out", str(out), "--team", HOSTILE + "x")
    assert unknown.exit_code == 2 and f"--team {HOSTILE + 'x'!r} is not in fct_work_items.team" in unknown.stderr


@pytest.fixture(scope="module")
def team_reports(published: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`report --all-teams` once: every team's page and the index (the what-if simulated once for all)."""
    out = tmp_path_factory.mktemp("teams") / "teams"
    result = report("--warehouse", str(published), "--all-teams", str(out), "--from", "2026-01-15")
    assert result.exit_code == 0, result.output
    return out


def test_all_teams_writes_one_report_per_team_and_an_index_linking_them(published: Path, team_reports: Path):
    index = (team_reports / "index.html").read_text(encoding="utf-8")
    for team in teams(published):
        page = team_reports / f"team-{team}.html"
        assert f'<a href="team-{team}.html">team {team}, 2026-01-15 to the as-of (UTC)</a>' in index
        assert f"Flow report of team {team}, 2026-01-15" in page.read_text(encoding="utf-8")
    names = sorted(p.name for p in team_reports.iterdir())
    assert names == sorted(["index.html", *(f"team-{t}.html" for t in teams(published))])


def test_all_teams_skips_a_team_without_work_in_the_scope_and_says_so_in_the_index(published: Path,
                                                                                    tmp_path: Path):
    pairs = query(published, "select distinct team from published.fct_work_items where requested_by = 'data'")
    assert list(pairs["team"]) == ["platform"], "the demo's data function asks only platform"
    out = tmp_path / "teams"
    result = report("--warehouse", str(published), "--all-teams", str(out), "--requested-by", "data")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["index.html", "team-platform.html"]
    index = (out / "index.html").read_text(encoding="utf-8")
    assert '<a href="team-platform.html">team platform, requested by data</a>' in index
    for team in ("mobile", "web"):
        assert f"<li>team {team}, requested by data: no work of team {team}, requested by data in" in index
        assert f"no report of team {team}, requested by data" in result.stdout


def test_two_teams_reports_render_in_chromium_with_different_numbers(published: Path, team_reports: Path):
    from playwright.sync_api import sync_playwright

    from tests.python.report.test_report_in_chromium import CHROMIUM, CHROMIUM_ARGS

    shown: dict[str, tuple[str, str]] = {}
    messages: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for team in teams(published)[:2]:
                page = browser.new_page(viewport={"width": 1366, "height": 768})
                page.on("pageerror", lambda e: messages.append(f"pageerror: {e}"))
                page.goto((team_reports / f"team-{team}.html").as_uri(), wait_until="load")
                page.wait_for_selector("section#finish-rate #chart-finish-rate .main-svg", timeout=15_000)
                assert page.locator("#chart-cfd g.trace").count() > 0
                shown[team] = (page.locator("header h1").inner_text(), page.locator("header > p").first.inner_text())
                page.close()
        finally:
            browser.close()
    assert messages == []
    (a, (title_a, _)), (b, (title_b, _)) = shown.items()
    assert f"team {a}" in title_a and f"team {b}" in title_b
    visits = {t: sub.split(" completed stage visits")[0].rsplit(" ", 1)[-1] for t, (_, sub) in shown.items()}
    assert visits[a] != visits[b], visits
