"""The report's charts: pure functions from data frames to plotly figures (no I/O)."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from flowmetrics.report import palette
from flowmetrics.report import sle as sle_lines
from flowmetrics.report.format import DAY, duration

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


def stage_time(stage_time: pd.DataFrame, constraint_stage: str | None = None) -> go.Figure:
    """Average days per completed visit, split into queue, active and wait, one bar per stage in flow order."""
    if stage_time.empty:
        return _empty("No completed stage visits yet.")
    df = stage_time.sort_values("stage_order")
    labels = [f"<b>{s}</b>" if s == constraint_stage else s for s in df["stage"]]
    fig = go.Figure()
    for kind in ("queue", "active", "wait"):
        fig.add_bar(
            y=labels,
            x=df[f"{kind}_seconds"] / DAY,
            name={"queue": "waiting in queue", "active": "being worked", "wait": "parked (outside the flow)"}[kind],
            orientation="h",
            marker_color=palette.KIND[kind],
            hovertemplate="%{y}: %{x:.1f} days " + kind + "<extra></extra>",
        )
    fig.update_layout(barmode="stack")
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title_text="days per completed visit (average)")
    return _layout(fig, height=90 + 50 * len(df))


def constraint_timeline(windows: pd.DataFrame, shifts: pd.DataFrame) -> go.Figure:
    """Which stage was the constraint in each window, with its confidence; shifts marked."""
    if windows.empty:
        return _empty("No detection run has been published yet.")
    df = windows.copy()
    df["label"] = df["constraint_stage"].fillna("none")
    stages = sorted(df["label"].unique(), key=lambda s: (s == "none", s))
    colours = {s: palette.SEQUENCE[i % len(palette.SEQUENCE)] for i, s in enumerate(x for x in stages if x != "none")}
    colours["none"] = palette.GREY
    fig = go.Figure()
    for stage in stages:
        part = df[df["label"] == stage]
        fig.add_bar(
            x=part["start"],
            y=part["confidence"],
            width=[(e - s).total_seconds() * 1000 * 0.9 for s, e in zip(part["start"], part["end"], strict=True)],
            offset=0,
            name=stage,
            marker_color=colours[stage],
            hovertemplate="%{x|%d %b %Y}: " + stage + ", confidence %{y:.2f}<extra></extra>",
        )
    shift: Any  # a row of the shifts, whose cells pandas types as any scalar
    for shift in shifts.itertuples():
        fig.add_vline(x=pd.Timestamp(shift.at).timestamp() * 1000, line_dash="dash", line_color=palette.BLACK)
        fig.add_annotation(
            x=pd.Timestamp(shift.at), y=1.05, text=f"{shift.from_stage} → {shift.to_stage}", showarrow=False,
            yref="y", font={"size": 12},
        )
    fig.update_yaxes(title_text="confidence", range=[0, 1.12])
    fig.update_layout(barmode="overlay")
    return _layout(fig)


def cumulative_flow(stage_daily: pd.DataFrame) -> go.Figure:
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
    terminal_colours = {"done": "#C9C9C9", "abandoned": palette.GREY}
    flow_colours = [palette.BLUE, palette.ORANGE, palette.GREEN, palette.VERMILLION, palette.PURPLE, palette.SKY,
                    palette.YELLOW]
    flow_stages = [s for s in order if s not in set(terminal["stage"])]
    colour_of = {s: flow_colours[i % len(flow_colours)] for i, s in enumerate(reversed(flow_stages))}
    for stage in order:
        part = df[df["stage"] == stage].sort_values("date_day")
        y = part["cumulative_arrivals"] if stage in set(terminal["stage"]) else part["wip_end_of_day"]
        fig.add_scatter(
            x=part["date_day"],
            y=y,
            name=stage,
            stackgroup="cfd",
            mode="lines",
            line={"width": 0.5, "color": colour_of.get(stage, terminal_colours.get(stage, palette.GREY))},
            hovertemplate="%{x|%d %b}: " + stage + " %{y:,.0f}<extra></extra>",
        )
    fig.update_yaxes(title_text="work items (cumulative)")
    return _layout(fig, height=420)


SLE_DASH = {50: "dot", 85: "dash", 95: "longdashdot"}
"""How each service-level line is drawn (all black: a line to plan against, not a kind of time)."""


def _sle_lines(fig: go.Figure, lines: Mapping[int, float]) -> None:
    """The horizontal 50/85/95% lines of cycle time, each labelled "85% (SLE) 6.1 days"."""
    for p, seconds in lines.items():
        fig.add_hline(
            y=seconds / DAY, line_dash=SLE_DASH[p], line_color=palette.BLACK, line_width=1.5,
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
            customdata=part[["ticket_id"]],
            hovertemplate="%{customdata[0]} (" + label + "): finished %{x|%d %b}, %{y:.1f} days<extra></extra>",
        )
    _sle_lines(fig, sle_lines.overall_lines(sle))
    fig.update_yaxes(title_text="cycle time (days, started → finished)", rangemode="tozero")
    return _layout(fig, height=420)


def aging_wip(open_items: pd.DataFrame, stage_order: Mapping[Hashable, float],
              sle: pd.DataFrame | None = None) -> go.Figure:
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
    for risky, name, colour in ((False, f"within the {at_risk}", palette.BLUE),
                                (True, f"older than the {at_risk}", palette.VERMILLION)):
        part = df[df["at_risk"] == risky]
        fig.add_scatter(
            x=part["current_stage"],
            y=part["age_days"],
            mode="markers",
            name=name,
            marker={"color": colour, "size": 7, "opacity": 0.7, "symbol": "diamond" if risky else "circle"},
            customdata=part[["ticket_id", "stage_days"]],
            hovertemplate="%{customdata[0]}: started %{y:.1f} days ago, %{customdata[1]:.1f} days in %{x}"
            "<extra></extra>",
        )
    _sle_lines(fig, lines)
    fig.update_xaxes(categoryorder="array", categoryarray=stages)
    fig.update_yaxes(title_text="days since started", rangemode="tozero")
    return _layout(fig)


def finish_rate(work_items: pd.DataFrame, experiments: pd.DataFrame, threshold: float) -> go.Figure:
    """Finish rate by start (launch) cohort month for work items and experiments, with the threshold line."""
    fig = go.Figure()
    for frame, name, colour, denominator in (
        (work_items, "work items (finished ÷ started)", palette.BLUE, "started"),
        (experiments, "experiments (finished ÷ launched)", palette.ORANGE, "launched"),
    ):
        if frame.empty:
            continue
        df = frame.sort_values("cohort_month")
        rate = df["finished"] / df[denominator].where(df[denominator] > 0)
        fig.add_bar(
            x=pd.to_datetime(df["cohort_month"]).dt.strftime("%b %Y"),
            y=rate,
            name=name,
            marker_color=colour,
            marker_pattern_shape=["" if m else "/" for m in df["is_mature"]],
            customdata=df[[denominator, "finished"]],
            hovertemplate="%{x}: %{y:.0%} (%{customdata[1]:,} of %{customdata[0]:,})<extra>" + name + "</extra>",
        )
    if not fig.data:
        return _empty("No started work yet.")
    fig.add_hline(y=threshold, line_dash="dash", line_color=palette.VERMILLION,
                  annotation_text=f"{threshold:.0%} target", annotation_position="top left")
    fig.update_yaxes(title_text="finish rate", tickformat=".0%", range=[0, 1.05])
    fig.update_layout(barmode="group")
    return _layout(fig)


def experiment_funnel(funnel: pd.DataFrame) -> go.Figure:
    if funnel.empty or int(funnel["experiments"].iloc[0]) == 0:
        return _empty("No experiment has launched yet.")
    fig = go.Figure(
        go.Funnel(
            y=funnel["step"],
            x=funnel["experiments"],
            textinfo="value+percent initial",
            marker={"color": [palette.SKY, palette.BLUE, palette.GREEN, palette.ORANGE][: len(funnel)]},
        )
    )
    return _layout(fig, height=300)


def shipped_vs_launched(weekly: pd.DataFrame) -> go.Figure:
    """Per week: experiments launched next to decisions that shipped or were cleanly stopped."""
    if weekly.empty:
        return _empty("No experiment weeks yet.")
    df = weekly.sort_values("week_start")
    fig = go.Figure()
    fig.add_bar(x=df["week_start"], y=df["experiments_launched"], name="experiments launched",
                marker_color=palette.GREY)
    fig.add_bar(x=df["week_start"], y=df["shipped_decisions"], name="shipped decisions", marker_color=palette.GREEN)
    fig.add_bar(x=df["week_start"], y=df["cleanly_stopped_decisions"], name="cleanly stopped decisions",
                marker_color=palette.SKY)
    fig.update_layout(barmode="group")
    fig.update_yaxes(title_text="experiments per week (Monday, UTC)")
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
    fig = make_subplots(rows=1, cols=4, subplot_titles=[m[1] for m in metrics], horizontal_spacing=0.08)
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
    fig.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.05, "x": 0}, margin={"t": 40, "b": 60})
    return fig
