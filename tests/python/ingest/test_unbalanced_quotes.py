"""Every physical line of a CSV file is read or quarantined: quotes that swallow lines, unreadable records,
text that is not UTF-8, truncated gzip streams and mixed line endings never lose a line silently."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from flowmetrics.errors import RawContractError
from flowmetrics.ingest import ingest_directory
from tests.python.ingest.helpers import by_table, minimal_required, rows, snapshot, write_text

TSC_HEADER = "change_id,ticket_id,changed_at,from_status,to_status,changed_by\n"
SWALLOWING = (
    TSC_HEADER
    + "c01,T-1,2026-05-02T00:00:00Z,Backlog,Ready for Dev,a\n"
    + 'c02,T-1,2026-05-03T00:00:00Z,Ready for Dev,"In Progress,a\n'
    + "c03,T-1,2026-05-04T00:00:00Z,In Progress,Ready for Review,a\n"
    + "c04,T-1,2026-05-05T00:00:00Z,Ready for Review,In Review,a\n"
    + "c05,T-1,2026-05-06T00:00:00Z,In Review,Done,a\n"
    + "c06,T-2,2026-05-02T00:00:00Z,Backlog,Ready for Dev,b\n"
    + 'c07,T-2,2026-05-03T00:00:00Z,Ready for Dev,In Progress",b\n'
    + "c08,T-2,2026-05-04T00:00:00Z,In Progress,Ready for Review,b\n"
)


def _quarantine(warehouse: Path, table: str = "ticket_status_changes") -> list[tuple]:
    return rows(
        warehouse,
        'SELECT "row_number", row_text, reason FROM raw.quarantine WHERE table_name = ? ORDER BY 1',
        [table],
    )


def _assert_every_line_accounted(summary, table: str, data_lines: int, spanned: int = 0, blank: int = 0) -> None:
    """rows read (each loaded or quarantined) + the extra lines of legitimate multi-line rows + blank lines
    = the file's physical lines after the header."""
    t = by_table(summary)[table]
    assert t.rows_read == t.rows_inserted + t.rows_updated + t.rows_unchanged + t.rows_quarantined, t
    assert t.rows_read + spanned + blank == data_lines, t


def test_a_quote_that_swallows_lines_quarantines_each_line(tmp_path: Path, warehouse: Path) -> None:
    raw = tmp_path / "raw"
    minimal_required(raw)
    write_text(raw, "ticket_status_changes.csv", SWALLOWING)

    summary = ingest_directory(raw, warehouse)

    _assert_every_line_accounted(summary, "ticket_status_changes", data_lines=8)
    tsc = by_table(summary)["ticket_status_changes"]
    assert (tsc.rows_read, tsc.rows_inserted, tsc.rows_quarantined) == (8, 2, 6)
    assert rows(warehouse, "SELECT change_id FROM raw.ticket_status_changes ORDER BY 1") == [("c01",), ("c08",)]
    quarantined = _quarantine(warehouse)
    assert [n for n, _, _ in quarantined] == [3, 4, 5, 6, 7, 8]
    assert quarantined[0][2] == (
        "unreadable CSV line: a quote opened here swallowed lines 3–8 into one value of to_status"
    )
    assert {reason for _, _, reason in quarantined[1:]} == {
        "unreadable CSV line: swallowed by the quote opened at line 3 (lines 3–8)"
    }
    lines = SWALLOWING.splitlines()
    assert [text for _, text, _ in quarantined] == lines[2:8]  # the file's own text, line by line


