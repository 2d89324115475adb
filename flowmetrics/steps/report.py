"""`flowmetrics report`: read schema published, run the what-ifs of the investment table, write one HTML file
(of the whole system, or of one scope: a team, a requesting function, a period); or one file per team and an
index linking them."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from flowmetrics.errors import ConfigError
from flowmetrics.report import ReportResult
from flowmetrics.report.build import build_report
from flowmetrics.report.data import PUBLISHED, check_report_scope, known_teams, load_report_data
from flowmetrics.scope import Scope
from flowmetrics.steps.whatif import investment_table, read_calibration
from flowmetrics.warehouse.marts import MartReader
from flowmetrics.warehouse.optional_tables import absence_notes
from flowmetrics.warehouse.profile import Target

CALIBRATION_WEEKS = 12.0
"""Weeks before the published as-of the report's what-ifs calibrate from."""

SECTIONS = ("constraint", "pile-up", "finish-rate", "ai", "invest", "dora", "quality")


def _invest(target: Target, as_of: pd.Timestamp, replications: int, seed: int,
            say: Callable[[str], None]) -> pd.DataFrame:
    """The what-if table, calibrated from the whole system's published marts."""
    say("calibrating the what-if from the published marts")
    with MartReader.open(target, schema=PUBLISHED) as reader:
        calibration = read_calibration(reader, as_of.to_pydatetime(), CALIBRATION_WEEKS)
    return investment_table(calibration, replications=replications, seed=seed, progress=say)


def _write(target: Target, out: Path, scope: Scope, threshold: float | None, started: float,
           invest: Callable[[pd.Timestamp], pd.DataFrame], say: Callable[[str], None]) -> ReportResult:
    say(f"reading schema published ({scope.label()})")
    data = load_report_data(target, scope)
    page = build_report(data, invest(data.as_of), threshold)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    return ReportResult(
        path=str(out),
        bytes=len(page.encode("utf-8")),
        published_run_id=data.published_run_id,
        as_of=data.as_of.isoformat(),
        sections=SECTIONS,
        seconds=round(time.perf_counter() - started, 1),
        absent=absence_notes(data.absent),
        scope=scope.label(),
    )


def run_report(
    target: Target,
    out: Path,
    *,
    scope: Scope | None = None,  # None: the whole system
    threshold: float | None = None,  # None: the project's finish_rate_threshold
    replications: int = 10,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> ReportResult:
    """Read schema published (only the scope's rows), run the what-ifs, write the HTML file; its path, size and
    what it shows."""
    started = time.perf_counter()
    say = progress or (lambda message: None)
    return _write(target, out, scope or Scope(), threshold, started,
                  lambda as_of: _invest(target, as_of, replications, seed, say), say)


@dataclass(frozen=True)
class TeamReports:
    """`flowmetrics report --all-teams DIR`: one report per team and the index linking them."""

    index: str
    reports: tuple[ReportResult, ...]
    skipped: tuple[str, ...] = ()  # one line per team without work in the scope (no report written)

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "reports": [r.to_dict() for r in self.reports], "skipped": list(self.skipped)}


def team_file(team: str, taken: set[str]) -> str:
    """A file name for a team's report: its name's letters and digits (a team name is data, never a path)."""
    stem = re.sub(r"[^A-Za-z0-9]+", "-", team).strip("-").lower()[:60] or "team"
    name, n = f"team-{stem}.html", 2
    while name in taken:
        name, n = f"team-{stem}-{n}.html", n + 1
    taken.add(name)
    return name


def run_team_reports(
    target: Target,
    out_dir: Path,
    *,
    scope: Scope | None = None,  # a period (and function) every team's report keeps
    threshold: float | None = None,
    replications: int = 10,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> TeamReports:
    """One report per team of published fct_work_items into `out_dir`, plus index.html linking them (the what-if,
    a whole-system table, simulated once)."""
    started = time.perf_counter()
    say = progress or (lambda message: None)
    base = scope or Scope()
    out_dir = Path(out_dir)
    tables: dict[pd.Timestamp, pd.DataFrame] = {}

    def invest(as_of: pd.Timestamp) -> pd.DataFrame:
        if as_of not in tables:
            tables[as_of] = _invest(target, as_of, replications, seed, say)
        return tables[as_of]

    taken: set[str] = {"index.html"}
    results, skipped = [], []
    for team in known_teams(target):
        scope_of_team = replace(base, team=team)
        try:
            check_report_scope(target, scope_of_team)
        except ConfigError as exc:  # a team without work in the period: said in the index, not a failure
            skipped.append(f"{scope_of_team.label()}: {exc}")
            continue
        path = out_dir / team_file(team, taken)
        results.append(_write(target, path, scope_of_team, threshold, started, invest, say))
    rows = "".join(
        f'<li><a href="{html.escape(Path(r.path).name)}">{html.escape(r.scope)}</a></li>' for r in results
    ) + "".join(f"<li>{html.escape(line)}</li>" for line in skipped)
    as_of = results[0].as_of if results else ""
    index = out_dir / "index.html"
    out_dir.mkdir(parents=True, exist_ok=True)
    index.write_text(
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Flow reports by team</title></head>'
        f"<body><h1>Flow reports by team</h1><p>As of {html.escape(as_of)} UTC, from schema published.</p>"
        f"<ul>{rows}</ul></body></html>",
        encoding="utf-8",
    )
    return TeamReports(str(index), tuple(results), tuple(skipped))


def report_text(result: ReportResult) -> str:
    text = (
        f"wrote {result.path} ({result.bytes / 1e6:.1f} MB, {result.seconds}s) of {result.scope}: published run "
        f"{result.published_run_id}, as of {result.as_of} UTC. Open it in any browser; it needs no network."
    )
    return "\n".join([*result.absent, text])


def team_reports_text(reports: TeamReports) -> str:
    lines = [f"wrote {r.path} ({r.bytes / 1e6:.1f} MB) of {r.scope}" for r in reports.reports]
    lines += [f"no report of {line}" for line in reports.skipped]
    return "\n".join([*lines, f"wrote {reports.index}: links to the {len(reports.reports)} team reports."])
