"""One writer at a time per warehouse: the kernel lock (flock) every writing command takes.

ingest, build, detect, check, publish and nightly hold it while they run; a second writer waits up to its
``--lock-timeout`` and then fails naming the holder (pid and command). The kernel releases the lock when its
holder dies, so a killed run never leaves it behind. Within one process the lock is re-entrant: the nightly holds
it once and its steps run under it. A DuckDB file's lock file sits beside the file; another target's lock is per
target name, in ``$FLOWMETRICS_LOCK_DIR`` (default: the system's temp directory), so it serialises the writers of
one machine. dbt run by hand does not take it (see docs/nightly.md: publishing copes with that).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from flowmetrics.errors import ConfigError, WarehouseBusyError
from flowmetrics.warehouse.profile import Target

LOCK_DIR_ENV = "FLOWMETRICS_LOCK_DIR"
LOCK_SUFFIX = ".flowmetrics.lock"

_held: dict[Path, int] = {}  # lock file -> how deep this process holds it
_guard = threading.Lock()


def lock_path(target: Target) -> Path:
    """The lock file of a warehouse: beside a DuckDB file, else per target name in the lock directory."""
    if target.is_duckdb and target.path is not None:
        path = Path(target.path).resolve()
        return path.with_name(path.name + LOCK_SUFFIX)
    directory = Path(os.environ.get(LOCK_DIR_ENV) or tempfile.gettempdir())
    return directory / f"flowmetrics-{re.sub(r'[^A-Za-z0-9_.-]', '_', target.name)}{LOCK_SUFFIX}"


@contextlib.contextmanager
def warehouse_lock(target: Target, command: str, timeout: float, poll: float = 0.1) -> Iterator[Path]:
    """Hold the warehouse's writer lock while the block runs; wait up to ``timeout`` seconds for another holder."""
    path = lock_path(target)
    with _guard:
        if path in _held:
            _held[path] += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield path
        finally:
            with _guard:
                _held[path] -= 1
        return
    handle = _acquire(path, target, command, timeout, poll)
    with _guard:
        _held[path] = 1
    try:
        yield path
    finally:
        with _guard:
            del _held[path]
        with contextlib.suppress(OSError):
            fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def _acquire(path: Path, target: Target, command: str, timeout: float, poll: float) -> BinaryIO:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = path.open("a+b", buffering=0)  # unbuffered: nothing is left to flush when a full disk refused it
    except OSError as exc:
        raise ConfigError(f"cannot open the warehouse's lock file {path}: {exc.strerror or exc}") from exc
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                handle.seek(0)
                holder = handle.read().decode("utf-8", "replace").strip() or "another process"
                handle.close()
                where = target.path or f"target {target.name}"
                raise WarehouseBusyError(
                    f"another writer holds the warehouse {where}: {holder}. Waited {timeout:g}s (--lock-timeout) "
                    f"for it; flowmetrics {command} changed nothing. Run it again when that one has finished "
                    f"(lock file {path})"
                ) from None
            time.sleep(poll)
    since = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    # Who holds the lock is a courtesy to the next writer's message; the lock itself needs no disk. On a full
    # disk the note cannot be written: keep the lock, so the command itself reports the full disk clearly.
    with contextlib.suppress(OSError):
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} (flowmetrics {command}, since {since})\n".encode())
    return handle

