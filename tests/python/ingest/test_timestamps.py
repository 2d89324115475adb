"""Timestamps: an offset converts to UTC, no offset means UTC; stored as naive TIMESTAMPs holding UTC."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from flowmetrics.ingest import ingest_directory
from tests.python.ingest.helpers import by_table, minimal_required, rows, write_text


def test_csv_offsets_convert_to_utc_and_naive_values_stay_utc(tmp_path: Path, warehouse: Path) -> None:
    raw = tmp_path / "raw"
    minimal_required(raw)
    write_text(
        raw,
        "ticket_status_changes.csv",
        "change_id,ticket_id,changed_at,to_status\n"
        "C-1,T-1,2024-03-01T10:00:00Z,a\n"
        "C-2,T-1,2024-03-01T10:00:00+02:00,a\n"
        "C-3,T-1,2024-03-01T10:00:00-05:30,a\n"
        "C-4,T-1,2024-03-01T10:00:00,a\n"
        "C-5,T-1,2024-03-01 10:00:00.123456,a\n"
        "C-6,T-1,2024-03-01,a\n"
        "C-7,T-1,2024-03-31T02:30:00+0100,a\n"
        "C-8,T-1, 2024-03-01T10:00:00Z ,a\n",
    )

    summary = ingest_directory(raw, warehouse)

    assert by_table(summary)["ticket_status_changes"].rows_quarantined == 0
    assert rows(warehouse, "SELECT change_id, changed_at FROM raw.ticket_status_changes ORDER BY 1") == [
        ("C-1", datetime(2024, 3, 1, 10, 0)),
        ("C-2", datetime(2024, 3, 1, 8, 0)),
        ("C-3", datetime(2024, 3, 1, 15, 30)),
        ("C-4", datetime(2024, 3, 1, 10, 0)),
        ("C-5", datetime(2024, 3, 1, 10, 0, 0, 123456)),
        ("C-6", datetime(2024, 3, 1, 0, 0)),
        ("C-7", datetime(2024, 3, 31, 1, 30)),
        ("C-8", datetime(2024, 3, 1, 10, 0)),
    ]
    assert rows(
        warehouse,
        "SELECT data_type FROM duckdb_columns() WHERE table_name = 'ticket_status_changes' "
        "AND column_name = 'changed_at'",
    ) == [("TIMESTAMP",)]


def test_result_does_not_depend_on_the_machine_time_zone(
    tmp_path: Path, warehouse: Path, monkeypatch
) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    raw = tmp_path / "raw"
    minimal_required(raw)

    ingest_directory(raw, warehouse)

    assert rows(warehouse, "SELECT created_at FROM raw.tickets") == [(datetime(2024, 3, 1, 9, 0),)]


def test_infinite_and_impossible_timestamps_are_quarantined(tmp_path: Path, warehouse: Path) -> None:
    raw = tmp_path / "raw"
    minimal_required(raw)
    write_text(
        raw,
        "ticket_status_changes.csv",
        "change_id,ticket_id,changed_at,to_status\n"
        "C-1,T-1,2024-03-01T10:00:00Z,a\nC-2,T-1,infinity,a\nC-3,T-1,2024-13-01,a\nC-4,T-1,1709287200,a\n",
    )

    summary = ingest_directory(raw, warehouse)

    assert by_table(summary)["ticket_status_changes"].quarantine_reasons == {
        "changed_at: expected an ISO-8601 timestamp (UTC when it has no offset)": 3
    }


def test_parquet_zoned_naive_and_text_timestamps(tmp_path: Path, warehouse: Path) -> None:
    raw = tmp_path / "raw"
    minimal_required(raw)
    (raw / "tickets.csv").unlink()
    instant = pd.Timestamp("2024-03-01T10:00:00", tz="Europe/Berlin")  # 09:00 UTC
    pq.write_table(
        pa.table(
            {
                "ticket_id": ["T-1"],
                "team": ["a"],
                "created_at": pa.array([instant.value // 1000], pa.timestamp("us", tz="Europe/Berlin")),
            }
        ),
        raw / "tickets.parquet",
    )
    pq.write_table(
        pa.table(
            {
                "deploy_id": ["D-1"],
                "service": ["s"],
                "environment": ["prod"],
                "deployed_at": pa.array([datetime(2024, 3, 1, 10, 0)], pa.timestamp("ns")),  # naive = UTC
                "status": ["success"],
                "first_commit_at": ["2024-03-01T10:00:00-01:00"],  # text with an offset
            }
        ),
        raw / "deploys.parquet",
    )

    summary = ingest_directory(raw, warehouse)

    assert summary.rows_quarantined == 0
    assert rows(warehouse, "SELECT created_at FROM raw.tickets") == [(datetime(2024, 3, 1, 9, 0),)]
    assert rows(warehouse, "SELECT deployed_at, first_commit_at FROM raw.deploys") == [
        (datetime(2024, 3, 1, 10, 0), datetime(2024, 3, 1, 11, 0))
    ]


def test_non_iso_timestamps_are_quarantined_and_iso_variants_load(tmp_path: Path, warehouse: Path) -> None:
    raw = tmp_path / "raw"
    minimal_required(raw)
    write_text(
        raw,
        "ticket_status_changes.csv",
        "change_id,ticket_id,changed_at,to_status\n"
        "C-1,T-1,epoch,a\n"
        "C-2,T-1,2026/05/01 10:00,a\n"
        "C-3,T-1,2026-05-01 10:00 PST,a\n"
        "C-4,T-1,2026-05-01 10:00 America/New_York,a\n"
        "C-5,T-1,2026-05-01T10:00:00-0500,a\n"
        "C-6,T-1,2026-05-01T10:00:00.5+02:00,a\n"
        "C-7,T-1,2026-05-01,a\n"
        "C-8,T-1,2026-05-01 10:00Z,a\n",
    )

    summary = ingest_directory(raw, warehouse)

    tsc = by_table(summary)["ticket_status_changes"]
    assert tsc.quarantine_reasons == {
        "changed_at: expected an ISO-8601 timestamp (UTC when it has no offset)": 4
    }
    assert rows(warehouse, 'SELECT "row_number" FROM raw.quarantine ORDER BY 1') == [(2,), (3,), (4,), (5,)]
    assert rows(warehouse, "SELECT change_id, changed_at FROM raw.ticket_status_changes ORDER BY 1") == [
        ("C-5", datetime(2026, 5, 1, 15, 0)),
        ("C-6", datetime(2026, 5, 1, 8, 0, 0, 500000)),
        ("C-7", datetime(2026, 5, 1, 0, 0)),
        ("C-8", datetime(2026, 5, 1, 10, 0)),
    ]


def test_implausible_timestamps_are_quarantined_in_csv_and_parquet(tmp_path: Path, warehouse: Path) -> None:
    raw = tmp_path / "raw"
    minimal_required(raw)
    write_text(
        raw,
        "ticket_status_changes.csv",
        "change_id,ticket_id,changed_at,to_status\n"
        "C-1,T-1,0001-01-01T00:00:00Z,a\n"
        "C-2,T-1,1969-12-31T23:59:59Z,a\n"
        "C-3,T-1,1970-01-01T00:00:00Z,a\n"
        "C-4,T-1,2099-12-31T23:59:59Z,a\n"
        "C-5,T-1,2100-01-01,a\n"
        "C-6,T-1,9999-12-31T00:00:00Z,a\n",
    )
    pq.write_table(
        pa.table(
            {
                "deploy_id": ["D-1", "D-2"],
                "service": ["s", "s"],
                "environment": ["prod", "prod"],
                "deployed_at": pa.array([datetime(1, 1, 1), datetime(2024, 3, 1)], pa.timestamp("us")),
                "status": ["success", "success"],
            }
        ),
        raw / "deploys.parquet",
    )

    summary = ingest_directory(raw, warehouse)

    reason = "outside the plausible range 1970-01-01 to 2100-01-01 (UTC)"
    assert by_table(summary)["ticket_status_changes"].quarantine_reasons == {f"changed_at: {reason}": 4}
    assert by_table(summary)["deploys"].quarantine_reasons == {f"deployed_at: {reason}": 1}
    assert rows(warehouse, "SELECT change_id FROM raw.ticket_status_changes ORDER BY 1") == [("C-3",), ("C-4",)]
    assert rows(warehouse, "SELECT deploy_id FROM raw.deploys") == [("D-2",)]
    assert rows(
        warehouse, "SELECT \"row_number\" FROM raw.quarantine WHERE table_name = 'ticket_status_changes' ORDER BY 1"
    ) == [(2,), (3,), (6,), (7,)]
