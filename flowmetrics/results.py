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
    note: str = ""  # why the run did more than asked (e.g. a full refresh for an earlier as-of)
