"""`flowmetrics nightly`: ingest → check raw → dbt build → detect → publish (copy → gate → swap), under one run
id, with a log.

Exit codes: 0 published; 1 a step failed or the checks failed (nothing was published); 2 usage or configuration.
The steps are a registry (STEPS); a step with nothing to do (ingest without --raw) is skipped and says so. The run
holds the warehouse's writer lock (``flowmetrics.warehouse.lock``: a kernel flock that a killed run releases by
dying) once for all its steps; a dbt child dies with its parent (PR_SET_PDEATHSIG), so a kill never leaves a
writer holding the DuckDB file.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from flowmetrics import faultpoints
from flowmetrics.errors import ConfigError, FlowmetricsError
from flowmetrics.quality.config import QualityConfig
from flowmetrics.results import NightlyResult, QualityReport, StepResult
from flowmetrics.warehouse.lock import warehouse_lock
from flowmetrics.warehouse.profile import Target
from flowmetrics.warehouse.runs import new_run_id

NIGHTLY_DBT_ARGS = ("--exclude-resource-type", "unit_test")
"""dbt unit tests check the SQL, not the data: CI runs them; the nightly build runs models and data tests."""


class RunLog:
    """The run's log file, and progress lines for people (stderr)."""

    def __init__(self, path: Path, echo: Callable[[str], None] | None):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._file: TextIO = path.open("a", encoding="utf-8")
        self._echo = echo

    def write(self, message: str) -> None:
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"
        for line in message.splitlines() or [""]:
            self._file.write(f"{stamp} {line}\n")
        self._file.flush()

    def say(self, message: str) -> None:
        self.write(message)
        if self._echo:
            self._echo(message)

    def close(self) -> None:
        self._file.close()


@dataclass
class NightlyContext:
    target: Target
    run_id: str
    raw_dir: Path | None
    as_of: str | None
    config: QualityConfig
    report_dir: Path
    dbt_args: tuple[str, ...]
    lock_timeout: float
    log: RunLog
    ingest_run_id: str | None = None
    report: QualityReport | None = None  # the quality run of the published snapshot (set by the publish step)


@dataclass(frozen=True)
class Step:
    name: str
    description: str
    run: Callable[[NightlyContext], tuple[str, dict[str, Any]]]  # -> (one-line summary, detail for JSON)
    skip_reason: Callable[[NightlyContext], str | None] = lambda ctx: None


def _ingest(ctx: NightlyContext) -> tuple[str, dict[str, Any]]:
    """Ingest with replace-mode tables held until check-raw decides (flowmetrics.ingest.replacements)."""
    from flowmetrics.ingest import ingest_directory

    assert ctx.raw_dir is not None and ctx.target.path is not None
    restored = _restore_unchecked(ctx, who="ingest into")
    summary = ingest_directory(ctx.raw_dir, ctx.target.path, progress=ctx.log.write, run_id=ctx.run_id,
                               hold_replacements=True, lock_timeout=ctx.lock_timeout)
    ctx.ingest_run_id = ctx.run_id
    faultpoints.reached("nightly.ingested")
    text = f"{summary.rows_inserted:,} rows inserted, {summary.rows_quarantined:,} quarantined"
    return text, {**summary.to_dict(), "restored": restored}


def _restore_unchecked(ctx: NightlyContext, who: str) -> list[str]:
    """A replacement an earlier night left unchecked (killed before check-raw) goes back before this night
    loads or builds anything. ``who`` names the step in a lock or disk error."""
    from flowmetrics.ingest.replacements import restore_unchecked

    notes = restore_unchecked(ctx.target, by_run_id=ctx.run_id, lock_timeout=ctx.lock_timeout, who=who)
    for note in notes:
        ctx.log.say(note)
    return notes


def _build(ctx: NightlyContext) -> tuple[str, dict[str, Any]]:
    """`dbt build` through the one dbt path (run_dbt_build): an as-of before the built events adds a full refresh
    there, as for `flowmetrics build`."""
    from flowmetrics.warehouse.dbt_runner import dbt_location, run_dbt_build
    from flowmetrics.warehouse.optional_tables import warehouse_absence_notes

    for note in warehouse_absence_notes(ctx.target):  # their marts build empty: say so, once, before the build
        ctx.log.say(note)

    done: list[str] = []

    def on_line(line: str) -> None:
        ctx.log.write(line if line.startswith("$ ") else "dbt | " + line)
        if "Concurrency:" in line:
            faultpoints.reached("nightly.build_started")
        if "Done." in line:
            done.append(line)

    warehouse, target = dbt_location(ctx.target)
    result = run_dbt_build(warehouse=warehouse, target=target, as_of=ctx.as_of,
                           extra_args=[*NIGHTLY_DBT_ARGS, *ctx.dbt_args], on_line=on_line)
    if result.note:
        ctx.log.say(result.note)
    from flowmetrics.steps.statuses import suggested_map_note

    if map_note := suggested_map_note(ctx.target):
        ctx.log.say(map_note)
    summary = done[-1] if done else ""
    return summary.split("Done.", 1)[-1].strip() or "ok", {"return_code": result.return_code, "note": result.note}


