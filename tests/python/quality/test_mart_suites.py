"""The suites of the finish-rate, experiment and DORA marts, on small synthetic frames: they pass on consistent
data and name the rule a broken row breaks; a mart that is not built is reported as such, never as a pass."""

from __future__ import annotations

import pandas as pd

from tests.python.quality.helpers import failed, gate, statuses


def work_items() -> pd.DataFrame:
    """The work items the cohorts of ``finish_rate()`` count: team a (AI-assisted) one finished and one open,
    team b one finished, all started in January 2026; one never started."""
    return pd.DataFrame({
        "ticket_id": ["T0", "T1", "T2", "T3"],
        "team": ["a", "a", "b", "b"],
        "requested_by": ["growth", "growth", "growth", "growth"],
        "ai_assisted": [True, True, False, False],
        "started_at": pd.to_datetime(["2026-01-05", "2026-01-06", "2026-01-07", None]),
        "state": ["finished", "open", "finished", "open"],
    })


def finish_rate(**changes) -> pd.DataFrame:
    frame = pd.DataFrame({
        "cohort_month": pd.to_datetime(["2026-01-01", "2026-01-01"]),
        "team": ["a", "b"],
        "requested_by": ["growth", "growth"],
        "ai_assisted": [True, False],
        "started": [2, 1],
        "finished": [1, 1],
        "abandoned": [0, 0],
        "still_open": [1, 0],
        "finish_rate": [0.5, 1.0],
        "median_cycle_time_seconds": [3600.0, 7200.0],
    })
    for column, values in changes.items():
        frame[column] = values
    return frame


def test_finish_rate_consistent_passes(make_warehouse):
    wh = make_warehouse({"main.fct_work_item_finish_rate": finish_rate(), "main.fct_work_items": work_items()})
    report = gate(wh, "fct_work_item_finish_rate", "finish_rate.cohorts_match_work_items")
    assert not failed(report), [r for r in report.results if r.status != "passed"]
    assert set(statuses(report).values()) == {"passed"}


def test_finish_rate_finished_above_started_rate_out_of_range_and_cohort_not_matching_work_items(make_warehouse):
    broken = finish_rate(finished=[3, 1], still_open=[0, 0], finish_rate=[1.5, 1.0])
    wh = make_warehouse({"main.fct_work_item_finish_rate": broken, "main.fct_work_items": work_items()})
    report = gate(wh, "fct_work_item_finish_rate", "finish_rate.cohorts_match_work_items")
    assert failed(report) == {
        "fct_work_item_finish_rate.finish_rate.rate_range",
        "finish_rate.cohorts_match_work_items.difference",
    }
    sample = next(r for r in report.results if r.check_id.endswith("finish_rate.rate_range")).sample
    assert sample[0]["finish_rate"] == 1.5 and sample[0]["team"] == "a"
    cohort = next(r for r in report.results if r.check_id == "finish_rate.cohorts_match_work_items.difference")
    assert cohort.sample[0]["team"] == "a" and cohort.sample[0]["finished"] == 3
    assert cohort.sample[0]["finished_recomputed"] == 1 and cohort.sample[0]["still_open_recomputed"] == 1


def test_finish_rate_cohort_moved_between_groups_fails_although_totals_agree(make_warehouse):
    """The same items counted under another team: every total still matches fct_work_items, the cohorts do not."""
    moved = finish_rate(team=["a", "c"])
    wh = make_warehouse({"main.fct_work_item_finish_rate": moved, "main.fct_work_items": work_items()})
    report = gate(wh, "finish_rate.cohorts_match_work_items")
    assert failed(report) == {"finish_rate.cohorts_match_work_items.difference"}
    result = report.results[0]
    assert result.unexpected_count == 2 and {row["team"] for row in result.sample} == {"b", "c"}


def test_finish_rate_duplicate_cohort_key(make_warehouse):
    dup = pd.concat([finish_rate(), finish_rate().iloc[[0]]], ignore_index=True)
    wh = make_warehouse({"main.fct_work_item_finish_rate": dup})
    assert "fct_work_item_finish_rate.cohort_month_team_requested_by_ai_assisted.unique" in failed(
        gate(wh, "fct_work_item_finish_rate")
    )


