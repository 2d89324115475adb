"""Rows that break the contract land in raw.quarantine with the row as text and a countable reason."""

from __future__ import annotations

import json
from pathlib import Path

from flowmetrics.ingest import ingest_directory
from tests.python.ingest.helpers import by_table, minimal_required, rows, write_text

TSC_HEADER = "change_id,ticket_id,changed_at,from_status,to_status,changed_by\n"


def _quarantine(warehouse: Path, table: str) -> list[tuple]:
    return rows(
        warehouse,
        'SELECT "row_number", row_text, reason FROM raw.quarantine WHERE table_name = ? ORDER BY 1',
        [table],
    )


def _assert_counts_add_up(summary) -> None:
    for t in summary.tables:
        assert t.rows_read == t.rows_inserted + t.rows_updated + t.rows_unchanged + t.rows_quarantined, t
        assert sum(t.quarantine_reasons.values()) == t.rows_quarantined, t


def test_each_value_reason_is_quarantined_and_counted(tmp_path: Path, warehouse: Path) -> None:
    raw = tmp_path / "raw"
    minimal_required(raw)
    write_text(
        raw,
        "tickets.csv",
        "ticket_id,team,ai_assisted,created_at\n"
        "T-1,payments,true,2024-03-01T09:00:00Z\n"  # line 2: fine
        ",payments,true,2024-03-01T09:00:00Z\n"  # line 3: missing key
        "T-3,   ,true,2024-03-01T09:00:00Z\n"  # line 4: blank required team
        "T-4,payments,perhaps,2024-03-01T09:00:00Z\n"  # line 5: bad boolean
        "T-5,payments,true,2024-02-30T09:00:00Z\n",  # line 6: impossible date
    )
    write_text(
        raw,
        "status_map.csv",
        "raw_status,stage,stage_kind,stage_order\n"
        "To Do,backlog,queue,1\nDoing,dev,busy,2\nDone,done,done,3.5\n",
    )
    write_text(raw, "experiment_variants.csv", "experiment_id,variant,weight\nE-1,a,0.5\nE-1,b,NaN\n")
    write_text(
        raw,
        "experiment_events.csv",
        "event_id,experiment_id,event_type,occurred_at,decision\n"
        "V-1,E-1,created,2024-03-01,\n"
        "V-2,E-1,decided,2024-03-09,\n"  # decided without a decision
        "V-3,E-1,decided,2024-03-10,ship\n"
        "V-4,E-1,finished,2024-03-11,\n"  # unknown event type
        "V-5,E-1,decided,2024-03-12,maybe\n",  # unknown decision
    )
    write_text(
        raw,
        "deploys.csv",
        "deploy_id,service,environment,deployed_at,status\n"
        "D-1,api,prod,2024-03-01,Success\nD-2,api,prod,2024-03-01,failed\n",
    )

    summary = ingest_directory(raw, warehouse)

    _assert_counts_add_up(summary)
    tables = by_table(summary)
    assert tables["tickets"].quarantine_reasons == {
        "ticket_id: missing required value": 1,
        "team: missing required value": 1,
        "ai_assisted: expected a boolean (true/false, 1/0, yes/no)": 1,
        "created_at: expected an ISO-8601 timestamp (UTC when it has no offset)": 1,
    }
    assert tables["tickets"].rows_inserted == 1
    assert [(n, reason) for n, _, reason in _quarantine(warehouse, "tickets")] == [
        (3, "ticket_id: missing required value"),
        (4, "team: missing required value"),
        (5, "ai_assisted: expected a boolean (true/false, 1/0, yes/no)"),
        (6, "created_at: expected an ISO-8601 timestamp (UTC when it has no offset)"),
    ]
    assert tables["status_map"].quarantine_reasons == {
        "stage_kind: not one of the accepted values (queue, active, wait, done, abandoned)": 1,
        "stage_order: expected an integer": 1,
    }
    assert tables["experiment_variants"].quarantine_reasons == {"weight: expected a number": 1}
    assert tables["experiment_events"].quarantine_reasons == {
        "decision: required when event_type is 'decided'": 1,
        "event_type: not one of the accepted values (created, launched, paused, resumed, stopped, decided, "
        "shipped, abandoned)": 1,
        "decision: not one of the accepted values (ship, rollback, iterate, inconclusive)": 1,
    }
    assert tables["experiment_events"].rows_inserted == 2
    assert tables["deploys"].quarantine_reasons == {
        "status: not one of the accepted values (success, failed, rolled_back)": 1
    }
    total = rows(warehouse, "SELECT count(*) FROM raw.quarantine")[0][0]
    assert total == summary.rows_quarantined == 11


