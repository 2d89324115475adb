"""End to end: the nightly publishes a demo system, `flowmetrics report` writes the HTML, and headless Chromium
renders it offline with no console errors and every section's chart drawn (a screenshot is kept in tmp); the first
screen answers where the constraint is and what fraction of started work finishes, every colour of every chart has
one meaning, tables fit a phone and the quality page a laptop."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from flowmetrics.ingest import write_raw_tables
from flowmetrics.simulation import generate_raw_tables
from flowmetrics.warehouse.dbt_yaml import project_var

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


def test_chromium_renders_every_chart_offline_without_console_errors(report, browser, tmp_path: Path):
    out, _ = report
    messages: list[str] = []
    requests: list[str] = []
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    try:
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
        page.close()
    assert messages == []
    assert all(url.startswith(("file:", "data:", "blob:")) for url in requests), requests
    assert (tmp_path / "report.png").stat().st_size > 50_000


@pytest.fixture(scope="module")
def browser() -> Iterator:
    """One headless Chromium for the module's tests (each opens its own page)."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: `make test` installs it (apt-get install chromium)"

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@contextmanager
def chromium_page(browser, url: str, width: int, height: int) -> Iterator:
    """A page of ``url`` at ``width`` x ``height``, loaded."""
    page = browser.new_page(viewport={"width": width, "height": height})
    try:
        page.goto(url, wait_until="load")
        yield page
    finally:
        page.close()


def test_the_first_screen_answers_where_the_constraint_is_and_what_finishes(report, browser):
    out, _ = report
    with chromium_page(browser, out.as_uri(), 1280, 800) as page:
        boxes = page.evaluate(
            "ids => ids.map(id => { const r = document.getElementById(id).getBoundingClientRect();"
            " return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; })",
            ["headline-verdict", "headline-finish", "headline-forecast"],
        )
        verdict, finish, forecast = boxes
        texts = [page.inner_text(f"#{i}") for i in ("headline-verdict", "headline-finish", "headline-forecast")]
    for box in boxes:
        assert box["top"] >= 0 and box["bottom"] <= 800, f"not on the first screen at 1280x800: {boxes}"
    assert verdict["right"] <= finish["left"] and abs(verdict["top"] - finish["top"]) < 2, "not side by side"
    assert "code_review is the constraint" in texts[0] and "detection period" in texts[0]
    line = f"{float(project_var('finish_rate_threshold')):.0%} line"
    assert line in texts[1] and "work items" in texts[1] and "experiments" in texts[1], texts[1]
    assert "mature" in texts[1]  # the rate of mature cohorts, or that none is mature yet: never a maturing rate
    assert texts[2].startswith("Forecast: none is published."), texts[2]  # the nightly forecasts nothing


