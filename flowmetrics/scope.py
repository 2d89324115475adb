"""Which work a command reads: one team, one requesting function, one period of UTC days. `flowmetrics forecast`
and `flowmetrics report` scope by the same fct_work_items columns, under the same option names, and reject an
unknown value with the same message (the known values listed)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flowmetrics.errors import ConfigError

SCOPE_TABLE = "fct_work_items"
"""The mart whose columns name the scopes (and whose distinct values are the known ones)."""

SCOPE_COLUMNS = ("team", "requested_by", "ticket_type")
"""fct_work_items' columns a command can be scoped by (the report: team and requested_by)."""


def option(column: str) -> str:
    """The command-line option of a scope column: requested_by -> --requested-by."""
    return "--" + column.replace("_", "-")


def check_known(column: str, value: str, known: Iterable[str]) -> None:
    """A ConfigError (exit 2) when `value` is not one of the column's known values; the message lists them."""
    if column not in SCOPE_COLUMNS:
        raise ConfigError(f"work is scoped by {', '.join(SCOPE_COLUMNS)}, not {column!r}")
    values = sorted({str(v) for v in known})
    if value not in values:
        raise ConfigError(
            f"{option(column)} {value!r} is not in {SCOPE_TABLE}.{column}; known: {', '.join(values) or '(none)'}"
        )


@dataclass(frozen=True)
class Scope:
    """A team, a requesting function and a period (`start` to `end`, whole UTC days, both included); None: all."""

    team: str | None = None
    requested_by: str | None = None
    start: date | None = None
    end: date | None = None

    def __post_init__(self) -> None:
        if self.start is not None and self.end is not None and self.start > self.end:
            raise ConfigError(f"--from {self.start.isoformat()} is after --to {self.end.isoformat()}")

    @property
    def values(self) -> dict[str, str]:
        """The scope columns asked for: {column: value}."""
        return {c: v for c, v in (("team", self.team), ("requested_by", self.requested_by)) if v is not None}

    @property
    def is_whole(self) -> bool:
        return not self.values and self.start is None and self.end is None

    @property
    def since(self) -> datetime | None:
        """The period's first moment (UTC, included)."""
        return None if self.start is None else datetime(self.start.year, self.start.month, self.start.day)

    @property
    def until(self) -> datetime | None:
        """The moment after the period (UTC midnight after --to, excluded)."""
        return None if self.end is None else datetime(self.end.year, self.end.month, self.end.day) + timedelta(days=1)

    def check(self, known: Mapping[str, Iterable[str]]) -> None:
        """Each value asked for is a known one ({column: the values fct_work_items holds})."""
        for column, value in self.values.items():
            check_known(column, value, known.get(column, ()))

    def label(self) -> str:
        """The scope in words for a title: "team web, requested by sales, 2026-03-01 to 2026-03-31"."""
        parts = []
        if self.team is not None:
            parts.append(f"team {self.team}")
        if self.requested_by is not None:
            parts.append(f"requested by {self.requested_by}")
        if self.start is not None or self.end is not None:
            since = self.start.isoformat() if self.start is not None else "the start"
            until = self.end.isoformat() if self.end is not None else "the as-of"
            parts.append(f"{since} to {until} (UTC)")
        return ", ".join(parts) or "whole system"
