"""The five questions as sections, then the whole report: pure assembly from ReportData and the what-if table."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pandas as pd

from flowmetrics.report import charts, palette, readings
from flowmetrics.report import sle as sle_lines
from flowmetrics.report.format import DAY, count, duration, percent, signed_percent
from flowmetrics.report.html import Answer, Chart, Headline, Note, Section, Table, Tile, render
from flowmetrics.results import DATA_PROBLEM_CODES, NO_VERDICT_KINDS
from flowmetrics.warehouse.dbt_yaml import project_var
from flowmetrics.warehouse.optional_tables import ABSENT_NOTES, OPTIONAL_TABLES, absence_notes

if TYPE_CHECKING:
    from flowmetrics.report.data import ReportData


def _overall(findings: pd.DataFrame) -> pd.Series | None:
    overall = findings[findings["scope"] == "overall"]
    return None if overall.empty else overall.iloc[0]


def _reasons(overall: pd.Series | None) -> list[dict]:
    """The verdict's reasons ({code, message, value, threshold}) from the overall row's JSON text."""
    text = None if overall is None else overall.get("reasons")
    return json.loads(text) if isinstance(text, str) and text else []


def constraint_verdict(findings: pd.DataFrame, signals: pd.DataFrame) -> str:
    """The verdict in words, with its evidence: the sentence a leader reads first."""
    overall = _overall(findings)
    if overall is None:
        return "No constraint detection has been published yet: run `flowmetrics detect` (or the nightly)."
    if overall["kind"] in NO_VERDICT_KINDS:
        why = [r["message"] for r in _reasons(overall) if r["code"] not in DATA_PROBLEM_CODES]
        return f"{NO_VERDICT_KINDS[overall['kind']]}: {'; '.join(why)}."
    if pd.isna(overall["constraint_stage"]):
        return (
            f"No stage is capacity-bound: time in the flow is delay, not a queue for limited people "
            f"(confidence that any stage is the constraint: {overall['confidence']:.2f})."
        )
    stage = overall["constraint_stage"]
    team = overall["constraint_team"]
    who = f"{stage} ({team}'s share)" if isinstance(team, str) and team else stage
    evidence = signals[(signals["scope"] == "overall") & (signals["stage"] == stage) & signals["team"].isna()]
    parts = []
    if not evidence.empty:
        e = evidence.iloc[0]
        if e.get("bound_by") == "saturation":
            parts.append(
                f"its people are saturated: at capacity {percent(e['at_ceiling_share'])} of the time (occupancy "
                f"{e['occupancy']:.2f} of the most work they hold at once), while work waits in its queue only "
                f"{percent(e['queue_nonempty_share'])} of the time"
            )
        else:
            parts.append(f"work waits {percent(e['waiting_share'])} of its time in its queue")
            if pd.notna(e["load_dependence"]):
                parts.append(f"its time grows with load (rank correlation {e['load_dependence']:.2f})")
        if pd.notna(e["queue_growth_per_week"]) and e["queue_growth_per_week"] > 0.5:
            parts.append(f"its queue grew by {e['queue_growth_per_week']:.0f} items a week")
    kind = " (the constraint moved during the period)" if overall["kind"] == "shifting" else ""
    return f"{who} is the constraint{kind}: {', '.join(parts)}; {overall['confidence']:.2f} confidence."


def detection_period(findings: pd.DataFrame) -> str:
    """The period the latest detection judged ("detection period 06 Jan – 16 Feb 2026, 6 weeks"), read from its
    overall row; "" when nothing was detected."""
    overall = _overall(findings)
    if overall is None or pd.isna(overall.get("window_start")) or pd.isna(overall.get("window_end")):
        return ""
    start, end = pd.Timestamp(overall["window_start"]), pd.Timestamp(overall["window_end"])
    weeks = round((end - start) / pd.Timedelta(weeks=1))
    return f"detection period {start:%d %b} – {end:%d %b %Y}, {weeks} weeks"


def stage_order(data: ReportData) -> dict[str, float]:
    """Each stage's place in the flow, from the completed visits and the daily stage counts."""
    order = {str(s): float(o) for s, o in data.stage_time.set_index("stage")["stage_order"].items()}
    order.update({str(s): float(o) for s, o in data.stage_daily.groupby("stage")["stage_order"].min().items()})
    return order


