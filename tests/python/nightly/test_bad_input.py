"""Bad input, one scenario each: the nightly exits 1 with a message naming the problem, and schema published
still holds the previous good run, row for row (compared in full, including every relation's run id)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.python.nightly.helpers import Baseline, copy_baseline, nightly_args, published_contents, run

pytestmark = pytest.mark.slow


def changes(raw: Path) -> pd.DataFrame:
    return pd.read_csv(raw / "ticket_status_changes.csv", dtype=str, keep_default_na=False)


def write_changes(raw: Path, frame: pd.DataFrame) -> None:
    frame.to_csv(raw / "ticket_status_changes.csv", index=False)


RAW_GATE = "[2/5] check-raw: FAILED"  # refused before dbt builds on the data
GATE = "[5/5] publish: FAILED"  # the gate on the publish snapshot


def assert_refused(result, baseline: Baseline, warehouse: Path, *needles: str) -> None:
    output = result.stdout + result.stderr
    if RAW_GATE in needles:
        assert "[3/5] build" not in output
    assert result.returncode == 1, output[-4000:]
    assert "NOT published" in output
    for needle in needles:
        assert needle in output, f"{needle!r} not in:\n{output[-4000:]}"
    assert "Traceback" not in output
    assert published_contents(warehouse) == baseline.published


def nightly(tmp_path: Path, warehouse: Path, raw: Path | None, dbt_dir: Path):
    return run(nightly_args(tmp_path, warehouse, raw, dbt_dir))


def test_missing_required_column(baseline: Baseline, tmp_path: Path, dbt_dir: Path):
    raw, warehouse = copy_baseline(baseline, tmp_path)
    write_changes(raw, changes(raw).drop(columns=["changed_at"]))
    result = nightly(tmp_path, warehouse, raw, dbt_dir)
    assert_refused(result, baseline, warehouse, "ticket_status_changes.csv", "changed_at", "[1/5] ingest: FAILED")


def test_wrong_types(baseline: Baseline, tmp_path: Path, dbt_dir: Path):
    raw, warehouse = copy_baseline(baseline, tmp_path)
    tickets = pd.read_csv(raw / "tickets.csv", dtype=str, keep_default_na=False)
    tickets["created_at"] = "last tuesday"
    tickets.to_csv(raw / "tickets.csv", index=False)
    result = nightly(tmp_path, warehouse, raw, dbt_dir)
    assert_refused(result, baseline, warehouse, "tickets.csv", "created_at", "timestamp")


def test_empty_file(baseline: Baseline, tmp_path: Path, dbt_dir: Path):
    raw, warehouse = copy_baseline(baseline, tmp_path)
    (raw / "tickets.csv").write_bytes(b"")
    result = nightly(tmp_path, warehouse, raw, dbt_dir)
    assert_refused(result, baseline, warehouse, "tickets.csv", "empty")


def test_null_keys(baseline: Baseline, tmp_path: Path, dbt_dir: Path):
    raw, warehouse = copy_baseline(baseline, tmp_path)
    frame = changes(raw)
    frame.loc[frame.index % 10 == 0, "change_id"] = ""
    write_changes(raw, frame)
    result = nightly(tmp_path, warehouse, raw, dbt_dir)
    assert_refused(result, baseline, warehouse, "ingest.quarantine_share", "ticket_status_changes", RAW_GATE)


def test_duplicated_events(baseline: Baseline, tmp_path: Path, dbt_dir: Path):
    raw, warehouse = copy_baseline(baseline, tmp_path)
    frame = changes(raw)
    write_changes(raw, pd.concat([frame, frame.iloc[::8]], ignore_index=True))
    result = nightly(tmp_path, warehouse, raw, dbt_dir)
    assert_refused(result, baseline, warehouse, "ingest.quarantine_share", "ticket_status_changes", RAW_GATE)


def test_truncated_csv(baseline: Baseline, tmp_path: Path, dbt_dir: Path):
    raw, warehouse = copy_baseline(baseline, tmp_path)
    path = raw / "ticket_status_changes.csv"
    data = path.read_bytes()
    cut = data.index(b"\n", int(len(data) * 0.7)) + 15  # inside a line: the last line has too few fields
    path.write_bytes(data[:cut])
    result = nightly(tmp_path, warehouse, raw, dbt_dir)
    assert_refused(result, baseline, warehouse, "ingest.unreadable_lines", "ticket_status_changes", RAW_GATE)


def test_timestamps_in_the_future(baseline: Baseline, tmp_path: Path, dbt_dir: Path):
    raw, warehouse = copy_baseline(baseline, tmp_path)
    frame = changes(raw)
    late = frame.iloc[:25].copy()
    late["change_id"] = [f"FUT-{i}" for i in range(len(late))]
    late["changed_at"] = "2027-06-01T12:00:00Z"
    write_changes(raw, pd.concat([frame, late], ignore_index=True))
    result = nightly(tmp_path, warehouse, raw, dbt_dir)
    assert_refused(result, baseline, warehouse, "raw.ticket_status_changes.changed_at.not_future", "2027-06-01",
                   RAW_GATE)


def test_unknown_status_flood(baseline: Baseline, tmp_path: Path, dbt_dir: Path):
    raw, warehouse = copy_baseline(baseline, tmp_path)
    frame = changes(raw)
    latest = frame.sort_values("changed_at").groupby("ticket_id").tail(1).head(200)
    flood = pd.DataFrame({
        "change_id": [f"UNK-{i}" for i in range(len(latest))],
        "ticket_id": latest["ticket_id"].to_numpy(),
        "changed_at": "2026-01-30T14:00:00Z",
        "from_status": latest["to_status"].to_numpy(),
        "to_status": "Waiting For Godot",
        "changed_by": "someone",
    })
    write_changes(raw, pd.concat([frame, flood], ignore_index=True))
    result = nightly(tmp_path, warehouse, raw, dbt_dir)
    assert_refused(result, baseline, warehouse, "flow.unmapped_share", "Waiting For Godot", GATE)


def test_a_day_of_events_missing(baseline: Baseline, tmp_path: Path, dbt_dir: Path):
    """An EL tool re-lands raw without one day (no --raw: the nightly builds on the raw tables as they are)."""
    _, warehouse = copy_baseline(baseline, tmp_path)
    con = duckdb.connect(str(warehouse))
    day = con.execute(
        "select cast(changed_at as date) as d from raw.ticket_status_changes group by d order by count(*) desc limit 1"
    ).fetchone()[0]
    con.execute("delete from raw.ticket_status_changes where cast(changed_at as date) = ?", [day])
    con.close()
    result = nightly(tmp_path, warehouse, None, dbt_dir)
    assert_refused(result, baseline, warehouse, "volume.daily_events", str(day), "[1/5] ingest: skipped",
                   RAW_GATE)
