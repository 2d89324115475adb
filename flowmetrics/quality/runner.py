"""The gate: run every registered suite over a warehouse, and record the verdict.

Results go three ways: a QualityReport (JSON with ``--json`` and in the report directory), an offline GX Data
Docs site, and one row per run and check in ``flowmetrics.quality_runs``. Relations are read read-only (many
readers, no writer); the rows are written afterwards through a short write connection. ``flowmetrics check`` reads
the built marts; ``flowmetrics publish`` runs the gate on its snapshot (``SnapshotGate``), so what passes is
exactly what is published.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from flowmetrics.errors import DataQualityError
from flowmetrics.quality.config import QualityConfig
from flowmetrics.quality.gx_runner import GxRunner, Outcome, jsonable
from flowmetrics.quality.reader import GateReader
from flowmetrics.quality.registry import default_registry
from flowmetrics.quality.suite import KEY_ROWS, CheckContext, LastPublish, Layer, Suite, SuiteRegistry
from flowmetrics.results import CheckResult, QualityReport
from flowmetrics.warehouse.connection import Connection
from flowmetrics.warehouse.optional_tables import NO_RAW_CONTRACT, connector_only
from flowmetrics.warehouse.package_tables import (
    PACKAGE_SCHEMA,
    QUALITY_RUNS_COLUMNS,
    ensure_package_tables,
    insert_rows,
    last_publish,
    open_reader,
    open_writer,
)
from flowmetrics.warehouse.profile import Target
from flowmetrics.warehouse.runs import new_run_id
from flowmetrics.warehouse.sql import ident

Progress = Callable[[str], None]


def run_checks(
    target: Target,
    *,
    config: QualityConfig | None = None,
    run_id: str | None = None,
    ingest_run_id: str | None = None,
    report_dir: Path | None = None,
    record: bool = True,
    registry: SuiteRegistry | None = None,
    progress: Progress | None = None,
    lock_timeout: float = 60.0,
    snapshot: str | None = None,
) -> QualityReport:
    """Run the gate over ``target`` (the published relations from schema ``snapshot`` when given); never raises on
    failed checks (see ``raise_for_failures``)."""
    clock = time.perf_counter()
    config = config or QualityConfig()
    registry = registry or default_registry()
    run_id = run_id or new_run_id()
    say = progress or (lambda _m: None)
    checked_at = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    run_dir = Path(report_dir) / run_id if report_dir is not None else None

    con = open_reader(target, lock_timeout)
    try:
        reader = GateReader(con, target.schema, snapshot)
        ctx = build_context(reader, config, ingest_run_id)
        say("loading great-expectations")
        gx = GxRunner(run_dir / "data_docs" if run_dir else None, config.sample_rows)
        results: list[CheckResult] = []
        contract_absent = connector_only(con)
        skipped_raw = [suite for suite in registry.suites if contract_absent and reads_raw(suite)]
        if skipped_raw:
            results.append(raw_contract_skipped(skipped_raw))
        skipped_names = {suite.name for suite in skipped_raw}
        for suite in registry.suites:
            if suite.name not in skipped_names:
                results += evaluate_suite(suite, reader, ctx, gx, say)
        if run_dir is not None:
            say("writing data docs")
            gx.build_docs()
    finally:
        con.close()

    report = QualityReport(
        run_id=run_id,
        target=str(target.path or target.name),
        checked_at=checked_at.isoformat(sep=" "),
        reference_time=ctx.reference_time.isoformat(sep=" "),
        as_of=ctx.as_of.isoformat(sep=" ") if ctx.as_of else None,
        ingest_run_id=ctx.ingest_run_id,
        results=tuple(results),
        seconds=round(time.perf_counter() - clock, 2),
        json_path=str(run_dir / "quality.json") if run_dir else None,
        docs_path=str(run_dir / "data_docs" / "index.html") if run_dir else None,
        snapshot_schema=snapshot,
        html_path=str(run_dir / "quality.html") if run_dir else None,
    )
    if run_dir is not None:
        from flowmetrics.quality.html import render

        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "quality.json").write_text(json.dumps(report.to_dict(), indent=2, default=str))
        (run_dir / "quality.html").write_text(render(report, run_dir / "data_docs"), encoding="utf-8")
    if record:
        record_quality_run(target, report, ctx, lock_timeout)
    return report


class SnapshotGate:
    """The gate as ``publish`` runs it: every suite, reading the published relations from the snapshot it is given;
    returns the passing report or raises DataQualityError. ``report`` keeps the last run for the caller."""

    def __init__(
        self,
        target: Target,
        *,
        config: QualityConfig,
        run_id: str,
        ingest_run_id: str | None = None,
        report_dir: Path | None = None,
        progress: Progress | None = None,
        lock_timeout: float = 60.0,
    ):
        self.target = target
        self.config = config
        self.run_id = run_id
        self.ingest_run_id = ingest_run_id
        self.report_dir = report_dir
        self.progress = progress
        self.lock_timeout = lock_timeout
        self.report: QualityReport | None = None

    def __call__(self, snapshot: str) -> QualityReport:
        self.report = run_checks(
            self.target,
            config=self.config,
            run_id=self.run_id,
            ingest_run_id=self.ingest_run_id,
            report_dir=self.report_dir,
            progress=self.progress,
            lock_timeout=self.lock_timeout,
            snapshot=snapshot,
        )
        raise_for_failures(self.report)
        return self.report


def build_context(reader: GateReader, config: QualityConfig, ingest_run_id: str | None) -> CheckContext:
    as_of = latest = None
    if reader.exists(Layer.MART, "dim_as_of"):
        row = reader.df(f"select as_of, latest_event_at from {reader.qualified(Layer.MART, 'dim_as_of')}")
        if not row.empty:
            as_of = _ts(row["as_of"].iloc[0])
            latest = _ts(row["latest_event_at"].iloc[0])
    if ingest_run_id is None and reader.exists(Layer.RAW, "ingest_runs"):
        ingest_run_id = reader.scalar(
            f"select ingest_run_id from {reader.qualified(Layer.RAW, 'ingest_runs')} "
            "order by started_at desc, ingest_run_id desc limit 1"
        )
    last = last_publish(reader.connection)
    published = None
    if last is not None:
        published = LastPublish(last["run_id"], last["published_at"], last["row_counts"], last["daily"])
    return CheckContext(
        config=config,
        reference_time=config.now(),
        as_of=as_of,
        latest_event_at=latest,
        ingest_run_id=ingest_run_id,
        last_publish=published,
    )


def _ts(value: Any) -> datetime | None:
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).to_pydatetime()


RAW_CONTRACT_CHECK = "raw.contract_tables"
"""The one result that stands for every raw-layer suite when the warehouse's tickets come from connector sources."""


