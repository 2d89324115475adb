"""Out-of-range and malformed options are usage errors (exit 2) that name the option, the value and what is
accepted, before anything is read or written."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime, time, timedelta
from pathlib import Path

import duckdb
import pytest

from tests.python.detection.cli_helpers import copy_of, digest, run_cli

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def warehouse(demo_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_of(demo_warehouse, tmp_path_factory.mktemp("usage"))


def assert_usage_error(result: subprocess.CompletedProcess[str], option: str, *says: str) -> None:
    assert result.returncode == 2, result.stdout[-2000:] + result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert f"Invalid value for '{option}'" in result.stderr, result.stderr
    for text in says:
        assert text in result.stderr, result.stderr


@pytest.mark.parametrize(
    ("args", "option", "says"),
    [
        (["detect", "--window", "100000w"], "--window", ["'100000w'", "from 1d to 520w"]),
        (["detect", "--window", "9" * 5000], "--window", ["from 1d to 520w"]),
        (["detect", "--window", "0d"], "--window", ["from 1d to 520w"]),
        (["whatif", "--stage", "code_review", "--capacity", "+1e309%"], "--capacity",
         ["'+1e309%'", "between -90% and +1000%"]),
        (["whatif", "--stage", "code_review", "--capacity", "-95%"], "--capacity", ["between -90% and +1000%"]),
        (["whatif", "--stage", "code_review", "--capacity", "inf"], "--capacity", ["between -90% and +1000%"]),
        (["whatif", "--arrivals", "x1000000"], "--arrivals", ["'x1000000'", "at most x100"]),
        (["whatif", "--arrivals", "x0"], "--arrivals", ["above 0"]),
        (["whatif", "--arrivals", "lots"], "--arrivals", ["'lots' is not a change"]),
        (["whatif", "--arrivals", "x2", "--weeks", "nan"], "--weeks", ["'nan' is not a finite number"]),
        (["whatif", "--arrivals", "x2", "--calibration-weeks", "inf"], "--calibration-weeks",
         ["inf is not in the range 1<=x<=520"]),
        (["report", "--threshold", "nan"], "--threshold", ["'nan' is not a finite number"]),
    ],
)
def test_out_of_range_options_are_usage_errors_that_touch_nothing(warehouse: Path, args, option, says):
    before = digest(warehouse)
    result = run_cli(*args, "--warehouse", str(warehouse))
    assert_usage_error(result, option, *says)
    assert digest(warehouse) == before


def test_a_look_back_beyond_the_bound_is_a_usage_error(warehouse: Path):
    before = digest(warehouse)
    result = run_cli("detect", "--warehouse", str(warehouse), "--window", "520w")  # x 12 windows
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert "--window 3640d x --windows 12 looks back 43,680 days" in result.stderr
    assert "at most 520 weeks" in result.stderr
    assert digest(warehouse) == before


@pytest.mark.parametrize("command", ["detect", "build", "nightly"])
@pytest.mark.parametrize("value", ["now", "today", "01/31/2026", "2026-13-01"])
def test_as_of_must_be_an_iso_date_or_timestamp(tmp_path: Path, command: str, value: str):
    """Every command with --as-of refuses what is not ISO-8601, before it ingests, builds or opens anything."""
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "tickets.csv").write_text("ticket_id\nT-1\n")
    fresh = tmp_path / "new.duckdb"
    extra = ["--raw", str(raw), "--log-file", str(tmp_path / "n.log")] if command == "nightly" else []
    result = run_cli(command, "--warehouse", str(fresh), "--as-of", value, *extra)
    assert_usage_error(result, "--as-of", f"'{value}' is not an ISO-8601 date or timestamp")
    assert not fresh.exists() and not (tmp_path / "n.log").exists()
    assert [p.name for p in raw.iterdir()] == ["tickets.csv"]


def test_now_of_the_checks_must_be_an_iso_timestamp(warehouse: Path, tmp_path: Path):
    before = digest(warehouse)
    result = run_cli("check", "--warehouse", str(warehouse), "--now", "now", "--report-dir", str(tmp_path / "q"))
    assert_usage_error(result, "--now", "'now' is not an ISO-8601 date or timestamp")
    assert digest(warehouse) == before and not (tmp_path / "q").exists()


def test_an_as_of_with_an_offset_is_judged_in_utc(warehouse: Path):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        built = con.execute("select max(as_of) from main.dim_as_of").fetchone()[0]
    finally:
        con.close()
    day = built.date()
    result = run_cli("detect", "--warehouse", str(warehouse), "--no-write", "--json",
                     "--as-of", f"{day}T01:30:00+02:00")
    assert result.returncode == 0, result.stderr[-2000:]
    in_utc = datetime.combine(day, time(1, 30)) - timedelta(hours=2)  # the evening before, 23:30 UTC
    assert json.loads(result.stdout)["as_of"] == f"{in_utc.isoformat()}Z"
