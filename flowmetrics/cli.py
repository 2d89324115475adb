"""The flowmetrics command line: arguments in, the target resolved once, one step called (flowmetrics.steps),
output out (text or --json), exit codes from the error hierarchy.

Exit codes: 0 ok, 1 the data failed a check or a step failed on it, 2 usage or configuration error.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from flowmetrics.errors import ConfigError, FlowmetricsError

if TYPE_CHECKING:
    from flowmetrics.steps import Target
    from flowmetrics.steps.check import QualityConfig

JSON_OPTION = click.option("--json", "as_json", is_flag=True, help="Print a machine-readable JSON document.")
WAREHOUSE_OPTION = click.option(
    "--warehouse",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="DuckDB file (default: env FLOWMETRICS_DUCKDB, else flowmetrics.duckdb).",
)
TARGET_OPTION = click.option(
    "--target", default=None, help="dbt target of the profile (default: --warehouse, else the profile's default)."
)
LOCK_TIMEOUT_OPTION = click.option(
    "--lock-timeout", type=click.FloatRange(min=0), default=60.0, show_default=True,
    help="Seconds to wait while another writing command holds the warehouse (or readers hold a DuckDB file).",
)


class Timestamp(click.ParamType):
    """--as-of and --now: an ISO-8601 date or timestamp (UTC), as 'YYYY-MM-DD HH:MM:SS'; anything else (even
    'now') is a usage error naming the option and the value."""

    name = "timestamp"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from flowmetrics.steps import parse_time

        try:
            return parse_time(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class Window(click.ParamType):
    """--window: 'auto' (None: chosen from the data), or '7d', '14d', '2w' or '7' as whole days, within detection's
    look-back bound."""

    name = "window"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int | None:
        from flowmetrics.steps.detect import parse_window

        if value is None or isinstance(value, int):
            return value
        try:
            return parse_window(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class Change(click.ParamType):
    """--capacity and --arrivals: '+30%', '-20%', 'x3', '3x' or '1.3' as a multiplier, within the what-if's bounds."""

    name = "change"

    def __init__(self, what: str):
        self.what = what  # "capacity" or "arrivals"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        from flowmetrics.steps.whatif import change_problem

        if isinstance(value, float):
            return value
        t = str(value).strip().lower().replace(" ", "")
        try:
            if t.endswith("%"):
                factor = 1 + float(t[:-1]) / 100
            elif t.startswith(("x", "*")):
                factor = float(t[1:])
            elif t.endswith("x"):
                factor = float(t[:-1])
            else:
                factor = float(t)
        except ValueError:
            self.fail(f"{value!r} is not a change: give one like +30%, -20% or a factor like x3", param, ctx)
        problem = change_problem(self.what, factor)
        if problem:
            self.fail(f"{value!r}: {problem}", param, ctx)
        return factor


class FiniteRange(click.FloatRange):
    """A FloatRange that also refuses nan and inf (click's range checks let nan through)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


MAX_WEEKS = 520  # weeks a what-if simulates or calibrates from: at most ten years
MAX_REPLICATIONS = 1000  # replications of a what-if simulation


def _emit(payload: dict[str, Any], as_json: bool, text: str) -> None:
    if as_json:
        click.echo(json.dumps(payload, indent=2, default=str))
    else:
        click.echo(text)


def _progress(as_json: bool) -> Callable[[str], None] | None:
    """A progress callback for long steps: on a terminal only, never in --json mode or when piped."""
    if as_json or not sys.stderr.isatty():
        return None
    return lambda message: click.echo(f"  … {message}", err=True)


def _target(target: str | None, warehouse: Path | None) -> Target:
    """The one resolved target of a command (see flowmetrics.steps.command_target)."""
    from flowmetrics.steps import command_target

    return command_target(target, warehouse)


class FlowmetricsGroup(click.Group):
    """Turns FlowmetricsError into a one-paragraph message and its exit code, not a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except FlowmetricsError as exc:
            click.secho(f"error: {exc}", fg="red", err=True)
            sys.exit(exc.exit_code)