def reads_raw(suite: Suite) -> bool:
    """Whether a suite reads schema raw (the contract tables, quarantine, ingest runs): it applies to the contract
    source only."""
    return any(layer is Layer.RAW for layer, _ in suite.needs)


def raw_contract_skipped(suites: list[Suite]) -> CheckResult:
    """One info result in place of the raw-layer suites of a warehouse without raw contract tables."""
    return CheckResult(
        check_id=RAW_CONTRACT_CHECK,
        suite="raw",
        relation="raw",
        severity="info",
        status="skipped",
        description="the raw contract suites run when schema raw holds the contract tables",
        message=f"{NO_RAW_CONTRACT}: {len(suites)} raw suite(s) skipped "
                f"({', '.join(suite.label for suite in suites)})",
    )


def evaluate_suite(
    suite: Suite, reader: GateReader, ctx: CheckContext, gx: GxRunner, say: Progress = lambda _m: None
) -> list[CheckResult]:
    """Every check of one suite: not built when a relation it needs is missing, else validated with GX."""
    missing = [f"{layer.value}.{name}" for layer, name in suite.needs if not reader.exists(layer, name)]
    if missing:
        return [
            _result(
                suite,
                check_id=f"{suite.name}.built",
                severity="info",
                status="not_built",
                description=f"the suite of {suite.label} runs when its relations exist",
                message=f"not built: {', '.join(missing)} not in this warehouse",
            )
        ]
    not_applicable = suite.applies(ctx) if suite.applies is not None else None
    if not_applicable:  # nothing to judge in this run: say so, never report it as a pass
        return [_result(suite, check_id=f"{suite.name}.applies", severity="info", status="skipped",
                        description=f"the suite of {suite.label} applies to this run", message=not_applicable)]
    outcomes: dict[str, Outcome] = {}
    expectations = []
    skipped: list[CheckResult] = []
    unbuildable: list[CheckResult] = []
    for check in suite.checks:
        severity = ctx.config.severity_of(check.id, check.severity)
        if severity == "off":
            skipped.append(_skipped(suite, check.id, check.description, "off in the quality config"))
            continue
        outcome = Outcome(check, severity)
        try:
            expectations.append((outcome, check.expectation(ctx)))
        except Exception as exc:  # e.g. a mart timestamp check without an as-of to compare with
            outcome.errors.append(f"cannot build the expectation: {exc}".replace("\n", " "))
            unbuildable.append(_from_outcome(suite, outcome, ctx))
            continue
        outcomes[check.id] = outcome
    if not expectations:
        return skipped + unbuildable
    say(f"checking {suite.label}")
    try:
        checkpoint = gx.checkpoint(suite, expectations)
        for frame in _frames(suite, reader, ctx):
            if suite.derive is not None:
                frame = suite.derive(frame, ctx)
            gx.validate(checkpoint, frame.reset_index(drop=True), outcomes, suite)
    except Exception as exc:  # a query or GX failure makes every check of the suite an error, loudly
        message = f"{type(exc).__name__}: {exc}".strip()
        for outcome in outcomes.values():
            outcome.success = False
            outcome.errors.append(message)
    return skipped + unbuildable + [_from_outcome(suite, o, ctx) for o in outcomes.values()]


