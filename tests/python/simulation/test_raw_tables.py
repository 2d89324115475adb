"""The generator's output honours the raw contract and looks like a real export."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from flowmetrics.contract import TABLES, ColumnType
from flowmetrics.simulation import SimulationResult

SEED_MAP = "seeds/default_status_map.csv"


def _dtype_ok(series: pd.Series, kind: ColumnType) -> bool:
    if kind is ColumnType.STRING:
        return pd.api.types.is_string_dtype(series.dtype) or series.dtype == object
    if kind is ColumnType.BOOLEAN:
        return pd.api.types.is_bool_dtype(series.dtype)
    if kind is ColumnType.TIMESTAMP:
        return pd.api.types.is_datetime64_dtype(series.dtype) and getattr(series.dt, "tz", None) is None
    if kind is ColumnType.INTEGER:
        return series.dtype == np.int64
    return pd.api.types.is_float_dtype(series.dtype)


def test_exactly_the_contract_tables_columns_and_dtypes(demo_tables: dict[str, pd.DataFrame]) -> None:
    assert list(demo_tables) == list(TABLES)
    for name, table in TABLES.items():
        frame = demo_tables[name]
        assert tuple(frame.columns) == table.column_names, name
        assert len(frame) > 0, name
        for col in table.columns:
            assert _dtype_ok(frame[col.name], col.type), (name, col.name, frame[col.name].dtype)
            if col.required:
                assert frame[col.name].notna().all(), (name, col.name)
            if col.accepted_values is not None:
                values = set(frame[col.name].dropna())
                assert values <= set(col.accepted_values), (name, col.name, values)
        assert not frame.duplicated(list(table.key)).any(), name
        for rule in table.required_when:
            when = frame[rule.when_column] == rule.when_value
            assert frame.loc[when, rule.column].notna().all()


def test_enum_values_are_all_used(demo_tables: dict[str, pd.DataFrame]) -> None:
    assert set(demo_tables["deploys"]["status"]) == {"success", "failed", "rolled_back"}
    assert set(demo_tables["status_map"]["stage_kind"]) == {"queue", "active", "wait", "done", "abandoned"}
    events = demo_tables["experiment_events"]
    assert {"created", "launched", "stopped", "decided", "shipped"} <= set(events["event_type"])
    assert set(events["decision"].dropna()) <= {"ship", "rollback", "iterate", "inconclusive"}
    assert len(set(events["decision"].dropna())) >= 3


def test_foreign_keys_resolve(demo_tables: dict[str, pd.DataFrame]) -> None:
    tickets = set(demo_tables["tickets"]["ticket_id"])
    assert set(demo_tables["ticket_status_changes"]["ticket_id"]) <= tickets
    assert set(demo_tables["deploy_tickets"]["ticket_id"]) <= tickets
    assert set(demo_tables["deploy_tickets"]["deploy_id"]) <= set(demo_tables["deploys"]["deploy_id"])
    experiments = set(demo_tables["experiments"]["experiment_id"])
    assert set(demo_tables["tickets"]["experiment_id"].dropna()) == experiments
    for name in ("experiment_variants", "experiment_events", "experiment_exposures"):
        assert set(demo_tables[name]["experiment_id"]) <= experiments, name
    assert set(demo_tables["experiments"]["ticket_id"]) <= tickets


def test_status_map_lists_every_status_used(demo_tables: dict[str, pd.DataFrame]) -> None:
    changes = demo_tables["ticket_status_changes"]
    used = set(changes["to_status"]) | set(changes["from_status"].dropna())
    assert used == set(demo_tables["status_map"]["raw_status"])


def test_demo_statuses_agree_with_the_default_seed(demo_tables: dict[str, pd.DataFrame]) -> None:
    seed = pd.read_csv(SEED_MAP).set_index("raw_status")
    ours = demo_tables["status_map"].set_index("raw_status")
    assert set(ours.index) <= set(seed.index)
    for col in ("stage", "stage_kind", "stage_order"):
        assert (ours[col].astype(str) == seed.loc[ours.index, col].astype(str)).all(), col


def _ordered_changes(changes: pd.DataFrame) -> pd.DataFrame:
    return changes.sort_values(["ticket_id", "changed_at", "change_id"]).reset_index(drop=True)


def test_changelog_chain_and_created_before_first_change(demo_tables: dict[str, pd.DataFrame]) -> None:
    ch = _ordered_changes(demo_tables["ticket_status_changes"])
    first = ~ch["ticket_id"].duplicated()
    assert ch.loc[first, "from_status"].isna().all()
    assert ch.loc[~first, "from_status"].notna().all()
    prev_to = ch["to_status"].shift(1)
    assert (ch.loc[~first, "from_status"] == prev_to[~first]).all()
    created = demo_tables["tickets"].set_index("ticket_id")["created_at"]
    first_change = ch[first].set_index("ticket_id")["changed_at"]
    assert (created.loc[first_change.index] <= first_change).all()
    assert (created.loc[first_change.index] < first_change).mean() > 0.99


def test_change_ids_sort_like_time_so_ties_break_right(demo_tables: dict[str, pd.DataFrame]) -> None:
    ch = demo_tables["ticket_status_changes"]
    assert ch["change_id"].is_unique
    by_id = ch.sort_values("change_id")
    assert by_id["changed_at"].is_monotonic_increasing
    by_time = _ordered_changes(ch)
    by_id_per_ticket = ch.sort_values(["ticket_id", "change_id"]).reset_index(drop=True)
    assert (by_time["change_id"] == by_id_per_ticket["change_id"]).all()


def test_reassignments_are_same_status_changes_by_someone_else(demo_tables: dict[str, pd.DataFrame]) -> None:
    ch = _ordered_changes(demo_tables["ticket_status_changes"])
    same = ch["from_status"] == ch["to_status"]
    assert same.sum() > 0.01 * len(ch)
    prev_by = ch["changed_by"].shift(1)
    assert (ch.loc[same, "changed_by"] != prev_by[same]).all()


def test_rows_are_not_in_time_order(demo_tables: dict[str, pd.DataFrame]) -> None:
    assert not demo_tables["ticket_status_changes"]["changed_at"].is_monotonic_increasing


def test_abandoned_tickets_leave_from_the_backlog_or_after_work_started(demo_tables: dict[str, pd.DataFrame]) -> None:
    ch = demo_tables["ticket_status_changes"]
    wont = ch[ch["to_status"] == "Won't Do"]
    # dropped before anyone committed, blocked work given up, or work gone stale waiting for review
    assert {"Backlog", "Blocked"} <= set(wont["from_status"]) <= {"Backlog", "Blocked", "Ready for Review"}
    started = set(ch.loc[ch["to_status"] == "In Progress", "ticket_id"])
    dropped_started = wont["ticket_id"].isin(started).sum() / len(started)
    assert 0.05 < dropped_started < 0.2  # some started work never finishes: the finish rate has something to show


def test_deploys_batch_tickets_and_failed_ones_are_redeployed(demo_tables: dict[str, pd.DataFrame]) -> None:
    deploys = demo_tables["deploys"].set_index("deploy_id")
    links = demo_tables["deploy_tickets"]
    per_deploy = links.groupby("deploy_id").size()
    assert per_deploy.max() >= 3 and per_deploy.mean() > 1.5
    assert (deploys["deployed_at"].dt.hour == 14).mean() > 0.8  # trains at 14:00 UTC, redeploys any time
    assert (deploys.loc[deploys["deployed_at"].dt.hour == 14, "deployed_at"].dt.day_of_week < 5).all()
    tickets_of = links.groupby("deploy_id")["ticket_id"].apply(frozenset)
    for deploy_id, row in deploys[deploys["status"] != "success"].iterrows():
        later = deploys[
            (deploys["deployed_at"] > row["deployed_at"])
            & (deploys["service"] == row["service"])
            & (deploys["environment"] == row["environment"])
            & (deploys["status"] == "success")
        ]
        if later.empty:  # the redeploy would come after the end of the export
            continue
        assert any(tickets_of[deploy_id] == tickets_of[d] for d in later.index), deploy_id


def test_incidents_follow_failed_deploys_and_resolve_at_the_redeploy(demo_tables: dict[str, pd.DataFrame]) -> None:
    deploys = demo_tables["deploys"].set_index("deploy_id")
    incidents = demo_tables["incidents"]
    failed = deploys[deploys["status"] != "success"]
    assert len(failed) > 0 and len(incidents) >= len(failed)
    assert set(incidents["severity"]) <= {"sev1", "sev2", "sev3"}
    resolved = incidents["resolved_at"].notna()
    assert (incidents.loc[resolved, "resolved_at"] >= incidents.loc[resolved, "opened_at"]).all()
    named = incidents[incidents["caused_by_deploy_id"].notna()]
    assert named["caused_by_deploy_id"].isin(deploys.index).all()
    cause = deploys.loc[named["caused_by_deploy_id"]]
    assert (named["opened_at"].to_numpy() >= cause["deployed_at"].to_numpy()).all()
    assert (named["service"].to_numpy() == cause["service"].to_numpy()).all()
    for _, incident in named[named["caused_by_deploy_id"].isin(failed.index) & named["resolved_at"].notna()].iterrows():
        deploy = deploys.loc[incident["caused_by_deploy_id"]]
        redeploys = deploys[(deploys["service"] == deploy["service"]) & (deploys["status"] == "success")
                            & (deploys["deployed_at"] == incident["resolved_at"])]
        assert len(redeploys) == 1, incident["incident_id"]


def test_an_earlier_export_holds_incidents_opened_by_then_still_open_if_resolved_later(
    demo_tables: dict[str, pd.DataFrame],
) -> None:
    from flowmetrics.simulation.exports import export_at

    incidents = demo_tables["incidents"]
    restored = incidents[incidents["resolved_at"].notna()].iloc[0]
    taken_at = restored["opened_at"] + (restored["resolved_at"] - restored["opened_at"]) / 2
    earlier = export_at(demo_tables, taken_at)["incidents"].set_index("incident_id")
    assert (earlier["opened_at"] <= taken_at).all()
    assert len(earlier) == (incidents["opened_at"] <= taken_at).sum()
    assert pd.isna(earlier.loc[restored["incident_id"], "resolved_at"])
    assert (earlier["resolved_at"].dropna() <= taken_at).all()


def test_deployed_tickets_are_done_at_the_deploy(demo_tables: dict[str, pd.DataFrame]) -> None:
    ch = demo_tables["ticket_status_changes"]
    done = ch[ch["to_status"] == "Done"].set_index("ticket_id")["changed_at"]
    ok = demo_tables["deploys"][demo_tables["deploys"]["status"] == "success"]
    shipped = demo_tables["deploy_tickets"].merge(ok, on="deploy_id")
    assert (done.loc[shipped["ticket_id"]].to_numpy() == shipped["deployed_at"].to_numpy()).all()
    assert set(done.index) == set(shipped["ticket_id"])
    assert (ch.loc[ch["to_status"] == "Done", "from_status"] == "Ready to Deploy").all()


def test_first_commit_is_the_earliest_in_progress_of_the_shipped_tickets(
    demo_tables: dict[str, pd.DataFrame],
) -> None:
    ch = demo_tables["ticket_status_changes"]
    started = ch[ch["to_status"] == "In Progress"].groupby("ticket_id")["changed_at"].min()
    links = demo_tables["deploy_tickets"].assign(started=lambda d: d["ticket_id"].map(started))
    expected = links.groupby("deploy_id")["started"].min()
    deploys = demo_tables["deploys"].set_index("deploy_id")
    present = deploys["first_commit_at"].notna()
    assert 0 < (~present).sum() < 0.2 * len(deploys)
    assert (deploys.loc[present, "first_commit_at"] == expected.loc[deploys.index[present]]).all()
    assert (deploys.loc[present, "first_commit_at"] <= deploys.loc[present, "deployed_at"]).all()


def test_experiment_events_follow_the_ticket(demo_tables: dict[str, pd.DataFrame]) -> None:
    ev = demo_tables["experiment_events"]
    exp = demo_tables["experiments"].set_index("experiment_id")
    launched = ev[ev["event_type"] == "launched"].set_index("experiment_id")["occurred_at"]
    ch = demo_tables["ticket_status_changes"]
    done = ch[ch["to_status"] == "Done"].set_index("ticket_id")["changed_at"]
    assert (launched > done.loc[exp.loc[launched.index, "ticket_id"]].to_numpy()).all()
    exposures = demo_tables["experiment_exposures"]
    first_exposure = exposures.groupby("experiment_id")["exposed_at"].min()
    assert (first_exposure >= launched.loc[first_exposure.index]).all()


def test_exposure_volume_is_moderate_at_the_demo_default() -> None:
    from flowmetrics.simulation import generate_raw_tables

    n = len(generate_raw_tables(items=1500, seed=7)["experiment_exposures"])
    assert 50_000 <= n <= 150_000


def test_result_keeps_the_engine_view(demo_result: SimulationResult) -> None:
    items = demo_result.items
    assert len(items) == 600
    assert items["created_hours"].is_monotonic_increasing
    done = items["finished_hours"].notna()
    assert (items.loc[done, "finished_hours"] >= items.loc[done, "created_hours"]).all()
    assert not (done & items["abandoned_hours"].notna()).any()


@pytest.mark.parametrize("items", [1, 2])
def test_tiny_runs_still_give_every_table(items: int) -> None:
    from flowmetrics.simulation import generate_raw_tables

    tables = generate_raw_tables(items=items, seed=0)
    assert list(tables) == list(TABLES)
    assert len(tables["tickets"]) == items
    for name, table in TABLES.items():
        assert tuple(tables[name].columns) == table.column_names


def test_rework_shows_as_backward_moves_more_often_for_ai_work(demo_tables: dict[str, pd.DataFrame]) -> None:
    order = demo_tables["status_map"].set_index("raw_status")["stage_order"]
    ch = demo_tables["ticket_status_changes"].dropna(subset=["from_status"])
    backward = ch[ch["to_status"].map(order) < ch["from_status"].map(order)]
    assert set(backward["from_status"]) <= {"In Review", "In QA"}
    assert set(backward["to_status"]) == {"Ready for Dev"}
    done = set(ch.loc[ch["to_status"] == "Done", "ticket_id"])
    ai = demo_tables["tickets"].set_index("ticket_id")["ai_assisted"]
    ai = ai[ai.index.isin(done)]
    reworked = ai.index.isin(backward["ticket_id"])
    assert reworked[ai.to_numpy()].mean() > reworked[~ai.to_numpy()].mean()  # rates: see test_engine
