"""The finish-rate, experiment, flow and DORA marts of the demo warehouse, checked against independent pandas
computations (from the raw tables or the foundation marts) and against each other."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2

from flowmetrics.warehouse.dbt_yaml import project_var

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tables(demo_warehouse: Path) -> dict[str, pd.DataFrame]:
    names = [
        "dim_as_of", "fct_work_items", "fct_stage_visits", "fct_stage_transitions", "fct_work_item_finish_rate",
        "fct_experiments", "fct_experiment_finish_rate", "fct_shipped_decisions", "fct_stage_daily",
        "fct_open_work_items", "fct_rework", "fct_rework_rate", "fct_deployments", "fct_dora_weekly",
        "fct_incidents", "fct_dora_tiers",
    ]
    raw = ["experiments", "experiment_variants", "experiment_events", "experiment_exposures"]
    con = duckdb.connect(str(demo_warehouse), read_only=True)
    try:
        out = {name: con.execute(f"select * from main.{name}").df() for name in names}
        out |= {f"raw_{name}": con.execute(f"select * from raw.{name}").df() for name in raw}
    finally:
        con.close()
    return out


def as_of(tables: dict[str, pd.DataFrame]) -> pd.Timestamp:
    return pd.Timestamp(tables["dim_as_of"]["as_of"].iloc[0])


# --- finish rate ---------------------------------------------------------------------------------------------


def test_work_item_cohorts_equal_a_pandas_regrouping_of_the_work_items(tables: dict[str, pd.DataFrame]):
    items = tables["fct_work_items"]
    rates = tables["fct_work_item_finish_rate"]
    started = items[items["started_at"].notna()].copy()
    assert int(rates["started"].sum()) == len(started) > 100
    assert (rates["finished"] <= rates["started"]).all()
    assert (rates["started"] == rates["finished"] + rates["abandoned"] + rates["still_open"]).all()
    assert rates["finish_rate"].between(0, 1).all()
    assert (rates["still_open"] > 0).any(), "the demo should have open items in some cohort"

    started["cohort_month"] = started["started_at"].dt.to_period("M").dt.start_time.dt.date
    started["requested_by"] = started["requested_by"].fillna("unknown")
    started["ai_assisted"] = started["ai_assisted"].astype("boolean")
    keys = ["cohort_month", "team", "requested_by", "ai_assisted"]
    expected = started.groupby(keys, dropna=False).agg(
        started=("ticket_id", "size"),
        finished=("state", lambda s: int((s == "finished").sum())),
        still_open=("state", lambda s: int((s == "open").sum())),
        median_cycle=("cycle_time_seconds", lambda s: s[started.loc[s.index, "state"] == "finished"].median()),
    ).reset_index()
    got = rates.assign(
        cohort_month=pd.to_datetime(rates["cohort_month"]).dt.date, ai_assisted=rates["ai_assisted"].astype("boolean")
    )
    merged = expected.merge(got, on=keys, how="outer", suffixes=("_pandas", ""), indicator=True)
    assert (merged["_merge"] == "both").all()
    assert (merged["started_pandas"] == merged["started"]).all()
    assert (merged["finished_pandas"] == merged["finished"]).all()
    assert (merged["still_open_pandas"] == merged["still_open"]).all()
    np.testing.assert_allclose(merged["median_cycle"], merged["median_cycle_time_seconds"], rtol=1e-9)


def test_experiment_cohorts_add_up_to_the_experiments(tables: dict[str, pd.DataFrame]):
    experiments, rates = tables["fct_experiments"], tables["fct_experiment_finish_rate"]
    launched = experiments[experiments["launched_at"].notna()]
    assert int(rates["launched"].sum()) == len(launched) > 0
    assert int(rates["finished"].sum()) == int(launched["is_finished"].sum())
    assert rates["finish_rate"].between(0, 1).all()
    assert (rates["finished"] <= rates["measured_cleanly"]).all()
    assert (rates["below_threshold"] == (rates["finish_rate"] < project_var("finish_rate_threshold"))).all()


# --- experiments -------------------------------------------------------------------------------------------


def srm_in_pandas(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """measured cleanly, recomputed from the raw exposures with scipy's chi-square."""
    cutoff = as_of(tables)
    exposures = tables["raw_experiment_exposures"]
    exposures = exposures[exposures["exposed_at"] <= cutoff]
    first = exposures.sort_values(["exposed_at", "variant"]).drop_duplicates(["experiment_id", "unit_id"])
    variants = tables["raw_experiment_variants"]
    rows = []
    for exp in tables["raw_experiments"][tables["raw_experiments"]["created_at"] <= cutoff].itertuples():
        planned = variants[(variants["experiment_id"] == exp.experiment_id) & (variants["weight"] > 0)]
        units = first[first["experiment_id"] == exp.experiment_id]
        counts = units["variant"].value_counts().reindex(planned["variant"], fill_value=0).to_numpy()
        n, k = int(counts.sum()), len(planned)
        p = np.nan
        if k >= 2 and n > 0:
            expected = n * planned["weight"].to_numpy() / planned["weight"].sum()
            p = float(chi2.sf(((counts - expected) ** 2 / expected).sum(), k - 1))
        min_sample = None if pd.isna(exp.min_sample_size) else int(exp.min_sample_size)
        clean = (
            k >= 2 and (counts > 0).all() and counts.min() >= project_var("srm_min_variant_units")
            and p >= project_var("srm_min_p_value")
            and (min_sample is None or len(units) >= min_sample)
        )
        rows.append({"experiment_id": exp.experiment_id, "p_pandas": p, "units_pandas": len(units),
                     "clean_pandas": bool(clean)})
    return pd.DataFrame(rows)


