"""Run dbt commands of the bundled project against a target, as a subprocess (dbt keeps global state).

Every dbt process the package starts goes through `run_dbt_child`: a child that dies with its parent, so a killed
command or nightly never leaves a dbt behind holding the DuckDB file.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from flowmetrics.errors import ConfigError, DbtRunError, FlowmetricsError
from flowmetrics.results import BuildResult
from flowmetrics.warehouse.profile import Target, resolve_target
from flowmetrics.warehouse.project import PROJECT_DIR, dbt_env, dbt_executable

TIMESTAMP_EXAMPLES = "e.g. 2026-01-31, 2026-01-31T06:00:00 or 2026-01-31T06:00:00Z"


def parse_timestamp(text: str) -> datetime:
    """An ISO-8601 date or timestamp as naive UTC (an offset is converted; none means UTC).

    The one parser of every time option (--as-of, --now): words like 'now' or 'today' and other date formats are
    refused with a ValueError that says what is accepted.
    """
    try:
        moment = datetime.fromisoformat(str(text).strip())
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO-8601 date or timestamp (UTC; {TIMESTAMP_EXAMPLES})") from None
    try:
        return moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:
        raise ValueError(f"{text!r} is out of range in UTC (years 1 to 9999)") from None


def normalise_as_of(as_of: str) -> str:
    """An ISO-8601 as-of as a UTC timestamp literal 'YYYY-MM-DD HH:MM:SS[.ffffff]' (no offset: UTC)."""
    try:
        return parse_timestamp(as_of).isoformat(sep=" ")
    except ValueError as exc:
        raise ConfigError(f"--as-of {exc}") from None


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
    rest, given = split_vars(extra_args)
    if as_of:
        given = {**given, "as_of": normalise_as_of(as_of)}
    if given:
        args += ["--vars", json.dumps(given)]
    return args + rest


def split_vars(extra_args: Sequence[str]) -> tuple[list[str], dict[str, object]]:
    """dbt's arguments without their `--vars`, and the vars they gave (YAML or JSON; several `--vars` merge, the
    later winning), so the package's own vars (the as-of) join the user's instead of replacing them."""
    import yaml

    rest: list[str] = []
    given: dict[str, object] = {}
    items = list(extra_args)
    i = 0
    while i < len(items):
        item = items[i]
        if item == "--vars" or item.startswith("--vars="):
            if item == "--vars":
                if i + 1 >= len(items):
                    raise ConfigError("--vars needs a value, e.g. --vars '{flowmetrics_sources: [...]}'")
                text, i = items[i + 1], i + 2
            else:
                text, i = item.split("=", 1)[1], i + 1
            try:
                value = yaml.safe_load(text)
            except yaml.YAMLError as exc:
                raise ConfigError(f"--vars is not YAML or JSON: {exc}") from None
            if not isinstance(value, dict):
                raise ConfigError(f"--vars must be a mapping of var names to values; got {text!r}")
            given.update(value)
            continue
        rest.append(item)
        i += 1
    return rest, given


@dataclass(frozen=True)
class DbtExit:
    return_code: int
    tail: tuple[str, ...]  # dbt's last output lines (stdout and stderr), when captured


def run_dbt_child(
    args: Sequence[str],
    *,
    env: dict[str, str],
    capture: bool = True,
    on_line: Callable[[str], None] | None = None,
    tail_lines: int = 25,
) -> DbtExit:
    """Run dbt as a child that dies with this process, and wait for it.

    On Linux the child asks the kernel for SIGKILL when its parent dies (PR_SET_PDEATHSIG). The kernel sends it when
    the *thread* that started the child ends, so this function starts the child and waits for it in the same thread:
    a thread can never end before its dbt. When captured, each output line goes to `on_line` as it comes.
    """
    proc = subprocess.Popen(
        list(args),
        env=env,
        cwd=PROJECT_DIR,
        stdout=subprocess.PIPE if capture else None,
        stderr=subprocess.STDOUT if capture else None,
        text=True,
        preexec_fn=_die_with_parent(),
    )
    tail: list[str] = []
    try:
        if proc.stdout is not None:
            for line in proc.stdout:
                line = line.rstrip("\n")
                tail = (tail + [line])[-tail_lines:]
                if on_line is not None:
                    on_line(line)
        code = proc.wait()
    finally:
        if proc.poll() is None:  # interrupted (Ctrl-C, an error in on_line): the child goes too
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
    return DbtExit(code, tuple(tail))


def _die_with_parent() -> Callable[[], None] | None:
    """What the child runs before exec: PR_SET_PDEATHSIG, and exit at once if the parent already died (then no
    signal would come). None where prctl does not exist (not Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:  # resolved here, in the parent: the child only makes the call
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def in_child() -> None:
        prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG = 1
        if os.getppid() != parent:
            os._exit(1)

    return in_child


def run_dbt(
    command: str,
    *,
    warehouse: Path | None = None,
    target: str | None = None,
    as_of: str | None = None,
    extra_args: Sequence[str] = (),
    capture: bool = False,
    on_line: Callable[[str], None] | None = None,
) -> BuildResult:
    """Run `dbt <command>`; raise DbtRunError (with dbt's last lines when captured) if it fails. With `on_line`,
    dbt's output is captured and each line goes there as it comes."""
    args = dbt_command(command, target=target, as_of=as_of, extra_args=extra_args)
    if on_line is not None:
        on_line("$ " + " ".join(args))
    started = time.perf_counter()
    done = run_dbt_child(args, env=dbt_env(warehouse), capture=capture or on_line is not None, on_line=on_line)
    seconds = round(time.perf_counter() - started, 2)
    if done.return_code != 0:
        tail = "\n" + "\n".join(done.tail) if done.tail else ""
        raise DbtRunError(f"dbt {command} failed (exit {done.return_code}) after {seconds}s{tail}")
    return BuildResult(str(warehouse) if warehouse else "", target, tuple(args[1:]), done.return_code, seconds)


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
        with MartReader.open(resolve_target(target, warehouse)) as reader:
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
    on_line: Callable[[str], None] | None = None,
) -> BuildResult:
    """`dbt build` of the bundled project: seeds, models, data tests and unit tests. The one path every command
    (build, detect's queue rebuild, the nightly) takes to dbt.

    An `as_of` earlier than the existing build's adds `--full-refresh` (an incremental run cannot move back).
    """
    note = ""
    if as_of and "--full-refresh" not in extra_args:
        built = built_after(as_of, warehouse=warehouse, target=target)
        if built is not None:
            extra_args = [*extra_args, "--full-refresh"]
            note = f"as-of {normalise_as_of(as_of)} is before events already built (up to {built}): full refresh"
    result = run_dbt(
        "build", warehouse=warehouse, target=target, as_of=as_of, extra_args=extra_args, capture=capture,
        on_line=on_line,
    )
    return replace(result, note=note) if note else result


def dbt_location(target: Target) -> tuple[Path | None, str | None]:
    """How dbt reaches a resolved target: a DuckDB file by its path (the profile's duckdb output reads it from the
    environment), any other target by its name in the profile."""
    if target.is_duckdb and target.path is not None:
        return target.path, target.name if target.settings else None  # settings: an output of the profile
    return None, target.name
