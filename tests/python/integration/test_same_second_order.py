"""Seeded-random property: the order of a ticket's changes comes from the log itself, not from how it was written.

Each generated log has many tickets whose changes often share a second (automation, bulk moves), every tie group
walking distinct statuses so that the reported from_status chain alone says which change came first. The same log
written again with its rows shuffled and its change ids replaced by random opaque strings must build, through the
real CLI (ingest + build), into the same fct_status_intervals, fct_stage_visits and fct_work_items, row for row;
and the status sequence of each ticket must be the one the generator walked.
"""

from __future__ import annotations

import random
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from flowmetrics.ingest import write_raw_tables
from flowmetrics.quality.config import QualityConfig
from flowmetrics.quality.registry import default_registry
from flowmetrics.quality.runner import run_checks
from flowmetrics.quality.suite import SuiteRegistry
from flowmetrics.warehouse.profile import resolve_target

CLI = [sys.executable, "-m", "flowmetrics.cli"]
SEEDS = (7, 8)
TICKETS = 160
STATUS_MAP = Path(__file__).resolve().parents[3] / "seeds" / "default_status_map.csv"
RAW_STATE_SUITES = ("flow.counts_consistent", "flow.open_items_consistent")
MARTS = {
    "fct_status_intervals": ["ticket_id", "interval_number"],
    "fct_stage_visits": ["ticket_id", "visit_sequence"],
    "fct_work_items": ["ticket_id"],
}


def generate_log(seed: int) -> tuple[dict[str, pd.DataFrame], dict[str, list[str]]]:
    """Raw tables of a random log with many same-second tie groups, and each ticket's true status sequence."""
    rng = random.Random(seed)
    statuses = pd.read_csv(STATUS_MAP)["raw_status"].tolist()
    start = pd.Timestamp("2026-01-05 08:00:00")
    tickets, changes, truth = [], [], {}
    number = 0
    for t in range(TICKETS):
        ticket_id = f"T{t:04d}"
        created_at = start + pd.Timedelta(seconds=rng.randrange(0, 86_400 * 10))
        tickets.append({"ticket_id": ticket_id, "team": rng.choice(["web", "app"]), "created_at": created_at})
        current = rng.choice(statuses)
        sequence = [current]
        at = created_at
        for _ in range(rng.randrange(0, 7)):  # groups of changes; zero groups: a ticket without changes
            at += pd.Timedelta(seconds=rng.choice([1, 60, 3_600, 86_400]) * rng.randrange(1, 5))
            size = rng.choice([1, 1, 2, 3, 4, 5])
            if size == 1 and rng.random() < 0.15:
                walk = [current]  # a lone reassignment into the current status
            else:
                walk = rng.sample([s for s in statuses if s != current], size)
            for status in walk:
                number += 1
                changes.append(
                    {
                        "change_id": f"ch{number}",
                        "ticket_id": ticket_id,
                        "changed_at": at,
                        "from_status": current,
                        "to_status": status,
                        "changed_by": rng.choice(["ann", "bob", "automation"]),
                    }
                )
                if status != current:
                    sequence.append(status)
                current = status
        if changes and changes[-1]["ticket_id"] == ticket_id:
            truth[ticket_id] = sequence  # a ticket without changes sits in the entry status, not in `current`
    frames = {
        "tickets": pd.DataFrame(tickets),
        "ticket_status_changes": pd.DataFrame(changes),
        "status_map": pd.read_csv(STATUS_MAP),
    }
    return frames, truth


def shuffle_and_rename(frames: dict[str, pd.DataFrame], seed: int) -> dict[str, pd.DataFrame]:
    """The same log: rows in random order, change ids replaced by random opaque strings."""
    rng = random.Random(seed * 1_000 + 1)
    changes = frames["ticket_status_changes"].sample(frac=1.0, random_state=seed).reset_index(drop=True)
    alphabet = "0123456789abcdefxyz-_"
    opaque = {cid: "".join(rng.choices(alphabet, k=rng.randrange(3, 14))) for cid in changes["change_id"]}
    while len(set(opaque.values())) < len(opaque):
        opaque = {cid: f"{value}{rng.randrange(10)}" for cid, value in opaque.items()}
    changes["change_id"] = changes["change_id"].map(opaque)
    tickets = frames["tickets"].sample(frac=1.0, random_state=seed + 1).reset_index(drop=True)
    return {**frames, "tickets": tickets, "ticket_status_changes": changes}


