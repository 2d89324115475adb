"""Thresholds and severities from a file and options; the suite and publish registries in step."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from flowmetrics.errors import ConfigError
from flowmetrics.quality.config import QualityConfig, load_config
from flowmetrics.quality.registry import default_registry
from flowmetrics.quality.suites.status_map import DEFAULT_MAP
from flowmetrics.warehouse.publish import published_relations
from tests.python.quality.helpers import failed, gate, statuses


def test_defaults_file_and_overrides(tmp_path: Path):
    assert load_config() == QualityConfig()
    path = tmp_path / "quality.yml"
    path.write_text("max_quarantine_share: 0.05\nseverity:\n  freshness.newest_event_age: error\n")
    config = load_config(path, reference_time="2026-03-01T10:00:00+01:00")
    assert config.max_quarantine_share == 0.05
    assert config.severity_of("freshness.newest_event_age", "warn") == "error"
    assert config.now().isoformat() == "2026-03-01T09:00:00"


@pytest.mark.parametrize(
    "text, needle",
    [
        ("max_quarantine_shares: 0.1\n", "max_quarantine_shares"),
        ("max_unmapped_share: 2\n", "between 0 and 1"),
        ("max_volume_drop: lots\n", "must be a number"),
        ("severity:\n  x: fatal\n", "fatal"),
    ],
)
def test_bad_config_is_a_usage_error_naming_the_setting(tmp_path: Path, text: str, needle: str):
    path = tmp_path / "quality.yml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=needle) as info:
        load_config(path)
    assert info.value.exit_code == 2


def test_volume_bounds_from_the_config_file(tmp_path: Path):
    assert (QualityConfig().max_volume_growth, QualityConfig().volume_growth_min_rows) == (0.10, 100)
    path = tmp_path / "quality.yml"
    path.write_text("max_volume_growth: 1.5\nvolume_growth_min_rows: 20\n")  # a backfill night may double a table
    config = load_config(path)
    assert (config.max_volume_growth, config.volume_growth_min_rows) == (1.5, 20)
    path.write_text("volume_growth_min_rows: -1\n")
    with pytest.raises(ConfigError, match="volume_growth_min_rows must not be negative"):
        load_config(path)


def test_every_published_relation_has_a_volume_kind_stated_once():
    kinds = default_registry().volume_kinds()
    assert {f"{p.layer}.{p.name}" for p in published_relations()} <= set(kinds)
    assert {n for n, k in kinds.items() if k.value == "snapshot"} == {
        "mart.fct_open_work_items", "mart.fct_constraint_queue", "mart.dim_as_of", "mart.fct_cycle_time_sle",
        "raw.status_map"}


def test_every_published_relation_has_a_suite_and_check_ids_are_unique():
    registry = default_registry()
    checked = {name for s in registry.suites for _, name in s.needs}
    assert {p.name for p in published_relations()} <= checked
    ids = registry.check_ids()
    assert len(ids) == len(set(ids))


def test_severity_off_and_warn_from_config(make_warehouse):
    frame = pd.DataFrame({"as_of": pd.to_datetime(["2030-01-01"]), "latest_event_at": pd.to_datetime(["2030-01-01"])})
    wh = make_warehouse({"main.dim_as_of": frame})
    assert failed(gate(wh, "dim_as_of")) == {"dim_as_of.as_of.not_future", "dim_as_of.latest_event_at.not_future"}
    report = gate(wh, "dim_as_of", severity={"dim_as_of.as_of.not_future": "off",
                                              "dim_as_of.latest_event_at.not_future": "warn"})
    assert statuses(report)["dim_as_of.as_of.not_future"] == "skipped"
    assert report.passed and [r.check_id for r in report.warnings] == ["dim_as_of.latest_event_at.not_future"]


def test_a_check_that_cannot_run_is_an_error_not_a_pass(make_warehouse):
    frame = pd.DataFrame({"deploy_id": ["D1"], "service": ["api"]})  # the other columns are missing
    report = gate(make_warehouse({"main.fct_deployments": frame}, with_as_of=False), "fct_deployments")
    assert not report.passed
    assert {r.status for r in report.results} == {"error"}
    messages = {r.check_id: r.message for r in report.results}
    assert "deployed_at" in messages["fct_deployments.deploy_id.unique"]


def ingest_runs(*runs: tuple[str, int, int]) -> pd.DataFrame:
    """raw.ingest_runs rows: (run id, rows read, rows quarantined) of tickets.csv."""
    return pd.DataFrame({
        "ingest_run_id": pd.Series([r[0] for r in runs], dtype="string"),
        "started_at": pd.to_datetime([f"2026-01-0{i + 1}" for i in range(len(runs))]),
        "table_name": pd.Series(["tickets"] * len(runs), dtype="string"),
        "source_file": pd.Series(["tickets.csv"] * len(runs), dtype="string"),
        "rows_read": pd.Series([r[1] for r in runs], dtype="int64"),
        "rows_quarantined": pd.Series([r[2] for r in runs], dtype="int64"),
    })


QUARANTINE = pd.DataFrame({"ingest_run_id": pd.Series([], dtype="string"), "table_name": pd.Series([], dtype="string"),
                           "source_file": pd.Series([], dtype="string"), "row_number": pd.Series([], dtype="int64"),
                           "reason": pd.Series([], dtype="string")})


def test_quarantine_checks_without_an_ingest_run_say_so_instead_of_passing(make_warehouse):
    wh = make_warehouse({"raw.ingest_runs": ingest_runs(), "raw.quarantine": QUARANTINE})
    report = gate(wh, "ingest.quarantine_share", "ingest.unreadable_lines")
    assert [(r.check_id, r.status, r.severity) for r in report.results] == [
        ("ingest.quarantine_share.applies", "skipped", "info"),
        ("ingest.unreadable_lines.applies", "skipped", "info"),
    ]
    assert "no ingest run to judge" in report.results[0].message
    assert not any(r.status == "passed" for r in report.results)
    # with a run recorded the same suites judge it
    wh = make_warehouse({"raw.ingest_runs": ingest_runs(("run-1", 100, 5)), "raw.quarantine": QUARANTINE})
    report = gate(wh, "ingest.quarantine_share", "ingest.unreadable_lines")
    assert statuses(report) == {"ingest.quarantine_share": "failed", "ingest.unreadable_lines": "passed"}


def test_the_status_map_rules_judge_the_default_seed_before_any_build(make_warehouse):
    """No status map in the warehouse yet (check-raw before the first build): the seed dbt will load is judged."""
    report = gate(make_warehouse({}, with_as_of=False), "status_map")
    assert set(statuses(report).values()) == {"passed"}
    assert report.results[0].element_count == pd.read_csv(DEFAULT_MAP)["stage"].nunique() == 8  # seed's stages
