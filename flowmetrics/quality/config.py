"""Thresholds and severities of the quality gate: sensible defaults, a YAML file, CLI overrides.

The "now" of the checks (``reference_time``) is the wall clock of the run unless set: the build's as-of is the
latest event in the data, so it cannot tell whether that event lies in the future or is stale. Timestamps in
the future and freshness are judged against the reference time; mart timestamps against the build's as-of.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from flowmetrics.errors import ConfigError

SEVERITIES = ("error", "warn", "off")


@dataclass(frozen=True)
class QualityConfig:
    """Every threshold of the gate; ``severity`` overrides a check's default severity by check id."""

    reference_time: datetime | None = None  # naive UTC; None: the wall clock when the run starts
    clock_skew_seconds: float = 300.0  # a raw timestamp up to this far past the reference time is not "future"
    max_duration_days: float = 3650.0  # a duration longer than this is not plausible
    max_quarantine_share: float = 0.01  # quarantined ÷ read, per table, in the ingest run being checked
    max_unreadable_lines: int = 0  # CSV lines the parser could not read (a truncated or damaged file)
    max_unmapped_share: float = 0.05  # transitions into statuses missing from the status map
    unmapped_window_days: float = 30.0  # ... among the transitions of the last N days before the as-of
    freshness_max_age_hours: float = 72.0  # newest event at most this old at the reference time
    max_volume_drop: float = 0.05  # share of rows a history or summary (or a day of raw events) may lose since
    # the last published run (a snapshot of open work may shrink freely)
    max_volume_growth: float = 0.10  # share of rows a history may gain since the last published run ...
    volume_growth_min_rows: int = 100  # ... or this many rows, whichever is more (small tables grow in steps)
    littles_law_tolerance: float = 0.5  # |L − λW| ÷ L per stage
    littles_law_window_days: float = 90.0
    littles_law_min_arrivals: int = 20  # a stage with fewer arrivals in the window is not judged
    chunk_rows: int = 500_000  # rows per data frame when a relation is validated in chunks
    sample_rows: int = 5  # failing rows kept per check
    severity: dict[str, str] = field(default_factory=dict)

    def severity_of(self, check_id: str, default: str) -> str:
        return self.severity.get(check_id, default)

    def now(self) -> datetime:
        return self.reference_time or datetime.now(UTC).replace(tzinfo=None, microsecond=0)


THRESHOLD_FIELDS = tuple(f.name for f in dataclasses.fields(QualityConfig) if f.name not in ("severity",))


def parse_time(value: str, what: str) -> datetime:
    """An ISO-8601 time as naive UTC (no offset: UTC)."""
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{what} {value!r} is not an ISO-8601 timestamp") from exc
    if pd.isna(ts):
        raise ConfigError(f"{what} {value!r} is not an ISO-8601 timestamp")
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts.to_pydatetime()


def load_config(path: Path | None = None, **overrides: Any) -> QualityConfig:
    """Defaults, then the YAML file (top-level thresholds and a ``severity:`` mapping), then ``overrides``.

    An unknown key, a bad value or an unknown severity is a ConfigError (exit code 2) naming it.
    """
    values: dict[str, Any] = {}
    if path is not None:
        path = Path(path)
        if not path.exists():
            raise ConfigError(f"quality config {path} does not exist")
        try:
            loaded = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"quality config {path} is not valid YAML: {exc}") from exc
        if not isinstance(loaded, dict):
            raise ConfigError(f"quality config {path} must be a mapping of thresholds")
        values.update(loaded)
    values.update({k: v for k, v in overrides.items() if v is not None})
    unknown = sorted(set(values) - set(THRESHOLD_FIELDS) - {"severity"})
    if unknown:
        raise ConfigError(
            f"unknown quality setting(s): {', '.join(unknown)}; known: {', '.join(THRESHOLD_FIELDS)}, severity"
        )
    kwargs: dict[str, Any] = {}
    defaults = QualityConfig()
    for name, value in values.items():
        if name == "severity":
            kwargs[name] = _severities(value)
        elif name == "reference_time":
            kwargs[name] = value if isinstance(value, datetime) else parse_time(str(value), name)
        else:
            kind = type(getattr(defaults, name))
            try:
                number = kind(value)
            except (TypeError, ValueError):
                raise ConfigError(f"quality setting {name} must be a number, got {value!r}") from None
            if number < 0:
                raise ConfigError(f"quality setting {name} must not be negative, got {value!r}")
            kwargs[name] = number
    for name in ("max_quarantine_share", "max_unmapped_share", "max_volume_drop"):  # growth may exceed 1
        if kwargs.get(name, 0) > 1:
            raise ConfigError(f"quality setting {name} is a share between 0 and 1, got {kwargs[name]}")
    if kwargs.get("chunk_rows", 1) < 1:
        raise ConfigError("quality setting chunk_rows must be at least 1")
    return dataclasses.replace(defaults, **kwargs)


def _severities(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ConfigError("quality setting severity must map check ids to error, warn or off")
    out = {}
    for check_id, severity in value.items():
        if severity not in SEVERITIES:
            raise ConfigError(f"severity of {check_id} must be one of {', '.join(SEVERITIES)}, got {severity!r}")
        out[str(check_id)] = str(severity)
    return out
