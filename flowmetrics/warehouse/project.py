"""Where the dbt project lives and how dbt is invoked from the package."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from flowmetrics.errors import ConfigError

PROJECT_DIR = Path(__file__).resolve().parents[2]
"""The repo root: the dbt project that ships with the package (installed editable)."""

DUCKDB_ENV = "FLOWMETRICS_DUCKDB"
DEFAULT_DUCKDB = "flowmetrics.duckdb"


def dbt_executable() -> str:
    """The `dbt` of the running interpreter's environment, so the package's pinned dbt is the one used."""
    candidate = Path(sys.executable).parent / "dbt"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("dbt")
    if not found:
        raise ConfigError("dbt is not installed in this environment: run `make setup`")
    return found


def profiles_dir() -> Path:
    """DBT_PROFILES_DIR when set, else the repo root (which ships a working DuckDB profiles.yml)."""
    return Path(os.environ.get("DBT_PROFILES_DIR") or PROJECT_DIR)


def dbt_env(warehouse: Path | None) -> dict[str, str]:
    """The environment for a dbt subprocess: tracking off, and the DuckDB file when one is given."""
    env = dict(os.environ)
    env["DO_NOT_TRACK"] = "1"
    env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    env.setdefault("DBT_PROFILES_DIR", str(profiles_dir()))
    if warehouse is not None:
        env[DUCKDB_ENV] = str(Path(warehouse).resolve())
    return env
