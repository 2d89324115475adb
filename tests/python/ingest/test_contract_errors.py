"""File-level contract errors: RawContractError (exit 1) naming file, column, expectation; nothing loaded."""

from __future__ import annotations

import gzip
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from flowmetrics.errors import ConfigError, RawContractError
from flowmetrics.ingest import ingest_directory, write_raw_tables
from tests.python.ingest.helpers import minimal_required, write_text


def _error(source: Path, warehouse: Path) -> RawContractError:
    with pytest.raises(RawContractError) as caught:
        ingest_directory(source, warehouse)
    assert caught.value.exit_code == 1
    assert not warehouse.exists(), "a failed first ingest must not leave a warehouse file behind"
    return caught.value


def test_missing_required_file(tmp_path: Path, warehouse: Path) -> None:
    raw = tmp_path / "raw"
    minimal_required(raw)
    (raw / "ticket_status_changes.csv").unlink()
    write_text(raw, "status_changes.csv", "x\n")

    error = _error(raw, warehouse)

    assert len(error.problems) == 1
    problem = error.problems[0]
    assert "ticket_status_changes: required file missing" in problem
    assert "ticket_status_changes.csv" in problem and "ticket_status_changes.parquet" in problem
    assert "status_changes.csv" in problem  # the hint names the file that matches no table


def test_two_files_for_one_table(tmp_path: Path, warehouse: Path, frames) -> None:
    raw = tmp_path / "raw"
    minimal_required(raw)
    write_raw_tables({"tickets": frames["tickets"]}, tmp_path / "other", fmt="parquet")
    (tmp_path / "other" / "tickets.parquet").rename(raw / "tickets.parquet")

    error = _error(raw, warehouse)

    assert any("tickets.csv and tickets.parquet" in p for p in error.problems)


def test_missing_required_column_names_file_column_and_found_columns(tmp_path: Path, warehouse: Path) -> None:
    raw = tmp_path / "raw"
    minimal_required(raw)
    write_text(raw, "tickets.csv", "ticket_id,title,created_at\nT-1,x,2024-03-01T00:00:00Z\n")

    error = _error(raw, warehouse)

    assert error.problems == [
        "tickets.csv: missing required column team (the file has columns: ticket_id, title, created_at)"
    ]
    assert "tickets.csv: missing required column team" in str(error)


def test_wrong_type_in_csv(tmp_path: Path, warehouse: Path) -> None:
    raw = tmp_path / "raw"
    minimal_required(raw)
    lines = [f"C-{i},T-1,yesterday,To Do" for i in range(1000)]
    write_text(
        raw, "ticket_status_changes.csv", "change_id,ticket_id,changed_at,to_status\n" + "\n".join(lines)
    )

    error = _error(raw, warehouse)

    assert error.problems == [
        "ticket_status_changes.csv: column changed_at: expected an ISO-8601 timestamp (UTC when it has no "
        "offset), but none of its 1,000 values converts, e.g. 'yesterday'"
    ]


def test_one_good_value_makes_a_column_row_level_not_file_level(tmp_path: Path, warehouse: Path) -> None:
    raw = tmp_path / "raw"
    minimal_required(raw)
    write_text(
        raw, "status_map.csv", "raw_status,stage,stage_kind,stage_order\nA,a,queue,first\nB,b,done,2\n"
    )

    summary = ingest_directory(raw, warehouse)

    assert summary.rows_quarantined == 1


def test_wrong_type_in_parquet(tmp_path: Path, warehouse: Path) -> None:
    raw = tmp_path / "raw"
    minimal_required(raw)
    (raw / "tickets.csv").unlink()
    table = pa.table(
        {
            "ticket_id": ["T-1"],
            "team": ["a"],
            "ai_assisted": pa.array([1.5], pa.float64()),
            "created_at": pa.array([1_700_000_000], pa.int64()),
        }
    )
    pq.write_table(table, raw / "tickets.parquet")

    error = _error(raw, warehouse)

    assert sorted(error.problems) == [
        "tickets.parquet: column ai_assisted: expected a boolean (true/false, 1/0, yes/no), "
        "but the file stores it as DOUBLE",
        "tickets.parquet: column created_at: expected an ISO-8601 timestamp (UTC when it has no offset), "
        "but the file stores it as BIGINT",
    ]