def experiments(**changes) -> pd.DataFrame:
    frame = pd.DataFrame({
        "experiment_id": ["E1", "E2", "E3", "E4"],
        "team": ["a"] * 4,
        "launched_at": pd.to_datetime(["2026-01-02", "2026-01-03", "2026-01-04", None]),
        "decided_at": pd.to_datetime(["2026-01-10", None, None, None]),
        "units_exposed": [1000, 500, 3, 0],
        "srm_p_value": [0.4, 0.0001, None, None],
        "measured_cleanly": [True, False, False, False],
        "is_finished": [True, False, False, False],
        "state": ["shipped", "running", "running", "created"],  # states of the mart's YAML
        "measurement_issue": [None, "sample_ratio_mismatch", "too_few_units", None],
        "decision": ["ship", None, None, None],
        "shipped_at": pd.to_datetime(["2026-01-12", None, None, None]),
    })
    for column, values in changes.items():
        frame[column] = values
    return frame


def test_experiments_launched_without_srm_p_value_or_reason(make_warehouse):
    good = make_warehouse({"main.fct_experiments": experiments()})
    assert not failed(gate(good, "fct_experiments"))
    no_reason = experiments(measurement_issue=[None, "sample_ratio_mismatch", None, None])
    bad = make_warehouse({"main.fct_experiments": no_reason})
    report = gate(bad, "fct_experiments")
    assert failed(report) == {"fct_experiments.launched_without_srm_p_value_or_reason"}
    result = next(r for r in report.results if r.check_id == "fct_experiments.launched_without_srm_p_value_or_reason")
    assert [row["experiment_id"] for row in result.sample] == ["E3"]


def test_experiments_clean_with_srm_mismatch_and_p_value_out_of_range(make_warehouse):
    frame = experiments(measured_cleanly=[True, True, False, False], srm_p_value=[1.2, 0.0001, None, None])
    report = gate(make_warehouse({"main.fct_experiments": frame}), "fct_experiments")
    assert failed(report) == {
        "fct_experiments.srm_p_value.rate_range",
        "fct_experiments.clean_with_sample_ratio_mismatch",
    }


def test_experiment_finish_rate_and_launch_cohorts(make_warehouse):
    rates = pd.DataFrame({
        "cohort_month": pd.to_datetime(["2026-01-01"]), "team": ["a"], "launched": [3], "measured_cleanly": [1],
        "decided": [1], "shipped": [1], "finished": [1], "finish_rate": [1 / 3],
    })
    wh = make_warehouse({"main.fct_experiment_finish_rate": rates, "main.fct_experiments": experiments()})
    assert not failed(gate(wh, "fct_experiment_finish_rate", "experiments.cohorts_match_experiments"))
    rates["launched"] = [2]
    rates["finish_rate"] = [0.5]
    wh = make_warehouse({"main.fct_experiment_finish_rate": rates, "main.fct_experiments": experiments()})
    assert failed(gate(wh, "experiments.cohorts_match_experiments")) == {
        "experiments.cohorts_match_experiments.difference"
    }


def test_dora_change_failure_rate_at_most_one(make_warehouse):
    weekly = pd.DataFrame({
        "week_start": pd.to_datetime(["2026-01-05", "2026-01-12"]), "service": ["api", "api"],
        "environment": ["prod", "prod"], "deployments": [4, 2], "deployment_days": [3, 2],
        "failed_deployments": [1, 2], "rolled_back_deployments": [0, 1],
        "median_lead_time_seconds": [3600.0, 7200.0], "change_failure_rate": [0.25, 1.5],
        "median_time_to_restore_seconds": [600.0, None], "ai_assisted_change_failure_rate": [0.5, None],
        "not_ai_assisted_change_failure_rate": [0.0, 1.0], "ai_assisted_deployments": [2, 0],
        "not_ai_assisted_deployments": [2, 2], "restore_source": ["deploy_status", "deploy_status"],
    })
    report = gate(make_warehouse({"main.fct_dora_weekly": weekly}), "fct_dora_weekly")
    assert failed(report) == {"fct_dora_weekly.change_failure_rate.rate_range"}


