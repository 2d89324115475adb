"""The demo delivery system behind `flowmetrics generate`: its constraint is code review.

Backlog (days before anyone commits, some tickets abandoned) -> development (per-team developers; 30% of
the work is `Blocked` mid-way for about six days on an outside party, then queues again to be finished)
-> code review (two reviewers shared by every team, a little short of the work that reaches them: rho
about 1.07, so their queue keeps growing: the true constraint) -> QA -> `Ready to Deploy` until the weekday
14:00 UTC train -> Done. Review and QA send work back to development, more often for AI-assisted work.
`Blocked` is the longest status and the backlog the longest wait: the decoys. Being just over capacity,
the demo shows what the what-if must: capacity at review raises throughput, anywhere else it does not.
Status names are those of seeds/default_status_map.csv so the project's default map applies.
"""

from __future__ import annotations

import pandas as pd

from flowmetrics.simulation.config import (
    HOURS_PER_DAY,
    Blocking,
    Demand,
    DeployTrains,
    ExperimentConfig,
    Rework,
    SimulationConfig,
    WaitStep,
    WorkStage,
)
from flowmetrics.simulation.distributions import gamma, lognormal
from flowmetrics.simulation.engine import simulate
from flowmetrics.simulation.raw_tables import to_raw_tables

BASE_ITEMS = 3000  # up to this many tickets the organisation keeps its base size (12 tickets a day)
MAX_EXPERIMENTS = 1200  # bigger runs build no more experiments than this, to keep exposures moderate


def demo_config(items: int = 1500) -> SimulationConfig:
    """The demo system for `items` tickets; above BASE_ITEMS the organisation grows (rates and people x k)
    so the history keeps spanning months rather than centuries.
    """
    if items < 1:
        raise ValueError("items must be >= 1")
    k = max(1.0, items / BASE_ITEMS)

    def people(n: int) -> int:
        return max(1, round(n * k))

    teams = ("web", "mobile", "platform")
    demand = (
        Demand("growth", 4.0 * k, {"web": 0.6, "mobile": 0.4}, ai_share=0.45),
        Demand("product", 5.0 * k, {"web": 0.4, "mobile": 0.3, "platform": 0.3}, ai_share=0.3),
        Demand("marketing", 2.0 * k, {"web": 0.8, "mobile": 0.2}, ai_share=0.5),
        Demand("design", 0.6 * k, {"web": 0.5, "mobile": 0.5}, ai_share=0.2),
        Demand("data", 0.4 * k, {"platform": 1.0}, ai_share=0.35, ticket_types={"task": 0.7, "bug": 0.3}),
    )
    steps = (
        WaitStep(
            "backlog",
            10,
            "Backlog",
            lognormal(120.0, 1.0),
            kind="queue",
            abandon_probability=0.08,
            abandon_after=lognormal(240.0, 1.0),
        ),
        WorkStage(
            "development",
            30,
            "In Progress",
            gamma(10.0, 0.8),
            queue_status="Ready for Dev",
            team_servers={"web": people(6), "mobile": people(4), "platform": people(2)},
            blocking=Blocking("Blocked", 0.3, lognormal(150.0, 0.6)),
        ),
        WorkStage(
            "code_review",
            40,
            "In Review",
            lognormal(3.3, 1.0),
            queue_status="Ready for Review",
            servers=people(2),
            rework=Rework("development", 0.15, ai_probability=0.3),
        ),
        WorkStage(
            "qa",
            50,
            "In QA",
            lognormal(2.0, 0.8),
            queue_status="Ready for QA",
            servers=people(2),
            rework=Rework("development", 0.08, ai_probability=0.15),
        ),
        DeployTrains(
            team_services={"web": "web-app", "mobile": "mobile-api", "platform": "platform-api"},
            failure_probability=0.06,
            rollback_probability=0.04,
        ),
    )
    share = min(0.12, MAX_EXPERIMENTS / items)
    assert set(teams) == {t for d in demand for t in d.teams}
    return SimulationConfig(
        demand=demand,
        steps=steps,
        items=items,
        experiments=ExperimentConfig(share=share),
        # two weeks fill the pipeline (a ticket waits days in the backlog first); short runs keep 2/3
        warmup_hours=min(14 * HOURS_PER_DAY, items / (12 * k) * HOURS_PER_DAY / 3),
        name="demo",
    )


def generate_raw_tables(items: int, seed: int) -> dict[str, pd.DataFrame]:
    """Every raw contract table of the demo system with `items` tickets (deterministic for a seed)."""
    return to_raw_tables(simulate(demo_config(items), seed))
