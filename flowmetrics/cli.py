"""The flowmetrics command line: arguments in, library calls, output out (text or --json), exit codes.

Exit codes: 0 ok, 1 the data failed a check or a step failed on it, 2 usage or configuration error.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

import click

from flowmetrics.errors import ConfigError, FlowmetricsError

JSON_OPTION = click.option("--json", "as_json", is_flag=True, help="Print a machine-readable JSON document.")
WAREHOUSE_OPTION = click.option(
    "--warehouse",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="DuckDB file (default: env FLOWMETRICS_DUCKDB, else flowmetrics.duckdb).",
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
        from flowmetrics.warehouse.dbt_runner import parse_timestamp

        try:
            return parse_timestamp(str(value)).isoformat(sep=" ")
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class Window(click.ParamType):
    """--window: '7d', '14d', '2w' or '7' as whole days, within detection's look-back bound."""

    name = "window"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        from flowmetrics.detection import parse_window

        if isinstance(value, int):
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
        from flowmetrics.simulation.whatif import arrivals_problem, capacity_problem

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
        problem = capacity_problem(factor) if self.what == "capacity" else arrivals_problem(factor)
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


def _progress(as_json: bool):
    """A progress callback for long steps: on a terminal only, never in --json mode or when piped."""
    if as_json or not sys.stderr.isatty():
        return None
    return lambda message: click.echo(f"  … {message}", err=True)


def _warehouse_path(warehouse: Path | None) -> Path:
    from flowmetrics.warehouse.project import DEFAULT_DUCKDB, DUCKDB_ENV

    return Path(warehouse or os.environ.get(DUCKDB_ENV) or DEFAULT_DUCKDB)


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
    from flowmetrics.ingest import write_raw_tables
    from flowmetrics.results import GenerateSummary
    from flowmetrics.simulation import generate_raw_tables

    started = time.perf_counter()
    frames = generate_raw_tables(items=items, seed=seed)
    rows = write_raw_tables(frames, out_dir, fmt=fmt)
    summary = GenerateSummary(str(out_dir), seed, items, rows, round(time.perf_counter() - started, 2))
    lines = [f"wrote {sum(rows.values()):,} rows to {out_dir} ({summary.seconds}s):"]
    lines += [f"  {name:<24}{n:>12,}" for name, n in rows.items()]
    _emit(summary.to_dict(), as_json, "\n".join(lines))


@main.command()
@click.argument("source_dir", type=click.Path(file_okay=False, path_type=Path))
@WAREHOUSE_OPTION
@LOCK_TIMEOUT_OPTION
@JSON_OPTION
def ingest(source_dir: Path, warehouse: Path | None, lock_timeout: float, as_json: bool) -> None:
    """Check the raw files in SOURCE_DIR against the contract and load them into schema raw."""
    from flowmetrics.ingest import ingest_directory
    from flowmetrics.warehouse.lock import warehouse_lock

    path = _warehouse_path(warehouse)
    with warehouse_lock(_target(None, path), "ingest", lock_timeout):
        summary = ingest_directory(source_dir, path, progress=_progress(as_json), lock_timeout=lock_timeout)
    lines = [f"ingested {source_dir} into {summary.warehouse} ({summary.seconds:.1f}s)"]
    lines.append(f"  {'table':<24}{'read':>12}{'inserted':>12}{'updated':>10}{'unchanged':>12}{'quarantined':>13}")
    for t in summary.tables:
        if t.source_file is None:
            lines.append(f"  {t.table:<24}{'(no file: left as it was)':>59}")
            continue
        lines.append(
            f"  {t.table:<24}{t.rows_read:>12,}{t.rows_inserted:>12,}{t.rows_updated:>10,}"
            f"{t.rows_unchanged:>12,}{t.rows_quarantined:>13,}"
        )
        for reason, n in sorted(t.quarantine_reasons.items()):
            lines.append(f"      quarantined {n:,}: {reason}")
    if summary.rows_quarantined:
        lines.append(f"{summary.rows_quarantined:,} row(s) quarantined: see raw.quarantine (table, row, reason)")
    _emit(summary.to_dict(), as_json, "\n".join(lines))


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@WAREHOUSE_OPTION
@LOCK_TIMEOUT_OPTION
@click.option("--target", default=None, help="dbt target of the profile (default: the profile's default).")
@click.option("--as-of", "as_of", type=Timestamp(), default=None,
              help="As-of time (ISO-8601, UTC); default: the latest event.")
