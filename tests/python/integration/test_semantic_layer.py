"""Every metric of the semantic layer (models/semantic/) gives the numbers of the marts it is defined on.

MetricFlow plans each query in this process (its engine over the semantic manifest the demo build wrote) and the
SQL it writes runs on a copy of the demo warehouse, next to SQL over the marts. The demo's cohorts are all younger
than var finish_rate_maturity_days, so the copy marks the oldest cohort month mature: the finish rates then show
that mature and maturing cohorts are kept apart.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from tests.python.test_semantic_manifest import REQUIRED_METRICS

pytestmark = pytest.mark.slow

SENTINEL = "<null>"  # stands for a null group key, so groups with a null key compare too


class _DuckDbPlanClient:
    """What MetricFlow's engine needs to plan and render DuckDB SQL; the test runs the SQL itself."""

    def __init__(self) -> None:
        from metricflow.protocols.sql_client import SqlEngine
        from metricflow.sql.render.duckdb_renderer import DuckDbSqlPlanRenderer

        self.sql_engine_type = SqlEngine.DUCKDB
        self.sql_plan_renderer = DuckDbSqlPlanRenderer()

    def render_bind_parameter_key(self, bind_parameter_key: str) -> str:
        return f"${bind_parameter_key}"


@dataclass
class SemanticLayer:
    manifest: dict
    engine: object
    con: duckdb.DuckDBPyConnection

    def query(self, metrics: Sequence[str] = (), group_by: Sequence[str] = (), saved_query: str | None = None
              ) -> pd.DataFrame:
        """`mf query --metrics ... --group-by ...` (or `--saved-query`) as a data frame (time columns as dates)."""
        from metricflow.engine.metricflow_engine import MetricFlowQueryRequest

        request = MetricFlowQueryRequest.create(
            saved_query_name=saved_query, metric_names=list(metrics) or None, group_by_names=list(group_by) or None)
        sql = self.engine.explain(request).sql_statement.sql  # type: ignore[attr-defined]
        return _normalise(self.con.execute(sql).df())

    def sql(self, sql: str) -> pd.DataFrame:
        return _normalise(self.con.execute(sql).df())


def _normalise(frame: pd.DataFrame) -> pd.DataFrame:
    """Timestamps as dates: MetricFlow returns a period's start as a timestamp, the marts a date."""
    for column in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column]):
            frame[column] = frame[column].dt.date
    return frame


@pytest.fixture(scope="module")
def semantic(demo_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SemanticLayer]:
    import json

    from metricflow.engine.metricflow_engine import MetricFlowEngine
    from metricflow_semantics.model.dbt_manifest_parser import parse_manifest_from_dbt_generated_manifest
    from metricflow_semantics.model.semantic_manifest_lookup import SemanticManifestLookup

    manifest_path = demo_warehouse.parent / "target" / "semantic_manifest.json"
    text = manifest_path.read_text()
    # same file name: the manifest names relations "<database>"."main"."<model>", the database being the file's stem
    copy = tmp_path_factory.mktemp("semantic") / demo_warehouse.name
    shutil.copyfile(demo_warehouse, copy)
    con = duckdb.connect(str(copy))
    for mart in ("fct_work_item_finish_rate", "fct_experiment_finish_rate"):
        con.execute(f"update main.{mart} set is_mature = cohort_month = (select min(cohort_month) from main.{mart})")
    # the demo has no shipped decision yet: each week's launches stand in for them, so the sums compared are not 0
    con.execute("update main.fct_shipped_decisions set shipped_decisions = experiments_launched")
    con.close()
    lookup = SemanticManifestLookup(parse_manifest_from_dbt_generated_manifest(text))
    engine = MetricFlowEngine(lookup, _DuckDbPlanClient())  # type: ignore[arg-type]
    reader = duckdb.connect(str(copy), read_only=True)
    yield SemanticLayer(json.loads(text), engine, reader)
    reader.close()


def assert_same(metric_frame: pd.DataFrame, mart_frame: pd.DataFrame, keys: Sequence[str], values: Sequence[str]):
    """The same groups (keys) and, in each, the same values (nulls where the mart has nulls)."""
    left = metric_frame[[*keys, *values]].copy()
    right = mart_frame[[*keys, *values]].copy()
    for frame in (left, right):
        for key in keys:
            frame[key] = frame[key].astype(object).where(frame[key].notna(), SENTINEL).astype(str)
    left = left.sort_values(list(keys)).reset_index(drop=True)
    right = right.sort_values(list(keys)).reset_index(drop=True)
    assert len(left) > 0, "no rows to compare"
    assert left[list(keys)].equals(right[list(keys)]), (left[list(keys)], right[list(keys)])
    for value in values:
        a = pd.to_numeric(left[value], errors="coerce").to_numpy(dtype=float)
        b = pd.to_numeric(right[value], errors="coerce").to_numpy(dtype=float)
        assert np.array_equal(np.isnan(a), np.isnan(b)), (value, left, right)
        assert np.allclose(a[~np.isnan(a)], b[~np.isnan(b)], rtol=1e-9, atol=1e-9), (value, left, right)


