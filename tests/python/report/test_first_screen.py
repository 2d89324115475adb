"""The report's first screen and its colours, as pure functions: the finish rate counts mature cohorts only, the
forecast line says what the latest published forecast says (or that there is none), maturing cohorts are drawn in
their own panel, and the colour families never share a colour."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from flowmetrics.report import build, charts, palette, readings

COHORTS = pd.DataFrame(
    {
        "cohort_month": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-03-01"]),
        "started": [100, 100, 100], "finished": [70, 50, 25], "is_mature": [True, True, False],
    }
)  # fmt: skip
EXPERIMENTS = COHORTS.rename(columns={"started": "launched"}).assign(finished=[30, 40, 10])


def forecast_rows(question: str, **answer: object) -> pd.DataFrame:
    base = {"run_id": "f2", "created_at": pd.Timestamp("2026-03-20"), "as_of": pd.Timestamp("2026-03-19"),
            "question": question, "horizon_days": 14, "items_asked": 40, "team": "web", "requested_by": None,
            "ticket_type": None, "change": None, "status": "ok", "likelihood": 0.85, "items": None, "days": None,
            "finish_date": None}
    older = {**base, "run_id": "f1", "created_at": pd.Timestamp("2026-03-01"), "method": "throughput",
             "quantile": "p85", "items": 1}
    latest = pd.DataFrame([{**base, "method": m, "quantile": q} for m in ("simulation", "throughput")
                           for q in ("p50", "p85")]).assign(**answer)  # one value per row: simulation first
    return pd.concat([pd.DataFrame([older]), latest], ignore_index=True)


def test_the_finish_rate_counts_mature_cohorts_only():
    mature = readings.mature_finish(COHORTS)
    assert mature.rate == pytest.approx(0.6) and (mature.mature, mature.maturing) == (2, 1)
    assert (mature.first, mature.last) == (pd.Timestamp("2026-01-01"), pd.Timestamp("2026-02-01"))
    assert readings.mature_finish(COHORTS.assign(is_mature=False)).rate is None


def test_the_first_screen_reads_each_rate_against_the_threshold_it_is_given():
    data = SimpleNamespace(work_item_finish=COHORTS, experiment_finish=EXPERIMENTS)
    answer = build.finish_answer(data, 0.6)
    assert answer.answer == "work items 60% · experiments 35%"
    assert answer.detail.startswith("Against the 60% line: work items: at or above the line")
    assert "experiments: below the line, finished ÷ launched over the 2 mature cohorts started Jan 2026 – Feb 2026 " \
           "(1 still maturing, not counted)" in answer.detail
    assert answer.tone == "bad" and answer.answer_id == "headline-finish"
    assert build.finish_answer(data, 0.3).tone == "good"
    young = build.finish_answer(SimpleNamespace(work_item_finish=COHORTS.assign(is_mature=False),
                                                experiment_finish=EXPERIMENTS.iloc[:0]), 0.6)
    assert young.answer == "work items: none mature yet · experiments: none mature yet"
    assert "48% so far, not final" in young.detail


def test_the_forecast_line_says_the_latest_runs_85_percent_answer_preferring_throughput_sampling():
    days = forecast_rows("days", items=[90, 80, 60, 55])
    assert readings.forecast(days) == (
        "Forecast (throughput sampling, as of 19 Mar 2026, team web): at least 55 items finish in the 14 days "
        "after the as-of, with 85% likelihood.")
    items = forecast_rows("items", days=[9.0, 12.0, 10.0, 13.0],
                          finish_date=[pd.Timestamp("2026-03-28"), pd.Timestamp("2026-03-31")] * 2)
    assert readings.forecast(items).endswith(": 40 items finish by 31 Mar 2026, with 85% likelihood.")
    failed = days[days["run_id"] == "f2"].assign(status="insufficient_data", quantile=None)
    assert readings.forecast(failed).endswith("no method could answer (insufficient_data).")
    assert readings.forecast(pd.DataFrame()).startswith("Forecast: none is published.")


def test_maturing_cohorts_are_drawn_in_their_own_panel():
    fig = charts.finish_rate(COHORTS, EXPERIMENTS, 0.6)
    titles = [a.text for a in fig.layout.annotations]
    assert "mature cohorts (final)" in titles and "still maturing — not final" in titles
    panels = {(t.meta, t.xaxis): list(t.x) for t in fig.data}
    assert panels[("finish rate: work items", "x")] == ["Jan 2026", "Feb 2026"]
    assert panels[("finish rate: work items", "x2")] == ["Mar 2026"]
    maturing = [t for t in fig.data if t.xaxis == "x2"]
    assert maturing and all(t.marker.pattern.shape == "/" for t in maturing)
    assert len([s for s in fig.layout.shapes if s.name == charts.REFERENCE_LINE]) == 2  # the line in each panel


def test_colour_families_never_share_a_colour_and_stages_keep_theirs_in_flow_order():
    owners: dict[str, set[str]] = {}
    for family, colours in palette.FAMILIES.items():
        for colour in colours:
            owners.setdefault(colour.upper(), set()).add(family)
    shared = {c: f for c, f in owners.items() if len(f) > 1}
    assert shared == {palette.UNMAPPED: {"kind of time", "classification"}}  # unmapped means unmapped everywhere
    order = {"done": 90, "qa": 50, "backlog": 10, "code_review": 40, "abandoned": 99, "unmapped": 0}
    colours = palette.stage_colours(order)
    assert [colours[s] for s in ("backlog", "code_review", "qa")] == list(palette.STAGES[:3])
    assert colours["done"] == palette.TERMINAL["done"] and colours["unmapped"] == palette.UNMAPPED
    many = palette.stage_colours({f"s{i:02d}": i for i in range(20)})
    assert len(set(many.values())) == 20  # beyond nine stages, tints: never two stages alike


def test_the_verdict_answer_names_the_stage_once_then_its_evidence_and_period():
    found = pd.DataFrame({
        "run_id": ["r1"], "detected_at": [pd.Timestamp("2026-05-15")], "scope": ["overall"],
        "window_start": [pd.Timestamp("2026-02-19")], "window_end": [pd.Timestamp("2026-05-14")],
        "constraint_stage": ["review"], "constraint_team": [None], "kind": ["sole"], "confidence": [0.97],
        "shifted_from_stage": [None], "reasons": ["[]"], "window_reason": [None],
    })  # fmt: skip
    signals = pd.DataFrame({
        "scope": ["overall"], "stage": ["review"], "team": [None], "waiting_share": [0.8],
        "load_dependence": [0.9], "queue_growth_per_week": [0.0],
    })  # fmt: skip
    answer = build.verdict_answer(SimpleNamespace(constraint_findings=found, constraint_signals=signals))
    assert answer.answer == "review is the constraint" and answer.answer_id == "headline-verdict"
    assert answer.detail.startswith("Work waits 80% of its time in its queue")
    assert answer.detail.endswith("Over the detection period 19 Feb – 14 May 2026, 12 weeks.")
    none = build.verdict_answer(SimpleNamespace(constraint_findings=found.iloc[:0], constraint_signals=signals))
    assert (none.answer, none.tone) == ("Not detected yet", "warn")
    no_verdict = build.verdict_answer(SimpleNamespace(
        constraint_findings=found.assign(kind="insufficient_data", constraint_stage=None), constraint_signals=signals))
    assert (no_verdict.answer, no_verdict.tone) == ("No verdict", "warn")
