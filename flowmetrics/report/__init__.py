"""The flow report: one self-contained HTML file answering the five questions from the published marts."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flowmetrics.results import Result


@dataclass(frozen=True)
class ReportResult(Result):
    path: str
    bytes: int
    published_run_id: str
    as_of: str
    sections: tuple[str, ...]
    seconds: float
    absent: tuple[str, ...] = ()  # one line per optional raw table this warehouse lacks, as the report shows it


def write_report(
    out: Path,
    *,
    target: str | None = None,
    warehouse: Path | None = None,
    threshold: float = 0.60,
    replications: int = 10,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> ReportResult:
    """Read schema published, run the what-ifs, write the HTML file; its path, size and what it shows."""
    from flowmetrics.analysis import calibrate
    from flowmetrics.report.build import build_report
    from flowmetrics.report.data import load_report_data, read_calibration_inputs
    from flowmetrics.report.invest import investment_table
    from flowmetrics.warehouse.optional_tables import absence_notes

    started = time.perf_counter()
    say = progress or (lambda message: None)
    say("reading schema published")
    data = load_report_data(target, warehouse)
    intervals, items, as_of = read_calibration_inputs(target, warehouse)
    say("calibrating the what-if from the published marts")
    calibration = calibrate(intervals, items, as_of.to_pydatetime(), weeks=12)
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