def test_the_built_semantic_manifest_has_every_metric(semantic: SemanticLayer):
    names = {metric["name"] for metric in semantic.manifest["metrics"]}
    assert set(REQUIRED_METRICS) <= names
    spines = semantic.manifest["project_configuration"]["time_spines"]
    assert [s["node_relation"]["alias"] for s in spines] == ["metricflow_time_spine"]


def test_finish_rates_count_mature_cohorts_and_keep_young_ones_apart(semantic: SemanticLayer):
    metrics = semantic.query(
        ["work_item_finish_rate", "work_item_finish_rate_maturing", "work_items_started", "work_items_finished"],
        ["metric_time__month", "work_item_cohort__team"],
    ).rename(columns={"metric_time__month": "cohort_month", "work_item_cohort__team": "team"})
    marts = semantic.sql(
        """
        select cohort_month, team, sum(started) as work_items_started, sum(finished) as work_items_finished,
            case when bool_and(is_mature) then sum(finished) / sum(started) end as work_item_finish_rate,
            case when not bool_or(is_mature) then sum(finished) / sum(started) end as work_item_finish_rate_maturing
        from main.fct_work_item_finish_rate group by cohort_month, team
        """
    )
    assert_same(metrics, marts, ["cohort_month", "team"], ["work_item_finish_rate", "work_item_finish_rate_maturing",
                                                           "work_items_started", "work_items_finished"])
    assert metrics["work_item_finish_rate"].notna().any() and metrics["work_item_finish_rate_maturing"].notna().any()
    saved = semantic.query(saved_query="finish_rate_by_cohort_and_team").rename(
        columns={"metric_time__month": "cohort_month", "work_item_cohort__team": "team"})
    assert_same(saved, marts, ["cohort_month", "team"], ["work_item_finish_rate", "work_item_finish_rate_maturing",
                                                         "work_items_started", "work_items_finished"])

    by_team = semantic.query(["work_item_finish_rate"], ["work_item_cohort__team"])
    mature = semantic.sql(
        """
        select team as work_item_cohort__team, sum(finished) / sum(started) as work_item_finish_rate,
            sum(case when is_mature then finished end) / sum(case when is_mature then started end) as mature_only
        from main.fct_work_item_finish_rate group by team
        """
    )
    # grouped by team alone, the rate is the mature cohorts' one, not the rate of every cohort mixed together
    assert not np.allclose(mature["work_item_finish_rate"], mature["mature_only"])
    assert_same(by_team, mature.drop(columns="work_item_finish_rate").rename(
        columns={"mature_only": "work_item_finish_rate"}), ["work_item_cohort__team"], ["work_item_finish_rate"])


def test_experiment_finish_rate_matches_its_mart(semantic: SemanticLayer):
    metrics = semantic.query(
        ["experiment_finish_rate", "experiment_finish_rate_maturing", "experiments_launched"],
        ["metric_time__month", "experiment_cohort__team"],
    ).rename(columns={"metric_time__month": "cohort_month", "experiment_cohort__team": "team"})
    marts = semantic.sql(
        """
        select cohort_month, team, launched as experiments_launched,
            case when is_mature then finish_rate end as experiment_finish_rate,
            case when not is_mature then finish_rate end as experiment_finish_rate_maturing
        from main.fct_experiment_finish_rate
        """
    )
    assert_same(metrics, marts, ["cohort_month", "team"],
                ["experiment_finish_rate", "experiment_finish_rate_maturing", "experiments_launched"])


def test_throughput_and_cycle_time_match_the_work_items(semantic: SemanticLayer):
    metrics = semantic.query(["throughput", "cycle_time_p85"], ["metric_time__week", "work_item__team"])
    marts = semantic.sql(
        """
        select date_trunc('week', finished_at) as metric_time__week, team as work_item__team,
            count(*) as throughput, quantile_cont(cycle_time_seconds, 0.85) as cycle_time_p85
        from main.fct_work_items where state = 'finished' group by all
        """
    )
    assert_same(metrics.dropna(subset=["metric_time__week"]), marts, ["metric_time__week", "work_item__team"],
                ["throughput", "cycle_time_p85"])

    keys = ["work_item__started_at__month", "work_item__team", "work_item__requested_by", "work_item__ai_assisted"]
    median = semantic.query(["cycle_time_p50"], keys).dropna(subset=["cycle_time_p50"])
    cohorts = semantic.sql(
        """
        select cohort_month as work_item__started_at__month, team as work_item__team,
            requested_by as work_item__requested_by, ai_assisted as work_item__ai_assisted,
            median_cycle_time_seconds as cycle_time_p50
        from main.fct_work_item_finish_rate where median_cycle_time_seconds is not null
        """
    )
    assert_same(median, cohorts, keys, ["cycle_time_p50"])


