"""The built wheel ships flowmetrics/py.typed, so a project that imports flowmetrics type-checks against its
annotations. Built offline from a copy of the sources, so the work tree gets no build/ or egg-info."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_wheel_ships_the_typed_marker(tmp_path: Path) -> None:
    src = tmp_path / "src"
    shutil.copytree(ROOT / "flowmetrics", src / "flowmetrics", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    dist = tmp_path / "dist"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "--quiet",
         "--wheel-dir", str(dist), str(src)],
        capture_output=True, text=True, timeout=120,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = dist.glob("flowmetrics-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert "flowmetrics/py.typed" in names, f"{wheel.name} lacks flowmetrics/py.typed"
    assert "flowmetrics/cli.py" in names, f"{wheel.name} lacks the package itself"
