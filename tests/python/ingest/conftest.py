"""Fixtures for the ingest tests; every file they ingest is written into tmp_path by the tests themselves."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.python.ingest.helpers import valid_frames


@pytest.fixture
def frames() -> dict[str, pd.DataFrame]:
    return valid_frames()


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return tmp_path / "wh" / "test.duckdb"