def stage_colours(data: ReportData) -> dict[str, str]:
    """The one stage -> colour map of the report, from the stage order of the marts (flow stages, then terminal)."""
    order = stage_order(data)
    for stage in data.constraint_findings.get("constraint_stage", pd.Series(dtype=object)).dropna():
        order.setdefault(stage, float("inf"))
    return palette.stage_colours(order)


def _windows(findings: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    windows = findings[findings["scope"] == "window"].rename(
        columns={"window_start": "start", "window_end": "end", "constraint_stage": "constraint_stage"}
    )
    shifts = findings[findings["scope"] == "shift"].rename(
        columns={"window_start": "at", "shifted_from_stage": "from_stage", "constraint_stage": "to_stage"}
    )
    return windows[["start", "end", "constraint_stage", "confidence"]], shifts[["at", "from_stage", "to_stage"]]


def _stage_table(signals: pd.DataFrame, period: str) -> Table:
    overall = signals[(signals["scope"] == "overall") & signals["team"].isna()].sort_values("rank")
    rows = tuple(
        (
            str(int(r["rank"])),
            str(r["stage"]),
            str(r["classification"]),
            percent(r["waiting_share"]),
            "–" if pd.isna(r["load_dependence"]) else f"{r['load_dependence']:.2f}",
            "–" if pd.isna(r.get("occupancy")) else f"{r['occupancy']:.2f}",
            percent(r.get("at_ceiling_share")),
            "–" if pd.isna(r.get("burst_response")) else f"{r['burst_response']:.2f}",
            "–" if pd.isna(r["queue_growth_per_week"]) else f"{r['queue_growth_per_week']:+.1f}",
            duration(r["median_hours"] * 3600 if pd.notna(r["median_hours"]) else None),
        )
        for _, r in overall.iterrows()
    )
    reading = (
        "How each stage is classified: a constraint queues work because its people are busy (a high queue-time "
        "share that grows with load), or its people are saturated (at capacity much of the time, occupancy near "
        "1, even with short queues); a delay is long without being capacity-bound; unmapped: statuses missing "
        "from the status map, to map." + (f" Over the {period}." if period else "")
    )
    return Table(
        "stage-classification",
        reading,
        ("rank", "stage", "classification", "queue-time share", "load dependence", "occupancy", "time at capacity",
         "burst response", "queue growth / week", "median time a visit" + (f" ({period})" if period else "")),
        rows,
        {"classification": palette.CLASSIFICATION},
    )


def constraint_section(data: ReportData, colours: dict[str, str]) -> Section:
    overall = _overall(data.constraint_findings)
    stage = None if overall is None or pd.isna(overall["constraint_stage"]) else overall["constraint_stage"]
    banner: tuple[Tile, ...] = ()
    if overall is not None and overall["kind"] in NO_VERDICT_KINDS:
        label = str(overall["kind"]).replace("_", " ")
        banner = (Tile("Constraint", "No verdict", f"{label}: read the reasons below, not a ranking", "warn"),)
    problems = tuple(
        Note(f"data-problem-{i}", f"Data problem: {r['message']}.")
        for i, r in enumerate(_reasons(overall))
        if r["code"] in DATA_PROBLEM_CODES
    )
    windows, shifts = _windows(data.constraint_findings) if not data.constraint_findings.empty else (
        pd.DataFrame(columns=["start", "end", "constraint_stage", "confidence"]),
        pd.DataFrame(columns=["at", "from_stage", "to_stage"]),
    )
    named = windows["constraint_stage"].notna().sum()
    timeline_reading = (
        f"{stage or 'No stage'} was the constraint in {named} of {len(windows)} windows"
        + (f"; it moved {len(shifts)} time(s)." if len(shifts) else "; it did not move.")
        if len(windows)
        else "No detection windows published yet."
    )
    if overall is not None and isinstance(overall.get("window_reason"), str) and overall["window_reason"]:
        timeline_reading += f" Windows: {overall['window_reason']}."
    items: list[Chart | Table | Note] = [
        *problems,
        Chart("stage-time", readings.stage_time(data.stage_time, stage),
              charts.stage_time(data.stage_time, stage, f"all history to {data.as_of:%d %b %Y}")),
        Chart("constraint-timeline", timeline_reading, charts.constraint_timeline(windows, shifts, colours)),
    ]
    if not data.constraint_signals.empty:
        items.append(_stage_table(data.constraint_signals, detection_period(data.constraint_findings)))
    return Section("constraint", "1. Where is the constraint?",
                   constraint_verdict(data.constraint_findings, data.constraint_signals), tuple(items), banner)


def pile_up_section(data: ReportData, colours: dict[str, str]) -> Section:
    order = stage_order(data)
    return Section(
        "pile-up",
        "2. Where does work pile up?",
        "Bands that widen are stages where work arrives faster than it leaves.",
        (
            Chart("cfd", readings.cumulative_flow(data.stage_daily), charts.cumulative_flow(data.stage_daily, colours)),
            Chart("cycle-time-scatter", readings.cycle_time_scatter(data.sle),
                  charts.cycle_time_scatter(data.finished_items, data.sle)),
            sle_table(data.sle),
            Chart("aging-wip", readings.aging_wip(data.open_items, data.sle),
                  charts.aging_wip(data.open_items, order, data.sle, data.as_of)),
        ),
    )


def sle_table(sle: pd.DataFrame) -> Table:
    """The service-level expectations overall and per ticket type: the lines the scatter draws, for each type."""
    weeks = sle_lines.window_weeks(sle)
    window = f" (last {weeks} weeks)" if weeks else ""
    ordered = pd.concat([sle[sle["sle_scope"] == "overall"],
                         sle[sle["sle_scope"] != "overall"].sort_values("ticket_type")]) if not sle.empty else sle
    rows = tuple(
        (
            "all types" if r["sle_scope"] == "overall" else str(r["ticket_type"] if pd.notna(r["ticket_type"])
                                                                else "(no type)"),
            count(r["finished_items"]),
            *(duration(r[sle_lines.column(p)]) for p in sle_lines.PERCENTILES),
        )
        for _, r in ordered.iterrows()
    )
    return Table(
        "sle-table",
        "Service-level expectations per ticket type: the share of items of that type that finished within each "
        "time (only finished items count).",
        ("ticket type", f"finished items{window}",
         *(f"{p}% within (percentile)" for p in sle_lines.PERCENTILES)),
        rows,
    )


def absent_note(absent: tuple[str, ...], chart_id: str, tables: tuple[str, ...]) -> Note | None:
    """The note drawn in place of a chart when one of the tables it needs (parent first) is absent."""
    missing = next((t for t in tables if t in absent), None)
    return None if missing is None else Note(chart_id, ABSENT_NOTES[missing])


EXPERIMENT_TABLES = ("experiments", "experiment_events")  # launched, decided and shipped come from the events


def finish_section(data: ReportData, threshold: float) -> Section:
    funnel = absent_note(data.absent, "experiment-funnel", EXPERIMENT_TABLES) or Chart(
        "experiment-funnel", readings.experiment_funnel(data.experiment_funnel),
        charts.experiment_funnel(data.experiment_funnel))
    shipped = absent_note(data.absent, "shipped-decisions", EXPERIMENT_TABLES) or Chart(
        "shipped-decisions", readings.shipped_vs_launched(data.shipped_decisions),
        charts.shipped_vs_launched(data.shipped_decisions))
    return Section(
        "finish-rate",
        "3. Finish rate, not start rate",
        "What share of started work actually finishes, and how many experiments end in a decision you can act on.",
        (
            Chart("finish-rate", readings.finish_rate(data.work_item_finish, threshold),
                  charts.finish_rate(data.work_item_finish, data.experiment_finish, threshold)),
            funnel,
            shipped,
        ),
    )


def dora_section(data: ReportData) -> Section:
    lead = f"Production deploys over the last {readings.DORA_DAYS} days before the as-of."
    note = absent_note(data.absent, "dora", ("deploys",))
    if note is not None:
        return Section("dora", "Delivery (DORA)", lead, (note,))
    return Section("dora", "Delivery (DORA)", lead, dora_tier_tables(data.dora_tiers),
                   dora_tiles(data.deployments, data.as_of))


TREND_WEEKS = 12


def dora_tier_tables(tiers: pd.DataFrame) -> tuple[Table, ...]:
    """Per service (production when there is one): each key's value and tier and the overall tier in the latest
    complete week, then the overall tier of each of the last TREND_WEEKS complete weeks (fct_dora_tiers)."""
    if tiers.empty:
        return ()
    t = tiers[(tiers["scope"] == "service") & tiers["is_complete_week"].fillna(False).astype(bool)]
    if "production" in set(t["environment"]):
        t = t[t["environment"] == "production"]
    if t.empty:
        return ()
    several = t.groupby("service")["environment"].nunique().max() > 1
    t = t.assign(label=t["service"] + (" (" + t["environment"] + ")" if several else ""),
                 week_start=pd.to_datetime(t["week_start"]))
    latest_week = t["week_start"].max()
    latest = t[t["week_start"] == latest_week].sort_values("label")
    weeks = int(latest["window_weeks"].max())
    shorter = " (fewer for a service with a shorter history)" if latest["window_weeks"].nunique() > 1 else ""
    version = latest["bands_version"].iloc[0]

    def tier(value: str, name: object) -> str:
        return f"{value} ({name})" if isinstance(name, str) else f"{value} (no tier)"

    rows = tuple(
        (
            r["label"],
            tier(f"{r['deployments_per_week']:.1f}", r["deployment_frequency_tier"]),
            tier(duration(r["median_lead_time_seconds"]), r["lead_time_tier"]),
            tier(percent(r["change_failure_rate"]), r["change_failure_rate_tier"]),
            tier(duration(r["median_time_to_restore_seconds"]), r["time_to_restore_tier"]),
            str(r["overall_tier"]),
        )
        for _, r in latest.iterrows()
    )
    current = Table(
        "dora-tiers",
        f"DORA performance tier per service, week of {latest_week:%d %b %Y} (the latest complete week), each key "
        f"over the {weeks} weeks ending it{shorter}; bands of the State of DevOps Report {version}; "
        "overall = the worst key.",
        ("service", f"deploys a week (mean, {weeks} weeks)", "lead time for changes (median, successful deploys)",
         "change failure rate (failed ÷ deploys)", "time to restore (median, failed deploys; open ones so far)",
         "overall tier"),
        rows,
    )
    trend_weeks = sorted(t["week_start"].unique())[-TREND_WEEKS:]
    trend = t[t["week_start"].isin(trend_weeks)].pivot(index="label", columns="week_start", values="overall_tier")
    trend = trend.reindex(columns=trend_weeks)
    trend_rows = tuple(
        (str(label), *(v if isinstance(v, str) else "–" for v in values)) for label, values in trend.iterrows()
    )
    history = Table(
        "dora-tier-trend",
        f"Overall DORA tier per service by week, the last {len(trend_weeks)} complete weeks (week of the Monday; "
        f"each over the {weeks} weeks ending it; – before the service's first deploy).",
        ("service", *(f"{pd.Timestamp(w):%d %b}" for w in trend_weeks)),
        trend_rows,
    )
    return current, history


def quality_section(data: ReportData) -> Section:
    """The gate's tiles, then what this warehouse lacks: each absent optional table, one note each."""
    absent = tuple(t for t in OPTIONAL_TABLES if t in data.absent)
    notes = tuple(Note(f"absent-{i}", text) for i, text in enumerate(absence_notes(absent)))
    return Section("quality", "Data quality of this run",
                   "These numbers were published only because every error-level check passed.", notes,
                   quality_tiles(data.quality))


def ai_section(data: ReportData) -> Section:
    return Section(
        "ai",
        "4. AI-assisted vs not",
        "More output only helps if it finishes: the same four measures for AI-assisted and other work.",
        (Chart("ai-comparison", readings.ai_comparison(data.ai_comparison), charts.ai_comparison(data.ai_comparison)),),
    )


def invest_section(table: pd.DataFrame, constraint_stage: str | None) -> Section:
    if table.empty:
        return Section("invest", "5. Where to invest", "The what-if could not be calibrated from the marts.")
    capacity = table[table["stage"].notna()].sort_values("throughput_change", ascending=False)
    best = capacity.iloc[0] if not capacity.empty else None
    arrivals = table[table["stage"].isna()]
    reading = "Adding people helps only where the flow is limited."
    if best is not None:
        reading = (
            f"+30% capacity at {best['stage']} moves throughput {signed_percent(best['throughput_change'])}; "
            "elsewhere it barely moves."
        )
        if not arrivals.empty:
            a = arrivals.iloc[0]
            reading += (
                f" Tripling intake changes throughput {signed_percent(a['throughput_change'])} but lead time "
                f"{signed_percent(a['lead_time_change'])} and work in progress {signed_percent(a['wip_change'])}."
            )
    rows = tuple(
        (
            str(r["change"]) + (" (the constraint)" if r["stage"] == constraint_stage and r["stage"] else ""),
            f"{r['throughput_before']:.1f}",
            f"{signed_percent(r['throughput_change'], 1)} "
            f"[{r['throughput_interval'][0]:+.1f}, {r['throughput_interval'][1]:+.1f} a week]",
            signed_percent(r["lead_time_change"]),
            signed_percent(r["wip_change"]),
        )
        for _, r in table.iterrows()
    )
    return Section(
        "invest",
        "5. Where to invest",
        "A simulation calibrated from these marts (arrival rates, service times, people per stage), run before and "
        "after each change; 95% intervals over replications.",
        (
            Table("whatif-table", reading,
                  ("change", "throughput / week now (simulated mean)", "throughput change (mean, 95% interval)",
                   "lead time change (mean)", "WIP change (mean)"), rows),
        ),
    )


def dora_tiles(deployments: pd.DataFrame, as_of: pd.Timestamp) -> tuple[Tile, ...]:
    d = readings.dora_window(deployments, as_of)
    cfr = d["cfr"]
    period = f"last {readings.DORA_DAYS} days"
    return (
        Tile("Deploys a week", f"{d['per_week']:.1f}", f"mean, {period}"),
        Tile("Lead time for changes", duration(d["lead_time"]), f"median, successful deploys, {period}"),
        Tile("Change failure rate", percent(cfr), f"failed, rolled back or causing an incident ÷ deploys, {period}",
             "neutral" if cfr is None else ("good" if cfr <= 0.15 else "warn" if cfr <= 0.3 else "bad")),
        Tile("Time to restore", duration(d["restore"]), f"{RESTORE_NOTES[d['restore_sources']]}, {period}"),
    )


RESTORE_NOTES: dict[object, str] = {
    None: "median, to the next successful deploy (or the incidents' resolution)",
    "deploy_status": "median, to the next successful deploy",
    "incidents": "median, until the incidents the deploy caused were resolved",
    "both": "median, until the incidents were resolved, else to the next successful deploy",
}


def quality_tiles(quality: pd.DataFrame) -> tuple[Tile, ...]:
    if quality.empty:
        return (Tile("Data quality", "not checked", "no quality run recorded for this publish", "warn"),)
    checked = pd.Timestamp(quality["checked_at"].max())
    passed = int((quality["status"] == "passed").sum())
    ran = int(quality["status"].isin(["passed", "failed", "error"]).sum())
    warnings = quality[(quality["severity"] == "warn") & quality["status"].isin(["failed", "error"])]
    failures = quality[(quality["severity"] == "error") & quality["status"].isin(["failed", "error"])]
    return (
        Tile("Checked at", f"{checked:%d %b %H:%M} UTC", "great-expectations gate before publishing"),
        Tile("Checks passed", f"{passed} of {ran}", "error checks block publishing",
             "good" if failures.empty else "bad"),
        Tile("Warnings", count(len(warnings)), ", ".join(warnings["check_id"].head(3)) or "none",
             "good" if warnings.empty else "warn"),
    )


def verdict_answer(data: ReportData) -> Answer:
    """The constraint verdict for the first screen: the stage in a few words, the evidence and its period."""
    overall = _overall(data.constraint_findings)
    evidence = constraint_verdict(data.constraint_findings, data.constraint_signals)
    period = detection_period(data.constraint_findings)
    if overall is None:
        answer, tone = "Not detected yet", "warn"
    elif overall["kind"] in NO_VERDICT_KINDS:
        answer, tone = "No verdict", "warn"
    elif pd.isna(overall["constraint_stage"]):
        answer, tone = "No stage is capacity-bound", "neutral"
    else:
        answer, tone = f"{overall['constraint_stage']} is the constraint", "neutral"
        said, _, rest = evidence.partition(": ")
        if said.startswith(answer) and rest:
            evidence = rest[0].upper() + rest[1:]  # the answer above already names the stage
    return Answer("headline-verdict", "Where is the constraint?", answer,
                  evidence + (f" Over the {period}." if period else ""), "constraint", tone)


def finish_answer(data: ReportData, threshold: float) -> Answer:
    """The finish rate of the mature cohorts, work items and experiments, each against the threshold."""
    parts, details, tones = [], [], []
    for frame, name, denominator in ((data.work_item_finish, "work items", "started"),
                                     (data.experiment_finish, "experiments", "launched")):
        rate = readings.mature_finish(frame, denominator)
        if rate.rate is None:
            parts.append(f"{name}: none mature yet")
            started = frame[denominator].sum() if not frame.empty else 0
            so_far = f", {percent(frame['finished'].sum() / started)} so far, not final" if started else ""
            details.append(f"{name}: no cohort mature yet ({count(rate.maturing)} still maturing{so_far})")
            continue
        below = rate.rate < threshold
        tones.append("bad" if below else "good")
        parts.append(f"{name} {percent(rate.rate)}")
        details.append(
            f"{name}: {'below' if below else 'at or above'} the line, finished ÷ {denominator} over the "
            f"{count(rate.mature)} mature cohorts started {rate.first:%b %Y} – {rate.last:%b %Y}"
            + (f" ({count(rate.maturing)} still maturing, not counted)" if rate.maturing else "")
        )
    tone = "neutral" if not tones else "bad" if "bad" in tones else "good"
    return Answer("headline-finish", "What fraction of started work finishes?", " · ".join(parts),
                  f"Against the {percent(threshold)} line: " + "; ".join(details) + ".", "finish-rate", tone)


def headline(data: ReportData, threshold: float) -> Headline:
    """The first screen: where the constraint is and what fraction of started work finishes, then the forecast."""
    return Headline((verdict_answer(data), finish_answer(data, threshold)), readings.forecast(data.forecasts))


def build_report(data: ReportData, invest: pd.DataFrame, threshold: float | None = None) -> str:
    """The report's HTML; ``threshold`` is the finish-rate target (default: the project's finish_rate_threshold,
    which the marts' below_threshold reads too)."""
    if threshold is None:
        threshold = float(project_var("finish_rate_threshold"))
    overall = _overall(data.constraint_findings)
    stage = None if overall is None or pd.isna(overall["constraint_stage"]) else overall["constraint_stage"]
    colours = stage_colours(data)
    sections = [
        constraint_section(data, colours),
        pile_up_section(data, colours),
        finish_section(data, threshold),
        ai_section(data),
        invest_section(invest, stage),
        dora_section(data),
        quality_section(data),
    ]
    subtitle = (
        f"As of {data.as_of:%d %b %Y %H:%M} UTC · published run {data.published_run_id} · "
        f"{count(data.stage_time['visits'].sum())} completed stage visits"
        + "".join(f" · {note}" for note in data.scope_notes)
        + "".join(f" · the {domain} domain is switched off in this build (var flowmetrics_{domain}_enabled): its "
                  "figures are empty" for domain in data.switched_off)
    )
    footer = (
        f"flowmetrics report from schema published of {data.warehouse}. Durations in hours and days; all times "
        f"UTC; open items are measured up to the as-of. {DAY:.0f} s = 1 day."
    )
    title = "Flow report" + ("" if data.scope.is_whole else f" of {data.scope.label()}")
    return render(f"{title}: where is the constraint?", subtitle, sections, footer, headline(data, threshold))
