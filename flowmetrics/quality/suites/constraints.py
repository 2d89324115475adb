"""The outputs of constraint detection, run by the gate when they exist.

``flowmetrics.constraint_findings`` / ``constraint_stage_signals`` (one row per run x window x stage: a log that
grows by one run's rows each night) and the mart ``fct_constraint_queue`` (the items waiting now: it may empty).
"""

from __future__ import annotations

from flowmetrics.quality.suite import Layer, Suite, VolumeKind, duration, model_suite, not_null, rate

F = "constraint_findings"
CONSTRAINT_FINDINGS = Suite(
    name=f"flowmetrics.{F}",
    layer=Layer.PACKAGE,
    relation=F,
    volume=VolumeKind.SUMMARY,
    columns=("run_id", "as_of", "confidence"),
    checks=(not_null(F, "run_id"), not_null(F, "as_of"), rate(F, "confidence")),
)

S = "constraint_stage_signals"
CONSTRAINT_STAGE_SIGNALS = Suite(
    name=f"flowmetrics.{S}",
    layer=Layer.PACKAGE,
    relation=S,
    volume=VolumeKind.SUMMARY,
    columns=("run_id", "stage"),
    checks=(not_null(S, "run_id"), not_null(S, "stage")),
)

Q = "fct_constraint_queue"
FCT_CONSTRAINT_QUEUE = model_suite(
    Q,
    Layer.MART,
    volume=VolumeKind.SNAPSHOT,
    key=("ticket_id",),
    columns=("ticket_id", "age_in_stage_seconds"),
    checks=(duration(Q, "age_in_stage_seconds"),),
)

SUITES: tuple[Suite, ...] = (CONSTRAINT_FINDINGS, CONSTRAINT_STAGE_SIGNALS, FCT_CONSTRAINT_QUEUE)