@click.argument("dbt_args", nargs=-1, type=click.UNPROCESSED)
def build(warehouse: Path | None, lock_timeout: float, target: str | None, as_of: str | None,
          dbt_args: tuple[str, ...]) -> None:
    """Run `dbt build` of this project (extra arguments after -- go to dbt, e.g. -- --full-refresh)."""
    from flowmetrics.warehouse.dbt_runner import run_dbt_build
    from flowmetrics.warehouse.lock import warehouse_lock

    target, path = _target_and_path(target, warehouse)
    with warehouse_lock(_target(target, path), "build", lock_timeout):
        result = run_dbt_build(warehouse=path, target=target, as_of=as_of, extra_args=dbt_args)
    if result.note:
        click.echo(result.note)
    click.echo(f"dbt build finished in {result.seconds:.1f}s")
    from flowmetrics.statuses import suggested_map_note

    note = suggested_map_note(_target(target, path))
    if note:
        click.echo(note)


def _absence_notes(resolved) -> list[str]:
    """What the warehouse behind `resolved` lacks (absent optional raw tables), one line each; read under the
    command's writer lock (if it takes one) and before its own work, so nothing is written when it cannot open."""
    from flowmetrics.warehouse.optional_tables import warehouse_absence_notes

    return list(warehouse_absence_notes(resolved))


def _target_and_path(target: str | None, warehouse: Path | None) -> tuple[str | None, Path | None]:
    """The dbt target and DuckDB file a command reads (a non-DuckDB target without --warehouse has no file)."""
    if target and target != "duckdb" and warehouse is None:
        return target, None
    return target, _warehouse_path(warehouse)


@main.command()
@WAREHOUSE_OPTION
@click.option("--target", default=None, help="dbt target of the profile (default: the profile's default).")
@click.option("--window", "window", type=Window(), default="7d", show_default=True,
              help="Window length: 7d, 14d, 2w...")
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
    window: int,
    windows: int,
    as_of: str | None,
    seed: int,
    no_write: bool,
    lock_timeout: float,
    as_json: bool,
) -> None:
    """Name the stage that limits throughput, with its evidence, a confidence and the shifts."""
    from flowmetrics.analysis import finding_table, verdict_sentence
    from flowmetrics.detection import run_detection
    from flowmetrics.warehouse.lock import warehouse_lock
    from flowmetrics.warehouse.profile import resolve_target

    target, path = _target_and_path(target, warehouse)
    resolved = resolve_target(target, path)
    writing = contextlib.nullcontext() if no_write else warehouse_lock(resolved, "detect", lock_timeout)
    with writing:
        notes = _absence_notes(resolved)
        result = run_detection(
            resolved,
            window_days=window,
            windows=windows,
            as_of=as_of,
            seed=seed,
            write=not no_write,
            progress=_progress(as_json),
        )
    payload = result.finding.to_dict()
    payload["absent"] = notes
    footer = []
    if result.run_id is not None:
        payload.update({"run_id": result.run_id, "constraint_queue_items": result.queue_items})
        footer.append(
            f"Written as run {result.run_id} to flowmetrics.constraint_findings and "
            f"flowmetrics.constraint_stage_signals; {result.queue_relation} lists the {result.queue_items:,} "
            "item(s) waiting in front of the constraint, oldest first."
        )
    _emit(payload, as_json, "\n\n".join([*notes, verdict_sentence(result.finding), finding_table(result.finding),
                                         *footer]))


