"""One-line plain-English readings above each chart: pure functions of the same frames the charts draw."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from flowmetrics.report import sle as sle_lines
from flowmetrics.report.format import count, duration, percent


def _why_delay(row: pd.Series) -> str:
    if row["wait_seconds"] >= max(row["queue_seconds"], row["active_seconds"]):
        return "its time is mostly parked outside the flow"
    if row["active_seconds"] == 0:
        return "nobody works there; items only wait in it"
    return "its time does not grow with load"


def stage_time(stage_time: pd.DataFrame, constraint: str | None = None) -> str:
    """The constraint's queue against its work, and why the longest stage (often a decoy) is not the answer."""
    if stage_time.empty:
        return "No stage visit has completed yet."
    df = stage_time.assign(total=stage_time[["queue_seconds", "active_seconds", "wait_seconds"]].sum(axis=1))
    longest = df.sort_values("total", ascending=False).iloc[0]
    if constraint is not None and constraint in set(df["stage"]):
        c = df[df["stage"] == constraint].iloc[0]
        text = (
            f"Items wait {duration(c['queue_seconds'])} in {constraint}'s queue per visit against "
            f"{duration(c['active_seconds'])} being worked: the queue of a stage whose people are busy."
        )
    else:
        top = df.sort_values("queue_seconds", ascending=False).iloc[0]
        text = f"The longest queue is in front of {top['stage']} ({duration(top['queue_seconds'])} per visit)."
    if longest["stage"] != constraint:
        text += (
            f" {longest['stage']} takes longer ({duration(longest['total'])} per visit), but it is a delay, not the "
            f"constraint: {_why_delay(longest)}."
        )
    return text


def cumulative_flow(stage_daily: pd.DataFrame, days: int = 28) -> str:
    flow = stage_daily[~stage_daily["is_terminal_stage"]].copy()
    if flow.empty:
        return "No work in progress yet."
    flow["date_day"] = pd.to_datetime(flow["date_day"])
    last = flow["date_day"].max()
    now = flow[flow["date_day"] == last].set_index("stage")["wip_end_of_day"]
    then = flow[flow["date_day"] == last - pd.Timedelta(days=days)].set_index("stage")["wip_end_of_day"]
    growth = (now - then.reindex(now.index).fillna(0)).sort_values(ascending=False)
    biggest = now.sort_values(ascending=False)
    text = f"{biggest.index[0]} holds the most work in progress ({count(biggest.iloc[0])} items on {last:%d %b})"
    if not growth.empty and growth.iloc[0] > 0:
        text += f"; {growth.index[0]}'s band grew by {count(growth.iloc[0])} items in the last {days} days"
    return text + "."


def cycle_time_scatter(sle: pd.DataFrame) -> str:
    """The overall service-level expectations in words: "85% of items finished within N days"."""
    lines = sle_lines.overall_lines(sle)
    if not lines:
        return "No work item finished in the window yet, so there is no service-level expectation."
    finished = int(sle.loc[sle["sle_scope"] == "overall", "finished_items"].iloc[0])
    others = ", ".join(f"{p}% within {duration(lines[p])}" for p in lines if p != sle_lines.AT_RISK)
    return (
        f"{sle_lines.AT_RISK}% of items finished within {duration(lines.get(sle_lines.AT_RISK))} ({others}): "
        f"the cycle times of the {count(finished)} items finished in the {sle_lines.window_weeks(sle)} weeks before "
        "the as-of. Only finished items count; open items are drawn against these lines below."
    )


def aging_wip(open_items: pd.DataFrame, sle: pd.DataFrame | None = None) -> str:
    if open_items.empty:
        return "Nothing is open."
    lines = sle_lines.overall_lines(sle if sle is not None else pd.DataFrame())
    text = ""
    if sle_lines.AT_RISK in lines:
        line = lines[sle_lines.AT_RISK]
        older = int((open_items["age_seconds"].dropna() > line).sum())
        text = (
            f"{count(older)} open items older than the {sle_lines.AT_RISK}th percentile of cycle time "
            f"({duration(line)}): at risk of missing the service-level expectation. "
        )
    late = open_items[open_items["is_past_stage_p85"].fillna(False)]
    if late.empty:
        return text + (
            f"All {count(len(open_items))} open items are within their stage's usual time (85th percentile)."
        )
    worst = late["current_stage"].value_counts()
    return text + (
        f"{count(len(late))} of {count(len(open_items))} open items have been in their stage longer than 85% of past "
        f"visits; most of them in {worst.index[0]} ({count(worst.iloc[0])})."
    )


