"""flowmetrics.simulation: one discrete-event model of a software delivery system.

It serves `flowmetrics generate` (the raw contract tables of a demo system), the constraint-detection
scenarios (configs with a planted ground truth) and `flowmetrics whatif` (replications before/after a
change). Pure: no files, no connections; configs in, data frames and frozen results out.
"""

from flowmetrics.simulation.config import (
    Blocking,
    CapacityChange,
    Demand,
    DeployTrains,
    ExperimentConfig,
    RateChange,
    Rework,
    SimulationConfig,
    Status,
    WaitStep,
    WorkStage,
    scale_arrivals,
    scale_capacity,
)
from flowmetrics.simulation.demo import demo_config, generate_raw_tables
from flowmetrics.simulation.distributions import Distribution, exponential, fixed, gamma, lognormal
from flowmetrics.simulation.engine import simulate
from flowmetrics.simulation.ground_truth import GroundTruth, Segment, Shift
from flowmetrics.simulation.raw_tables import to_raw_tables
from flowmetrics.simulation.result import SimulationResult

__all__ = [
    "Blocking",
    "CapacityChange",
    "Demand",
    "DeployTrains",
    "Distribution",
    "ExperimentConfig",
    "GroundTruth",
    "RateChange",
    "Rework",
    "Segment",
    "Shift",
    "SimulationConfig",
    "SimulationResult",
    "Status",
    "WaitStep",
    "WorkStage",
    "demo_config",
    "exponential",
    "fixed",
    "gamma",
    "generate_raw_tables",
    "lognormal",
    "scale_arrivals",
    "scale_capacity",
    "simulate",
    "to_raw_tables",
]
