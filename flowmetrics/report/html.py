"""Assemble the report into one self-contained HTML file: plotly.js, CSS and data inlined, nothing fetched."""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

PLOT_CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}


@dataclass(frozen=True)
class Tile:
    """A headline number (DORA tiles, data-quality status)."""

    label: str
    value: str
    detail: str = ""
    tone: str = "neutral"  # neutral | good | warn | bad


@dataclass(frozen=True)
class Chart:
    """One chart with the one-line plain-English reading shown above it."""

    chart_id: str
    reading: str
    figure: go.Figure


@dataclass(frozen=True)
class Table:
    chart_id: str
    reading: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    marks: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # column -> {cell text: its mark's colour}


@dataclass(frozen=True)
class Note:
    """A short note drawn in place of a chart whose data this warehouse lacks (an absent optional table)."""

    chart_id: str
    text: str


@dataclass(frozen=True)
class Answer:
    """One answer of the first screen: the question, the answer in a few words, the evidence, a link to the section
    that shows it."""

    answer_id: str
    question: str
    answer: str
    detail: str
    section_id: str
    tone: str = "neutral"  # neutral | good | warn | bad


@dataclass(frozen=True)
class Headline:
    """The first screen: the answers side by side, then one line of what the forecast says."""

    answers: tuple[Answer, ...]
    forecast: str


@dataclass(frozen=True)
class Section:
    section_id: str
    title: str
    lead: str
    items: tuple[Chart | Table | Note, ...] = field(default=())
    tiles: tuple[Tile, ...] = field(default=())


CSS = """
:root { --fg: #1b1b1b; --muted: #5b5b5b; --line: #d9d9d9; --bg: #ffffff; --panel: #f6f7f8;
        --good: #1B7837; --warn: #B8860B; --bad: #A50026; --link: #1F4E79; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg);
       background: var(--bg); }
main { max-width: 1180px; margin: 0 auto; padding: 24px 20px 64px; }
header h1 { font-size: 26px; margin: 0 0 4px; }
header p { margin: 0; color: var(--muted); }
nav { margin: 14px 0 8px; display: flex; flex-wrap: wrap; gap: 6px 14px; font-size: 14px; }
nav a, .answer a { color: var(--link); text-decoration: none; }
.headline { display: grid; grid-template-columns: repeat(auto-fit, minmax(280px, 1fr)); gap: 12px; margin: 14px 0 6px; }
.answer { background: var(--panel); border-radius: 8px; padding: 12px 14px; border-left: 6px solid var(--line); }
.answer .question { font-size: 13px; color: var(--muted); text-transform: uppercase; letter-spacing: .03em; }
.answer .value { font-size: 21px; font-weight: 700; margin: 2px 0 4px; }
.answer .detail { font-size: 14px; }
.answer.good { border-left-color: var(--good); } .answer.warn { border-left-color: var(--warn); }
.answer.bad { border-left-color: var(--bad); }
.forecast { margin: 4px 0 0; font-size: 14px; }
section { margin-top: 36px; padding-top: 8px; border-top: 1px solid var(--line); }
section h2 { font-size: 21px; margin: 8px 0 2px; }
section > p.lead { margin: 0 0 12px; font-size: 16px; }
.reading { margin: 18px 0 4px; font-weight: 600; }
.note { margin: 18px 0 4px; padding: 10px 12px; background: var(--panel); color: var(--muted); border-radius: 8px; }
.chart { width: 100%; min-height: 320px; }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 10px; margin: 10px 0; }
.tile { background: var(--panel); border-radius: 8px; padding: 10px 12px; border-left: 5px solid var(--line); }
.tile .label { font-size: 13px; color: var(--muted); }
.tile .value { font-size: 22px; font-weight: 700; }
.tile .detail { font-size: 12px; color: var(--muted); }
.tile.good { border-left-color: var(--good); } .tile.warn { border-left-color: var(--warn); }
.tile.bad { border-left-color: var(--bad); }
.table-box { max-width: 100%; overflow-x: auto; margin-top: 6px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); }
th { vertical-align: bottom; } td { white-space: nowrap; }
@media (max-width: 600px) { main { padding: 16px 12px 48px; } header h1 { font-size: 22px; } }
.mark { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
footer { margin-top: 40px; font-size: 12px; color: var(--muted); }
"""