@click.group(cls=FlowmetricsGroup)
@click.version_option(package_name="flowmetrics")
def main() -> None:
    """Where is the real constraint, and what fraction of started work finishes."""


@main.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--items", type=click.IntRange(min=1), default=1500, show_default=True, help="Tickets to simulate.")
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv", show_default=True)
@JSON_OPTION
def generate(out_dir: Path, items: int, seed: int, fmt: str, as_json: bool) -> None:
    """Write every raw table of a simulated delivery system to OUT (deterministic for a seed)."""
    from flowmetrics.steps.generate import generate_text, run_generate

    summary = run_generate(out_dir, items=items, seed=seed, fmt=fmt)
    _emit(summary.to_dict(), as_json, generate_text(summary))


@main.command()
@click.argument("source_dir", type=click.Path(file_okay=False, path_type=Path))
@WAREHOUSE_OPTION
@LOCK_TIMEOUT_OPTION
@JSON_OPTION
def ingest(source_dir: Path, warehouse: Path | None, lock_timeout: float, as_json: bool) -> None:
    """Check the raw files in SOURCE_DIR against the contract and load them into schema raw."""
    from flowmetrics.steps.ingest import ingest_text, run_ingest

    summary = run_ingest(_target(None, warehouse), source_dir, lock_timeout=lock_timeout,
                         progress=_progress(as_json))
    _emit(summary.to_dict(), as_json, ingest_text(summary))


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@WAREHOUSE_OPTION
@LOCK_TIMEOUT_OPTION
@TARGET_OPTION
@click.option("--as-of", "as_of", type=Timestamp(), default=None,
              help="As-of time (ISO-8601, UTC); default: the latest event.")
@click.argument("dbt_args", nargs=-1, type=click.UNPROCESSED)
def build(warehouse: Path | None, lock_timeout: float, target: str | None, as_of: str | None,
          dbt_args: tuple[str, ...]) -> None:
    """Run `dbt build` of this project (extra arguments after -- go to dbt, e.g. -- --full-refresh)."""
    from flowmetrics.steps.build import build_text, run_build

    outcome = run_build(_target(target, warehouse), as_of=as_of, dbt_args=dbt_args, lock_timeout=lock_timeout)
    click.echo(build_text(outcome))


@main.command()
@WAREHOUSE_OPTION
@TARGET_OPTION
@click.option("--window", "window", type=Window(), default="auto", show_default=True,
              help="Window length: auto (chosen from the data), 7d, 14d, 2w...")
@click.option(
    "--windows", type=click.IntRange(min=1), default=12, show_default=True, help="Windows back from the as-of."
)
@click.option("--as-of", "as_of", type=Timestamp(), default=None,
              help="Judge the flow as of this time (ISO-8601, UTC).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the bootstrap.")
@click.option(
    "--no-write", is_flag=True, help="Write nothing: no findings in schema flowmetrics, no queue rebuild."
)
@LOCK_TIMEOUT_OPTION
@JSON_OPTION
def detect(
    warehouse: Path | None,
    target: str | None,
    window: int | None,
    windows: int,
    as_of: str | None,
    seed: int,
    no_write: bool,
    lock_timeout: float,
    as_json: bool,
) -> None:
    """Name the stage that limits throughput, with its evidence, a confidence and the shifts."""
    from flowmetrics.steps.detect import detect_payload, detect_text, run_detect

    result = run_detect(_target(target, warehouse), window_days=window, windows=windows, as_of=as_of, seed=seed,
                        write=not no_write, lock_timeout=lock_timeout, progress=_progress(as_json))
    _emit(detect_payload(result), as_json, detect_text(result))


