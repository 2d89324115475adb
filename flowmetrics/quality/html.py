"""A self-contained HTML page of one quality run (no scripts, no external styles: it reads the same offline), with
every check's verdict and failing rows, linking to the GX Data Docs page of each suite."""

from __future__ import annotations

import html
from collections import defaultdict
from pathlib import Path

from flowmetrics.results import CheckResult, QualityReport

STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#1d2433}
h1{font-size:1.4rem}table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{border-bottom:1px solid #dde;padding:.35rem .5rem;text-align:left;vertical-align:top;
overflow-wrap:anywhere}
th{background:#f3f4f8}.failed,.error{color:#b00020;font-weight:600}.passed{color:#1b7f3b}
.not_built,.skipped{color:#777}.warn{color:#a05a00;font-weight:600}code{font-size:.85rem}
.verdict{font-size:1.1rem;padding:.6rem 1rem;border-radius:.4rem;display:inline-block}
.ok{background:#e5f5ea}.bad{background:#fde8ea}
"""


def suite_pages(docs_dir: Path) -> dict[str, list[str]]:
    """GX validation pages per suite name (a chunked suite has one page per chunk), relative to the run dir."""
    pages: dict[str, list[str]] = defaultdict(list)
    for page in sorted((docs_dir / "validations").rglob("*.html")):
        name = page.stem.removeprefix("flowmetrics-")
        pages[name].append(str(page.relative_to(docs_dir.parent)))
    return pages


def _status(r: CheckResult) -> str:
    if r.status in ("failed", "error") and r.severity == "warn":
        return "warn"
    return r.status


def render(report: QualityReport, docs_dir: Path | None) -> str:
    pages = suite_pages(docs_dir) if docs_dir is not None and docs_dir.exists() else {}
    verdict = ("ok", "PASS: nothing blocks publishing") if report.passed else (
        "bad", f"FAIL: {len(report.failures)} blocking check(s), publishing refused")
    rows = []
    order = {"failed": 0, "error": 0, "warn": 1, "passed": 2, "not_built": 3, "skipped": 4}
    for r in sorted(report.results, key=lambda r: (order.get(_status(r), 5), r.suite, r.check_id)):
        links = " ".join(
            f'<a href="{html.escape(p)}">{"GX" if i == 0 else i + 1}</a>' for i, p in enumerate(pages.get(r.suite, []))
        )
        sample = "<br>".join(
            html.escape(", ".join(f"{k}={v}" for k, v in row.items())) for row in r.sample
        )
        rows.append(
            "<tr>"
            f'<td class="{_status(r)}">{html.escape(_status(r))}</td>'
            f"<td><code>{html.escape(r.check_id)}</code><br>{html.escape(r.description)}</td>"
            f"<td>{html.escape(r.severity)}</td>"
            f"<td>{html.escape(r.observed or r.message or '')}</td>"
            f"<td>{html.escape(r.threshold or '')}</td>"
            f"<td><code>{sample}</code></td><td>{links}</td></tr>"
        )
    head = (
        f"<p>target <code>{html.escape(report.target)}</code> · as-of {html.escape(report.as_of or 'n/a')} · "
        f"reference time {html.escape(report.reference_time)} · ingest run "
        f"{html.escape(report.ingest_run_id or 'n/a')} · {report.seconds:.1f}s</p>"
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>flowmetrics quality {html.escape(report.run_id)}"
        f"</title><style>{STYLE}</style></head><body><h1>Quality run {html.escape(report.run_id)}</h1>{head}"
        f'<p class="verdict {verdict[0]}">{html.escape(verdict[1])}</p>'
        "<table><tr><th>status</th><th>check</th><th>severity</th><th>observed</th><th>expected</th>"
        "<th>failing rows (sample)</th><th>Data Docs</th></tr>" + "".join(rows) + "</table></body></html>"
    )
