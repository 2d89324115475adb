"""Run dbt commands of the bundled project against a target, as a subprocess (dbt keeps global state)."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pandas as pd

from flowmetrics.errors import ConfigError, DbtRunError, FlowmetricsError
from flowmetrics.results import BuildResult
from flowmetrics.warehouse.project import PROJECT_DIR, dbt_env, dbt_executable


def normalise_as_of(as_of: str) -> str:
    """An ISO-8601 as-of as a UTC timestamp literal 'YYYY-MM-DD HH:MM:SS[.ffffff]' (no offset: UTC)."""
    try:
        ts = pd.Timestamp(as_of)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"--as-of {as_of!r} is not an ISO-8601 timestamp") from exc
    if ts is pd.NaT:
        raise ConfigError(f"--as-of {as_of!r} is not an ISO-8601 timestamp")
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts.isoformat(sep=" ")


def dbt_command(
    command: str,
    *,
    target: str | None = None,
    as_of: str | None = None,
    extra_args: Sequence[str] = (),
) -> list[str]:
    args = [dbt_executable(), command, "--project-dir", str(PROJECT_DIR)]
    if target:
        args += ["--target", target]
    if as_of:
        args += ["--vars", json.dumps({"as_of": normalise_as_of(as_of)})]
    return args + list(extra_args)


def run_dbt(
    command: str,
    *,
    warehouse: Path | None = None,
    target: str | None = None,
    as_of: str | None = None,
    extra_args: Sequence[str] = (),
    capture: bool = False,
) -> BuildResult:
    """Run `dbt <command>`; raise DbtRunError (with dbt's last lines when captured) if it fails."""
    args = dbt_command(command, target=target, as_of=as_of, extra_args=extra_args)
    started = time.perf_counter()
    proc = subprocess.run(
        args,
        env=dbt_env(warehouse),
        cwd=PROJECT_DIR,
        capture_output=capture,
        text=True,
        check=False,
    )
    seconds = round(time.perf_counter() - started, 2)
    if proc.returncode != 0:
        tail = ""
        if capture:
            lines = (proc.stdout or "").splitlines() + (proc.stderr or "").splitlines()
            tail = "\n" + "\n".join(lines[-25:])
        raise DbtRunError(f"dbt {command} failed (exit {proc.returncode}) after {seconds}s{tail}")
    return BuildResult(str(warehouse) if warehouse else "", target, tuple(args[1:]), proc.returncode, seconds)


def built_after(as_of: str, *, warehouse: Path | None = None, target: str | None = None) -> pd.Timestamp | None:
    """The latest event already built into the flow facts when it is later than `as_of`, else None (no build yet,
    or nothing after it).

    The incremental models only recompute tickets that changed, so a build at an earlier as-of needs a full
    refresh; this is how the package knows to ask for one. It reads the facts themselves, not dim_as_of, which a
    failed run may already have moved.
    """
    from flowmetrics.warehouse.marts import MartReader

    latest: list[pd.Timestamp] = []
    try:
        with MartReader.open(target=target, warehouse=warehouse) as reader:
            for mart, column in (("fct_stage_visits", "entered_at"), ("fct_stage_transitions", "changed_at")):
                if reader.exists(mart):
                    value = reader.read(mart, [f"max({column}) as latest"])["latest"].iloc[0]
                    if pd.notna(value):
                        latest.append(pd.Timestamp(value))
    except FlowmetricsError:
        return None
    if not latest:
        return None
    built = max(latest)
    return built if pd.Timestamp(normalise_as_of(as_of)) < built else None


def run_dbt_build(
    *,
    warehouse: Path | None = None,
    target: str | None = None,
    as_of: str | None = None,
    extra_args: Sequence[str] = (),
    capture: bool = False,
) -> BuildResult:
    """`dbt build` of the bundled project: seeds, models, data tests and unit tests.

    An `as_of` earlier than the existing build's adds `--full-refresh` (an incremental run cannot move back).
    """
    note = ""
    if as_of and "--full-refresh" not in extra_args:
        built = built_after(as_of, warehouse=warehouse, target=target)
        if built is not None:
            extra_args = [*extra_args, "--full-refresh"]
            note = f"as-of {normalise_as_of(as_of)} is before events already built (up to {built}): full refresh"
    result = run_dbt(
        "build", warehouse=warehouse, target=target, as_of=as_of, extra_args=extra_args, capture=capture
    )
    return replace(result, note=note) if note else result