@dataclass(frozen=True)
class MatureFinish:
    """Finished ÷ started (or launched) over the mature cohorts, which cohorts those are, and how many still mature."""

    rate: float | None
    mature: int
    maturing: int
    first: pd.Timestamp | None
    last: pd.Timestamp | None


def mature_finish(cohorts: pd.DataFrame, denominator: str = "started") -> MatureFinish:
    """The finish rate of the mature cohorts only: a cohort still maturing has not had time to finish its work."""
    if cohorts.empty:
        return MatureFinish(None, 0, 0, None, None)
    is_mature = cohorts["is_mature"].fillna(False).astype(bool)
    mature = cohorts[is_mature]
    started = mature[denominator].sum()
    months = pd.to_datetime(mature["cohort_month"])
    return MatureFinish(
        float(mature["finished"].sum() / started) if started > 0 else None,
        len(mature),
        int((~is_mature).sum()),
        months.min() if len(mature) else None,
        months.max() if len(mature) else None,
    )


def finish_rate(work_items: pd.DataFrame, threshold: float) -> str:
    if work_items.empty:
        return "No work has started yet."
    mature = mature_finish(work_items)
    if mature.rate is None:
        rate = work_items["finished"].sum() / max(work_items["started"].sum(), 1)
        return (
            f"No cohort is mature yet; so far {percent(rate)} of started work has finished "
            f"(target {percent(threshold)}; every cohort is still maturing, not final)."
        )
    latest = work_items[work_items["is_mature"].fillna(False).astype(bool)].sort_values("cohort_month").iloc[-1]
    verdict = "below" if mature.rate < threshold else "above"
    return (
        f"{percent(mature.rate)} of work started in mature cohorts finished, {verdict} the {percent(threshold)} "
        f"target; the latest mature cohort ({pd.Timestamp(latest['cohort_month']):%b %Y}) finished "
        f"{percent(latest['finished'] / max(latest['started'], 1))}. Cohorts still maturing are drawn apart, on "
        "the right: their rates are not final."
    )


FORECAST_METHODS = {"throughput": "throughput sampling", "simulation": "constraint-aware simulation"}
"""The methods of `flowmetrics forecast` as the report names them, in the order it prefers their answer."""

FORECAST_QUANTILE = "p85"


def forecast(forecasts: pd.DataFrame) -> str:
    """One line of what the latest published forecast says at 85% likelihood, or that none is published."""
    if forecasts.empty:
        return ("Forecast: none is published. `flowmetrics forecast` writes one; the next publish (or nightly) "
                "publishes it.")
    latest = forecasts["run_id"].iloc[int(pd.to_datetime(forecasts["created_at"]).to_numpy().argmax())]
    run = forecasts[forecasts["run_id"] == latest]
    answered = run[(run["status"] == "ok") & (run["quantile"] == FORECAST_QUANTILE)]
    first = run.iloc[0]
    as_of = f"as of {pd.Timestamp(first['as_of']):%d %b %Y}"
    scope = "".join(f", {c.replace('_', ' ')} {first[c]}" for c in ("team", "requested_by", "ticket_type")
                    if isinstance(first[c], str) and first[c])
    change = f", if {first['change']}" if isinstance(first["change"], str) and first["change"] else ""
    if answered.empty:
        statuses = ", ".join(sorted(set(run["status"].dropna().astype(str))))
        return f"Forecast ({as_of}{scope}{change}): no method could answer ({statuses})."
    rank = {m: i for i, m in enumerate(FORECAST_METHODS)}
    row = answered.sort_values("method", key=lambda m: m.map(rank).fillna(len(rank))).iloc[0]
    method = FORECAST_METHODS.get(row["method"], str(row["method"]))
    likely = f"with {percent(row['likelihood'])} likelihood"
    if row["question"] == "items":
        when = f"{pd.Timestamp(row['finish_date']):%d %b %Y}" if pd.notna(row["finish_date"]) else "beyond ten years"
        says = f"{count(row['items_asked'])} items finish by {when}, {likely}"
    else:
        days = count(row["horizon_days"])
        says = f"at least {count(row['items'])} items finish in the {days} days after the as-of, {likely}"
    return f"Forecast ({method}, {as_of}{scope}{change}): {says}."


