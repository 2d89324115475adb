"""Typed result objects: frozen dataclasses with ``to_dict()`` for the CLI's table and ``--json`` output."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


class Result:
    """Mixin: a JSON-ready dict of a dataclass result."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]


@dataclass(frozen=True)
class TableIngest(Result):
    """What ingest did with one raw table."""

    table: str
    source_file: str | None  # None: the optional table was absent and left as it was
    rows_read: int = 0
    rows_inserted: int = 0
    rows_updated: int = 0  # upsert tables: a loaded key got newer values
    rows_unchanged: int = 0  # repeats of rows already loaded (idempotent re-ingest)
    rows_quarantined: int = 0
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    ignored_columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class IngestSummary(Result):
    """One ingest run over a directory of raw files."""

    warehouse: str
    source_dir: str
    tables: tuple[TableIngest, ...]
    seconds: float

    @property
    def rows_quarantined(self) -> int:
        return sum(t.rows_quarantined for t in self.tables)

    @property
    def rows_inserted(self) -> int:
        return sum(t.rows_inserted for t in self.tables)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["rows_inserted"] = self.rows_inserted
        d["rows_quarantined"] = self.rows_quarantined
        return d


@dataclass(frozen=True)
class GenerateSummary(Result):
    """What `flowmetrics generate` wrote."""

    out_dir: str
    seed: int
    items: int
    rows_per_table: dict[str, int]
    seconds: float


@dataclass(frozen=True)
class BuildResult(Result):
    """One `dbt build` run."""

    warehouse: str
    target: str | None
    args: tuple[str, ...]
    return_code: int
    seconds: float


@dataclass(frozen=True)
class CheckResult(Result):
    """One data quality check of one run: its verdict, what was observed and a sample of failing rows.

    ``status``: passed, failed, error (the check could not be evaluated: counts as failed), not_built (the
    relation it checks does not exist in this warehouse: reported as info, never as a pass), skipped (off).
    """

    check_id: str
    suite: str
    relation: str
    severity: str  # error (blocks publishing) | warn (reported) | info
    status: str
    description: str
    observed: str | None = None
    threshold: str | None = None
    unexpected_count: int | None = None
    element_count: int | None = None
    sample: tuple[dict[str, Any], ...] = ()
    message: str | None = None

    @property
    def blocks(self) -> bool:
        return self.severity == "error" and self.status in ("failed", "error")

    @property
    def warns(self) -> bool:
        return self.severity == "warn" and self.status in ("failed", "error")


@dataclass(frozen=True)
class QualityReport(Result):
    """One run of the quality gate over a warehouse."""

    run_id: str
    target: str
    checked_at: str
    reference_time: str  # "now" of the checks: --now / config, else the wall clock of the run (UTC)
    as_of: str | None  # the build's as-of (dim_as_of), None when not built
    ingest_run_id: str | None  # the ingest run whose quarantine share was checked
    results: tuple[CheckResult, ...]
    seconds: float
    json_path: str | None = None
    docs_path: str | None = None
    row_counts: dict[str, int] = field(default_factory=dict)  # layer.relation -> rows when checked
    html_path: str | None = None  # a self-contained page of this run, linking to the GX Data Docs

    @property
    def failures(self) -> tuple[CheckResult, ...]:
        return tuple(r for r in self.results if r.blocks)

    @property
    def warnings(self) -> tuple[CheckResult, ...]:
        return tuple(r for r in self.results if r.warns)

    @property
    def passed(self) -> bool:
        return not self.failures

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.results:
            out[r.status] = out.get(r.status, 0) + 1
        return out

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["passed"] = self.passed
        d["counts"] = self.counts()
        d["failures"] = [r.check_id for r in self.failures]
        d["warnings"] = [r.check_id for r in self.warnings]
        return d


@dataclass(frozen=True)
class PublishResult(Result):
    """One atomic publish: which relations became visible in schema published, from which snapshot."""

    run_id: str
    target: str
    snapshot_schema: str
    relations: dict[str, int]  # published relation -> rows
    not_built: tuple[str, ...]  # registered optional relations absent from this warehouse
    previous_run_id: str | None
    recovered: tuple[str, ...]  # stale snapshot schemas of interrupted runs that were dropped first
    dropped: tuple[str, ...]  # the previous snapshot schema(s), dropped after the swap
    seconds: float


@dataclass(frozen=True)
class StepResult(Result):
    """One step of the nightly run."""

    name: str
    status: str  # ok | failed | skipped
    seconds: float
    summary: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NightlyResult(Result):
    """The nightly run: every step, the exit code, where the log is."""

    run_id: str
    target: str
    exit_code: int
    published: bool
    steps: tuple[StepResult, ...]
    log_file: str
    seconds: float
    error: str | None = None
