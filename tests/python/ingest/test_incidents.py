"""The optional incidents table: an incident resolved before it was opened is quarantined with its reason, and an
incident re-sent once resolved replaces the open one (upsert by incident_id)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from flowmetrics.ingest import ingest_directory
from tests.python.ingest.helpers import by_table, minimal_required, rows, write_text

HEADER = "incident_id,service,opened_at,resolved_at,severity,caused_by_deploy_id\n"


def test_resolved_before_opened_and_bad_timestamps_are_quarantined_with_their_reason(
    tmp_path: Path, warehouse: Path
) -> None:
    raw = tmp_path / "raw"
    minimal_required(raw)
    write_text(
        raw,
        "incidents.csv",
        HEADER
        + "INC-1,checkout,2024-03-05T12:10:00Z,2024-03-05T13:00:00Z,sev1,D-2\n"  # line 2: fine
        + "INC-2,checkout,2024-03-05T12:10:00Z,2024-03-05T12:00:00Z,sev2,\n"  # line 3: resolved before opened
        + "INC-3,checkout,yesterday,,sev3,\n"  # line 4: not a timestamp
        + ",checkout,2024-03-05T12:10:00Z,,sev3,\n"  # line 5: no key
        + "INC-5,checkout,2024-03-06T00:00:00Z,,,\n",  # line 6: open, fine
    )

    summary = ingest_directory(raw, warehouse)

    t = by_table(summary)["incidents"]
    assert (t.rows_read, t.rows_inserted, t.rows_quarantined) == (5, 2, 3)
    assert rows(warehouse, "SELECT incident_id, resolved_at FROM raw.incidents ORDER BY 1") == [
        ("INC-1", datetime(2024, 3, 5, 13, 0)),
        ("INC-5", None),
    ]
    quarantined = rows(
        warehouse,
        "SELECT \"row_number\", reason FROM raw.quarantine WHERE table_name = 'incidents' ORDER BY 1",
    )
    assert [(line, reason.split(" (")[0]) for line, reason in quarantined] == [
        (3, "resolved_at: before opened_at"),
        (4, "opened_at: expected an ISO-8601 timestamp"),
        (5, "incident_id: missing required value"),
    ]
    assert t.quarantine_reasons["resolved_at: before opened_at"] == 1


def test_an_incident_re_sent_when_resolved_replaces_the_open_one(tmp_path: Path, warehouse: Path) -> None:
    minimal_required(tmp_path / "day1")
    write_text(tmp_path / "day1", "incidents.csv", HEADER + "INC-1,checkout,2024-03-05T12:10:00Z,,sev1,D-2\n")
    minimal_required(tmp_path / "day2")
    write_text(
        tmp_path / "day2",
        "incidents.csv",
        HEADER + "INC-1,checkout,2024-03-05T12:10:00Z,2024-03-05T14:00:00Z,sev1,D-2\n",
    )
    ingest_directory(tmp_path / "day1", warehouse)
    assert rows(warehouse, "SELECT incident_id, resolved_at FROM raw.incidents") == [("INC-1", None)]

    summary = ingest_directory(tmp_path / "day2", warehouse)

    t = by_table(summary)["incidents"]
    assert (t.rows_inserted, t.rows_updated, t.rows_quarantined) == (0, 1, 0)
    assert rows(warehouse, "SELECT incident_id, resolved_at FROM raw.incidents") == [
        ("INC-1", datetime(2024, 3, 5, 14, 0))
    ]