@pytest.mark.parametrize("name", ["ticket_status_changes.csv", "ticket_status_changes.csv.gz"])
def test_a_quote_that_never_closes_accounts_for_every_line_to_the_end(
    tmp_path: Path, warehouse: Path, name: str
) -> None:
    raw = tmp_path / "raw"
    minimal_required(raw)
    (raw / "ticket_status_changes.csv").unlink()
    body = [f"c{i},T-1,2026-05-02T00:00:00Z,Backlog,Ready,a" for i in range(2000)]
    body[10] = 'c10,T-1,2026-05-02T00:00:00Z,Backlog,"Ready,a'
    text = TSC_HEADER + "\n".join(body) + "\n"
    if name.endswith(".gz"):
        with gzip.open(raw / name, "wt", encoding="utf-8") as fh:
            fh.write(text)
    else:
        write_text(raw, name, text)

    summary = ingest_directory(raw, warehouse)

    _assert_every_line_accounted(summary, "ticket_status_changes", data_lines=2000)
    tsc = by_table(summary)["ticket_status_changes"]
    assert (tsc.rows_inserted, tsc.rows_quarantined) == (10, 1990)
    first = _quarantine(warehouse)[0]
    assert first[0] == 12
    assert first[2] == "unreadable CSV line: a quote opened here swallowed lines 12–2001 and never closed"
    assert rows(warehouse, 'SELECT max("row_number"), count(DISTINCT "row_number") FROM raw.quarantine') == [
        (2001, 1990)
    ]


def test_quoted_multi_line_free_text_loads_and_later_line_numbers_stay_exact(
    tmp_path: Path, warehouse: Path
) -> None:
    raw = tmp_path / "raw"
    minimal_required(raw)
    write_text(
        raw,
        "tickets.csv",
        "ticket_id,title,team,created_at\n"  # line 1
        'T-1,"Checkout:\nmake it faster, please\r\nand safer",payments,2024-03-01T09:00:00Z\n'  # lines 2-4
        "\n"  # line 5: blank
        'T-2,"Say ""hi""",payments,2024-03-01T09:00:00Z\n'  # line 6
        "T-3,ok,payments,not a time\n"  # line 7
        "T-4,ok,payments,2024-03-01T09:00:00Z,surplus\n"  # line 8
        "T-5,ok,,2024-03-01T09:00:00Z\n",  # line 9
    )

    summary = ingest_directory(raw, warehouse)

    _assert_every_line_accounted(summary, "tickets", data_lines=8, spanned=2, blank=1)
    assert rows(warehouse, "SELECT ticket_id, title FROM raw.tickets ORDER BY 1") == [
        ("T-1", "Checkout:\nmake it faster, please\r\nand safer"),
        ("T-2", 'Say "hi"'),
    ]
    assert [(n, reason) for n, _, reason in _quarantine(warehouse, "tickets")] == [
        (7, "created_at: expected an ISO-8601 timestamp (UTC when it has no offset)"),
        (8, "unreadable CSV line: too many fields (expected 4)"),
        (9, "team: missing required value"),
    ]


def test_a_line_break_in_a_status_is_a_row_error_even_inside_proper_quotes(tmp_path: Path, warehouse: Path) -> None:
    raw = tmp_path / "raw"
    minimal_required(raw)
    write_text(
        raw,
        "ticket_status_changes.csv",
        TSC_HEADER
        + 'c01,T-1,2026-05-02T00:00:00Z,Backlog,"In\nProgress",a\n'
        + "c02,T-1,2026-05-03T00:00:00Z,Backlog,Done,a\n",
    )

    summary = ingest_directory(raw, warehouse)

    _assert_every_line_accounted(summary, "ticket_status_changes", data_lines=3)
    assert [(n, t, r) for n, t, r in _quarantine(warehouse)] == [
        (
            2,
            'c01,T-1,2026-05-02T00:00:00Z,Backlog,"In',
            "unreadable CSV line: a quote opened here swallowed lines 2–3 into one value of to_status",
        ),
        (3, 'Progress",a', "unreadable CSV line: swallowed by the quote opened at line 2 (lines 2–3)"),
    ]
    assert rows(warehouse, "SELECT change_id FROM raw.ticket_status_changes") == [("c02",)]