def _frames(suite: Suite, reader: GateReader, ctx: CheckContext) -> Iterator[pd.DataFrame]:
    if suite.frame is not None:
        yield suite.frame(reader, ctx)
        return
    assert suite.relation is not None
    columns = [ident(c) for c in suite.columns]
    if suite.optional_columns:
        present = set(
            reader.df(
                f"select * from {reader.qualified(suite.layer, suite.relation)} where 1 = 0"
            ).columns
        )
        columns += [ident(c) for c in suite.optional_columns if c in present]
    if suite.key:
        partition = ", ".join(ident(k) for k in suite.key)
        columns.append(f"count(*) over (partition by {partition}) as {KEY_ROWS}")
    sql = f"select {', '.join(columns)} from {reader.qualified(suite.layer, suite.relation)}"
    yield from reader.chunks(sql, ctx.config.chunk_rows)


def _from_outcome(suite: Suite, outcome: Outcome, ctx: CheckContext) -> CheckResult:
    check = outcome.check
    message: str | None
    if outcome.errors:
        status, message = "error", "could not be evaluated: " + "; ".join(outcome.errors)
    elif not outcome.evaluated:
        status, message = "error", "could not be evaluated: no result"
    else:
        status, message = ("passed", None) if outcome.success else ("failed", None)
    observed = None
    if outcome.element_count is not None:
        observed = f"{outcome.unexpected_count or 0:,} of {outcome.element_count:,} rows fail"
    elif outcome.observed is not None:
        observed = str(jsonable(outcome.observed))
    return _result(
        suite,
        check_id=check.id,
        severity=outcome.severity,
        status=status,
        description=check.description,
        observed=observed,
        threshold=check.threshold(ctx) if check.threshold else None,
        unexpected_count=outcome.unexpected_count,
        element_count=outcome.element_count,
        sample=tuple(outcome.sample),
        message=message,
    )


def _skipped(suite: Suite, check_id: str, description: str, message: str) -> CheckResult:
    return _result(suite, check_id=check_id, severity="off", status="skipped", description=description,
                   message=message)


def _result(suite: Suite, **fields: Any) -> CheckResult:
    return CheckResult(suite=suite.name, relation=suite.label, **fields)


