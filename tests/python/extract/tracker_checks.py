"""What the tracker extract tests share: the injected sleep and progress, and the written files read back."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import duckdb
import pandas as pd
from click.testing import CliRunner

from flowmetrics.cli import main
from flowmetrics.steps.extract import PullOptions


class Recorder:
    """The injected sleep and progress: what the pull waited and said."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []
        self.messages: list[str] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    def say(self, message: str) -> None:
        self.messages.append(message)


def read(out: Path, table: str) -> pd.DataFrame:
    """A table the extract wrote, every value as text (an empty field is None after ``rows``)."""
    return pd.read_csv(out / f"{table}.csv", dtype=str, keep_default_na=False, na_values=[""])


def assert_ingests_whole(out: Path, warehouse: Path) -> None:
    """`flowmetrics ingest` of the extract's directory accepts every row: nothing quarantined, and each written
    table's rows land in the raw table of the same name (the build reads raw tables only, so equal raw rows give
    the same facts)."""
    result = CliRunner().invoke(main, ["ingest", str(out), "--warehouse", str(warehouse), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["rows_quarantined"] == 0
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for written in sorted(out.glob("*.csv")):
            loaded = con.execute(f'select count(*) from raw."{written.stem}"').fetchone()
            assert loaded is not None and loaded[0] == len(read(out, written.stem)), written.stem


def rows(frame: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    """``frame`` with None for missing values, sorted by ``key``, for comparing written rows with expected ones."""
    return frame.astype(object).where(frame.notna(), None).sort_values(key).reset_index(drop=True)


def options(rec: Recorder, *, full: bool = False, margin: timedelta = timedelta(days=1),
            now: float | None = None) -> PullOptions:
    """Pull options that record instead of waiting (``now``: the client's clock, for rate-limit resets)."""
    if now is None:
        return PullOptions(full=full, margin=margin, progress=rec.say, sleep=rec.sleep)
    return PullOptions(full=full, margin=margin, progress=rec.say, sleep=rec.sleep, clock=lambda: now)