def test_parquet_text_column_that_never_parses_is_a_type_error(tmp_path: Path, warehouse: Path) -> None:
    raw = tmp_path / "raw"
    minimal_required(raw)
    pq.write_table(
        pa.table({"experiment_id": ["E-1", "E-1"], "variant": ["a", "b"], "weight": ["half", "half"]}),
        raw / "experiment_variants.parquet",
    )

    error = _error(raw, warehouse)

    assert error.problems == [
        "experiment_variants.parquet: column weight: expected a number, but none of its 2 values converts, "
        "e.g. 'half'"
    ]


@pytest.mark.parametrize("name", ["tickets.csv", "tickets.csv.gz", "deploys.parquet"])
def test_zero_byte_file(tmp_path: Path, warehouse: Path, name: str) -> None:
    raw = tmp_path / "raw"
    minimal_required(raw)
    if name.startswith("tickets") and name != "tickets.csv":
        (raw / "tickets.csv").unlink()
    (raw / name).write_bytes(b"")

    error = _error(raw, warehouse)

    assert error.problems == [
        f"{name}: the file is empty (0 bytes): expected "
        + ("a Parquet file" if name.endswith("parquet") else "a header line naming the columns")
    ]


def test_file_without_header(tmp_path: Path, warehouse: Path) -> None:
    raw = tmp_path / "raw"
    minimal_required(raw)
    write_text(raw, "tickets.csv", "T-1,payments,2024-03-01T09:00:00Z\nT-2,payments,2024-03-01T09:00:00Z\n")

    error = _error(raw, warehouse)

    assert len(error.problems) == 1
    assert error.problems[0].startswith("tickets.csv: no header line naming the columns: its first line ")
    assert "'T-1,payments,2024-03-01T09:00:00Z'" in error.problems[0]


def test_blank_first_line_and_semicolon_delimiter(tmp_path: Path, warehouse: Path) -> None:
    raw = tmp_path / "raw"
    minimal_required(raw)
    write_text(raw, "tickets.csv", "\n\n")
    write_text(
        raw, "ticket_status_changes.csv", "change_id;ticket_id;changed_at;to_status\nC-1;T-1;2024-03-01;x\n"
    )

    error = _error(raw, warehouse)

    assert any(p.startswith("tickets.csv: no header line: the first line is empty") for p in error.problems)
    assert any("it seems to use ';' as delimiter" in p for p in error.problems)


def test_gzip_that_is_not_gzip(tmp_path: Path, warehouse: Path) -> None:
    raw = tmp_path / "raw"
    minimal_required(raw)
    (raw / "tickets.csv").unlink()
    (raw / "tickets.csv.gz").write_bytes(b"ticket_id,team,created_at\n")

    error = _error(raw, warehouse)

    assert len(error.problems) == 1 and error.problems[0].startswith("tickets.csv.gz: cannot be read")


def test_every_problem_is_listed_in_one_error(tmp_path: Path, warehouse: Path) -> None:
    raw = tmp_path / "raw"
    write_text(raw, "tickets.csv", "ticket_id,created_at\nT-1,2024-03-01\n")  # team missing
    # ticket_status_changes missing altogether
    write_text(raw, "deploys.csv", "")  # empty
    write_text(
        raw, "status_map.csv", "raw_status,stage,stage_kind,stage_order\nA,a,queue,one\nB,b,done,two\n"
    )
    with gzip.open(raw / "experiments.csv.gz", "wt") as fh:
        fh.write("experiment_id,team,created_at\nE-1,a,soon\n")

    error = _error(raw, warehouse)

    text = "\n".join(error.problems)
    assert len(error.problems) == 5, text
    assert "ticket_status_changes: required file missing" in text
    assert "tickets.csv: missing required column team" in text
    assert "deploys.csv: the file is empty" in text
    assert (
        "status_map.csv: column stage_order: expected an integer, but none of its 2 values converts" in text
    )
    assert "experiments.csv.gz: column created_at: expected an ISO-8601 timestamp" in text


def test_missing_source_directory_is_a_usage_error(tmp_path: Path, warehouse: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        ingest_directory(tmp_path / "nope", warehouse)
    assert caught.value.exit_code == 2
    assert "nope" in str(caught.value)
