"""The report's DORA tiers: per service the latest complete week's value and tier of each key and the overall tier,
then the overall tier by week; production only when there is one, the partial as-of week left out."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from flowmetrics.report import build
from flowmetrics.report.html import Note, Table, render


def tiers(rows: list[tuple]) -> pd.DataFrame:
    """(week_start, service, environment, is_complete_week, overall_tier) rows; the other keys fixed."""
    frame = pd.DataFrame(rows, columns=["week_start", "service", "environment", "is_complete_week", "overall_tier"])
    return frame.assign(
        week_start=pd.to_datetime(frame["week_start"]), scope="service", window_weeks=4, deployments_per_week=7.25,
        deployment_frequency_tier="elite", median_lead_time_seconds=5400.0, lead_time_tier="high",
        change_failure_rate=0.25, change_failure_rate_tier="high", median_time_to_restore_seconds=None,
        time_to_restore_tier=None, bands_version="2021",
    )


def weekly(service: str, overall: list[str], environment: str = "production") -> list[tuple]:
    """Complete weeks from Monday 2025-12-01 on, then the partial as-of week (tier low, which must not show)."""
    weeks = pd.date_range("2025-12-01", periods=len(overall) + 1, freq="7D")
    return [(w, service, environment, i < len(overall), (overall + ["low"])[i]) for i, w in enumerate(weeks)]


def test_latest_complete_week_per_service_with_each_key_and_the_overall_tier():
    frame = tiers(weekly("api", ["medium"] * 13 + ["high"]) + weekly("web", ["elite"] * 14)
                  + weekly("api", ["low"] * 14, environment="staging"))
    current, trend = build.dora_tier_tables(frame)
    assert isinstance(current, Table) and current.chart_id == "dora-tiers"
    assert "week of 02 Mar 2026 (the latest complete week)" in current.reading
    assert "over the 4 weeks ending it" in current.reading and "State of DevOps Report 2021" in current.reading
    assert current.columns[1] == "deploys a week (mean, 4 weeks)"
    assert current.rows == (
        ("api", "7.2 (elite)", "1.5 h (high)", "25% (high)", "– (no tier)", "high"),
        ("web", "7.2 (elite)", "1.5 h (high)", "25% (high)", "– (no tier)", "elite"),
    )
    # the trend: the last 12 complete weeks, oldest first; staging and the partial week are left out
    assert trend.chart_id == "dora-tier-trend" and "the last 12 complete weeks" in trend.reading
    assert trend.columns == ("service", *(f"{w:%d %b}" for w in pd.date_range("2025-12-15", periods=12, freq="7D")))
    assert trend.rows == (("api", *["medium"] * 11, "high"), ("web", *["elite"] * 12))


def test_a_service_without_a_week_shows_a_dash_and_several_environments_are_named():
    frame = tiers(weekly("api", ["high", "high"], environment="blue") + weekly("api", ["low"], environment="green"))
    current, trend = build.dora_tier_tables(frame)
    assert [r[0] for r in current.rows] == ["api (blue)"]  # the latest complete week only green lacks
    assert "over the 4 weeks ending it;" in current.reading
    young = tiers(weekly("api", ["high"]) + weekly("web", ["high"])).assign(window_weeks=[4, 4, 1, 1])
    assert "over the 4 weeks ending it (fewer for a service with a shorter history)" in \
        build.dora_tier_tables(young)[0].reading
    assert trend.rows == (("api (blue)", "high", "high"), ("api (green)", "low", "–"))


def test_the_dora_section_keeps_its_absent_note_and_tiles_without_a_tier_mart():
    deployments = pd.DataFrame({
        "deployed_at": pd.to_datetime(["2026-03-01"]), "environment": ["production"], "deploy_status": ["success"],
        "is_failure": [False], "lead_time_seconds": [3600.0], "time_to_restore_seconds": [None],
        "restore_source": [None],
    })
    data = SimpleNamespace(absent=(), deployments=deployments, as_of=pd.Timestamp("2026-03-02"),
                           dora_tiers=pd.DataFrame())
    section = build.dora_section(data)
    assert section.items == () and len(section.tiles) == 4
    named = tiers(weekly("<b>api</b>", ["high"]))
    with_tiers = build.dora_section(SimpleNamespace(**{**vars(data), "dora_tiers": named}))
    assert [item.chart_id for item in with_tiers.items] == ["dora-tiers", "dora-tier-trend"]
    assert len(with_tiers.tiles) == 4
    html = render("t", "s", [with_tiers], "f")
    assert "deploys a week (mean, 4 weeks)" in html and "&lt;b&gt;api&lt;/b&gt;" in html and "<b>api" not in html
    absent = build.dora_section(SimpleNamespace(**{**vars(data), "absent": ("deploys",)}))
    assert isinstance(absent.items[0], Note) and absent.tiles == ()
