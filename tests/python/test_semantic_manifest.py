"""The semantic layer's YAML (models/semantic/) declares every metric the product documents, each on a measure of
a semantic model over a public mart, and the YAML reader of the package ignores its semantic keys."""

from __future__ import annotations

from pathlib import Path

import yaml

from flowmetrics.warehouse.dbt_yaml import model, models, public_models
from flowmetrics.warehouse.publish import published_relations

ROOT = Path(__file__).resolve().parents[2]
SEMANTIC = ROOT / "models" / "semantic"

REQUIRED_METRICS = (
    "work_item_finish_rate", "experiment_finish_rate", "work_items_started", "work_items_finished", "throughput",
    "cycle_time_p50", "cycle_time_p85", "wip", "rework_rate", "deployment_frequency", "change_failure_rate",
    "lead_time_for_changes_p50", "time_to_restore_p50", "shipped_decisions",
)
"""The metrics docs/semantic-layer.md documents; `mf query` answers each."""


def semantic_yaml(key: str) -> list[dict]:
    return [entry for path in sorted(SEMANTIC.glob("*.yml"))
            for entry in yaml.safe_load(path.read_text()).get(key) or []]


def test_every_documented_metric_is_declared_once():
    names = [metric["name"] for metric in semantic_yaml("metrics")]
    assert len(names) == len(set(names))
    assert set(REQUIRED_METRICS) <= set(names), set(REQUIRED_METRICS) - set(names)
    docs = (ROOT / "docs" / "semantic-layer.md").read_text()
    for name in names:
        assert f"`{name}`" in docs, f"docs/semantic-layer.md does not document metric {name}"


def test_every_metric_reads_a_measure_of_a_semantic_model_over_a_public_mart():
    public = {m.name for m in public_models()}
    measures = {}
    for semantic_model in semantic_yaml("semantic_models"):
        mart = semantic_model["model"].removeprefix("ref('").removesuffix("')")
        assert mart in public, f"semantic model {semantic_model['name']} reads {mart}, not a public mart"
        measures |= {measure["name"]: mart for measure in semantic_model.get("measures") or []}
    metrics = {metric["name"]: metric for metric in semantic_yaml("metrics")}
    for name, metric in metrics.items():
        params = metric["type_params"]
        if metric["type"] == "simple":
            assert params["measure"] in measures, name
        else:
            assert metric["type"] == "ratio", name
            for part in ("numerator", "denominator"):
                inner = params[part]["name"] if isinstance(params[part], dict) else params[part]
                assert inner in metrics, (name, part, inner)


def test_every_saved_query_asks_for_declared_metrics():
    metrics = {metric["name"] for metric in semantic_yaml("metrics")}
    saved = semantic_yaml("saved_queries")
    assert saved
    for query in saved:
        assert set(query["query_params"]["metrics"]) <= metrics, query["name"]
        assert f"`{query['name']}`" in (ROOT / "docs" / "semantic-layer.md").read_text(), query["name"]


def test_the_finish_rates_count_mature_cohorts_only_and_the_maturing_ones_apart():
    metrics = {metric["name"]: metric for metric in semantic_yaml("metrics")}
    rates = (("work_item_finish_rate", "work_item_cohort"), ("experiment_finish_rate", "experiment_cohort"))
    for rate, entity in rates:
        for name, flag in ((rate, "true"), (f"{rate}_maturing", "false")):
            params = metrics[name]["type_params"]
            for part in ("numerator", "denominator"):
                assert params[part]["filter"] == f"{{{{ Dimension('{entity}__is_mature') }}}} = {flag}", (name, part)


def test_the_time_spine_is_a_model_the_package_neither_reads_nor_publishes():
    spine = model("metricflow_time_spine")
    assert not spine.is_public and spine.materialized == "table"
    assert "metricflow_time_spine" not in {p.name for p in published_relations()}
    assert all(m.yaml_file.startswith("models/") for m in models())  # semantic_models/metrics keys are not models


def test_every_percentile_is_exact_and_continuous_as_the_marts_median():
    percentiles = [measure for semantic_model in semantic_yaml("semantic_models")
                   for measure in semantic_model.get("measures") or [] if measure["agg"] == "percentile"]
    assert len(percentiles) >= 5
    for measure in percentiles:
        params = measure["agg_params"]
        assert params["use_discrete_percentile"] is False, measure["name"]
        assert params["use_approximate_percentile"] is False, measure["name"]
