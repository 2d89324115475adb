"""generate → ingest → dbt build through the real CLI, then the mart invariants checked independently in pandas."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.harness.warehouse_query import query_df as read

CLI = [sys.executable, "-m", "flowmetrics.cli"]


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, check=False, env=env)


@pytest.fixture(scope="module")
def cli_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("e2e")
    raw, warehouse = work / "raw", work / "wh.duckdb"
    gen = run_cli("generate", "--out", str(raw), "--items", "300", "--seed", "5", "--json")
    assert gen.returncode == 0, gen.stderr
    assert json.loads(gen.stdout)["rows_per_table"]["ticket_status_changes"] > 300
    ing = run_cli("ingest", str(raw), "--warehouse", str(warehouse), "--json")
    assert ing.returncode == 0, ing.stderr
    assert json.loads(ing.stdout)["rows_quarantined"] == 0
    build = run_cli(
        "build", "--warehouse", str(warehouse), "--",
        "--target-path", str(work / "target"), "--log-path", str(work / "logs"),
    )
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    return warehouse


def test_every_ticket_is_a_work_item_and_every_change_is_accounted_for(cli_build: Path):
    counts = read(
        cli_build,
        "select (select count(*) from raw.tickets) as tickets,"
        " (select count(*) from main.fct_work_items) as work_items,"
        " (select count(*) from raw.ticket_status_changes) as changes,"
        " (select count(*) from main.int_status_changes_sequenced) as sequenced,"
        " (select count(*) from main.fct_stage_transitions) as transitions,"
        " (select count(*) from main.int_status_changes_sequenced where change_kind <> 'transition') as repeats",
    ).iloc[0]
    assert counts["work_items"] == counts["tickets"] > 0
    assert counts["sequenced"] == counts["changes"]
    assert counts["transitions"] == counts["changes"] - counts["repeats"]


def test_finished_tickets_have_non_negative_cycle_time(cli_build: Path):
    items = read(cli_build, "select * from main.fct_work_items")
    finished = items[items["state"] == "finished"]
    assert len(finished) > 50
    assert finished["finished_at"].notna().all()
    started = finished[finished["started_at"].notna()]
    assert (started["cycle_time_seconds"] >= 0).all()
    assert (finished["lead_time_seconds"] >= finished["cycle_time_seconds"].fillna(0)).all()
    assert items.loc[items["state"] == "open", "finished_at"].isna().all()


def test_visits_tile_each_ticket_lifetime_without_gaps_or_overlaps(cli_build: Path):
    visits = read(cli_build, "select * from main.fct_stage_visits order by ticket_id, visit_sequence")
    items = read(cli_build, "select ticket_id, created_at from main.fct_work_items").set_index("ticket_id")
    as_of = read(cli_build, "select as_of from main.dim_as_of")["as_of"].iloc[0]
    for ticket_id, group in visits.groupby("ticket_id"):
        entered = group["entered_at"].tolist()
        exited = group["exited_at"].tolist()
        assert entered[0] <= items.loc[ticket_id, "created_at"]
        assert all(pd.notna(x) for x in exited[:-1]) and pd.isna(exited[-1]), ticket_id
        assert exited[:-1] == entered[1:], ticket_id
        assert (group["visit_sequence"].diff().dropna() == 1).all()
    # time by kind adds up: an open visit's queue+active+wait+unmapped runs to the as-of
    open_visits = visits[visits["is_open"]]
    spent = open_visits[["queue_seconds", "active_seconds", "wait_seconds", "unmapped_seconds"]].sum(axis=1)
    expected = (as_of - open_visits["entered_at"]).dt.total_seconds()
    assert len(open_visits) > 0
    assert (spent - expected).abs().max() < 1e-6


def test_rebuilding_the_same_data_gives_the_same_marts(cli_build: Path, tmp_path: Path):
    before = read(cli_build, "select * from main.fct_stage_visits order by visit_id")
    build = run_cli(
        "build", "--warehouse", str(cli_build), "--",
        "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs"),
    )
    assert build.returncode == 0
    after = read(cli_build, "select * from main.fct_stage_visits order by visit_id")
    pd.testing.assert_frame_equal(before, after)


def test_one_test_per_model_finds_the_nulls_of_every_column_with_a_not_null_constraint(
    cli_build: Path, tmp_path: Path
):
    """not_null_columns reads each constrained column in one pass and returns one row per column that has nulls,
    with how many; a column without the constraint may hold nulls."""
    from flowmetrics.errors import DbtRunError
    from flowmetrics.warehouse.dbt_runner import run_dbt

    copy = tmp_path / "nulls.duckdb"
    copy.write_bytes(cli_build.read_bytes())
    con = duckdb.connect(str(copy))
    try:
        con.execute("update main.int_status_entries_ranked set ordinal = null where rowid < 1")
        con.execute("update main.int_status_entries_ranked set raw_status = null where rowid between 1 and 3")
        con.execute("update main.int_status_entries_ranked set first_entered_at = null")  # no constraint
    finally:
        con.close()
    test = "flowmetrics_not_null_columns_int_status_entries_ranked_"
    with pytest.raises(DbtRunError):
        run_dbt("test", warehouse=copy, capture=True, extra_args=[
            "--select", test, "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")])
    compiled = tmp_path / "target" / "compiled" / "flowmetrics" / "models" / "intermediate" / "flow"
    compiled = compiled / "_flow__models.yml"
    failing = read(copy, (compiled / f"{test}.sql").read_text())
    assert dict(zip(failing["column_name"], failing["null_rows"], strict=True)) == {"ordinal": 1, "raw_status": 3}


def test_as_of_in_the_past_replays_the_past(cli_build: Path, tmp_path: Path):
    copy = tmp_path / "past.duckdb"
    copy.write_bytes(cli_build.read_bytes())
    as_of = read(copy, "select as_of from main.dim_as_of")["as_of"].iloc[0] - pd.Timedelta(days=10)
    build = run_cli(
        "build", "--warehouse", str(copy), "--as-of", as_of.isoformat() + "Z", "--",
        "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs"),
    )
    assert build.returncode == 0, build.stdout[-2000:]
    marts = read(copy, "select (select as_of from main.dim_as_of) as as_of,"
                       " (select max(changed_at) from main.fct_stage_transitions) as latest_change")
    assert marts["as_of"].iloc[0] == as_of
    assert marts["latest_change"].iloc[0] <= as_of


def test_build_failure_is_exit_code_1_with_a_message(tmp_path: Path):
    bad = run_cli("build", "--warehouse", str(tmp_path / "empty.duckdb"), "--", "--select", "no_such_model+",
                  "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs"))
    # dbt selects nothing and succeeds; an unknown target is the configuration error
    assert bad.returncode == 0
    wrong = run_cli("build", "--target", "nope")
    assert wrong.returncode != 0
    assert "nope" in (wrong.stderr + wrong.stdout)


def test_ingest_of_a_missing_directory_is_a_clear_error(tmp_path: Path):
    result = run_cli("ingest", str(tmp_path / "nowhere"), "--warehouse", str(tmp_path / "w.duckdb"))
    assert result.returncode in (1, 2)
    assert "nowhere" in result.stderr
    assert "Traceback" not in result.stderr
