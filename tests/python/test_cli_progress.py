"""Long CLI steps show progress on a terminal and stay quiet in --json mode or when output is not a TTY."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from flowmetrics.ingest import write_raw_tables
from flowmetrics.simulation import generate_raw_tables

CLI = [sys.executable, "-m", "flowmetrics.cli"]


@pytest.fixture(scope="module")
def raw_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    raw = tmp_path_factory.mktemp("progress") / "raw"
    write_raw_tables(generate_raw_tables(items=60, seed=2), raw)
    return raw


def run_with_terminal_stderr(args: list[str]) -> tuple[int, str, str]:
    """Run with stderr on a pseudo-terminal (as in an interactive shell) and stdout on a pipe."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=follower, text=True)
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data.decode(errors="replace"))
    out, _ = proc.communicate()
    os.close(leader)
    return proc.returncode, out, "".join(chunks)


def test_ingest_shows_progress_on_a_terminal(raw_dir: Path, tmp_path: Path):
    code, out, terminal = run_with_terminal_stderr([*CLI, "ingest", str(raw_dir), "--warehouse",
                                                    str(tmp_path / "w.duckdb")])
    assert code == 0
    assert "ticket_status_changes" in terminal and "…" in terminal
    assert "…" not in out, "progress goes to stderr, never into the command's output"


def test_ingest_is_quiet_in_json_mode_even_on_a_terminal(raw_dir: Path, tmp_path: Path):
    code, out, terminal = run_with_terminal_stderr([*CLI, "ingest", str(raw_dir), "--warehouse",
                                                    str(tmp_path / "w.duckdb"), "--json"])
    assert code == 0
    assert terminal.strip() == ""
    assert json.loads(out)["rows_quarantined"] == 0


def test_ingest_is_quiet_when_not_on_a_terminal(raw_dir: Path, tmp_path: Path):
    proc = subprocess.run([*CLI, "ingest", str(raw_dir), "--warehouse", str(tmp_path / "w.duckdb")],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0
    assert proc.stderr == ""
