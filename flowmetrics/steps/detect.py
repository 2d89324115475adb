"""`flowmetrics detect`: read the marts, detect, write the findings, rebuild the constraint queue.

The I/O edge around the pure `flowmetrics.analysis.detect_constraint`: used by `flowmetrics detect` (`run_detect`)
and by the nightly run (its `run_nightly_detect` hook), so both do exactly the same thing.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from flowmetrics.errors import ConfigError
from flowmetrics.results import ConstraintFinding
from flowmetrics.warehouse.dbt_runner import dbt_location, normalise_as_of, run_dbt_build
from flowmetrics.warehouse.findings import read_status_intervals, write_findings
from flowmetrics.warehouse.lock import warehouse_lock
from flowmetrics.warehouse.marts import MartReader
from flowmetrics.warehouse.optional_tables import warehouse_absence_notes
from flowmetrics.warehouse.profile import Target

QUEUE_MODELS = ("stg_flowmetrics__constraint_findings", "fct_constraint_queue")
MAX_LOOKBACK_WEEKS = 520
"""Detection looks back at most this far (the window length times the number of windows): ten years."""
_WINDOW = re.compile(r"(\d{1,9})([dw]?)", re.ASCII)


def parse_window(text: str) -> int | None:
    """'auto' (None: chosen from the data), or '7d', '14d', '2w' or '7' as whole days, from 1 day to
    MAX_LOOKBACK_WEEKS weeks; a ValueError says why not."""
    if text.strip().lower() == "auto":
        return None
    match = _WINDOW.fullmatch(text.strip().lower())
    days = int(match.group(1)) * (7 if match.group(2) == "w" else 1) if match else 0
    if not 1 <= days <= MAX_LOOKBACK_WEEKS * 7:
        raise ValueError(
            f"{text!r} is not a window: give auto, or whole days or weeks from 1d to {MAX_LOOKBACK_WEEKS}w, e.g. 7d, "
            "14d or 2w"
        )
    return days


def check_lookback(window_days: int, windows: int) -> None:
    """Refuse a look-back (window x windows) longer than MAX_LOOKBACK_WEEKS, or an empty one."""
    if window_days < 1 or windows < 1 or window_days * windows > MAX_LOOKBACK_WEEKS * 7:
        raise ConfigError(
            f"--window {window_days}d x --windows {windows} looks back {window_days * windows:,} days; detection "
            f"looks back at most {MAX_LOOKBACK_WEEKS} weeks ({MAX_LOOKBACK_WEEKS * 7:,} days): use fewer or shorter "
            "windows"
        )


@dataclass(frozen=True)
class DetectionRun:
    finding: ConstraintFinding
    run_id: str | None  # None when nothing was written
    queue_items: int | None
    queue_relation: str | None
    absent: tuple[str, ...] = ()  # one note per optional raw table the warehouse lacks (`run_detect` fills it)


def resolve_as_of(requested: str | None, built: Any) -> pd.Timestamp:
    """The moment to judge: the marts' as-of, or an earlier one asked for (a later one needs a rebuild)."""
    if built is None:
        raise ConfigError("dim_as_of is empty: the marts hold no events; ingest data and build first")
    if requested is None:
        return pd.Timestamp(built)
    as_of = pd.Timestamp(normalise_as_of(requested))
    if as_of > pd.Timestamp(built):
        raise ConfigError(f"--as-of {requested} is after the marts' as-of {built}: rebuild them with that as-of first")
    return as_of


