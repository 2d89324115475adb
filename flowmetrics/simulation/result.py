"""What one simulation run returns: the event log and records in simulation hours, plus the ground truth.

Kept in hours and integer item numbers (not contract strings and timestamps) so metrics and tests work on
it directly and cheaply; `to_raw_tables` turns it into the raw contract.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from flowmetrics.contract import DEPLOY_STATUSES
from flowmetrics.simulation.config import SimulationConfig
from flowmetrics.simulation.ground_truth import GroundTruth

__all__ = ["DEPLOY_STATUSES", "ExperimentRecords", "SimulationResult"]


@dataclass(frozen=True)
class ExperimentRecords:
    """Experiments built by tickets, their variants, lifecycle events and exposures (hours, integer ids).

    `experiments` carries the planted truth per experiment: `srm` (actual allocation off plan),
    `low_traffic`, `fate` (`not_launched`, `ticket_abandoned`, `abandoned`, `undecided`, `decided`) and the
    `decision` drawn (events after the end of the run are not in `events`).
    """

    experiments: pd.DataFrame  # experiment, item, team, ai_assisted, min_sample_size, created_hours, srm, ...
    variants: pd.DataFrame  # experiment, variant, weight, actual_weight
    events: pd.DataFrame  # experiment, event_type, at_hours, decision, variant
    exposures: pd.DataFrame  # experiment, unit, variant, at_hours


@dataclass(frozen=True)
class SimulationResult:
    """One run of a `SimulationConfig` with a seed.

    - `items`: one row per ticket (`item` 0..n-1 in arrival order) with created/finished/abandoned hours.
    - `changes`: one row per status change in the order they happened (`item`, `at_hours`, `status`, `actor`).
    - `visits`: one row per visit to a work stage: `queued_hours`, `started_hours`, `finished_hours` (NaN
      while not yet), the `pool` of people that served it and the item's `team`.
    - `pools`: one row per pool of people (`stages` it serves, comma-separated, and its `team` if team-owned).
    - `deploys` / `deploy_items`: every deploy (`status`, `redeploy_of`) and the items it shipped.
    - `experiments`: the experiment records; `ground_truth`: what was planted.
    """

    config: SimulationConfig
    seed: int
    end_hours: float
    items: pd.DataFrame
    changes: pd.DataFrame
    visits: pd.DataFrame
    pools: pd.DataFrame
    deploys: pd.DataFrame
    deploy_items: pd.DataFrame
    experiments: ExperimentRecords
    ground_truth: GroundTruth
