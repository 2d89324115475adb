"""End to end: the nightly publishes a demo system, `flowmetrics report` writes the HTML, and headless Chromium
renders it offline with no console errors and every section's chart drawn (a screenshot is kept in tmp)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from flowmetrics.ingest import write_raw_tables
from flowmetrics.simulation import generate_raw_tables

CLI = [sys.executable, "-m", "flowmetrics.cli"]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHART_SECTIONS = {
    "constraint": ["chart-stage-time", "chart-constraint-timeline"],
    "pile-up": ["chart-cfd", "chart-cycle-time-scatter", "chart-aging-wip"],
    "finish-rate": ["chart-finish-rate", "chart-experiment-funnel", "chart-shipped-decisions"],
    "ai": ["chart-ai-comparison"],
}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    work = tmp_path_factory.mktemp("report")
    write_raw_tables(generate_raw_tables(items=500, seed=4), work / "raw")
    warehouse = work / "wh.duckdb"
    nightly = run("nightly", "--raw", str(work / "raw"), "--warehouse", str(warehouse),
                  "--log-file", str(work / "nightly.log"), "--report-dir", str(work / "quality"),
                  "--", "--target-path", str(work / "target"), "--log-path", str(work / "logs"))
    assert nightly.returncode == 0, nightly.stderr[-3000:]
    out = work / "report.html"
    written = run("report", "--warehouse", str(warehouse), "--out", str(out), "--replications", "4", "--json")
    assert written.returncode == 0, written.stderr[-3000:]
    assert written.stderr == "", "progress must stay quiet in --json mode and when output is not a terminal"
    return out, json.loads(written.stdout)


def test_the_report_is_one_self_contained_file(report):
    out, meta = report
    html = out.read_text(encoding="utf-8")
    assert meta["bytes"] == len(html.encode("utf-8"))
    assert "<script src=" not in html and "<link " not in html, "nothing may be fetched at view time"
    for section in ("constraint", "pile-up", "finish-rate", "ai", "invest", "dora", "quality"):
        assert f'<section id="{section}">' in html


def test_chromium_renders_every_chart_offline_without_console_errors(report, tmp_path: Path):
    from playwright.sync_api import sync_playwright

    out, _ = report
    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: `make test` installs it (apt-get install chromium)"
    messages: list[str] = []
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            page.on("console", lambda m: messages.append(f"{m.type}: {m.text}") if m.type in ("error", "warning")
                    else None)
            page.on("pageerror", lambda e: messages.append(f"pageerror: {e}"))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(out.as_uri(), wait_until="load")
            for section, charts in CHART_SECTIONS.items():
                for chart in charts:
                    selector = f"section#{section} #{chart} .main-svg"
                    page.wait_for_selector(selector, timeout=15_000)
                    box = page.locator(f"section#{section} #{chart}").bounding_box()
                    assert box and box["width"] > 300 and box["height"] > 150, (chart, box)
                    traces = page.locator(f"#{chart} g.trace, #{chart} g.funnellayer path").count()
                    assert traces > 0, f"{chart} has no drawn trace"
            rows = page.locator("section#invest table tbody tr").count()
            assert rows >= 2, "the what-if table needs a row per work stage and one for tripled arrivals"
            assert page.locator("section#dora .tile").count() == 4
            assert page.locator("section#quality .tile").count() == 3
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, "the report must fit a laptop screen without sideways scrolling"
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        finally:
            browser.close()
    assert messages == []
    assert all(url.startswith(("file:", "data:", "blob:")) for url in requests), requests
    assert (tmp_path / "report.png").stat().st_size > 50_000