def test_no_colour_has_two_meanings_and_a_stage_keeps_its_colour(report, browser):
    """Every trace of every drawn figure names its meaning (trace.meta; a reference line its shape name): each
    colour means one thing across the report, and each thing is drawn in one colour."""
    out, _ = report
    with chromium_page(browser, out.as_uri(), 1280, 800) as page:
        page.wait_for_selector("#chart-ai-comparison .main-svg", timeout=15_000)
        drawn = page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')].map(gd => ({
            id: gd.id,
            traces: gd.data.map(t => ({meta: t.meta ?? null, name: t.name ?? null,
                                       marker: (t.marker || {}).color ?? null, line: (t.line || {}).color ?? null,
                                       fill: t.fillcolor ?? null})),
            shapes: ((gd.layout || {}).shapes || []).map(s => ({name: s.name ?? null, line: (s.line || {}).color}))
        }))""")
        marks = page.evaluate("""() => [...document.querySelectorAll('td .mark')].map(m => ({
            colour: getComputedStyle(m).backgroundColor, text: m.parentElement.textContent}))""")
    meanings: dict[str, set[str]] = defaultdict(set)
    colours: dict[str, set[str]] = defaultdict(set)
    for figure in drawn:
        for trace in figure["traces"]:
            assert trace["meta"], f"{figure['id']}: trace {trace['name']} does not say what its colour means"
            for key in ("marker", "line", "fill"):
                colour = trace[key]
                if colour is None:
                    continue
                pairs = zip(colour, trace["meta"], strict=True) if isinstance(colour, list) else [
                    (colour, trace["meta"])]
                for c, meaning in pairs:
                    meanings[c.upper()].add(meaning)
                    colours[meaning].add(c.upper())
        for shape in figure["shapes"]:
            assert shape["name"], f"{figure['id']}: a line that does not say what it is"
            meanings[shape["line"].upper()].add(shape["name"])
            colours[shape["name"]].add(shape["line"].upper())
    for mark in marks:  # the table's marks: rgb(r, g, b) of a classification
        colour = "#" + "".join(f"{int(v):02X}" for v in re.findall(r"\d+", mark["colour"])[:3])
        meanings[colour].add(f"classification: {mark['text']}")
        colours[f"classification: {mark['text']}"].add(colour)
    assert len(drawn) >= 8 and any(m.startswith("stage: ") for m in colours)
    assert {m for m in colours if m.startswith("classification: ")} >= {"classification: constraint"}
    assert {c: m for c, m in meanings.items() if len(m) > 1} == {}, "a colour with two meanings"
    assert {m: c for m, c in colours.items() if len(c) > 1} == {}, "a meaning drawn in two colours"
    stage_charts = {f["id"] for f in drawn if any(str(t["meta"]).startswith("stage: code_review")
                                                   for t in f["traces"])}
    assert stage_charts == {"chart-cfd", "chart-constraint-timeline"}, stage_charts


def test_at_phone_width_tables_scroll_in_their_box_and_the_page_never_sideways(report, browser):
    out, _ = report
    with chromium_page(browser, out.as_uri(), 390, 844) as page:
        page.wait_for_selector("#chart-ai-comparison .main-svg", timeout=15_000)
        width = page.evaluate("document.documentElement.scrollWidth")
        boxes = page.evaluate("""() => [...document.querySelectorAll('.table-box')].map(b => ({
            table: b.querySelector('table').id, scroll: b.scrollWidth, client: b.clientWidth,
            overflow: getComputedStyle(b).overflowX}))""")
    assert width <= 390, f"the page scrolls sideways on a phone: {width} px"
    assert boxes and all(b["overflow"] == "auto" and b["client"] <= 390 for b in boxes), boxes
    assert any(b["scroll"] > b["client"] for b in boxes if b["table"] == "table-stage-classification"), boxes


def test_the_quality_page_fits_a_laptop(report, browser):
    out, _ = report
    (page_file,) = [p for p in (out.parent / "quality").glob("*/quality.html")]
    with chromium_page(browser, page_file.as_uri(), 1280, 800) as page:
        width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1280, f"the quality page is {width} px wide at 1280"


def test_nothing_is_fetched_from_the_network(report, tmp_path: Path):
    """No external src/href outside the inlined scripts, and Chromium's net log has no http(s) request that the
    page started (the browser's own update and account checks start from no origin and are not the report's)."""
    out, _ = report
    html = out.read_text(encoding="utf-8")
    markup = re.sub(r"<script\b[^>]*>.*?</script>", "", html, flags=re.S | re.I)
    assert not re.findall(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", markup, flags=re.I)
    net_log = tmp_path / "net-log.json"
    dumped = subprocess.run(
        [CHROMIUM, "--headless", *CHROMIUM_ARGS, f"--log-net-log={net_log}", "--virtual-time-budget=5000",
         "--dump-dom", out.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert dumped.returncode == 0 and 'id="chart-cfd"' in dumped.stdout, dumped.stderr[-2000:]
    log = json.loads(net_log.read_text(encoding="utf-8"))
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    assert log["events"], "an empty net log cannot show what the page fetched"
    from_page = [e["params"]["url"] for e in log["events"] if e["type"] == start and "url" in e["params"]
                 and e["params"]["url"].startswith(("http:", "https:"))
                 and e["params"].get("initiator") != "not an origin"]
    assert from_page == []