def run_detection(
    target: Target,
    *,
    window_days: int | None = None,
    windows: int = 12,
    as_of: str | None = None,
    seed: int = 0,
    write: bool = True,
    run_id: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> DetectionRun:
    from flowmetrics.analysis import INTERVAL_COLUMNS, detect_constraint
    from flowmetrics.analysis.window import RECENT_DAYS, WINDOW_CHOICES

    # auto (None): first read enough for the shortest window and the rate the choice is made on; read further back
    # and judge again only when the data chooses a longer window (a thin flow: a small read, a quick judgement)
    lookback = window_days or max(WINDOW_CHOICES[0], -(-RECENT_DAYS // windows))
    check_lookback(lookback, windows)
    say = progress or (lambda message: None)
    with MartReader.open(target) as reader:
        say(f"reading fct_status_intervals from {target.path or target.name}")
        moment = resolve_as_of(as_of, reader.as_of())
    while True:
        start = moment - pd.Timedelta(days=lookback * windows)
        since = start.to_pydatetime() if start.year >= 1 else None  # an as-of in year 1: read every interval
        with MartReader.open(target) as reader:
            intervals = read_status_intervals(reader, (*INTERVAL_COLUMNS, "status"), since)
        length = f"{window_days} days" if window_days else "a length chosen from the data"
        say(f"detecting over {windows} windows of {length} ({len(intervals):,} status intervals)")
        finding = detect_constraint(intervals, moment, window_days=window_days, windows=windows, seed=seed)
        chosen = finding.window_days
        if window_days or since is None or chosen <= lookback or chosen * windows > MAX_LOOKBACK_WEEKS * 7:
            break
        lookback = chosen
    if not write:
        return DetectionRun(finding, None, None, None)
    say("writing findings to schema flowmetrics")
    written = write_findings(target, finding, run_id=run_id)
    say("dbt build --select fct_constraint_queue")
    warehouse, name = dbt_location(target)
    run_dbt_build(warehouse=warehouse, target=name, extra_args=["--select", *QUEUE_MODELS], capture=True)
    with MartReader.open(target) as reader:
        waiting = reader.count("fct_constraint_queue")
        relation = f"{reader.schema}.fct_constraint_queue"
    return DetectionRun(finding, written, waiting, relation)


def run_nightly_detect(*, target: Target, run_id: str, log: Callable[[str], None]) -> str:
    """The nightly's detect step: default windows, findings written under the night's run id; a one-line summary."""
    from flowmetrics.analysis import verdict_sentence

    result = run_detection(target, run_id=run_id, progress=log)
    return f"{verdict_sentence(result.finding)} ({result.queue_items:,} item(s) in fct_constraint_queue)"


def run_detect(
    target: Target,
    *,
    window_days: int | None,
    windows: int,
    as_of: str | None,
    seed: int,
    write: bool,
    lock_timeout: float,
    progress: Callable[[str], None] | None = None,
) -> DetectionRun:
    """`flowmetrics detect`: under the writer lock when it writes, the absence notes read first (nothing is written
    when the warehouse cannot open), then `run_detection`."""
    writing = warehouse_lock(target, "detect", lock_timeout) if write else contextlib.nullcontext()
    with writing:
        notes = tuple(warehouse_absence_notes(target))
        result = run_detection(target, window_days=window_days, windows=windows, as_of=as_of, seed=seed,
                               write=write, progress=progress)
    return replace(result, absent=notes)


def detect_payload(result: DetectionRun) -> dict[str, Any]:
    """The JSON document of `flowmetrics detect`: the finding, the absence notes and, when written, where."""
    payload = result.finding.to_dict()
    payload["absent"] = list(result.absent)
    if result.run_id is not None:
        payload.update({"run_id": result.run_id, "constraint_queue_items": result.queue_items})
    return payload


def detect_text(result: DetectionRun) -> str:
    """`flowmetrics detect` for people: the absence notes, the verdict, the evidence table and where it was written."""
    from flowmetrics.analysis import finding_table, verdict_sentence

    footer = []
    if result.run_id is not None:
        footer.append(
            f"Written as run {result.run_id} to flowmetrics.constraint_findings and "
            f"flowmetrics.constraint_stage_signals; {result.queue_relation} lists the {result.queue_items:,} "
            "item(s) waiting in front of the constraint, oldest first."
        )
    return "\n\n".join([*result.absent, verdict_sentence(result.finding), finding_table(result.finding), *footer])
