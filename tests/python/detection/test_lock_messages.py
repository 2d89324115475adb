"""A warehouse file held by another process is reported as what it is: the holder's PID, and whether it reads or
writes when DuckDB's lock error tells."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.python.detection.cli_helpers import copy_of, digest, run_cli

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def warehouse(demo_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_of(demo_warehouse, tmp_path_factory.mktemp("locks"))


def hold(warehouse: Path, read_only: bool) -> subprocess.Popen[str]:
    """A process that opens `warehouse` (read-only or for writing) and keeps it open until killed."""
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import duckdb, sys, time; c = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == 'ro'); "
         "print('open', flush=True); time.sleep(120)",
         str(warehouse), "ro" if read_only else "rw"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
    return holder


def test_a_reader_holding_the_file_is_reported_as_a_reader(warehouse: Path):
    before = digest(warehouse)
    holder = hold(warehouse, read_only=True)
    try:
        result = run_cli("detect", "--warehouse", str(warehouse))  # writes its findings: needs the file alone
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 2, result.stdout[-2000:] + result.stderr[-2000:]
    assert f"PID {holder.pid}) has {warehouse} open read-only" in result.stderr, result.stderr
    assert "write lock" not in result.stderr
    assert digest(warehouse) == before


def test_a_writer_holding_the_file_is_reported_as_a_writer(warehouse: Path, tmp_path: Path):
    held = tmp_path / "held.duckdb"
    shutil.copy(warehouse, held)
    holder = hold(held, read_only=False)
    try:
        result = run_cli("detect", "--warehouse", str(held), "--no-write")  # only reads
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 2, result.stdout[-2000:] + result.stderr[-2000:]
    assert f"PID {holder.pid}) holds a write lock on {held}" in result.stderr, result.stderr
    assert "read-only" not in result.stderr