def test_measured_cleanly_equals_a_scipy_recomputation_for_every_experiment(tables: dict[str, pd.DataFrame]):
    experiments = tables["fct_experiments"].merge(srm_in_pandas(tables), on="experiment_id", how="outer")
    assert len(experiments) == len(tables["fct_experiments"]) > 10
    assert (experiments["measured_cleanly"] == experiments["clean_pandas"]).all()
    assert (experiments["units_exposed"] == experiments["units_pandas"]).all()
    tested = experiments[experiments["p_pandas"].notna()]
    assert len(tested) > 10 and experiments["srm_p_value"].notna().sum() == len(tested)
    np.testing.assert_allclose(tested["srm_p_value"], tested["p_pandas"], rtol=2e-7)
    # the demo plants some unclean experiments
    assert experiments["measured_cleanly"].any() and not experiments["measured_cleanly"].all()


def test_is_finished_follows_the_raw_lifecycle_events(tables: dict[str, pd.DataFrame]):
    events = tables["raw_experiment_events"]
    events = events[events["occurred_at"] <= as_of(tables)]
    decided = events[events["event_type"] == "decided"].sort_values(["occurred_at", "event_id"])
    decision = decided.groupby("experiment_id")["decision"].last()
    shipped = set(events.loc[events["event_type"] == "shipped", "experiment_id"])
    launched = set(events.loc[events["event_type"] == "launched", "experiment_id"])
    exp = tables["fct_experiments"].set_index("experiment_id")
    for experiment_id, row in exp.iterrows():
        d = decision.get(experiment_id)
        expected = (
            experiment_id in launched and bool(row["measured_cleanly"]) and d is not None
            and (d != "ship" or experiment_id in shipped)
        )
        assert bool(row["is_finished"]) == expected, experiment_id
    assert (exp["decision"].fillna("") == decision.reindex(exp.index).fillna("")).all()


def test_shipped_decisions_count_every_finished_experiment_and_launch_once(tables: dict[str, pd.DataFrame]):
    weekly, experiments = tables["fct_shipped_decisions"], tables["fct_experiments"]
    assert int(weekly["experiments_launched"].sum()) == int(experiments["launched_at"].notna().sum())
    assert int(weekly["finished_decisions"].sum()) == int(experiments["is_finished"].sum())
    assert (pd.to_datetime(weekly["week_start"]).dt.day_of_week == 0).all()
    assert not weekly.duplicated(["week_start", "team"]).any()


# --- flow ----------------------------------------------------------------------------------------------------


