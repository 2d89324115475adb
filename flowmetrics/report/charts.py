"""The report's charts: pure functions from data frames to plotly figures (no I/O)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from flowmetrics.report import palette
from flowmetrics.report import sle as sle_lines
from flowmetrics.report.format import DAY, duration

REFERENCE_LINE = "reference line"
"""The meaning of every black line (a shape's name): something to read the data against, never data."""

FONT = {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 13}


def _layout(fig: go.Figure, height: int = 380, **kwargs: object) -> go.Figure:
    fig.update_layout(
        height=height,
        margin={"l": 60, "r": 20, "t": 30, "b": 50},
        font=FONT,
        plot_bgcolor="white",
        paper_bgcolor="white",
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        hoverlabel={"font_size": 13},
        **kwargs,
    )
    fig.update_xaxes(showgrid=False, linecolor="#bbbbbb")
    fig.update_yaxes(gridcolor="#eeeeee", zeroline=False)
    return fig


def _empty(message: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper", font={"size": 15})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, height=200)


KIND_NAMES = {"queue": "waiting in queue", "active": "being worked", "wait": "parked (outside the flow)"}


def stage_time(stage_time: pd.DataFrame, constraint_stage: str | None = None, period: str = "all history") -> go.Figure:
    """Mean days per completed visit over ``period``, split into queue, active and wait, one bar per stage in flow
    order."""
    if stage_time.empty:
        return _empty("No completed stage visits yet.")
    df = stage_time.sort_values("stage_order")
    labels = [f"<b>{s}</b>" if s == constraint_stage else s for s in df["stage"]]
    fig = go.Figure()
    for kind in ("queue", "active", "wait"):
        fig.add_bar(
            y=labels,
            x=df[f"{kind}_seconds"] / DAY,
            name=KIND_NAMES[kind],
            orientation="h",
            marker_color=palette.KIND[kind],
            meta=f"time: {KIND_NAMES[kind]}",
            hovertemplate="%{y}: %{x:.1f} days " + kind + "<extra></extra>",
        )
    fig.update_layout(barmode="stack")
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title_text=f"days per completed visit (mean, {period})")
    return _layout(fig, height=90 + 50 * len(df))


def constraint_timeline(windows: pd.DataFrame, shifts: pd.DataFrame, colours: Mapping[str, str]) -> go.Figure:
    """Which stage was the constraint in each window, with its confidence, in the stage's colour; shifts marked."""
    if windows.empty:
        return _empty("No detection run has been published yet.")
    df = windows.copy()
    df["label"] = df["constraint_stage"].fillna("none")
    stages = sorted(df["label"].unique(), key=lambda s: (s == "none", s))
    fig = go.Figure()
    for stage in stages:
        part = df[df["label"] == stage]
        fig.add_bar(
            x=part["start"],
            y=part["confidence"],
            width=[(e - s).total_seconds() * 1000 * 0.9 for s, e in zip(part["start"], part["end"], strict=True)],
            offset=0,
            name="no stage named" if stage == "none" else stage,
            marker_color=palette.NO_STAGE if stage == "none" else colours.get(stage, palette.UNMAPPED),
            meta="no stage named" if stage == "none" else f"stage: {stage}",
            hovertemplate="%{x|%d %b %Y}: " + stage + ", confidence %{y:.2f}<extra></extra>",
        )
    shift: Any  # a row of the shifts, whose cells pandas types as any scalar
    for shift in shifts.itertuples():
        fig.add_vline(x=pd.Timestamp(shift.at).timestamp() * 1000, line_dash="dash", line_color=palette.REFERENCE,
                      name=REFERENCE_LINE)
        fig.add_annotation(
            x=pd.Timestamp(shift.at), y=1.05, text=f"{shift.from_stage} → {shift.to_stage}", showarrow=False,
            yref="y", font={"size": 12},
        )
    fig.update_yaxes(title_text="confidence (per detection window)", range=[0, 1.12])
    fig.update_xaxes(title_text="detection window (start)")
    fig.update_layout(barmode="overlay")
    return _layout(fig)


def cumulative_flow(stage_daily: pd.DataFrame, colours: Mapping[str, str]) -> go.Figure:
    """A cumulative flow diagram: finished (and abandoned) work at the bottom, then each stage's WIP band.

    The top edge is everything that has entered the system; a band that widens is work piling up in that stage.
    """
    if stage_daily.empty:
        return _empty("No stage days yet.")
    df = stage_daily.copy()
    df["date_day"] = pd.to_datetime(df["date_day"])
    terminal = df[df["is_terminal_stage"]]
    flow = df[~df["is_terminal_stage"]]
    fig = go.Figure()
    order = sorted(terminal["stage"].unique()) + list(
        flow.groupby("stage")["stage_order"].min().sort_values(ascending=False).index
    )
    for stage in order:
        part = df[df["stage"] == stage].sort_values("date_day")
        y = part["cumulative_arrivals"] if stage in set(terminal["stage"]) else part["wip_end_of_day"]
        fig.add_scatter(
            x=part["date_day"],
            y=y,
            name=stage,
            stackgroup="cfd",
            mode="lines",
            line={"width": 0.5, "color": colours.get(stage, palette.UNMAPPED)},
            meta=f"stage: {stage}",
            hovertemplate="%{x|%d %b}: " + stage + " %{y:,.0f}<extra></extra>",
        )
    fig.update_yaxes(title_text="work items, end of each day (all history)")
    return _layout(fig, height=420)


SLE_DASH = {50: "dot", 85: "dash", 95: "longdashdot"}
"""How each service-level line is drawn (all black: a line to plan against, not a kind of time)."""


def _sle_lines(fig: go.Figure, lines: Mapping[int, float]) -> None:
    """The horizontal 50/85/95% lines of cycle time, each labelled "85% (SLE) 6.1 days"."""
    for p, seconds in lines.items():
        fig.add_hline(
            y=seconds / DAY, line_dash=SLE_DASH[p], line_color=palette.REFERENCE, line_width=1.5, name=REFERENCE_LINE,
            annotation_text=f"{p}% (SLE) {duration(seconds)}", annotation_position="top left",
            annotation_font={"size": 12},
        )


def cycle_time_scatter(finished: pd.DataFrame, sle: pd.DataFrame) -> go.Figure:
    """Each item finished in the SLE window: finish date x cycle time (days), a colour per ticket type, with the
    overall 50/85/95% lines."""
    if finished.empty:
        return _empty("No work item finished in the window.")
    df = finished.assign(
        cycle_days=finished["cycle_time_seconds"] / DAY,
        type_label=finished["ticket_type"].fillna("(no type)"),
        finished_at=pd.to_datetime(finished["finished_at"]),
    )
    fig = go.Figure()
    for i, label in enumerate(sorted(df["type_label"].unique())):
        part = df[df["type_label"] == label]
        fig.add_scatter(
            x=part["finished_at"], y=part["cycle_days"], mode="markers", name=label,
            marker={"color": palette.TICKET_TYPES[i % len(palette.TICKET_TYPES)], "size": 6, "opacity": 0.7},
            meta=f"ticket type: {label}",
            customdata=part[["ticket_id"]],
            hovertemplate="%{customdata[0]} (" + label + "): finished %{x|%d %b}, %{y:.1f} days<extra></extra>",
        )
    _sle_lines(fig, sle_lines.overall_lines(sle))
    weeks = sle_lines.window_weeks(sle)
    period = f"finished in the last {weeks} weeks" if weeks else "finished in the window"
    fig.update_yaxes(title_text=f"cycle time, days (each item {period})", rangemode="tozero")
    fig.update_xaxes(title_text="finished on")
    return _layout(fig, height=420)


def aging_wip(open_items: pd.DataFrame, stage_order: Mapping[str, float],
              sle: pd.DataFrame | None = None, as_of: pd.Timestamp | None = None) -> go.Figure:
    """Every started open item's age since it started (days), by current stage, against the same 50/85/95% lines
    of cycle time: an item above the 85% line is at risk of missing the SLE."""
    started = open_items[open_items["age_seconds"].notna()] if not open_items.empty else open_items
    if started.empty:
        return _empty("No open work item has started yet.")
    lines = sle_lines.overall_lines(sle if sle is not None else pd.DataFrame())
    df = started.assign(
        age_days=started["age_seconds"] / DAY,
        stage_days=started["age_in_stage_seconds"] / DAY,
        at_risk=started["age_seconds"] > lines[sle_lines.AT_RISK] if sle_lines.AT_RISK in lines else False,
    )
    stages = sorted(df["current_stage"].unique(), key=lambda s: stage_order.get(s, 999))
    fig = go.Figure()
    at_risk = f"{sle_lines.AT_RISK}th percentile of cycle time"
    for risky, name in ((False, f"within the {at_risk}"), (True, f"older than the {at_risk}")):
        part = df[df["at_risk"] == risky]
        fig.add_scatter(
            x=part["current_stage"],
            y=part["age_days"],
            mode="markers",
            name=name,
            marker={"color": palette.RISK[risky], "size": 7, "opacity": 0.7,
                    "symbol": "diamond" if risky else "circle"},
            meta=f"open item: {name}",
            customdata=part[["ticket_id", "stage_days"]],
            hovertemplate="%{customdata[0]}: started %{y:.1f} days ago, %{customdata[1]:.1f} days in %{x}"
            "<extra></extra>",
        )
    _sle_lines(fig, lines)
    fig.update_xaxes(categoryorder="array", categoryarray=stages)
    when = f"as of {as_of:%d %b %Y}" if as_of is not None else "at the as-of"
    fig.update_yaxes(title_text=f"days since started ({when})", rangemode="tozero")
    fig.update_xaxes(title_text="current stage (open items)")
    return _layout(fig)


MATURE_PANELS = ((True, "mature cohorts (final)"), (False, "still maturing — not final"))


def finish_rate(work_items: pd.DataFrame, experiments: pd.DataFrame, threshold: float) -> go.Figure:
    """Finish rate by start (launch) cohort month for work items and experiments, with the threshold line; mature
    cohorts in the left panel, cohorts still maturing in their own right panel (hatched), so a low rate there does
    not read as a collapse."""
    frames = []
    for frame, name, denominator in ((work_items, "work items", "started"), (experiments, "experiments", "launched")):
        if frame.empty:
            continue
        df = frame.sort_values("cohort_month").assign(
            month=lambda f: pd.to_datetime(f["cohort_month"]).dt.strftime("%b %Y"),
            mature=lambda f: f["is_mature"].fillna(False).astype(bool),
        )
        frames.append((df.assign(rate=df["finished"] / df[denominator].where(df[denominator] > 0)), name,
                       denominator))
    if not frames:
        return _empty("No started work yet.")
    panels = [(mature, title) for mature, title in MATURE_PANELS if any((df["mature"] == mature).any()
                                                                         for df, _, _ in frames)]
    widths = [max(len({m for df, _, _ in frames for m in df.loc[df["mature"] == mature, "month"]}), 2)
              for mature, _ in panels]
    fig = make_subplots(rows=1, cols=len(panels), shared_yaxes=True, subplot_titles=[t for _, t in panels],
                        column_widths=[w / sum(widths) for w in widths], horizontal_spacing=0.04)
    shown: set[str] = set()
    for col, (mature, _title) in enumerate(panels, start=1):
        for df, name, denominator in frames:
            part = df[df["mature"] == mature]
            if part.empty:
                continue
            label = f"{name} (finished ÷ {denominator})"
            fig.add_bar(
                x=part["month"], y=part["rate"], name=label, legendgroup=name, showlegend=name not in shown,
                marker_color=palette.COHORT[name], marker_pattern_shape="" if mature else "/",
                meta=f"finish rate: {name}",
                customdata=part[[denominator, "finished"]],
                hovertemplate="%{x}: %{y:.0%} (%{customdata[1]:,} of %{customdata[0]:,})"
                + ("" if mature else ", still maturing") + "<extra>" + label + "</extra>",
                row=1, col=col,
            )
            shown.add(name)
        fig.add_hline(y=threshold, line_dash="dash", line_color=palette.REFERENCE, name=REFERENCE_LINE, row=1,
                      col=col, annotation_text=f"{threshold:.0%} target" if col == 1 else "",
                      annotation_position="top left")
    fig.update_yaxes(tickformat=".0%", range=[0, 1.05])
    fig.update_yaxes(title_text="finish rate (per start-month cohort)", row=1, col=1)
    fig.update_layout(barmode="group")
    _layout(fig, height=400)
    fig.update_layout(margin={"t": 40, "b": 70}, legend={"orientation": "h", "yanchor": "top", "y": -0.1, "x": 0})
    fig.update_annotations(selector={"text": MATURE_PANELS[1][1]}, font={"size": 14, "color": "#5b5b5b"})
    return fig


def experiment_funnel(funnel: pd.DataFrame) -> go.Figure:
    """Launched → measured cleanly → decided → finished, each step in its experiment-stage colour (all history)."""
    if funnel.empty or int(funnel["experiments"].iloc[0]) == 0:
        return _empty("No experiment has launched yet.")
    steps = list(funnel["step"])
    fig = go.Figure(
        go.Funnel(
            y=steps,
            x=funnel["experiments"],
            textinfo="value+percent initial",
            marker={"color": [palette.EXPERIMENT[s] for s in steps]},
            meta=[f"experiment: {s}" for s in steps],
        )
    )
    fig.update_xaxes(title_text="experiments (all launched, all history)")
    return _layout(fig, height=300)


def shipped_vs_launched(weekly: pd.DataFrame) -> go.Figure:
    """Per week: experiments launched next to decisions that shipped or were cleanly stopped."""
    if weekly.empty:
        return _empty("No experiment weeks yet.")
    df = weekly.sort_values("week_start")
    fig = go.Figure()
    for column, name, stage in (("experiments_launched", "experiments launched", "launched"),
                                ("shipped_decisions", "shipped decisions", "shipped"),
                                ("cleanly_stopped_decisions", "cleanly stopped decisions", "cleanly stopped")):
        fig.add_bar(x=df["week_start"], y=df[column], name=name, marker_color=palette.EXPERIMENT[stage],
                    meta=f"experiment: {stage}")
    fig.update_layout(barmode="group")
    fig.update_yaxes(title_text="experiments per week (count, all history)")
    fig.update_xaxes(title_text="week (starting Monday, UTC)")
    return _layout(fig)


def ai_comparison(ai: pd.DataFrame) -> go.Figure:
    """Finish rate, rework rate, median cycle time and change failure rate, AI-assisted vs not."""
    if ai.empty:
        return _empty("No started work yet.")
    metrics = (
        ("finish_rate", "finish rate", ".0%"),
        ("rework_rate", "rework rate", ".0%"),
        ("median_cycle_time_days", "median cycle time (days)", ".1f"),
        ("change_failure_rate", "change failure rate", ".0%"),
    )
    df = ai.assign(median_cycle_time_days=ai["median_cycle_time_seconds"] / DAY)
    fig = make_subplots(rows=1, cols=4, subplot_titles=[f"{m[1]}<br>(all history)" for m in metrics],
                        horizontal_spacing=0.08)
    for col, (column, _title, fmt) in enumerate(metrics, start=1):
        for value, label in ((True, "AI-assisted"), (False, "not AI-assisted"), (None, "unknown")):
            rows = df[df["ai_assisted"].isna()] if value is None else df[df["ai_assisted"] == value]
            if rows.empty:
                continue
            fig.add_bar(
                x=[label],
                y=rows[column],
                name=label,
                marker_color=palette.AI[value],
                meta=f"AI: {label}",
                showlegend=col == 1,
                legendgroup=label,
                texttemplate="%{y:" + fmt + "}",
                textposition="outside",
                hovertemplate=label + ": %{y:" + fmt + "}<extra></extra>",
                row=1,
                col=col,
            )
        if fmt.endswith("%"):
            fig.update_yaxes(tickformat=".0%", rangemode="tozero", row=1, col=col)
    fig.update_xaxes(showticklabels=False)
    _layout(fig, height=360)
    fig.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.05, "x": 0}, margin={"t": 60, "b": 60})
    return fig