@main.command()
@WAREHOUSE_OPTION
@click.option("--target", default=None, help="dbt target of the profile (default: the profile's default).")
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
    import pandas as pd

    from flowmetrics.analysis import CALIBRATION_INTERVAL_COLUMNS, WORK_ITEM_COLUMNS, calibrate, whatif_text
    from flowmetrics.detection import resolve_as_of
    from flowmetrics.simulation.metrics import default_workers
    from flowmetrics.simulation.whatif import WARMUP_WEEKS, what_if
    from flowmetrics.warehouse.findings import read_status_intervals
    from flowmetrics.warehouse.marts import MartReader
    from flowmetrics.warehouse.optional_tables import absence_notes, absent_tables

    if capacity is None and arrivals is None:
        raise ConfigError("say what changes: --stage S --capacity +30%, and/or --arrivals x3")
    if (capacity is None) != (stage is None):
        raise ConfigError("--capacity and --stage go together: --stage code_review --capacity +30%")
    capacity_factor = capacity if capacity is not None else 1.0
    arrivals_factor = arrivals if arrivals is not None else 1.0
    progress = _progress(as_json) or (lambda message: None)
    target, path = _target_and_path(target, warehouse)
    progress("reading the marts")
    with MartReader.open(target=target, warehouse=path) as reader:
        moment = resolve_as_of(None, reader.as_of())
        since = (moment - pd.Timedelta(weeks=calibration_weeks)).to_pydatetime()
        intervals = read_status_intervals(reader, CALIBRATION_INTERVAL_COLUMNS, since)
        items = reader.read("fct_work_items", WORK_ITEM_COLUMNS)
        notes = list(absence_notes(absent_tables(reader.connection)))
    calibration = calibrate(intervals, items, moment, weeks=calibration_weeks)
    work = [s.stage for s in calibration.stages if s.kind == "work"]
    if stage is not None and stage not in work:
        raise ConfigError(f"--stage {stage!r} is not a work stage of this flow; work stages: {', '.join(work)}")
    progress(f"simulating {replications} replications before and after")
    result = what_if(
        calibration,
        stage=stage,
        capacity_factor=capacity_factor,
        arrivals_factor=arrivals_factor,
        replications=replications,
        weeks=weeks + WARMUP_WEEKS,
        warmup_weeks=WARMUP_WEEKS,
        seed=seed,
        workers=default_workers(),
    )
    _emit({**result.to_dict(), "absent": notes}, as_json, "\n".join([*notes, whatif_text(result)]))


@main.command()
@WAREHOUSE_OPTION
@click.option("--target", default=None, help="dbt target of the profile (default: the profile's default).")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=Path("report.html"),
              show_default=True, help="Where to write the HTML file.")
@click.option("--threshold", type=FiniteRange(0, 1), default=0.60, show_default=True,
              help="The finish-rate line drawn on the cohort chart.")
@click.option("--replications", type=click.IntRange(min=2, max=MAX_REPLICATIONS), default=10, show_default=True,
              help="Replications of each what-if simulation.")
@JSON_OPTION
def report(warehouse: Path | None, target: str | None, out: Path, threshold: float, replications: int,
           as_json: bool) -> None:
    """Write the flow report (one self-contained HTML file) from the published marts."""
    from flowmetrics.report import write_report

    target, path = _target_and_path(target, warehouse)
    result = write_report(out, target=target, warehouse=path, threshold=threshold, replications=replications,
                          progress=_progress(as_json))
    text = (
        f"wrote {result.path} ({result.bytes / 1e6:.1f} MB, {result.seconds}s): published run "
        f"{result.published_run_id}, as of {result.as_of} UTC. Open it in any browser; it needs no network."
    )
    _emit(result.to_dict(), as_json, "\n".join([*result.absent, text]))


@main.command()
@WAREHOUSE_OPTION
@click.option("--target", default=None, help="dbt target of the profile (default: the profile's default).")
@click.option("--write", "write", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write a status_map CSV to edit: the map in force for the statuses it maps, the suggestion for "
                   "the others.")
@click.option("--force", is_flag=True, help="Let --write replace an existing file.")
@JSON_OPTION
def statuses(warehouse: Path | None, target: str | None, write: Path | None, force: bool, as_json: bool) -> None:
    """List every status of the build: its changes, typical position, the mapping in force and the suggested one."""
    from flowmetrics.statuses import run_statuses, statuses_table
    from flowmetrics.warehouse.profile import resolve_target

    if force and write is None:
        raise ConfigError("--force goes with --write FILE")
    target, path = _target_and_path(target, warehouse)
    result = run_statuses(resolve_target(target, path), write=write, force=force)
    _emit(result.to_dict(), as_json, statuses_table(result))


@main.command("next-steps")
@WAREHOUSE_OPTION
def next_steps(warehouse: Path | None) -> None:
    """Print what to look at after `make demo`."""
    from flowmetrics.warehouse.marts import describe_marts

    path = _warehouse_path(warehouse)
    click.echo(describe_marts(path))


TARGET_OPTION = click.option(
    "--target", default=None, help="dbt target of the profile (default: --warehouse, else the profile's default)."
)
QUALITY_OPTIONS = [
    click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
                 help="Quality config (YAML): thresholds and per-check severities."),
    click.option("--now", "now", type=Timestamp(), default=None,
                 help="Reference time of the checks (ISO-8601, UTC); default: the wall clock of the run."),
    click.option("--report-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("logs/quality"),
                 show_default=True, help="Where each run writes quality.json and its GX Data Docs."),
    LOCK_TIMEOUT_OPTION,
]


