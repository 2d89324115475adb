"""The report's finish-rate target is the project's finish_rate_threshold, the one the marts' below_threshold uses."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from flowmetrics.report import build
from flowmetrics.scope import Scope


def test_the_report_draws_the_finish_rate_target_the_project_var_sets(monkeypatch: pytest.MonkeyPatch):
    seen: list[float] = []
    asked: list[str] = []
    monkeypatch.setattr(build, "project_var", lambda name: asked.append(name) or 0.75)
    monkeypatch.setattr(build, "finish_section", lambda data, threshold: seen.append(threshold))
    for section in ("constraint_section", "pile_up_section", "ai_section", "dora_section", "quality_section"):
        monkeypatch.setattr(build, section, lambda *args: None)
    monkeypatch.setattr(build, "stage_colours", lambda data: {})
    monkeypatch.setattr(build, "headline", lambda data, threshold: seen.append(threshold))
    monkeypatch.setattr(build, "invest_section", lambda invest, stage: None)
    monkeypatch.setattr(build, "_overall", lambda findings: None)
    monkeypatch.setattr(build, "render", lambda *args: "html")
    data = SimpleNamespace(constraint_findings=None, as_of=pd.Timestamp("2026-01-31"), published_run_id="run-1",
                           stage_time=pd.DataFrame({"visits": [3]}), warehouse="w.duckdb", scope=Scope(),
                           scope_notes=(), switched_off=())
    assert build.build_report(data, pd.DataFrame()) == "html"
    assert seen == [0.75, 0.75] and asked == ["finish_rate_threshold"]  # the section and the first screen
    build.build_report(data, pd.DataFrame(), threshold=0.5)
    assert seen == [0.75, 0.75, 0.5, 0.5]  # --threshold still wins