@main.command()
@WAREHOUSE_OPTION
@TARGET_OPTION
@click.option("--stage", default=None, help="The work stage whose capacity changes.")
@click.option("--capacity", type=Change("capacity"), default=None,
              help="Capacity change at --stage: +30%, -20%, x2.")
@click.option("--arrivals", type=Change("arrivals"), default=None,
              help="Change of every arrival rate: x3, +50%.")
@click.option(
    "--weeks", type=FiniteRange(min=1, max=MAX_WEEKS), default=12, show_default=True,
    help="Weeks measured after the warm-up.",
)
@click.option("--replications", type=click.IntRange(min=2, max=MAX_REPLICATIONS), default=10, show_default=True)
@click.option(
    "--calibration-weeks",
    type=FiniteRange(min=1, max=MAX_WEEKS),
    default=12,
    show_default=True,
    help="Weeks before the as-of the calibration reads.",
)
@click.option("--seed", type=int, default=0, show_default=True)
@JSON_OPTION
def whatif(
    warehouse: Path | None,
    target: str | None,
    stage: str | None,
    capacity: float | None,
    arrivals: float | None,
    weeks: float,
    replications: int,
    calibration_weeks: float,
    seed: int,
    as_json: bool,
) -> None:
    """Simulate the system calibrated from the marts before and after a change of capacity or arrivals."""
    from flowmetrics.steps.whatif import check_change, run_whatif, whatif_text

    check_change(stage, capacity, arrivals)
    outcome = run_whatif(_target(target, warehouse), stage=stage, capacity=capacity, arrivals=arrivals, weeks=weeks,
                         replications=replications, calibration_weeks=calibration_weeks, seed=seed,
                         progress=_progress(as_json))
    _emit(outcome.to_dict(), as_json, whatif_text(outcome))


@main.command()
@WAREHOUSE_OPTION
@TARGET_OPTION
@click.option("--items", type=click.IntRange(min=1, max=1_000_000), default=None,
              help="When will this many items be done: dates with 50/85/95% likelihood.")
@click.option("--by", "by", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="How many items finish by this date (YYYY-MM-DD, to the end of the day).")
@click.option("--days", type=click.IntRange(min=1, max=3650), default=None,
              help="How many items finish in the next D days.")
@click.option("--method", type=click.Choice(["throughput", "simulation", "both"]), default="both", show_default=True,
              help="Throughput sampling, the constraint-aware simulation, or both.")
@click.option("--team", default=None, help="Only this team's items (fct_work_items.team).")
@click.option("--requested-by", "requested_by", default=None,
              help="Only items of this requesting function (fct_work_items.requested_by).")
@click.option("--ticket-type", "ticket_type", default=None,
              help="Only items of this type (fct_work_items.ticket_type; throughput sampling only).")
@click.option("--as-of", "as_of", type=Timestamp(), default=None,
              help="Forecast as of this earlier time (ISO-8601, UTC): later data is not used.")
@click.option("--stage", default=None, help="Simulation: the work stage whose capacity changes.")
@click.option("--capacity", type=Change("capacity"), default=None, help="Simulation: capacity change at --stage.")
@click.option("--arrivals", type=Change("arrivals"), default=None, help="Simulation: change of every arrival rate.")
@click.option("--weeks", type=FiniteRange(min=1, max=MAX_WEEKS), default=12, show_default=True,
              help="Weeks of daily throughput before the as-of that throughput sampling draws from.")
@click.option("--calibration-weeks", type=FiniteRange(min=1, max=MAX_WEEKS), default=12, show_default=True,
              help="Weeks before the as-of the simulation is calibrated from.")
@click.option("--replications", type=click.IntRange(min=10, max=MAX_REPLICATIONS), default=200, show_default=True,
              help="Runs of the simulation.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--no-write", is_flag=True, help="Write nothing to flowmetrics.forecasts.")
