"""Rows as data frames shaped like the raw contract's tables, the API times they hold (naive UTC seconds), and the
items of paged JSON lists."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from flowmetrics.contract import TABLES


def frame(table: str, rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """``rows`` as a data frame with the columns of contract table ``table``, in its order."""
    return pd.DataFrame(list(rows), columns=list(TABLES[table].column_names))


def utc_second(at: datetime) -> datetime:
    """``at`` in UTC, naive (the contract's rule: a time without offset is UTC), truncated to the second."""
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return at.replace(microsecond=0)


def parse_time(text: str | None) -> datetime | None:
    """An API's ISO-8601 time (`2024-01-05T10:11:12Z`, `2024-01-05T10:11:12.345+01:00`) as naive UTC; None stays
    None."""
    if not text:
        return None
    return utc_second(datetime.fromisoformat(text))


def epoch_second(at: datetime) -> int:
    """Seconds since 1970 of a naive UTC time (a change id's stable part)."""
    return int(at.replace(tzinfo=UTC).timestamp())


def iso_z(at: datetime) -> str:
    """A naive UTC time as the REST APIs take it in a query: `2026-01-05T10:11:12Z`."""
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def page_items(pages: Iterable[Any]) -> Iterator[Any]:
    """The items of every page of a paged JSON list (each page a list)."""
    for page in pages:
        yield from page or ()