def record_quality_run(target: Target, report: QualityReport, ctx: CheckContext, lock_timeout: float) -> None:
    """One row per check in flowmetrics.quality_runs, written in one transaction."""
    con = open_writer(target, lock_timeout)
    try:
        _write_rows(con, report, ctx)
    finally:
        con.close()


def _write_rows(con: Connection, report: QualityReport, ctx: CheckContext) -> None:
    rows = [
        (
            report.run_id,
            report.checked_at,
            ctx.reference_time,
            ctx.as_of,
            ctx.ingest_run_id,
            r.check_id,
            r.suite,
            r.relation,
            r.severity,
            r.status,
            r.description,
            r.observed,
            r.threshold,
            r.unexpected_count,
            r.element_count,
            r.message,
            json.dumps(list(r.sample), default=str) if r.sample else None,
        )
        for r in report.results
    ]
    con.execute("begin transaction")
    try:
        ensure_package_tables(con)
        for r in report.results:  # a re-run of a check in the same run replaces its row, nothing else
            con.execute(
                f"delete from {con.qualify(PACKAGE_SCHEMA, 'quality_runs')} where run_id = ? and check_id = ?",
                [report.run_id, r.check_id],
            )
        insert_rows(con, "quality_runs", QUALITY_RUNS_COLUMNS, rows)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def failure_lines(report: QualityReport, sample_rows: int = 3) -> list[str]:
    """One paragraph per failed error-severity check: what failed, what was seen, a few failing rows."""
    lines = []
    for r in report.failures:
        text = f"{r.check_id} ({r.relation}): {r.description}"
        if r.observed:
            text += f"; observed {r.observed}"
        if r.threshold:
            text += f"; expected {r.threshold}"
        if r.message:
            text += f"; {r.message}"
        for row in r.sample[:sample_rows]:
            text += "\n      e.g. " + ", ".join(f"{k}={v}" for k, v in row.items())
        lines.append(text)
    return lines


def raise_for_failures(report: QualityReport) -> None:
    """DataQualityError (exit code 1) naming every failed error check with sample rows, if any failed."""
    if report.failures:
        raise DataQualityError(failure_lines(report), report=report)


def summary_text(report: QualityReport) -> str:
    """A readable summary for people: counts, failures, warnings, what was not built, where the docs are."""
    counts = report.counts()
    parts = {
        "passed": counts.get("passed", 0),
        "failed (blocking)": len(report.failures),
        "warning(s)": len(report.warnings),
        "not built": counts.get("not_built", 0),
        "skipped": counts.get("skipped", 0),
    }
    head = ", ".join(f"{n} {label}" for label, n in parts.items() if n or label == "passed")
    where = f"{report.target}, snapshot {report.snapshot_schema}" if report.snapshot_schema else report.target
    lines = [f"quality run {report.run_id} on {where} (as of {report.as_of or 'n/a'}, "
             f"reference time {report.reference_time}): {head} in {report.seconds:.1f}s"]
    if report.failures:
        lines.append(f"FAILED ({len(report.failures)} blocking):")
        lines += [f"  - {line}" for line in failure_lines(report)]
    if report.warnings:
        lines.append(f"warnings ({len(report.warnings)}):")
        for r in report.warnings:
            example = ("; e.g. " + ", ".join(f"{k}={v}" for k, v in r.sample[0].items())) if r.sample else ""
            lines.append(f"  - {r.check_id}: {r.description}; observed {r.observed or r.message}"
                         + (f"; expected {r.threshold}" if r.threshold else "") + example)
    lines += [f"note: {r.message}" for r in report.results if r.check_id == RAW_CONTRACT_CHECK]
    not_built = [r for r in report.results if r.status == "not_built"]
    if not_built:
        lines.append("not built (info): " + ", ".join(r.relation for r in not_built))
    if report.html_path:
        lines.append(f"report: {report.html_path} (GX Data Docs: {report.docs_path})")
    if report.json_path:
        lines.append(f"json: {report.json_path}")
    lines.append("verdict: " + ("PASS (nothing blocks publishing)" if report.passed else "FAIL (publishing blocked)"))
    return "\n".join(lines)