@LOCK_TIMEOUT_OPTION
@JSON_OPTION
def forecast(warehouse: Path | None, target: str | None, items: int | None, by: Any, days: int | None, method: str,
             team: str | None, requested_by: str | None, ticket_type: str | None, as_of: str | None,
             stage: str | None, capacity: float | None, arrivals: float | None, weeks: float,
             calibration_weeks: float, replications: int, seed: int, no_write: bool, lock_timeout: float,
             as_json: bool) -> None:
    """When will N items be done, or how many by a date: throughput sampling and the constraint-aware simulation
    (exit 1: no method had enough data)."""
    from flowmetrics.steps.forecast import Question, forecast_text, run_forecast

    question = Question(items=items, by=by.date() if by is not None else None, days=days)
    question.check()
    run = run_forecast(
        _target(target, warehouse), question, write=not no_write, lock_timeout=lock_timeout, method=method,
        scope={"team": team, "requested_by": requested_by, "ticket_type": ticket_type}, as_of=as_of, stage=stage,
        capacity=capacity, arrivals=arrivals, weeks=weeks, calibration_weeks=calibration_weeks,
        replications=replications, seed=seed, progress=_progress(as_json),
    )
    _emit(run.to_dict(), as_json, forecast_text(run))
    if not run.forecast.forecast_made:
        sys.exit(1)


@main.command()
@WAREHOUSE_OPTION
@TARGET_OPTION
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=Path("report.html"),
              show_default=True, help="Where to write the HTML file.")
@click.option("--threshold", type=FiniteRange(0, 1), default=None,
              help="The finish-rate line drawn on the cohort chart.  [default: the project var "
                   "finish_rate_threshold of dbt_project.yml]")
@click.option("--replications", type=click.IntRange(min=2, max=MAX_REPLICATIONS), default=10, show_default=True,
              help="Replications of each what-if simulation.")
@click.option("--team", default=None, help="Only this team's work (fct_work_items.team).")
@click.option("--requested-by", "requested_by", default=None,
              help="Only work of this requesting function (fct_work_items.requested_by).")