def test_stage_daily_wip_is_cumulative_arrivals_minus_departures_and_matches_the_visits(
    tables: dict[str, pd.DataFrame],
):
    daily, visits = tables["fct_stage_daily"].copy(), tables["fct_stage_visits"]
    daily["date_day"] = pd.to_datetime(daily["date_day"])
    daily = daily.sort_values(["stage", "date_day"])
    cumulative = daily.groupby("stage")[["arrivals", "departures"]].cumsum()
    assert (cumulative["arrivals"] - cumulative["departures"] == daily["wip_end_of_day"]).all()
    assert (daily["queue_wip"] <= daily["wip_end_of_day"]).all()

    entered = visits["entered_at"].dt.normalize()
    exited = visits["exited_at"].dt.normalize()
    for row in daily.sample(n=min(len(daily), 120), random_state=0).itertuples():
        of_stage = visits["stage"] == row.stage
        wip = of_stage & (entered <= row.date_day) & (exited.isna() | (exited > row.date_day))
        assert int(wip.sum()) == row.wip_end_of_day, (row.stage, row.date_day)
        assert int((of_stage & (entered == row.date_day)).sum()) == row.arrivals
        assert int((of_stage & (exited == row.date_day)).sum()) == row.departures
    # at the as-of day the WIP of each stage is its open visits
    last = daily[daily["date_day"] == daily["date_day"].max()].set_index("stage")["wip_end_of_day"]
    open_now = visits[visits["exited_at"].isna()].groupby("stage").size()
    assert (last.reindex(open_now.index) == open_now).all()


def test_open_work_items_are_the_open_tickets_and_compare_with_completed_visits(tables: dict[str, pd.DataFrame]):
    backlog, items, visits = tables["fct_open_work_items"], tables["fct_work_items"], tables["fct_stage_visits"]
    assert set(backlog["ticket_id"]) == set(items.loc[items["state"] == "open", "ticket_id"])
    closed = visits[visits["exited_at"].notna()]
    p85 = (closed["exited_at"] - closed["entered_at"]).dt.total_seconds().groupby(closed["stage"]).quantile(0.85)
    with_history = backlog[backlog["stage_p85_seconds"].notna()]
    np.testing.assert_allclose(with_history["stage_p85_seconds"], p85.reindex(with_history["current_stage"]), rtol=1e-9)
    past = with_history["age_in_stage_seconds"] > with_history["stage_p85_seconds"]
    assert (with_history["is_past_stage_p85"] == past).all()
    assert with_history["is_past_stage_p85"].any()


def test_rework_rows_are_the_backward_transitions(tables: dict[str, pd.DataFrame]):
    rework, items = tables["fct_rework"], tables["fct_work_items"]
    backward = tables["fct_stage_transitions"].query("is_backward")
    assert set(rework["change_id"]) == set(backward["change_id"]) and len(rework) > 0
    per_ticket = rework.groupby("ticket_id").size()
    counts = items.set_index("ticket_id")["rework_count"]
    assert (counts.reindex(per_ticket.index) == per_ticket).all()
    assert int(counts.sum()) == len(rework)
    assert (rework["seconds_lost"] >= 0).all()
    closed = rework[rework["loop_outcome"] != "open"]
    np.testing.assert_allclose(
        closed["seconds_lost"], (closed["loop_ended_at"] - closed["moved_at"]).dt.total_seconds(), rtol=1e-12
    )
    rates = tables["fct_rework_rate"]
    assert int(rates["backward_moves"].sum()) == int(items.loc[items["started_at"].notna(), "rework_count"].sum())
    assert rates["rework_rate"].between(0, 1).all()


# --- DORA ----------------------------------------------------------------------------------------------------


def test_dora_weekly_regroups_the_deployments_by_iso_week(tables: dict[str, pd.DataFrame]):
    deployments, weekly = tables["fct_deployments"].copy(), tables["fct_dora_weekly"].copy()
    for column in ("change_failure_rate", "ai_assisted_change_failure_rate", "not_ai_assisted_change_failure_rate"):
        assert weekly[column].dropna().between(0, 1).all(), column
    deployments["week_start"] = (
        deployments["deployed_at"].dt.normalize() - pd.to_timedelta(deployments["deployed_at"].dt.day_of_week, unit="D")
    )
    expected = deployments.groupby(["week_start", "service", "environment"]).agg(
        deployments=("deploy_id", "size"),
        failed=("is_failure", "sum"),
        days=("deployed_at", lambda s: s.dt.normalize().nunique()),
    )
    weekly["week_start"] = pd.to_datetime(weekly["week_start"])
    got = weekly.set_index(["week_start", "service", "environment"])
    assert int(got["deployments"].sum()) == len(deployments)
    busy = got.loc[expected.index]
    assert (busy["deployments"] == expected["deployments"]).all()
    assert (busy["failed_deployments"] == expected["failed"]).all()
    assert (busy["deployment_days"] == expected["days"]).all()
    np.testing.assert_allclose(busy["change_failure_rate"], expected["failed"] / expected["deployments"])


