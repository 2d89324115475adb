"""Read the dbt profile so the package talks to the same warehouse target that `dbt build` wrote."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import yaml

from flowmetrics.errors import ConfigError
from flowmetrics.warehouse.project import DEFAULT_DUCKDB, DUCKDB_ENV, profiles_dir

PROFILE_NAME = "flowmetrics"


@dataclass(frozen=True)
class Target:
    """One output of the flowmetrics dbt profile, rendered (env_var resolved)."""

    name: str
    type: str
    schema: str
    path: Path | None = None  # DuckDB file
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def is_duckdb(self) -> bool:
        return self.type == "duckdb"


def _env_var(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise ConfigError(f"profiles.yml needs environment variable {name}, which is not set")
    return value


def _render(value: Any) -> Any:
    if isinstance(value, str) and "{{" in value:
        env = jinja2.Environment(undefined=jinja2.StrictUndefined)
        env.filters["as_number"] = lambda v: float(v) if "." in str(v) else int(v)
        env.filters["as_bool"] = lambda v: str(v).lower() in ("1", "true", "yes")
        return env.from_string(value).render(env_var=_env_var)
    if isinstance(value, dict):
        return {k: _render(v) for k, v in value.items()}
    return value


def load_profile(directory: Path | None = None) -> dict[str, Any]:
    """The flowmetrics profile from profiles.yml (DBT_PROFILES_DIR, else the repo's own)."""
    path = (directory or profiles_dir()) / "profiles.yml"
    if not path.exists():
        raise ConfigError(f"no profiles.yml in {path.parent}: copy profiles.example.yml there or set DBT_PROFILES_DIR")
    try:
        profiles = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from exc
    if PROFILE_NAME not in profiles:
        raise ConfigError(f"{path} has no profile named {PROFILE_NAME!r} (found: {', '.join(profiles) or 'none'})")
    return profiles[PROFILE_NAME]


def resolve_target(target: str | None = None, warehouse: Path | None = None) -> Target:
    """The target to read or write: an explicit DuckDB file wins; else the profile's target (or its default)."""
    if warehouse is not None and (target is None or target == "duckdb"):
        schema = "main"
        try:
            outputs = load_profile().get("outputs", {})
            schema = outputs.get("duckdb", {}).get("schema", schema)
        except ConfigError:
            pass
        return Target("duckdb", "duckdb", schema, Path(warehouse).resolve())
    profile = load_profile()
    name = str(target or profile.get("target") or "")
    outputs = profile.get("outputs") or {}
    if name not in outputs:
        raise ConfigError(f"unknown dbt target {name!r}; the flowmetrics profile has {', '.join(outputs) or 'none'}")
    settings = _render(outputs[name])
    kind = settings.get("type", "")
    schema = settings.get("schema") or "main"
    path = None
    if kind == "duckdb":
        path = Path(settings.get("path") or os.environ.get(DUCKDB_ENV) or DEFAULT_DUCKDB).resolve()
    return Target(name, kind, schema, path, settings)