@click.option("--from", "since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Only the history from this UTC day on (YYYY-MM-DD).")
@click.option("--to", "until", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Only the history up to the end of this UTC day (YYYY-MM-DD).")
@click.option("--all-teams", "all_teams", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write one report per team into this folder, plus index.html linking them (instead of --out).")
@JSON_OPTION
def report(warehouse: Path | None, target: str | None, out: Path, threshold: float | None, replications: int,
           team: str | None, requested_by: str | None, since: Any, until: Any, all_teams: Path | None,
           as_json: bool) -> None:
    """Write the flow report (one self-contained HTML file) from the published marts: of the whole system, or
    of one team, requesting function and period."""
    from flowmetrics.steps.report import Scope, report_text, run_report, run_team_reports, team_reports_text

    if all_teams is not None and team is not None:
        raise click.UsageError("--all-teams writes every team's report: leave out --team")
    scope = Scope(team=team, requested_by=requested_by, start=since.date() if since else None,
                  end=until.date() if until else None)
    if all_teams is not None:
        reports = run_team_reports(_target(target, warehouse), all_teams, scope=scope, threshold=threshold,
                                   replications=replications, progress=_progress(as_json))
        _emit(reports.to_dict(), as_json, team_reports_text(reports))
        return
    result = run_report(_target(target, warehouse), out, scope=scope, threshold=threshold,
                        replications=replications, progress=_progress(as_json))
    _emit(result.to_dict(), as_json, report_text(result))


@main.command()
@WAREHOUSE_OPTION
@TARGET_OPTION
@click.option("--write", "write", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write a status_map CSV to edit: the map in force for the statuses it maps, the suggestion for "
                   "the others.")
@click.option("--force", is_flag=True, help="Let --write replace an existing file.")
@JSON_OPTION
def statuses(warehouse: Path | None, target: str | None, write: Path | None, force: bool, as_json: bool) -> None:
    """List every status of the build: its changes, typical position, the mapping in force and the suggested one."""
    from flowmetrics.steps.statuses import run_statuses, statuses_table

    if force and write is None:
        raise ConfigError("--force goes with --write FILE")
    result = run_statuses(_target(target, warehouse), write=write, force=force)
    _emit(result.to_dict(), as_json, statuses_table(result))


class Margin(click.ParamType):
    """--margin: '1d', '12h', '90m' or a number of days."""

    name = "margin"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from flowmetrics.steps.extract import parse_margin

        if not isinstance(value, str):
            return value
        try:
            return parse_margin(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


EXTRACT_OPTIONS = [
    click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
                 help="Directory of raw files to write (merged by key with what it holds; `flowmetrics ingest` "
                      "reads it)."),
    click.option("--since", "since", type=Timestamp(), default=None,
                 help="Pull what changed since this time (ISO-8601, UTC) instead of the cursor."),
    click.option("--full", is_flag=True, help="Ignore the cursor: pull everything the query matches."),
    click.option("--margin", type=Margin(), default="1d", show_default=True,
                 help="How far before the cursor an incremental pull starts: 1d, 12h, 90m."),
    JSON_OPTION,
]


def _extract_options(func: Callable[..., None]) -> Callable[..., None]:
    for option in reversed(EXTRACT_OPTIONS):
        func = option(func)
    return func


@main.group()
def extract() -> None:
    """Pull tickets and status changes from a tracker's API into raw files for `flowmetrics ingest` (credentials
    from the environment; incremental from the cursor kept in --out)."""


@extract.command("jira")
@click.option("--url", required=True, help="The Jira site, e.g. https://your-site.atlassian.net.")
@click.option("--jql", required=True, help="The issues to pull, e.g. 'project = ABC'.")
@click.option("--types-json", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the issue types and projects seen to this JSON file.")
@_extract_options
def extract_jira(url: str, jql: str, types_json: Path | None, out_dir: Path, since: str | None, full: bool,
                 margin: Any, as_json: bool) -> None:
    """Jira issues and their status changelogs (credentials: JIRA_EMAIL + JIRA_API_TOKEN, or JIRA_PAT)."""
    from flowmetrics.steps.extract import extract_text, parse_since, run_extract_jira

    summary = run_extract_jira(url, jql, out_dir, since=parse_since(since), full=full, margin=margin,
                               types_json=types_json, progress=_progress(as_json))
    _emit(summary.to_dict(), as_json, extract_text(summary))


LABEL_STATUS_OPTIONS = [
    click.option("--open-status", default="Open", show_default=True,
                 help="Status of an open ticket without a status label."),
    click.option("--closed-status", default="Closed", show_default=True, help="Status of a closed ticket."),
    click.option("--team", default=None, help="The team of every ticket (default: the repository's or project's "
                                              "name)."),
]


def _label_status_options(func: Callable[..., None]) -> Callable[..., None]:
    for option in reversed(LABEL_STATUS_OPTIONS):
        func = option(func)
    return func


def _pull_options(since: str | None, full: bool, margin: Any, as_json: bool) -> Any:
    """The extract options every tracker's pull takes (flowmetrics.steps.extract.PullOptions)."""
    from flowmetrics.steps.extract import PullOptions, parse_since

    return PullOptions(since=parse_since(since), full=full, margin=margin, progress=_progress(as_json))


@extract.command("github")
@click.option("--repo", required=True, help="The repository, OWNER/NAME (token in GITHUB_TOKEN).")
@click.option("--url", default="https://api.github.com", show_default=True, help="The REST API's base URL.")
@click.option("--status-label-prefix", default="status:", show_default=True,
              help="A label `<prefix><name>` puts the issue in status <name>.")
@click.option("--status-from", type=click.Choice(["labels", "columns"]), default="labels", show_default=True,
              help="Read the status from status labels or from the issue's project column.")
@click.option("--not-planned-status", default="Not planned", show_default=True,
              help="Status of an issue closed as not planned.")
@_label_status_options
@_extract_options
def extract_github(repo: str, url: str, status_label_prefix: str, status_from: str, not_planned_status: str,
                   open_status: str, closed_status: str, team: str | None, out_dir: Path, since: str | None,
                   full: bool, margin: Any, as_json: bool) -> None:
    """Pull a GitHub repository's issues, status changes, deploys and the tickets they ship."""
    from flowmetrics.steps.extract import LabelStatusOptions, extract_text, run_extract_github

    statuses = LabelStatusOptions(status_label_prefix, status_from == "columns", open_status, closed_status,
                                  not_planned_status, team)
    summary = run_extract_github(repo, out_dir, url=url, statuses=statuses,
                                 options=_pull_options(since, full, margin, as_json))
    _emit(summary.to_dict(), as_json, extract_text(summary))


@extract.command("linear")
@click.option("--team", required=True, help="The team's key, e.g. ENG (API key in LINEAR_API_KEY).")
@click.option("--url", default="https://api.linear.app", show_default=True,
              help="The API's base URL (the GraphQL endpoint is <url>/graphql).")
@_extract_options
def extract_linear(team: str, url: str, out_dir: Path, since: str | None, full: bool, margin: Any,
                   as_json: bool) -> None:
    """Pull a Linear team's issues and their state changes."""
    from flowmetrics.steps.extract import extract_text, run_extract_linear

    summary = run_extract_linear(team, out_dir, url=url, options=_pull_options(since, full, margin, as_json))
    _emit(summary.to_dict(), as_json, extract_text(summary))


@extract.command("gitlab")
@click.option("--project", required=True, help="The project's id or path, group/project (token in GITLAB_TOKEN).")
@click.option("--url", default="https://gitlab.com", show_default=True, help="The GitLab instance's URL.")
@click.option("--status-label-prefix", default="workflow::", show_default=True,
              help="A label `<prefix><name>` puts the issue in status <name> (a scoped label's scope).")
@_label_status_options
@_extract_options
def extract_gitlab(project: str, url: str, status_label_prefix: str, open_status: str, closed_status: str,
                   team: str | None, out_dir: Path, since: str | None, full: bool, margin: Any,
                   as_json: bool) -> None:
    """Pull a GitLab project's issues, status changes, deploys and the tickets they ship."""
    from flowmetrics.steps.extract import LabelStatusOptions, extract_text, run_extract_gitlab

    statuses = LabelStatusOptions(status_label_prefix, open_status=open_status, closed_status=closed_status,
                                  team=team)
    summary = run_extract_gitlab(project, out_dir, url=url, statuses=statuses,
                                 options=_pull_options(since, full, margin, as_json))
    _emit(summary.to_dict(), as_json, extract_text(summary))


@main.command("next-steps")
@WAREHOUSE_OPTION
def next_steps(warehouse: Path | None) -> None:
    """Print what to look at after `make demo`."""
    from flowmetrics.steps import warehouse_path
    from flowmetrics.steps.build import next_steps as describe

    click.echo(describe(warehouse_path(warehouse)))


QUALITY_OPTIONS = [
    click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
                 help="Quality config (YAML): thresholds and per-check severities."),
    click.option("--now", "now", type=Timestamp(), default=None,
                 help="Reference time of the checks (ISO-8601, UTC); default: the wall clock of the run."),
    click.option("--report-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("logs/quality"),
                 show_default=True, help="Where each run writes quality.json and its GX Data Docs."),
    LOCK_TIMEOUT_OPTION,
]


def _quality_options(func: Callable[..., None]) -> Callable[..., None]:
    for option in reversed(QUALITY_OPTIONS):
        func = option(func)
    return func


def _quality_config(config_path: Path | None, now: str | None) -> QualityConfig:
    from flowmetrics.steps.check import quality_config

    return quality_config(config_path, now)


@main.command()
@WAREHOUSE_OPTION
@TARGET_OPTION
@_quality_options
@click.option("--no-record", is_flag=True, help="Do not write flowmetrics.quality_runs.")
@JSON_OPTION
def check(warehouse: Path | None, target: str | None, config_path: Path | None, now: str | None, report_dir: Path,
          lock_timeout: float, no_record: bool, as_json: bool) -> None:
    """Run the quality gate (great-expectations) over raw, staging and the built marts, without publishing; exit 1
    if an error check fails."""
    from flowmetrics.steps.check import check_text, run_check

    outcome = run_check(_target(target, warehouse), config=_quality_config(config_path, now), report_dir=report_dir,
                        record=not no_record, lock_timeout=lock_timeout, progress=_progress(as_json))
    _emit(outcome.to_dict(), as_json, check_text(outcome))
    if not outcome.report.passed:
        sys.exit(1)


@main.command()
@WAREHOUSE_OPTION
@TARGET_OPTION
@_quality_options
@JSON_OPTION
def publish(warehouse: Path | None, target: str | None, config_path: Path | None, now: str | None, report_dir: Path,
            lock_timeout: float, as_json: bool) -> None:
    """Copy the marts into a snapshot, run the quality gate on it, and swap it into schema published in one atomic
    step (exit 1: a check failed, nothing published)."""
    from flowmetrics.steps.publish import publish_text, refused_text, run_publish

    resolved = _target(target, warehouse)
    config = _quality_config(config_path, now)
    outcome = run_publish(resolved, config=config, report_dir=report_dir, lock_timeout=lock_timeout,
                          progress=_progress(as_json))
    if not outcome.published:
        if as_json:
            _emit(outcome.to_dict(), True, "")
        else:
            click.echo(publish_text(outcome), err=True)
        click.secho(refused_text(outcome), fg="red", err=True)
        sys.exit(1)
    _emit(outcome.to_dict(), as_json, publish_text(outcome))


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.option("--raw", "raw_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Directory of raw files to ingest first (omit when an EL tool lands schema raw).")
@WAREHOUSE_OPTION
@TARGET_OPTION
@click.option("--as-of", "as_of", type=Timestamp(), default=None,
              help="As-of of the build (ISO-8601, UTC); default: the latest event.")
@_quality_options
@click.option("--log-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Log of the run (default: logs/flowmetrics-<run id>.log).")
@click.option("--run-id", default=None, help="Run id shared by every step (default: UTC time and a random suffix).")
@JSON_OPTION
@click.argument("dbt_args", nargs=-1, type=click.UNPROCESSED)
def nightly(raw_dir: Path | None, warehouse: Path | None, target: str | None, as_of: str | None,
            config_path: Path | None, now: str | None, report_dir: Path, lock_timeout: float, log_file: Path | None,
            run_id: str | None, as_json: bool, dbt_args: tuple[str, ...]) -> None:
    """ingest → check raw → dbt build → detect → publish (copy, gate, swap); exit 0 published, 1 failed, 2 usage."""
    from flowmetrics.steps.nightly import run_nightly

    result = run_nightly(
        _target(target, warehouse),
        raw_dir=raw_dir,
        config=_quality_config(config_path, now),
        log_file=log_file,
        report_dir=report_dir,
        as_of=as_of,
        dbt_args=tuple(dbt_args),
        run_id=run_id,
        lock_timeout=lock_timeout,
        echo=None if as_json else (lambda m: click.echo(m, err=True)),
    )
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, default=str))
    else:
        for step in result.steps:
            click.echo(f"  {step.name:<8} {step.status:<8} {step.seconds:>7.1f}s  {step.summary}")
        if result.error and result.exit_code:
            click.secho(f"error: {result.error}", fg="red", err=True)
        click.echo(("published" if result.published else "NOT published: schema published is unchanged")
                   + f" (run {result.run_id}, log {result.log_file})")
    sys.exit(result.exit_code)


if __name__ == "__main__":  # pragma: no cover
    main()