def test_a_quote_in_free_text_that_swallows_whole_records_is_caught(tmp_path: Path, warehouse: Path) -> None:
    raw = tmp_path / "raw"
    minimal_required(raw)
    write_text(
        raw,
        "tickets.csv",
        "ticket_id,title,team,created_at\n"
        'T-1,"Checkout faster,payments,2024-03-01T09:00:00Z\n'
        "T-2,Refunds,payments,2024-03-01T09:00:00Z\n"
        'T-3,Search",payments,2024-03-01T09:00:00Z\n'
        "T-4,Login,payments,2024-03-01T09:00:00Z\n",
    )

    summary = ingest_directory(raw, warehouse)

    _assert_every_line_accounted(summary, "tickets", data_lines=4)
    assert [(n, r) for n, _, r in _quarantine(warehouse, "tickets")] == [
        (2, "unreadable CSV line: a quote opened here swallowed lines 2–4 into one value of title"),
        (3, "unreadable CSV line: swallowed by the quote opened at line 2 (lines 2–4)"),
        (4, "unreadable CSV line: swallowed by the quote opened at line 2 (lines 2–4)"),
    ]
    assert rows(warehouse, "SELECT ticket_id FROM raw.tickets") == [("T-4",)]


def test_an_unreadable_record_over_several_lines_is_quarantined_line_by_line(
    tmp_path: Path, warehouse: Path
) -> None:
    raw = tmp_path / "raw"
    minimal_required(raw)
    write_text(
        raw,
        "ticket_status_changes.csv",
        TSC_HEADER
        + "c01,T-1,2026-05-02T00:00:00Z,Backlog,Ready,a\n"
        + 'c02,T-1,2026-05-02T00:00:00Z,Backlog,"Ready,a\n'  # line 3: the quote closes on line 4 ...
        + 'c03,T-1,2026-05-02T00:00:00Z,"Backlog"x,Ready,a\n'  # ... and junk follows it
        + "c04,T-1,2026-05-02T00:00:00Z,Backlog,Ready,a\n",
    )

    summary = ingest_directory(raw, warehouse)

    _assert_every_line_accounted(summary, "ticket_status_changes", data_lines=4)
    assert [(n, r) for n, _, r in _quarantine(warehouse)] == [
        (
            3,
            "unreadable CSV line: a quote opened here swallowed lines 3–4 "
            "(unterminated quote or a quote inside an unquoted value; too many fields (expected 6))",
        ),
        (4, "unreadable CSV line: swallowed by the quote opened at line 3 (lines 3–4)"),
    ]
    assert rows(warehouse, "SELECT change_id FROM raw.ticket_status_changes ORDER BY 1") == [("c01",), ("c04",)]


def test_the_whole_text_of_a_long_unreadable_line_is_kept(tmp_path: Path, warehouse: Path) -> None:
    raw = tmp_path / "raw"
    minimal_required(raw)
    long_line = "c01,T-1,2026-05-02T00:00:00Z,Backlog,Ready," + "x" * 50_000 + ",surplus"
    write_text(raw, "ticket_status_changes.csv", TSC_HEADER + long_line + "\n")

    ingest_directory(raw, warehouse)

    [(line, text, reason)] = _quarantine(warehouse)
    assert (line, reason) == (2, "unreadable CSV line: too many fields (expected 6)")
    assert text == long_line


def test_a_latin1_byte_is_quarantined_with_its_line_and_the_text_unaltered(tmp_path: Path, warehouse: Path) -> None:
    raw = tmp_path / "raw"
    minimal_required(raw)
    (raw / "tickets.csv").write_bytes(
        b"ticket_id,title,team,created_at\n"
        b'T-1,"caf\xe9\nbar",payments,2024-03-01\n'  # lines 2-3: the byte sits before a line break
        b"T-2,na\xefve,payments,2024-03-01\n"  # line 4
        b"T-3,ok,payments,2024-03-01\n"
    )

    summary = ingest_directory(raw, warehouse)

    _assert_every_line_accounted(summary, "tickets", data_lines=4)
    assert _quarantine(warehouse, "tickets") == [
        (
            2,
            'T-1,"caf\\xe9',
            "unreadable CSV line: a quote opened here swallowed lines 2–3 (not valid UTF-8)",
        ),
        (3, 'bar",payments,2024-03-01', "unreadable CSV line: swallowed by the quote opened at line 2 (lines 2–3)"),
        (4, "T-2,na\\xefve,payments,2024-03-01", "unreadable CSV line: not valid UTF-8"),
    ]
    assert source_files(warehouse) == {str((raw / "tickets.csv").resolve())}
    assert rows(warehouse, "SELECT ticket_id FROM raw.tickets") == [("T-3",)]


