"""The outputs of constraint detection (issue 4), run by the gate when they exist.

``flowmetrics.constraint_findings`` / ``constraint_stage_signals`` (one row per run x window x stage) and the
mart ``fct_constraint_queue``. Only the columns issue 4 names are checked; the merge adds what it adds.
"""

from __future__ import annotations

from flowmetrics.quality.suite import Layer, Suite, duration, not_null, rate, unique

F = "constraint_findings"
CONSTRAINT_FINDINGS = Suite(
    name=f"flowmetrics.{F}",
    layer=Layer.PACKAGE,
    relation=F,
    columns=("run_id", "as_of", "confidence"),
    checks=(not_null(F, "run_id"), not_null(F, "as_of"), rate(F, "confidence")),
)

S = "constraint_stage_signals"
CONSTRAINT_STAGE_SIGNALS = Suite(
    name=f"flowmetrics.{S}",
    layer=Layer.PACKAGE,
    relation=S,
    columns=("run_id", "stage"),
    checks=(not_null(S, "run_id"), not_null(S, "stage")),
)

Q = "fct_constraint_queue"
FCT_CONSTRAINT_QUEUE = Suite(
    name=Q,
    layer=Layer.MART,
    relation=Q,
    key=("ticket_id",),
    columns=("ticket_id", "age_in_stage_seconds"),
    checks=(not_null(Q, "ticket_id"), unique(Q, ("ticket_id",)), duration(Q, "age_in_stage_seconds")),
)

SUITES: tuple[Suite, ...] = (CONSTRAINT_FINDINGS, CONSTRAINT_STAGE_SIGNALS, FCT_CONSTRAINT_QUEUE)