def _tiles(tiles: tuple[Tile, ...]) -> str:
    if not tiles:
        return ""
    cells = "".join(
        f'<div class="tile {html.escape(t.tone)}"><div class="label">{html.escape(t.label)}</div>'
        f'<div class="value">{html.escape(t.value)}</div><div class="detail">{html.escape(t.detail)}</div></div>'
        for t in tiles
    )
    return f'<div class="tiles">{cells}</div>'


def _is_number(text: str) -> bool:
    """Right-align cells that start with a number (1,234 · −5% · +0.3 · 12.9 h)."""
    head = text.strip().split(" ")[0]
    stripped = head.replace(",", "").replace("%", "").lstrip("+-−")
    return bool(stripped) and stripped.replace(".", "", 1).isdigit()


def _mark(colour: str | None) -> str:
    """A small square of the colour a value is drawn in (a stage's classification), or nothing."""
    return "" if colour is None else f'<span class="mark" style="background:{html.escape(colour)}"></span>'


def _item(item: Chart | Table | Note) -> str:
    if isinstance(item, Note):
        return f'<p class="note" id="note-{html.escape(item.chart_id)}">{html.escape(item.text)}</p>'
    reading = f'<p class="reading">{html.escape(item.reading)}</p>'
    if isinstance(item, Table):
        head = "".join(f"<th>{html.escape(c)}</th>" for c in item.columns)
        body = "".join(
            "<tr>"
            + "".join(f'<td class="{"num" if _is_number(v) else ""}">{_mark(item.marks.get(c, {}).get(v))}'
                      f"{html.escape(v)}</td>" for c, v in zip(item.columns, row, strict=True))
            + "</tr>"
            for row in item.rows
        )
        return f'{reading}<div class="table-box"><table id="table-{item.chart_id}" class="report-table"><thead>' \
               f"<tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    # ids are prefixed: a chart must never share its id with a section (plotly would draw into the section)
    div = item.figure.to_html(full_html=False, include_plotlyjs=False, div_id=f"chart-{item.chart_id}",
                              config=PLOT_CONFIG)
    return f'{reading}<div class="chart" data-chart="{item.chart_id}">{div}</div>'


def _headline(headline: Headline | None) -> str:
    if headline is None:
        return ""
    answers = "".join(
        f'<div class="answer {html.escape(a.tone)}" id="{html.escape(a.answer_id)}">'
        f'<div class="question">{html.escape(a.question)}</div><div class="value">{html.escape(a.answer)}</div>'
        f'<div class="detail">{html.escape(a.detail)} <a href="#{html.escape(a.section_id)}">Details</a></div></div>'
        for a in headline.answers
    )
    return f'<div class="headline">{answers}</div><p class="forecast" id="headline-forecast">' \
           f"{html.escape(headline.forecast)}</p>"


def render(title: str, subtitle: str, sections: list[Section], footer: str = "",
           headline: Headline | None = None) -> str:
    """The whole report as one HTML string (about 5 MB, most of it plotly.js, inlined once); the headline is the
    first screen, above the sections."""
    nav = "".join(f'<a href="#{s.section_id}">{html.escape(s.title)}</a>' for s in sections)
    body = "".join(
        f'<section id="{s.section_id}"><h2>{html.escape(s.title)}</h2>'
        f'<p class="lead">{html.escape(s.lead)}</p>{_tiles(s.tiles)}'
        + "".join(_item(i) for i in s.items)
        + "</section>"
        for s in sections
    )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title><style>{CSS}</style>"
        f"<script type='text/javascript'>{get_plotlyjs()}</script></head><body><main>"
        f"<header><h1>{html.escape(title)}</h1><p>{html.escape(subtitle)}</p>{_headline(headline)}</header>"
        f"<nav>{nav}</nav>"
        f"{body}<footer>{html.escape(footer)}</footer></main></body></html>"
    )