def _check_raw(ctx: NightlyContext) -> tuple[str, dict[str, Any]]:
    """The raw suites before dbt builds on the data: a bad export fails here, without a build. Tonight's
    replacements of replace-mode tables are accepted when it passes and put back when the night is refused."""
    from flowmetrics.ingest.replacements import settle_run

    restored = _restore_unchecked(ctx, who="check-raw on") if ctx.ingest_run_id is None else []
    try:
        text, detail = _gate(ctx, raw_only=True)
    except Exception as exc:
        if ctx.ingest_run_id is None:
            raise
        notes = settle_run(ctx.target, ctx.ingest_run_id, accept=False, lock_timeout=ctx.lock_timeout)
        for note in notes:
            ctx.log.say(note)
        if notes and isinstance(exc, FlowmetricsError):
            exc.args = ("\n".join([str(exc), *notes]),)  # the result's error says what raw holds now
        raise
    settled = []
    if ctx.ingest_run_id is not None:
        settled = settle_run(ctx.target, ctx.ingest_run_id, accept=True, lock_timeout=ctx.lock_timeout)
        for note in settled:
            ctx.log.write(note)
    return text, {**detail, "replacements": restored + settled}


def _gate(ctx: NightlyContext, raw_only: bool) -> tuple[str, dict[str, Any]]:
    from flowmetrics.quality.registry import default_registry
    from flowmetrics.quality.runner import raise_for_failures, run_checks, summary_text

    registry = default_registry()
    report = run_checks(
        ctx.target,
        config=ctx.config,
        run_id=ctx.run_id,
        ingest_run_id=ctx.ingest_run_id,
        report_dir=ctx.report_dir / "raw" if raw_only else ctx.report_dir,
        registry=registry.raw_only() if raw_only else registry,
        progress=ctx.log.write,
        lock_timeout=ctx.lock_timeout,
    )
    ctx.log.write(summary_text(report))
    raise_for_failures(report)
    counts = report.counts()
    text = (
        f"{counts.get('passed', 0)} passed, {len(report.warnings)} warning(s), "
        f"{counts.get('not_built', 0)} not built"
    )
    return text, {"docs": report.docs_path, "json": report.json_path, "counts": counts}


def _detect(ctx: NightlyContext) -> tuple[str, dict[str, Any]]:
    from flowmetrics.steps.detect import run_nightly_detect

    summary = run_nightly_detect(target=ctx.target, run_id=ctx.run_id, log=ctx.log.write)
    return str(summary), {}


def _publish(ctx: NightlyContext) -> tuple[str, dict[str, Any]]:
    """Copy everything publishable (the marts and what detect wrote) into a snapshot, run the whole gate on that
    snapshot, and swap it in only when it passes: what is published is exactly what was checked."""
    from flowmetrics.quality.runner import SnapshotGate, summary_text
    from flowmetrics.warehouse.publish import publish

    gate = SnapshotGate(
        ctx.target,
        config=ctx.config,
        run_id=ctx.run_id,
        ingest_run_id=ctx.ingest_run_id,
        report_dir=ctx.report_dir,
        progress=ctx.log.write,
        lock_timeout=ctx.lock_timeout,
    )
    try:
        result = publish(ctx.target, run_id=ctx.run_id, gate=gate, lock_timeout=ctx.lock_timeout,
                         progress=ctx.log.write)
    finally:
        ctx.report = gate.report
        if gate.report is not None:
            ctx.log.write(summary_text(gate.report))
    report = gate.report
    assert report is not None
    counts = report.counts()
    text = (
        f"{len(result.relations)} relations in schema published (snapshot {result.snapshot_schema}; "
        f"its gate: {counts.get('passed', 0)} passed, {len(report.warnings)} warning(s), "
        f"{counts.get('not_built', 0)} not built)"
    )
    if result.recovered:
        text += f"; recovered from an interrupted run: dropped {', '.join(result.recovered)}"
    quality = {"docs": report.docs_path, "json": report.json_path, "counts": counts}
    return text, {**result.to_dict(), "quality": quality}


