"""Experiments carry the cases an experiment mart must catch: SRM, undecided, under-powered, unshipped."""

from __future__ import annotations

import pandas as pd
import pytest
from scipy import stats

from flowmetrics.simulation import demo_config, simulate, to_raw_tables
from flowmetrics.simulation.config import ExperimentConfig


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return to_raw_tables(simulate(demo_config(1500), 3))


@pytest.fixture(scope="module")
def truth() -> pd.DataFrame:
    return simulate(demo_config(1500), 3).experiments.experiments


def _srm_p_values(tables: dict[str, pd.DataFrame]) -> pd.Series:
    units = tables["experiment_exposures"].drop_duplicates(["experiment_id", "unit_id"])
    counts = units.groupby(["experiment_id", "variant"]).size().rename("n").reset_index()
    plan = tables["experiment_variants"].merge(counts, on=["experiment_id", "variant"], how="left").fillna({"n": 0})
    out = {}
    for exp_id, g in plan.groupby("experiment_id"):
        total = g["n"].sum()
        if total >= 300:
            out[exp_id] = stats.chisquare(g["n"], total * g["weight"] / g["weight"].sum()).pvalue
    return pd.Series(out)


def test_sample_ratio_mismatch_is_planted_and_detectable(tables: dict[str, pd.DataFrame], truth: pd.DataFrame) -> None:
    p = _srm_p_values(tables)
    srm = set("EXP-" + (truth.loc[truth["srm"], "experiment"] + 1).astype(str).str.zfill(4))
    flagged, clean = p[p.index.isin(srm)], p[~p.index.isin(srm)]
    assert len(flagged) >= 3 and len(clean) >= 20
    assert (flagged < 0.01).mean() >= 0.5
    assert (clean < 0.01).mean() <= 0.1


def test_lifecycle_has_undecided_unshipped_abandoned_and_paused_cases(
    tables: dict[str, pd.DataFrame],
) -> None:
    ev = tables["experiment_events"]
    kinds = ev.groupby("experiment_id")["event_type"].apply(set)
    stopped_undecided = kinds.apply(lambda k: "stopped" in k and "decided" not in k and "abandoned" not in k)
    running = kinds.apply(lambda k: "launched" in k and not k & {"stopped", "abandoned"})
    assert stopped_undecided.sum() >= 3 and running.sum() >= 1
    decided = ev[ev["event_type"] == "decided"]
    ship = set(decided.loc[decided["decision"] == "ship", "experiment_id"])
    shipped = set(ev.loc[ev["event_type"] == "shipped", "experiment_id"])
    assert shipped <= ship
    assert len(ship - shipped) >= 1 and len(shipped) >= 1
    assert (ev["event_type"] == "abandoned").sum() >= 2
    assert {"paused", "resumed"} <= set(ev["event_type"])
    assert decided["decision"].notna().all()
    assert ev.loc[ev["event_type"] != "decided", "decision"].isna().all()


def test_events_of_an_experiment_come_in_lifecycle_order(tables: dict[str, pd.DataFrame]) -> None:
    ev = tables["experiment_events"]
    order = ["created", "launched", "stopped", "decided", "shipped"]
    wide = ev[ev["event_type"].isin(order)].pivot(index="experiment_id", columns="event_type", values="occurred_at")
    for a, b in zip(order[:-1], order[1:], strict=True):
        both = wide[a].notna() & wide[b].notna()
        assert (wide.loc[both, a] <= wide.loc[both, b]).all(), (a, b)
    assert (wide[order[1:]].notna().sum(axis=1) <= wide["created"].notna().astype(int) * 4).all()


def test_some_experiments_never_reach_their_minimum_sample(tables: dict[str, pd.DataFrame]) -> None:
    ev = tables["experiment_events"]
    stopped = set(ev.loc[ev["event_type"] == "stopped", "experiment_id"])
    units = tables["experiment_exposures"].groupby("experiment_id")["unit_id"].nunique()
    need = tables["experiments"].set_index("experiment_id")["min_sample_size"]
    done = need.loc[sorted(stopped)]
    reached = units.reindex(done.index).fillna(0) >= done
    assert 1 <= (~reached).sum() < len(done) / 2


def test_exposure_volume_is_a_knob() -> None:
    from dataclasses import replace

    cfg = demo_config(600)
    low = replace(cfg, experiments=ExperimentConfig(units_per_day=5.0))
    high = replace(cfg, experiments=ExperimentConfig(units_per_day=50.0))
    n_low = len(simulate(low, 1).experiments.exposures)
    n_high = len(simulate(high, 1).experiments.exposures)
    assert 5 < n_high / n_low < 15
