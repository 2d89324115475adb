"""The flow report: one self-contained HTML file answering the five questions from the published marts (written by
`flowmetrics.steps.report`)."""

from __future__ import annotations

from dataclasses import dataclass

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
    scope: str = "whole system"  # whose work the report shows (flowmetrics.scope.Scope.label)
