"""Ingest on a full disk: exit 1, a message that names the warehouse file and the full disk, and nothing changed.

The real cases run on a small tmpfs mounted for the test (it needs root and a sandbox that allows mounts; the
test is skipped, saying so, where it cannot mount). The in-process cases fake where the failure surfaces.
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from flowmetrics.errors import WarehouseWriteError
from flowmetrics.ingest import ingest_directory, pipeline, write_raw_tables
from flowmetrics.simulation import generate_raw_tables
from tests.python.ingest.helpers import snapshot

CLI = [sys.executable, "-m", "flowmetrics.cli"]


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    try:
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount_point)],
                                 capture_output=True, text=True, check=False)
    except OSError as exc:
        pytest.skip(f"a full disk needs a small filesystem of its own, and `mount` cannot run here: {exc}")
    if mounted.returncode != 0:
        pytest.skip("a full disk needs a small filesystem of its own: mounting a 16 MB tmpfs failed "
                    f"(not root, or the sandbox forbids mounts): {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


@pytest.fixture(scope="module")
def big_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An export of about 11 MB that a 16 MB disk already holding a warehouse cannot take."""
    out = tmp_path_factory.mktemp("big") / "raw"
    write_raw_tables(generate_raw_tables(items=3000, seed=5), out)
    return out


def fill(disk: Path, leave_kb: int) -> None:
    """Fill the disk, then give back ``leave_kb`` KB."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        for chunk in (2**20, 4096):
            with contextlib.suppress(OSError):
                while os.write(fd, b"\0" * chunk):
                    pass
    finally:
        os.close(fd)
    os.truncate(filler, max(0, filler.stat().st_size - leave_kb * 1024))


def ingest_cli(raw: Path, warehouse: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DO_NOT_TRACK": "1"}
    return subprocess.run([*CLI, "ingest", str(raw), "--warehouse", str(warehouse)],
                          capture_output=True, text=True, check=False, env=env)


def assert_disk_full_message(result: subprocess.CompletedProcess[str], warehouse: Path) -> None:
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert f"ingest into {warehouse}" in output
    assert "the disk is full" in output
    assert "No space left on device" in output
    assert "nothing changed" in output
    assert "cannot rollback" not in output
    assert "Traceback" not in output


@pytest.mark.parametrize("leave_kb", [0, 1000], ids=["0 bytes free", "1 MB free"])
def test_ingest_on_a_full_disk_says_so_and_changes_nothing(
    small_disk: Path, big_export: Path, tmp_path: Path, frames, leave_kb: int
) -> None:
    warehouse = small_disk / "wh.duckdb"
    write_raw_tables(frames, tmp_path / "day1")
    ingest_directory(tmp_path / "day1", warehouse)
    before = snapshot(warehouse)
    fill(small_disk, leave_kb)

    result = ingest_cli(big_export, warehouse)

    assert_disk_full_message(result, warehouse)
    assert snapshot(warehouse) == before


def test_first_ingest_on_a_full_disk_leaves_no_file(small_disk: Path, tmp_path: Path, frames) -> None:
    write_raw_tables(frames, tmp_path / "raw")
    fill(small_disk, 0)
    warehouse = small_disk / "wh.duckdb"

    result = ingest_cli(tmp_path / "raw", warehouse)

    assert_disk_full_message(result, warehouse)
    # The writer lock's file stays (deleting a flock file races with the next writer); no database file does.
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler", "wh.duckdb.flowmetrics.lock"]


def test_a_failed_rollback_after_a_full_disk_reports_the_full_disk(
    tmp_path: Path, warehouse: Path, frames, monkeypatch
) -> None:
    """DuckDB may end the transaction itself when a write fails: the rollback that follows fails too ("cannot
    rollback - no transaction is active"), and must not hide the cause."""
    write_raw_tables(frames, tmp_path / "raw")
    ingest_directory(tmp_path / "raw", warehouse)
    before = snapshot(warehouse)

    def write_fails(con, staged, stamp):
        con.execute("ROLLBACK")
        raise duckdb.IOException(f'Could not write file "{warehouse}": No space left on device')

    monkeypatch.setattr(pipeline, "merge", write_fails)

    with pytest.raises(WarehouseWriteError) as caught:
        ingest_directory(tmp_path / "raw", warehouse)

    message = str(caught.value)
    assert caught.value.exit_code == 1
    assert f"ingest into {warehouse} failed and was rolled back, nothing changed: the disk is full" in message
    assert "No space left on device" in message and "cannot rollback" not in message
    assert snapshot(warehouse) == before


def test_an_os_error_at_the_write_is_a_warehouse_error(tmp_path: Path, warehouse: Path, frames, monkeypatch) -> None:
    write_raw_tables(frames, tmp_path / "raw")
    ingest_directory(tmp_path / "raw", warehouse)
    before = snapshot(warehouse)
    spill = warehouse.with_name(warehouse.name + ".tmp") / "spill.block"

    def stage_fails(con, layouts, say):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(spill))

    monkeypatch.setattr(pipeline, "_stage_all", stage_fails)

    with pytest.raises(WarehouseWriteError) as caught:
        ingest_directory(tmp_path / "raw", warehouse)

    message = str(caught.value)
    assert f"ingest into {warehouse}" in message and "the disk is full" in message
    assert f"No space left on device: {spill}" in message and "nothing changed" in message
    assert snapshot(warehouse) == before