def _quality_options(func):
    for option in reversed(QUALITY_OPTIONS):
        func = option(func)
    return func


def _target(target: str | None, warehouse: Path | None):
    from flowmetrics.warehouse.profile import resolve_target

    if target and target != "duckdb" and warehouse is None:
        return resolve_target(target, None)
    return resolve_target(target, _warehouse_path(warehouse))


def _quality_config(config_path: Path | None, now: str | None):
    from flowmetrics.quality.config import load_config

    return load_config(config_path, reference_time=now)


@main.command()
@WAREHOUSE_OPTION
@TARGET_OPTION
@_quality_options
@click.option("--no-record", is_flag=True, help="Do not write flowmetrics.quality_runs.")
@JSON_OPTION
def check(warehouse, target, config_path, now, report_dir, lock_timeout, no_record, as_json) -> None:
    """Run the quality gate (great-expectations) over raw, staging and the built marts, without publishing; exit 1
    if an error check fails."""
    from flowmetrics.quality.runner import run_checks, summary_text
    from flowmetrics.warehouse.lock import warehouse_lock

    resolved = _target(target, warehouse)
    config = _quality_config(config_path, now)
    recording = contextlib.nullcontext() if no_record else warehouse_lock(resolved, "check", lock_timeout)
    with recording:
        notes = _absence_notes(resolved)
        report = run_checks(
            resolved,
            config=config,
            report_dir=report_dir,
            record=not no_record,
            progress=_progress(as_json),
            lock_timeout=lock_timeout,
        )
    _emit({**report.to_dict(), "absent": notes}, as_json, "\n".join([*notes, summary_text(report)]))
    if not report.passed:
        sys.exit(1)


@main.command()
@WAREHOUSE_OPTION
@TARGET_OPTION
@_quality_options
@JSON_OPTION
def publish(warehouse, target, config_path, now, report_dir, lock_timeout, as_json) -> None:
    """Copy the marts into a snapshot, run the quality gate on it, and swap it into schema published in one atomic
    step (exit 1: a check failed, nothing published)."""
    from flowmetrics.errors import DataQualityError
    from flowmetrics.quality.runner import SnapshotGate, failure_lines, new_run_id, summary_text
    from flowmetrics.warehouse.lock import warehouse_lock
    from flowmetrics.warehouse.publish import publish as publish_marts

    resolved = _target(target, warehouse)
    gate = SnapshotGate(resolved, config=_quality_config(config_path, now), run_id=new_run_id(),
                        report_dir=report_dir, progress=_progress(as_json), lock_timeout=lock_timeout)
    try:
        with warehouse_lock(resolved, "publish", lock_timeout):
            notes = _absence_notes(resolved)
            result = publish_marts(resolved, run_id=gate.run_id, gate=gate, lock_timeout=lock_timeout,
                                   progress=_progress(as_json))
    except DataQualityError:
        report = gate.report
        assert report is not None
        if as_json:
            _emit({"published": False, "quality": report.to_dict()}, True, "")
        else:
            click.echo(summary_text(report), err=True)
        click.secho(
            f"error: {len(report.failures)} check(s) failed on snapshot {report.snapshot_schema} (dropped); "
            "schema published was left as it was:\n" + "\n".join(f"  - {line}" for line in failure_lines(report)),
            fg="red",
            err=True,
        )
        sys.exit(1)
    report = gate.report
    assert report is not None
    lines = [*notes, summary_text(report), f"published run {result.run_id} ({result.seconds:.1f}s): "
             f"{len(result.relations)} relations in schema published, snapshot {result.snapshot_schema} "
             f"(checked by quality run {result.quality_run_id})"]
    lines += [f"  published.{name:<30}{n:>10,} rows" for name, n in result.relations.items()]
    if result.not_built:
        lines.append("  not built (not published): " + ", ".join(result.not_built))
    if result.recovered:
        lines.append("  recovered: dropped " + ", ".join(result.recovered))
    _emit({"published": True, "quality": report.to_dict(), "publish": result.to_dict(), "absent": notes}, as_json,
          "\n".join(lines))


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
def nightly(raw_dir, warehouse, target, as_of, config_path, now, report_dir, lock_timeout, log_file, run_id,
            as_json, dbt_args) -> None:
    """ingest → check raw → dbt build → detect → publish (copy, gate, swap); exit 0 published, 1 failed, 2 usage."""
    from flowmetrics.nightly import run_nightly

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
