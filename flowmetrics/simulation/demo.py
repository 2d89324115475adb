"""The demo delivery system behind `flowmetrics generate`: its constraint is code review.

Backlog (days before anyone commits, some tickets abandoned) -> development (per-team developers; 30% of the work
is `Blocked` mid-way for about six days on an outside party, then queues again to be finished; 30% of the blocked
work is given up instead: `Won't Do`) -> code review (two reviewers shared by every team, a little short of the
work that reaches them: rho about 1.07, so their queue keeps growing: the true constraint; work that waited more
than ten days for review is sometimes dropped when a reviewer gets to it) -> QA -> `Ready to Deploy` until the
weekday 14:00 UTC train -> Done. Review and QA send work back to development, more often for AI-assisted work. A
campaign asks for 40% more work from day 21 to day 56, so the review queue builds early. `Blocked` and the backlog
are long waits that no capacity shortens: the decoys. Being just over capacity, the demo shows what the what-if
must: capacity at review raises throughput, anywhere else it does not.
Status names are those of seeds/default_status_map.csv so the project's default map applies.

At 7.5 tickets a day, `make demo` (1500 tickets, seed 7) spans January to mid-July 2026, so three start cohorts
are mature: January 88%, February 92% and March 80% of the started work finished (87% together; 13% was
abandoned after it started). Of the 1339 started tickets 255 were dropped (132 while blocked, 123 waiting for
review), besides 107 backlog drops. Experiments finish less: 44% of the 54 launched in mature cohorts
(measured cleanly, decided and, if `ship`, shipped), under the 60% line.
"""

from __future__ import annotations

import pandas as pd

from flowmetrics.simulation.config import (
    HOURS_PER_DAY,
    Blocking,
    Demand,
    DeployTrains,
    ExperimentConfig,
    RateChange,
    Rework,
    SimulationConfig,
    Staleness,
    WaitStep,
    WorkStage,
)
from flowmetrics.simulation.distributions import gamma, lognormal
from flowmetrics.simulation.engine import simulate
from flowmetrics.simulation.raw_tables import to_raw_tables

BASE_ITEMS = 1875  # up to this many tickets the organisation keeps its base size (7.5 tickets a day)
REVIEW_HOURS = 6.0  # mean review; a little over two reviewers' capacity once blocked work has been dropped
STALE_DAYS = 10.0  # work that waited longer than this for review is sometimes dropped when picked up
SURGE_DAYS, SURGE_FACTOR = (21.0, 56.0), 1.4  # a campaign: 40% more work asked for between these days
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
        Demand("growth", 2.5 * k, {"web": 0.6, "mobile": 0.4}, ai_share=0.45),
        Demand("product", 3.1 * k, {"web": 0.4, "mobile": 0.3, "platform": 0.3}, ai_share=0.3),
        Demand("marketing", 1.25 * k, {"web": 0.8, "mobile": 0.2}, ai_share=0.5),
        Demand("design", 0.4 * k, {"web": 0.5, "mobile": 0.5}, ai_share=0.2),
        Demand("data", 0.25 * k, {"platform": 1.0}, ai_share=0.35, ticket_types={"task": 0.7, "bug": 0.3}),
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
            gamma(16.0, 0.8),
            queue_status="Ready for Dev",
            team_servers={"web": people(6), "mobile": people(4), "platform": people(2)},
            blocking=Blocking("Blocked", 0.3, lognormal(150.0, 0.6), abandon_probability=0.3),
        ),
        WorkStage(
            "code_review",
            40,
            "In Review",
            lognormal(REVIEW_HOURS, 1.0),
            queue_status="Ready for Review",
            servers=people(2),
            staleness=Staleness(STALE_DAYS * HOURS_PER_DAY, 0.3),
            rework=Rework("development", 0.15, ai_probability=0.3),
        ),
        WorkStage(
            "qa",
            50,
            "In QA",
            lognormal(3.6, 0.8),
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
    per_day = sum(d.per_day for d in demand)
    assert set(teams) == {t for d in demand for t in d.teams}
    return SimulationConfig(
        demand=demand,
        steps=steps,
        items=items,
        arrival_changes=(
            RateChange(SURGE_DAYS[0] * HOURS_PER_DAY, SURGE_FACTOR),
            RateChange(SURGE_DAYS[1] * HOURS_PER_DAY, 1.0),
        ),
        experiments=ExperimentConfig(share=share, undecided_share=0.2),
        # two weeks fill the pipeline (a ticket waits days in the backlog first); short runs keep 2/3
        warmup_hours=min(14 * HOURS_PER_DAY, items / per_day * HOURS_PER_DAY / 3),
        name="demo",
    )


def generate_raw_tables(items: int, seed: int) -> dict[str, pd.DataFrame]:
    """Every raw contract table of the demo system with `items` tickets (deterministic for a seed)."""
    return to_raw_tables(simulate(demo_config(items), seed))