def experiment_funnel(funnel: pd.DataFrame) -> str:
    steps = dict(zip(funnel["step"], funnel["experiments"], strict=True))
    launched = steps.get("launched", 0)
    if not launched:
        return "No experiment has launched yet."
    return (
        f"Of {count(launched)} launched experiments, {percent(steps.get('measured cleanly', 0) / launched)} were "
        f"measured cleanly, {percent(steps.get('decided', 0) / launched)} reached a decision on clean data and "
        f"{percent(steps.get('finished', 0) / launched)} finished."
    )


def shipped_vs_launched(weekly: pd.DataFrame, weeks: int = 8) -> str:
    complete = weekly[weekly["is_complete_week"].fillna(False)].sort_values("week_start").tail(weeks)
    if complete.empty:
        return "No complete week of experiments yet."
    launched = complete["experiments_launched"].sum()
    finished = complete["finished_decisions"].sum()
    return (
        f"In the last {len(complete)} complete weeks, {count(launched)} experiments launched and "
        f"{count(finished)} decisions shipped or were cleanly stopped: count the second, not the first."
    )


def ai_comparison(ai: pd.DataFrame) -> str:
    yes = ai[ai["ai_assisted"] == True]  # noqa: E712 - a nullable boolean column
    no = ai[ai["ai_assisted"] == False]  # noqa: E712
    if yes.empty or no.empty:
        return "Not enough AI-assisted and non-AI-assisted work to compare."
    y, n = yes.iloc[0], no.iloc[0]
    return (
        f"AI-assisted work finishes {percent(y['finish_rate'])} of what starts vs {percent(n['finish_rate'])} "
        f"without; its rework rate is {percent(y['rework_rate'])} vs {percent(n['rework_rate'])} and its median "
        f"cycle time {duration(y['median_cycle_time_seconds'])} vs {duration(n['median_cycle_time_seconds'])} "
        "(a deploy counts as AI-assisted when any ticket it shipped was)."
    )


DORA_DAYS = 28
"""The DORA tiles' period: the production deploys of this many days before the as-of."""


def dora_window(deployments: pd.DataFrame, as_of: pd.Timestamp, days: int = DORA_DAYS) -> dict[str, Any]:
    """The DORA measures over the last `days` before the as-of (production first when there is one);
    `restore_sources` says where the failures' restore times come from (see restore_sources)."""
    d = deployments.copy()
    if "production" in set(d["environment"]):
        d = d[d["environment"] == "production"]
    d = d[pd.to_datetime(d["deployed_at"]) > as_of - pd.Timedelta(days=days)]
    if d.empty:
        return {"per_week": 0.0, "lead_time": None, "cfr": None, "restore": None, "restore_sources": None}
    success = d[d["deploy_status"] == "success"]
    return {
        "per_week": len(d) / (days / 7),
        "lead_time": float(success["lead_time_seconds"].median()) if not success.empty else None,
        "cfr": float(d["is_failure"].sum()) / len(d),
        "restore": float(d["time_to_restore_seconds"].median()) if d["is_failure"].any() else None,
        "restore_sources": restore_sources(d),
    }


def restore_sources(deployments: pd.DataFrame) -> str | None:
    """Where the failures' restore times come from: "incidents", "deploy_status", "both" or None (no failure)."""
    found = set(deployments.loc[deployments["is_failure"].fillna(False).astype(bool), "restore_source"].dropna())
    if not found:
        return None
    return found.pop() if len(found) == 1 else "both"