def test_row_text_is_json_of_the_raw_strings(tmp_path: Path, warehouse: Path) -> None:
    raw = tmp_path / "raw"
    minimal_required(raw)
    write_text(
        raw,
        "ticket_status_changes.csv",
        TSC_HEADER + 'C-1,T-1,last tuesday,"Open, new",Done,\nC-2,T-1,2024-03-01T10:00:00Z,,To Do,ann\n',
    )

    ingest_directory(raw, warehouse)

    [(line, text, reason)] = _quarantine(warehouse, "ticket_status_changes")
    assert line == 2
    assert json.loads(text) == {
        "change_id": "C-1",
        "ticket_id": "T-1",
        "changed_at": "last tuesday",
        "from_status": "Open, new",
        "to_status": "Done",
        "changed_by": None,
    }
    assert reason == "changed_at: expected an ISO-8601 timestamp (UTC when it has no offset)"
    [(run_id, source_file, ingested_at)] = rows(
        warehouse, "SELECT ingest_run_id, source_file, ingested_at FROM raw.quarantine"
    )
    assert run_id and source_file.endswith("ticket_status_changes.csv") and ingested_at is not None


def test_several_problems_of_one_row_are_one_quarantined_row(tmp_path: Path, warehouse: Path) -> None:
    raw = tmp_path / "raw"
    minimal_required(raw)
    write_text(
        raw, "ticket_status_changes.csv", TSC_HEADER + "C-1,,whenever,,,\nC-2,T-1,2024-03-01,,To Do,\n"
    )

    summary = ingest_directory(raw, warehouse)

    assert by_table(summary)["ticket_status_changes"].quarantine_reasons == {
        "ticket_id: missing required value; changed_at: expected an ISO-8601 timestamp (UTC when it has no "
        "offset); to_status: missing required value": 1
    }


def test_truncated_last_line_and_too_many_fields(tmp_path: Path, warehouse: Path) -> None:
    raw = tmp_path / "raw"
    minimal_required(raw)
    write_text(
        raw,
        "ticket_status_changes.csv",
        TSC_HEADER
        + "C-1,T-1,2024-03-01T10:00:00Z,,To Do,ann\n"  # line 2
        + "C-2,T-1,2024-03-01T11:00:00Z,To Do,Doing,ann,surplus\n"  # line 3: a field too many
        + "C-3,T-1,2024-03-01T12:00:00Z,Doing,Done,ann\n"  # line 4
        + "C-4,T-1,bad-time,Doing,Done,ann\n"  # line 5: parsed but bad value
        + "C-5,T-1,2024-03-01T1",  # line 6: cut mid-row, no newline
    )

    summary = ingest_directory(raw, warehouse)

    tsc = by_table(summary)["ticket_status_changes"]
    assert (tsc.rows_read, tsc.rows_inserted, tsc.rows_quarantined) == (5, 2, 3)
    assert tsc.quarantine_reasons == {
        "unreadable CSV line: too many fields (expected 6)": 1,
        "unreadable CSV line: too few fields (expected 6)": 1,
        "changed_at: expected an ISO-8601 timestamp (UTC when it has no offset)": 1,
    }
    assert [
        (n, t) for n, t, _ in _quarantine(warehouse, "ticket_status_changes") if not t.startswith("{")
    ] == [
        (3, "C-2,T-1,2024-03-01T11:00:00Z,To Do,Doing,ann,surplus"),
        (6, "C-5,T-1,2024-03-01T1"),
    ]
    # the parsed bad row keeps its true line number although an unreadable line came before it
    assert [n for n, t, _ in _quarantine(warehouse, "ticket_status_changes") if t.startswith("{")] == [5]
    assert rows(warehouse, "SELECT change_id FROM raw.ticket_status_changes ORDER BY 1") == [
        ("C-1",),
        ("C-3",),
    ]
    _assert_counts_add_up(summary)


def test_unterminated_quote_is_captured_not_dropped(tmp_path: Path, warehouse: Path) -> None:
    raw = tmp_path / "raw"
    minimal_required(raw)
    write_text(
        raw,
        "ticket_status_changes.csv",
        TSC_HEADER
        + "C-1,T-1,2024-03-01T10:00:00Z,,To Do,ann\n"
        + 'C-2,T-1,2024-03-01T11:00:00Z,"To Do,Doing,ann\n',
    )

    summary = ingest_directory(raw, warehouse)

    tsc = by_table(summary)["ticket_status_changes"]
    assert tsc.rows_inserted == 1 and tsc.rows_quarantined == 1
    [(line, text, reason)] = _quarantine(warehouse, "ticket_status_changes")
    assert line == 3 and text.startswith('C-2,T-1,2024-03-01T11:00:00Z,"To Do')
    assert reason.startswith("unreadable CSV line: unterminated quote")