STEPS: tuple[Step, ...] = (
    Step("ingest", "load the raw files into schema raw",
         _ingest, lambda ctx: None if ctx.raw_dir else "no --raw: using the raw tables as they are"),
    Step("check-raw", "the gate's raw suites, before building on the data", _check_raw),
    Step("build", "dbt build (models and data tests)", _build),
    Step("detect", "constraint detection", _detect),
    Step("publish", "copy into a snapshot, the quality gate on it, atomic swap of schema published", _publish),
)


def run_nightly(
    target: Target,
    *,
    raw_dir: Path | None,
    config: QualityConfig,
    log_file: Path | None = None,
    report_dir: Path = Path("logs/quality"),
    as_of: str | None = None,
    dbt_args: tuple[str, ...] = (),
    run_id: str | None = None,
    lock_timeout: float = 60.0,
    echo: Callable[[str], None] | None = None,
    steps: tuple[Step, ...] = STEPS,
) -> NightlyResult:
    """Run every step in order; stop at the first failure (then nothing is published)."""
    if raw_dir is not None and not target.is_duckdb:
        raise ConfigError("--raw ingests into a DuckDB file; for other targets land schema raw with your EL tool")
    if raw_dir is not None and not Path(raw_dir).is_dir():
        raise ConfigError(f"raw directory {raw_dir} does not exist or is not a directory")
    run_id = run_id or new_run_id()
    log_file = Path(log_file or Path("logs") / f"flowmetrics-{run_id}.log")
    log = RunLog(log_file, echo)
    ctx = NightlyContext(target, run_id, raw_dir, as_of, config, Path(report_dir), dbt_args, lock_timeout, log)
    clock = time.perf_counter()
    results: list[StepResult] = []
    exit_code, error = 0, None
    log.say(f"nightly run {run_id} on {target.path or target.name} (log {log_file})")
    try:
        with warehouse_lock(target, f"nightly run {run_id}", lock_timeout):
            for number, step in enumerate(steps, start=1):
                result = _run_step(step, number, len(steps), ctx)
                results.append(result)
                if result.status == "failed":
                    exit_code = int(result.detail.get("exit_code", 1))
                    error = result.detail.get("error")
                    break
    except FlowmetricsError as exc:  # another writer held the warehouse for longer than the lock timeout
        exit_code, error = exc.exit_code, str(exc)
        log.say(f"error: {exc}")
    published = exit_code == 0 and any(r.name == "publish" and r.status == "ok" for r in results)
    seconds = round(time.perf_counter() - clock, 2)
    verdict = "published" if published else "NOT published: schema published is unchanged"
    log.say(f"nightly run {run_id} finished in {seconds:.1f}s, exit code {exit_code}: {verdict}")
    log.close()
    return NightlyResult(
        run_id=run_id,
        target=str(target.path or target.name),
        exit_code=exit_code,
        published=published,
        steps=tuple(results),
        log_file=str(log_file),
        seconds=seconds,
        error=error,
    )


def _run_step(step: Step, number: int, total: int, ctx: NightlyContext) -> StepResult:
    label = f"[{number}/{total}] {step.name}"
    started = time.perf_counter()
    try:
        reason = step.skip_reason(ctx)
        if reason:
            ctx.log.say(f"{label}: skipped ({reason})")
            return StepResult(step.name, "skipped", 0.0, reason)
        ctx.log.say(f"{label}: {step.description} ...")
        summary, detail = step.run(ctx)
    except FlowmetricsError as exc:
        seconds = round(time.perf_counter() - started, 2)
        ctx.log.say(f"{label}: FAILED after {seconds:.1f}s\nerror: {exc}")
        return StepResult(step.name, "failed", seconds, str(exc).splitlines()[0],
                          {"exit_code": exc.exit_code, "error": str(exc)})
    except Exception as exc:  # a bug: the night fails with the traceback in the log, never silently
        seconds = round(time.perf_counter() - started, 2)
        ctx.log.write(traceback.format_exc())
        ctx.log.say(f"{label}: FAILED after {seconds:.1f}s (unexpected {type(exc).__name__}: {exc}; see the log)")
        return StepResult(step.name, "failed", seconds, f"{type(exc).__name__}: {exc}",
                          {"exit_code": 1, "error": f"{type(exc).__name__}: {exc}"})
    seconds = round(time.perf_counter() - started, 2)
    ctx.log.say(f"{label}: ok in {seconds:.1f}s: {summary}")
    return StepResult(step.name, "ok", seconds, summary, detail)
