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
    Staleness,
    Status,
    WaitStep,
    WorkStage,
    scale_arrivals,
    scale_capacity,
)
from flowmetrics.simulation.demo import demo_config, generate_raw_tables
from flowmetrics.simulation.distributions import Distribution, exponential, fixed, gamma, lognormal
from flowmetrics.simulation.engine import simulate
from flowmetrics.simulation.ground_truth import GroundTruth, PoolLoad, Segment, Shift
from flowmetrics.simulation.metrics import (
    Comparison,
    Estimate,
    FlowSummary,
    ReplicatedSummary,
    StageSummary,
    compare,
    replicate,
    summarise,
)
from flowmetrics.simulation.raw_tables import to_raw_tables
from flowmetrics.simulation.result import ExperimentRecords, SimulationResult
from flowmetrics.simulation.scenarios import (
    FAMILIES,
    Expected,
    Scenario,
    all_scenarios,
    constraint_at,
    decoy_ample_staff,
    decoy_long_wait,
    deploy_trains,
    moving_constraint,
    no_constraint,
    overwhelmed_by_arrivals,
    plant,
    rework_loops,
    shared_staff,
)

__all__ = [
    "Blocking",
    "CapacityChange",
    "Comparison",
    "Demand",
    "DeployTrains",
    "Distribution",
    "Estimate",
    "Expected",
    "ExperimentConfig",
    "ExperimentRecords",
    "FAMILIES",
    "FlowSummary",
    "GroundTruth",
    "PoolLoad",
    "RateChange",
    "ReplicatedSummary",
    "Rework",
    "Scenario",
    "Segment",
    "Shift",
    "SimulationConfig",
    "SimulationResult",
    "StageSummary",
    "Staleness",
    "Status",
    "WaitStep",
    "WorkStage",
    "all_scenarios",
    "compare",
    "constraint_at",
    "decoy_ample_staff",
    "decoy_long_wait",
    "demo_config",
    "deploy_trains",
    "exponential",
    "fixed",
    "gamma",
    "generate_raw_tables",
    "lognormal",
    "moving_constraint",
    "no_constraint",
    "overwhelmed_by_arrivals",
    "plant",
    "replicate",
    "rework_loops",
    "scale_arrivals",
    "scale_capacity",
    "shared_staff",
    "simulate",
    "summarise",
    "to_raw_tables",
]