def cli_build(frames: dict[str, pd.DataFrame], work: Path) -> dict[str, pd.DataFrame]:
    raw, warehouse = work / "raw", work / "wh.duckdb"
    write_raw_tables(frames, raw)
    ingest = subprocess.run([*CLI, "ingest", str(raw), "--warehouse", str(warehouse)], capture_output=True, text=True)
    assert ingest.returncode == 0, ingest.stdout[-2000:] + ingest.stderr[-2000:]
    build = subprocess.run(
        [*CLI, "build", "--warehouse", str(warehouse), "--",
         "--select", "+fct_work_items +fct_stage_visits +fct_status_intervals +fct_stage_transitions",
         "+fct_open_work_items +dim_as_of", "--indirect-selection", "cautious",
         "--target-path", str(work / "target"), "--log-path", str(work / "logs")],
        capture_output=True, text=True,
    )
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        marts = {
            name: con.execute(f"select * from main.{name}").df().sort_values(key).reset_index(drop=True)
            for name, key in MARTS.items()
        }
        latest = pd.Timestamp(con.execute("select latest_event_at from main.dim_as_of").fetchone()[0])
    finally:
        con.close()
    registry = SuiteRegistry()
    registry.add(*(default_registry().get(name) for name in RAW_STATE_SUITES))
    report = run_checks(resolve_target(None, warehouse), registry=registry, record=False,
                        config=QualityConfig(reference_time=latest.to_pydatetime() + timedelta(hours=1)))
    marts["gate"] = pd.DataFrame(
        [(r.check_id, r.status, r.observed) for r in report.results], columns=["check_id", "status", "observed"]
    )
    return marts


@pytest.fixture(scope="module", params=SEEDS)
def builds(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    frames, truth = generate_log(request.param)
    ties = frames["ticket_status_changes"].groupby(["ticket_id", "changed_at"]).size()
    assert (ties > 1).sum() >= 100, "the generated log must be rich in same-second changes"
    original = cli_build(frames, tmp_path_factory.mktemp(f"ties{request.param}"))
    shuffled = cli_build(shuffle_and_rename(frames, request.param), tmp_path_factory.mktemp(f"shuf{request.param}"))
    return truth, original, shuffled


def test_each_ticket_walks_the_statuses_the_log_describes(builds):
    truth, original, shuffled = builds
    for marts in (original, shuffled):
        intervals = marts["fct_status_intervals"]
        assert intervals["ticket_id"].nunique() == TICKETS
        walked = intervals.groupby("ticket_id")["status"].agg(list).to_dict()
        assert len(truth) > TICKETS * 3 // 4
        wrong = [t for t in truth if walked[t] != truth[t]]
        assert not wrong, f"{len(wrong)} tickets out of order, e.g. {wrong[0]}: {walked[wrong[0]]} vs {truth[wrong[0]]}"


def test_the_gate_recomputes_the_same_states_from_raw_whatever_the_order_of_same_second_changes(builds):
    """The gate's raw-state identities (finished and open work items recomputed from each ticket's latest raw
    change) must agree with the marts on logs full of same-second changes, or a good night would be refused."""
    _, original, shuffled = builds
    for marts in (original, shuffled):
        gate = marts["gate"]
        assert set(gate["check_id"]) == {f"{suite}.difference" for suite in RAW_STATE_SUITES}
        assert (gate["status"] == "passed").all(), gate.to_string()


@pytest.mark.parametrize("mart", sorted(MARTS))
def test_row_order_and_change_ids_change_nothing(builds, mart: str):
    _, original, shuffled = builds
    lineage = ["source_loaded_at"]  # when each build's ingest ran, not what the log says
    pd.testing.assert_frame_equal(original[mart].drop(columns=lineage, errors="ignore"),
                                  shuffled[mart].drop(columns=lineage, errors="ignore"), check_like=True)
