"""write_raw_tables: the contract's file encoding, and a round trip through ingest_directory."""

from __future__ import annotations

import gzip
from datetime import datetime
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from flowmetrics.contract import TABLES
from flowmetrics.errors import ConfigError
from flowmetrics.ingest import ingest_directory, write_raw_tables
from tests.python.ingest.helpers import rows


def test_csv_encoding(tmp_path: Path, frames) -> None:
    written = write_raw_tables(frames, tmp_path)

    assert written == {name: len(frame) for name, frame in frames.items()}
    assert (tmp_path / "tickets.csv").read_text().splitlines() == [
        "ticket_id,title,ticket_type,team,requested_by,experiment_id,ai_assisted,created_at",
        'T-1,"Checkout, faster",story,payments,growth,E-1,true,2024-03-01T09:00:00Z',
        'T-2,"Say ""hi""",bug,payments,product,,false,2024-03-02T10:30:00Z',
        "T-3,,story,growth,marketing,,,2024-03-03T11:00:00.250000Z",
    ]
    assert (tmp_path / "experiments.csv").read_text().splitlines()[1] == (
        "E-1,faster checkout,payments,T-1,true,1000,2024-03-01T00:00:00Z"
    )


def test_naive_and_zoned_frames_are_written_as_utc(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "ticket_id": ["T-1", "T-2"],
            "team": ["a", "a"],
            "created_at": [datetime(2024, 3, 1, 9, 0), datetime(2024, 3, 1, 10, 0)],
        }
    )
    zoned = frame.assign(created_at=pd.to_datetime(frame["created_at"]).dt.tz_localize("Europe/Berlin"))
    write_raw_tables({"tickets": frame}, tmp_path / "naive")
    write_raw_tables({"tickets": zoned}, tmp_path / "zoned")

    assert [
        line.split(",")[-1] for line in (tmp_path / "naive" / "tickets.csv").read_text().splitlines()[1:]
    ] == [
        "2024-03-01T09:00:00Z",
        "2024-03-01T10:00:00Z",
    ]
    assert [
        line.split(",")[-1] for line in (tmp_path / "zoned" / "tickets.csv").read_text().splitlines()[1:]
    ] == [
        "2024-03-01T08:00:00Z",
        "2024-03-01T09:00:00Z",
    ]


def test_parquet_holds_contract_types(tmp_path: Path, frames) -> None:
    write_raw_tables(frames, tmp_path, fmt="parquet")

    schema = pq.read_schema(tmp_path / "tickets.parquet")
    assert str(schema.field("created_at").type) == "timestamp[us, tz=UTC]"
    assert str(schema.field("ai_assisted").type) == "bool"
    assert str(pq.read_schema(tmp_path / "status_map.parquet").field("stage_order").type) == "int64"


def test_gzip_csv(tmp_path: Path, frames) -> None:
    write_raw_tables(frames, tmp_path, fmt="csv.gz")

    with gzip.open(tmp_path / "status_map.csv.gz", "rt") as fh:
        assert fh.readline().strip() == "raw_status,stage,stage_kind,stage_order"


@pytest.mark.parametrize("fmt", ["csv", "csv.gz", "parquet"])
def test_round_trip_through_ingest(tmp_path: Path, frames, fmt: str) -> None:
    write_raw_tables(frames, tmp_path / "raw", fmt=fmt)
    warehouse = tmp_path / "wh.duckdb"

    ingest_directory(tmp_path / "raw", warehouse)

    for name, frame in frames.items():
        columns = list(TABLES[name].column_names)
        loaded = pd.DataFrame(rows(warehouse, f"SELECT {', '.join(columns)} FROM raw.{name}"), columns=columns)
        expected = frame[columns].copy()
        for column in TABLES[name].columns:
            if column.type.value == "timestamp":
                expected[column.name] = expected[column.name].dt.tz_convert("UTC").dt.tz_localize(None)
        key = list(TABLES[name].key)
        got = loaded.sort_values(key).reset_index(drop=True).astype(object).where(loaded.notna(), None)
        want = expected.sort_values(key).reset_index(drop=True).astype(object)
        want = want.where(want.notna(), None)
        assert got.to_dict("records") == want.to_dict("records"), name


def test_refuses_a_second_format_of_the_same_table(tmp_path: Path, frames) -> None:
    write_raw_tables({"tickets": frames["tickets"]}, tmp_path)

    with pytest.raises(ConfigError, match="tickets.csv already exists"):
        write_raw_tables({"tickets": frames["tickets"]}, tmp_path, fmt="parquet")


def test_refuses_unknown_tables_and_formats(tmp_path: Path, frames) -> None:
    with pytest.raises(ConfigError, match="not raw contract tables: ticket"):
        write_raw_tables({"ticket": frames["tickets"]}, tmp_path)
    with pytest.raises(ConfigError, match="unknown raw file format 'json'"):
        write_raw_tables(frames, tmp_path, fmt="json")
