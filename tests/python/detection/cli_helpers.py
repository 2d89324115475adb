"""The CLI in a subprocess against a private copy of the demo warehouse, and a file digest to prove it unchanged."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

CLI = [sys.executable, "-m", "flowmetrics.cli"]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, check=False, timeout=120)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def copy_of(demo_warehouse: Path, folder: Path) -> Path:
    """A copy of the demo warehouse in ``folder``, for tests that must not share the session's file."""
    copy = folder / "demo.duckdb"
    shutil.copy(demo_warehouse, copy)
    return copy