def test_wip_is_the_level_of_the_last_day_of_the_period(semantic: SemanticLayer):
    daily = semantic.query(["wip"], ["metric_time__day", "stage_day__stage"])
    marts = semantic.sql(
        """
        select date_day as metric_time__day, stage as stage_day__stage, wip_end_of_day as wip
        from main.fct_stage_daily where not is_terminal_stage
        """
    )
    assert_same(daily, marts, ["metric_time__day", "stage_day__stage"], ["wip"])
    weekly = semantic.query(["wip"], ["metric_time__week"])
    last_days = semantic.sql(
        """
        select date_trunc('week', date_day) as metric_time__week, sum(wip_end_of_day) as wip
        from main.fct_stage_daily
        where not is_terminal_stage
            and date_day = (select max(d.date_day) from main.fct_stage_daily as d
                            where date_trunc('week', d.date_day) = date_trunc('week', fct_stage_daily.date_day))
        group by all
        """
    )
    assert_same(weekly, last_days, ["metric_time__week"], ["wip"])


def test_rework_rate_matches_its_mart(semantic: SemanticLayer):
    metrics = semantic.query(["rework_rate"], ["work_item__team", "work_item__ai_assisted"])
    marts = semantic.sql(
        "select team as work_item__team, ai_assisted as work_item__ai_assisted, rework_rate from main.fct_rework_rate"
    )
    assert_same(metrics, marts, ["work_item__team", "work_item__ai_assisted"], ["rework_rate"])


def test_dora_metrics_match_the_weekly_mart(semantic: SemanticLayer):
    keys = ["metric_time__week", "deployment__service", "deployment__environment"]
    metrics = semantic.query(["deployment_frequency", "change_failure_rate", "lead_time_for_changes_p50"], keys)
    marts = semantic.sql(
        """
        select week_start as metric_time__week, service as deployment__service,
            environment as deployment__environment, deployments as deployment_frequency, change_failure_rate,
            median_lead_time_seconds as lead_time_for_changes_p50
        from main.fct_dora_weekly where deployments > 0
        """
    )
    assert_same(metrics, marts, keys, ["deployment_frequency", "change_failure_rate", "lead_time_for_changes_p50"])
    assert (metrics["change_failure_rate"] > 0).any()


def test_time_to_restore_matches_the_weekly_mart(semantic: SemanticLayer):
    assert set(semantic.sql("select distinct restore_source from main.fct_dora_weekly")["restore_source"]) == {
        "incidents"}  # the demo records incidents: the mart's restore figures come from them
    keys = ["metric_time__week", "incident__service", "incident__environment"]
    metrics = semantic.query(["time_to_restore_p50"], keys).dropna(subset=["time_to_restore_p50"])
    marts = semantic.sql(
        """
        select week_start as metric_time__week, service as incident__service,
            environment as incident__environment, median_time_to_restore_seconds as time_to_restore_p50
        from main.fct_dora_weekly where median_time_to_restore_seconds is not null
        """
    )
    assert_same(metrics, marts, keys, ["time_to_restore_p50"])

    keys = ["metric_time__week", "deployment__service", "deployment__environment"]
    by_deploy = semantic.query(["deploy_time_to_restore_p50"], keys).dropna(subset=["deploy_time_to_restore_p50"])
    deploys = semantic.sql(
        """
        select date_trunc('week', deployed_at) as metric_time__week, service as deployment__service,
            environment as deployment__environment, median(time_to_restore_seconds) as deploy_time_to_restore_p50
        from main.fct_deployments where time_to_restore_seconds is not null group by all
        """
    )
    assert_same(by_deploy, deploys, keys, ["deploy_time_to_restore_p50"])


def test_shipped_decisions_match_their_mart(semantic: SemanticLayer):
    metrics = semantic.query(["shipped_decisions"], ["metric_time__week", "team_week__team"])
    marts = semantic.sql(
        """
        select week_start as metric_time__week, team as team_week__team, shipped_decisions
        from main.fct_shipped_decisions
        """
    )
    assert_same(metrics, marts, ["metric_time__week", "team_week__team"], ["shipped_decisions"])
    assert metrics["shipped_decisions"].sum() > 0
