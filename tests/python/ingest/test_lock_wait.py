"""`flowmetrics ingest --lock-timeout`: wait while a reader holds the DuckDB file, then fail naming it."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import duckdb

from flowmetrics.ingest import ingest_directory, write_raw_tables
from tests.python.ingest.helpers import rows

CLI = [sys.executable, "-m", "flowmetrics.cli"]


def ingest_cli(raw: Path, warehouse: Path, lock_timeout: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, "ingest", str(raw), "--warehouse", str(warehouse), "--lock-timeout", lock_timeout],
                          capture_output=True, text=True, check=False, env={**os.environ, "DO_NOT_TRACK": "1"})


def test_ingest_waits_for_a_reader_that_leaves_within_the_timeout(tmp_path: Path, warehouse: Path, frames) -> None:
    write_raw_tables(frames, tmp_path / "raw")
    ingest_directory(tmp_path / "raw", warehouse, run_id="first")
    reader = duckdb.connect(str(warehouse), read_only=True)
    leave = threading.Timer(2.0, reader.close)
    leave.start()
    try:
        result = ingest_cli(tmp_path / "raw", warehouse, "10")
    finally:
        leave.join()

    assert result.returncode == 0, result.stderr
    assert rows(warehouse, "SELECT count(DISTINCT ingest_run_id) FROM raw.ingest_runs") == [(2,)]


def test_ingest_gives_up_after_the_timeout_naming_the_reader(tmp_path: Path, warehouse: Path, frames) -> None:
    write_raw_tables(frames, tmp_path / "raw")
    ingest_directory(tmp_path / "raw", warehouse, run_id="first")
    reader = duckdb.connect(str(warehouse), read_only=True)
    try:
        result = ingest_cli(tmp_path / "raw", warehouse, "0.5")
    finally:
        reader.close()

    assert result.returncode == 1, result.stderr
    assert (f"error: ingest into {warehouse} gave up after waiting 0.5s (--lock-timeout) for its lock, nothing "
            "changed: another process") in result.stderr
    assert f"PID {os.getpid()}" in result.stderr
    assert rows(warehouse, "SELECT count(DISTINCT ingest_run_id) FROM raw.ingest_runs") == [(1,)]