def test_duplicates_in_file_keep_the_first_occurrence(tmp_path: Path, warehouse: Path) -> None:
    raw = tmp_path / "raw"
    minimal_required(raw)
    write_text(
        raw,
        "ticket_status_changes.csv",
        TSC_HEADER
        + "C-1,T-1,2024-03-01T10:00:00Z,,To Do,ann\n"
        + "C-1,T-1,2024-03-01T10:00:00+00:00,,To Do,ann\n"  # exact repeat (same instant, other spelling)
        + "C-1,T-1,2024-03-01T10:00:00Z,,Doing,ann\n"  # same key, other values
        + "C-2,T-1,2024-03-01T11:00:00Z,To Do,Doing,bob\n",
    )

    summary = ingest_directory(raw, warehouse)

    assert by_table(summary)["ticket_status_changes"].quarantine_reasons == {
        "duplicate key (change_id) in file: repeats an earlier row exactly": 1,
        "duplicate key (change_id) in file: differs from the earlier row, which was kept": 1,
    }
    assert rows(warehouse, "SELECT change_id, to_status FROM raw.ticket_status_changes ORDER BY 1") == [
        ("C-1", "To Do"),
        ("C-2", "Doing"),
    ]
    assert [n for n, _, _ in _quarantine(warehouse, "ticket_status_changes")] == [3, 4]


def test_duplicates_of_a_composite_key(tmp_path: Path, warehouse: Path) -> None:
    raw = tmp_path / "raw"
    minimal_required(raw)
    write_text(raw, "deploy_tickets.csv", "deploy_id,ticket_id\nD-1,T-1\nD-1,T-2\nD-1,T-1\n")

    summary = ingest_directory(raw, warehouse)

    assert by_table(summary)["deploy_tickets"].quarantine_reasons == {
        "duplicate key (deploy_id, ticket_id) in file: repeats an earlier row exactly": 1
    }
    assert rows(warehouse, "SELECT count(*) FROM raw.deploy_tickets") == [(2,)]


def test_a_bad_row_does_not_hide_a_later_good_row_with_the_same_key(tmp_path: Path, warehouse: Path) -> None:
    raw = tmp_path / "raw"
    minimal_required(raw)
    write_text(
        raw,
        "ticket_status_changes.csv",
        TSC_HEADER + "C-1,T-1,not a time,,To Do,ann\nC-1,T-1,2024-03-01T10:00:00Z,,To Do,ann\n",
    )

    summary = ingest_directory(raw, warehouse)

    tsc = by_table(summary)["ticket_status_changes"]
    assert (tsc.rows_inserted, tsc.rows_quarantined) == (1, 1)


def test_parquet_rows_are_quarantined_with_their_row_number(tmp_path: Path, warehouse: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    raw = tmp_path / "raw"
    minimal_required(raw)
    pq.write_table(
        pa.table(
            {
                "experiment_id": ["E-1", "E-1", None],
                "variant": ["a", "b", "c"],
                "weight": pa.array([0.5, float("inf"), 0.1]),
            }
        ),
        raw / "experiment_variants.parquet",
    )

    summary = ingest_directory(raw, warehouse)

    assert by_table(summary)["experiment_variants"].quarantine_reasons == {
        "weight: expected a number": 1,
        "experiment_id: missing required value": 1,
    }
    assert [(n, json.loads(t)["variant"]) for n, t, _ in _quarantine(warehouse, "experiment_variants")] == [
        (2, "b"),
        (3, "c"),
    ]


def test_invalid_utf8_line_is_quarantined_and_bom_crlf_blank_lines_are_fine(
    tmp_path: Path, warehouse: Path
) -> None:
    raw = tmp_path / "raw"
    minimal_required(raw)
    (raw / "tickets.csv").write_bytes(
        b"\xef\xbb\xbfticket_id,team,created_at\r\nT-1,caf\xe9,2024-03-01\r\nT-2,ok,2024-03-01\r\n\r\nT-3,ok,2024-03-02\r\n"
    )

    summary = ingest_directory(raw, warehouse)

    tickets = by_table(summary)["tickets"]
    assert tickets.quarantine_reasons == {"unreadable CSV line: not valid UTF-8": 1}
    assert rows(warehouse, "SELECT ticket_id, team FROM raw.tickets ORDER BY 1") == [
        ("T-2", "ok"),
        ("T-3", "ok"),
    ]
    [(line, text, _)] = _quarantine(warehouse, "tickets")
    assert line == 2 and text.startswith("T-1,caf")
