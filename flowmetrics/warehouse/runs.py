"""The one run id of every run the package records (ingest, quality, detect, publish, nightly)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime


def new_run_id(now: datetime | None = None) -> str:
    """'YYYYMMDDTHHMMSSZ-' and 8 random hex digits: sorts by its UTC start time (default: now), unique per run."""
    moment = now or datetime.now(UTC)
    return f"{moment:%Y%m%dT%H%M%S}Z-{uuid.uuid4().hex[:8]}"