def source_files(warehouse: Path) -> set[str]:
    return {r[0] for r in rows(warehouse, "SELECT DISTINCT source_file FROM raw.quarantine")}


def _cli_ingest(raw: Path, warehouse: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flowmetrics.cli", "ingest", str(raw), "--warehouse", str(warehouse)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_truncated_gzip_is_a_file_level_error_naming_file_and_line(tmp_path: Path, warehouse: Path) -> None:
    raw = tmp_path / "raw"
    minimal_required(raw)
    ingest_directory(raw, warehouse)
    before = snapshot(warehouse)
    (raw / "ticket_status_changes.csv").unlink()
    body = "".join(f"c{i},T-1,2026-05-02T00:00:00Z,Backlog,Ready,a\n" for i in range(20_000))
    packed = gzip.compress((TSC_HEADER + body).encode())
    (raw / "ticket_status_changes.csv.gz").write_bytes(packed[: len(packed) // 2])

    with pytest.raises(RawContractError) as caught:
        ingest_directory(raw, warehouse)
    [problem] = caught.value.problems
    assert problem.startswith("ticket_status_changes.csv.gz: the gzip stream is truncated: the file ends after line ")
    assert snapshot(warehouse) == before

    proc = _cli_ingest(raw, warehouse)
    assert proc.returncode == 1, proc.stderr
    assert "ticket_status_changes.csv.gz: the gzip stream is truncated" in proc.stderr + proc.stdout
    assert "Possible fixes" not in proc.stderr + proc.stdout
    assert snapshot(warehouse) == before


@pytest.mark.parametrize(
    ("text", "first_ending", "line"),
    [
        (TSC_HEADER.replace("\n", "\r\n") + "c1,T-1,2024-03-01,,a,\r\nc2,T-1,2024-03-01,,a,\nc3,T-1,2024-03-01,,a,\r\n",
         "CRLF", 3),
        (TSC_HEADER + "c1,T-1,2024-03-01,,a,\nc2,T-1,2024-03-01,,a,\r\nc3,T-1,2024-03-01,,a,\n", "LF", 3),
    ],
)
def test_mixed_line_endings_are_a_clear_error_naming_the_line(
    tmp_path: Path, warehouse: Path, text: str, first_ending: str, line: int
) -> None:
    raw = tmp_path / "raw"
    minimal_required(raw)
    (raw / "ticket_status_changes.csv").write_bytes(text.encode())

    proc = _cli_ingest(raw, warehouse)

    assert proc.returncode == 1, proc.stderr
    output = proc.stderr + proc.stdout
    assert f"ticket_status_changes.csv: mixed line endings: line 1 ends with {first_ending}" in output
    assert f"but line {line} does not" in output
    assert not warehouse.exists()


def test_quarantined_row_text_of_parsed_rows_is_complete_json(tmp_path: Path, warehouse: Path) -> None:
    raw = tmp_path / "raw"
    minimal_required(raw)
    title = "t" * 30_000
    write_text(
        raw,
        "tickets.csv",
        f"ticket_id,title,team,created_at\nT-1,{title},payments,whenever\nT-2,ok,payments,2024-03-01\n",
    )

    ingest_directory(raw, warehouse)

    [(_, text, _)] = _quarantine(warehouse, "tickets")
    assert json.loads(text)["title"] == title


def test_ingest_stops_when_the_reader_and_the_line_count_disagree(
    tmp_path: Path, warehouse: Path, monkeypatch
) -> None:
    import dataclasses

    import flowmetrics.ingest.schema_check as schema_check

    counted = schema_check.census
    monkeypatch.setattr(
        schema_check, "census", lambda path: dataclasses.replace(counted(path), records=counted(path).records + 1)
    )
    raw = tmp_path / "raw"
    minimal_required(raw)

    with pytest.raises(RawContractError) as caught:
        ingest_directory(raw, warehouse)

    assert caught.value.problems == [
        "tickets.csv: ingest cannot account for every line: the CSV reader gave 1 row and 0 unreadable records "
        "over 1 line, but the file holds 2 records on 1 line after the header"
    ]
    assert not warehouse.exists()