def test_dora_tiers_sum_the_weeks_of_their_window_and_the_overall_tier_is_the_worst_key(
    tables: dict[str, pd.DataFrame],
):
    """A service row's deploys and failures are fct_dora_weekly's over the window_weeks weeks ending its week; a
    team row never has more deploys than its service row; the overall tier is the worst of the keys' tiers."""
    tiers, weekly = tables["fct_dora_tiers"].copy(), tables["fct_dora_weekly"].copy()
    assert len(tiers) > 0 and set(tiers["scope"]) == {"service", "team"}
    key = ["week_start", "service", "environment"]
    weekly = weekly.sort_values(key)
    rolling = weekly.groupby(["service", "environment"])[["deployments", "failed_deployments"]].rolling(
        int(tiers["window_weeks"].max()), min_periods=1
    ).sum().reset_index(level=[0, 1])
    weekly[["window_deployments", "window_failed"]] = rolling[["deployments", "failed_deployments"]]
    service = tiers[tiers["scope"] == "service"].merge(weekly[[*key, "window_deployments", "window_failed"]], on=key)
    assert len(service) == len(weekly) == int((tiers["scope"] == "service").sum())
    assert (service["deployments"] == service["window_deployments"]).all()
    assert (service["failed_deployments"] == service["window_failed"]).all()
    teams = tiers[tiers["scope"] == "team"].merge(service[[*key, "deployments"]], on=key, suffixes=("", "_service"))
    assert (teams["deployments"] <= teams["deployments_service"]).all()
    order = {"elite": 1, "high": 2, "medium": 3, "low": 4}
    worst = tiers[["deployment_frequency_tier", "lead_time_tier", "change_failure_rate_tier", "time_to_restore_tier"]]
    assert (worst.apply(lambda c: c.map(order)).max(axis=1).map({v: k for k, v in order.items()})
            == tiers["overall_tier"]).all()


def test_time_to_restore_follows_the_incidents_a_deploy_caused_else_the_next_success(
    tables: dict[str, pd.DataFrame],
):
    """A failure that caused incidents is restored when the last of them is resolved; any other failure at the next
    successful deploy of its service and environment."""
    deployments, incidents = tables["fct_deployments"], tables["fct_incidents"]
    caused = dict(tuple(incidents[incidents["is_caused_by_known_deploy"]].groupby("caused_by_deploy_id")))
    failures = deployments[deployments["is_failure"]]
    assert len(failures) > 0
    assert set(caused) <= set(failures["deploy_id"])
    for failure in failures.itertuples():
        if failure.deploy_id in caused:
            group = caused[failure.deploy_id]
            assert failure.restore_source == "incidents" and failure.incidents_caused == len(group)
            restored_at = group["resolved_at"].max() if group["resolved_at"].notna().all() else None
        else:
            assert failure.restore_source == "deploy_status"
            later = deployments[
                (deployments["service"] == failure.service)
                & (deployments["environment"] == failure.environment)
                & (deployments["deploy_status"] == "success")
                & (deployments["deployed_at"] > failure.deployed_at)
            ]
            restored_at = later["deployed_at"].min() if len(later) else None
        if restored_at is None:
            assert not failure.is_restored and pd.isna(failure.time_to_restore_seconds)
        else:
            expected = (restored_at - failure.deployed_at).total_seconds()
            assert failure.is_restored and failure.time_to_restore_seconds == pytest.approx(expected)


def test_lead_time_has_a_source_when_it_has_a_value(tables: dict[str, pd.DataFrame]):
    deployments = tables["fct_deployments"]
    with_source = deployments[deployments["lead_time_source"] != "none"]
    assert with_source["lead_time_seconds"].notna().all()