def dora_tiers(**changes) -> pd.DataFrame:
    """api's service row and its team row of one week, both elite."""
    frame = pd.DataFrame({
        "week_start": pd.to_datetime(["2026-01-05", "2026-01-05"]), "service": ["api", "api"],
        "environment": ["prod", "prod"], "scope": ["service", "team"], "team": [None, "web"],
        "deployments": [8, 8], "failed_deployments": [1, 1], "change_failure_rate": [0.125, 0.125],
        "median_lead_time_seconds": [1800.0, 1800.0], "median_time_to_restore_seconds": [600.0, 600.0],
        **{column: ["elite", "elite"] for column in ("deployment_frequency_tier", "lead_time_tier",
                                                      "change_failure_rate_tier", "time_to_restore_tier",
                                                      "overall_tier")},
    })
    return frame.assign(**changes)


def test_dora_tiers_judged_by_their_yaml_values_and_key_with_a_null_team(make_warehouse):
    assert not failed(gate(make_warehouse({"main.fct_dora_tiers": dora_tiers()}), "fct_dora_tiers"))
    bad = dora_tiers(overall_tier=["elite", "great"], scope=["service", "service"], team=[None, None])
    report = gate(make_warehouse({"main.fct_dora_tiers": bad}), "fct_dora_tiers")
    assert failed(report) == {"fct_dora_tiers.overall_tier.accepted_values",
                              "fct_dora_tiers.week_start_service_environment_scope_team.unique"}


def incidents(**changes) -> pd.DataFrame:
    """I1 restored after an hour, I2 still open, T1 a ticket-recorded incident restored after two hours."""
    frame = pd.DataFrame({
        "incident_id": ["I1", "I2", "T1"],
        "incident_source": ["incidents", "incidents", "ticket"],
        "opened_at": pd.to_datetime(["2026-01-05 10:00", "2026-01-06 10:00", "2026-01-07 10:00"]),
        "resolved_at": pd.to_datetime(["2026-01-05 11:00", None, "2026-01-07 12:00"]),
        "is_restored": [True, False, True],
        "time_to_restore_seconds": [3600.0, None, 7200.0],
    })
    for column, values in changes.items():
        frame[column] = values
    return frame


def test_incidents_consistent_passes(make_warehouse):
    report = gate(make_warehouse({"main.fct_incidents": incidents()}), "fct_incidents")
    assert failed(report) == set()
    assert statuses(report)["fct_incidents.restored_without_resolution"] == "passed"


def test_incidents_resolved_before_opened_restored_without_resolution_and_unknown_source(make_warehouse):
    broken = incidents(
        resolved_at=pd.to_datetime(["2026-01-05 09:00", None, "2026-01-07 12:00"]),
        time_to_restore_seconds=[-3600.0, None, 7200.0],
        is_restored=[True, True, True],
        incident_source=["incidents", "incidents", "pager"],
    )
    report = gate(make_warehouse({"main.fct_incidents": broken}), "fct_incidents")
    assert failed(report) == {
        "fct_incidents.opened_at.not_above_resolved_at",
        "fct_incidents.time_to_restore_seconds.duration_range",
        "fct_incidents.restored_without_resolution",
        "fct_incidents.incident_source.accepted_values",
    }


def test_a_mart_that_is_not_built_is_reported_as_not_built_not_as_a_pass(make_warehouse):
    wh = make_warehouse({"main.fct_work_items": work_items()})
    report = gate(wh, "fct_work_item_finish_rate", "fct_experiments", "fct_deployments")
    assert [(r.check_id, r.status, r.severity) for r in report.results] == [
        ("fct_work_item_finish_rate.built", "not_built", "info"),
        ("fct_experiments.built", "not_built", "info"),
        ("fct_deployments.built", "not_built", "info"),
    ]
    assert report.passed and not any(r.status == "passed" for r in report.results)


def test_raw_incidents_resolved_before_opened_fail_the_contract_rule(make_warehouse):
    raw = pd.DataFrame({
        "incident_id": ["I1", "I2", "I3"],
        "service": ["api", "api", "api"],
        "opened_at": pd.to_datetime(["2026-01-05 10:00", "2026-01-06 10:00", "2026-01-07 10:00"]),
        "resolved_at": pd.to_datetime(["2026-01-05 11:00", None, "2026-01-07 09:00"]),
        "severity": ["sev1", None, None],
        "caused_by_deploy_id": [None, None, None],
    })
    report = gate(make_warehouse({"raw.incidents": raw}), "raw.incidents")
    assert failed(report) == {"raw.incidents.opened_at.not_above_resolved_at"}
    assert statuses(report)["raw.incidents.resolved_at.not_future"] == "passed"
