"""`flowmetrics report`: read schema published, run the what-ifs of the investment table, write one HTML file."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from flowmetrics.report import ReportResult
from flowmetrics.report.build import build_report
from flowmetrics.report.data import PUBLISHED, load_report_data
from flowmetrics.steps.whatif import investment_table, read_calibration
from flowmetrics.warehouse.marts import MartReader
from flowmetrics.warehouse.optional_tables import absence_notes
from flowmetrics.warehouse.profile import Target

CALIBRATION_WEEKS = 12.0
"""Weeks before the published as-of the report's what-ifs calibrate from."""


def run_report(
    target: Target,
    out: Path,
    *,
    threshold: float | None = None,  # None: the project's finish_rate_threshold
    replications: int = 10,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> ReportResult:
    """Read schema published, run the what-ifs, write the HTML file; its path, size and what it shows."""
    started = time.perf_counter()
    say = progress or (lambda message: None)
    say("reading schema published")
    data = load_report_data(target)
    say("calibrating the what-if from the published marts")
    with MartReader.open(target, schema=PUBLISHED) as reader:
        calibration = read_calibration(reader, data.as_of.to_pydatetime(), CALIBRATION_WEEKS)
    invest = investment_table(calibration, replications=replications, seed=seed, progress=say)
    html = build_report(data, invest, threshold)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    return ReportResult(
        path=str(out),
        bytes=len(html.encode("utf-8")),
        published_run_id=data.published_run_id,
        as_of=data.as_of.isoformat(),
        sections=("constraint", "pile-up", "finish-rate", "ai", "invest", "dora", "quality"),
        seconds=round(time.perf_counter() - started, 1),
        absent=absence_notes(data.absent),
    )


def report_text(result: ReportResult) -> str:
    text = (
        f"wrote {result.path} ({result.bytes / 1e6:.1f} MB, {result.seconds}s): published run "
        f"{result.published_run_id}, as of {result.as_of} UTC. Open it in any browser; it needs no network."
    )
    return "\n".join([*result.absent, text])
