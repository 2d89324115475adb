"""The cursor of each source, kept beside its output (`.flowmetrics-extract.json` in --out): the latest update time
a completed pull saw, so the next pull asks only for what changed since (minus a safety margin)."""

from __future__ import annotations

import json
import os
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flowmetrics.errors import ConfigError

CURSOR_FILE = ".flowmetrics-extract.json"
"""Hidden (ingest skips dot files), one per output directory, one entry per source (jira, github, ...)."""
DEFAULT_MARGIN = timedelta(days=1)
"""How far before the cursor an incremental pull starts: late writes, clock skew and a tracker's time zone in its
query language (Jira's JQL reads times in the user's zone) are all inside it."""


def cursor_path(out_dir: Path) -> Path:
    return out_dir / CURSOR_FILE


def read_cursor(out_dir: Path, source: str) -> datetime | None:
    """The cursor of ``source`` in ``out_dir`` as an aware UTC time; None when no pull of it completed there."""
    sources = _read(cursor_path(out_dir))
    entry = sources.get(source)
    if entry is None:
        return None
    try:
        at = datetime.fromisoformat(str(entry["updated_at"]))
    except (KeyError, TypeError, ValueError):
        raise ConfigError(f"{cursor_path(out_dir)}: the cursor of {source!r} has no valid updated_at; delete the "
                          "entry (or pull with --full)") from None
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC)


def pull_start(
    out_dir: Path, source: str, *, margin: timedelta = DEFAULT_MARGIN, since: datetime | None = None,
    full: bool = False,
) -> datetime | None:
    """Where a pull starts (aware UTC; None: everything): ``since`` when given, else nothing with ``full``, else
    the cursor minus ``margin``, else everything (the first pull)."""
    if since is not None:
        return since if since.tzinfo else since.replace(tzinfo=UTC)
    if full:
        return None
    cursor = read_cursor(out_dir, source)
    return None if cursor is None else cursor - margin


def write_cursor(out_dir: Path, source: str, at: datetime) -> None:
    """Set the cursor of ``source`` (other sources' entries kept); the file is replaced atomically."""
    path = cursor_path(out_dir)
    sources = _read(path)
    aware = at if at.tzinfo else at.replace(tzinfo=UTC)
    sources[source] = {
        "updated_at": aware.astimezone(UTC).isoformat(),
        "pulled_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    handle, temporary = tempfile.mkstemp(prefix=f"{CURSOR_FILE}.", dir=out_dir)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as f:
            json.dump({"sources": sources}, f, indent=2, sort_keys=True)
            f.write("\n")
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise ConfigError(f"cannot write the cursor {path}: {exc.strerror or exc}") from exc


def _read(path: Path) -> dict[str, dict[str, str]]:
    if not path.exists():
        return {}
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read the cursor {path}: {exc}; delete it (or pull with --full)") from exc
    sources = document.get("sources") if isinstance(document, dict) else None
    if not isinstance(sources, dict):
        raise ConfigError(f"{path} is not an extract cursor (no 'sources' object); delete it (or pull with --full)")
    return sources
