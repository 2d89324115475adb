"""The report's colours, one meaning each across every chart: a colour that means a stage never means anything else.

Stages take Paul Tol's "muted" scheme in flow order, the kinds of time the Okabe-Ito colours (both safe for the
common colour-vision deficiencies); every other family has its own colours, disjoint from the stages' and from each
other's (tests/python/report/test_report_in_chromium.py walks the drawn figures and checks it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

BLACK = "#000000"
REFERENCE = BLACK
"""Lines to read against, never data: service-level lines, the finish-rate target, constraint shifts."""

UNMAPPED = "#7F7F7F"
"""Statuses missing from the status map, whether drawn as a kind of time or as a stage."""

KIND = {"queue": "#D55E00", "active": "#0072B2", "wait": "#E69F00", "unmapped": UNMAPPED}
"""Time by kind (Okabe-Ito): waiting for people (queue) is the warm colour that draws the eye."""

STAGES = ("#332288", "#88CCEE", "#44AA99", "#999933", "#882255", "#DDCC77", "#117733", "#CC6677", "#AA4499")
"""Work stages in flow order (Paul Tol's muted scheme, its greens and rose late: AI and risk use look-alikes)."""

TERMINAL = {"done": "#C9C9C9", "abandoned": "#5A5A5A"}
"""Terminal stages: finished and abandoned work, greys under the work stages' bands."""

NO_STAGE = "#E2E2E2"
"""A detection window that named no stage."""

AI = {True: "#CC79A7", False: "#009E73", None: "#A9A9A9"}
"""AI-assisted vs not (and unknown)."""

CLASSIFICATION = {"constraint": "#BB5566", "delay": "#EECC66", "healthy": "#BBCC33", "unmapped": UNMAPPED}
"""How detection classified a stage (the stage table's marks)."""

EXPERIMENT = {"launched": "#56B4E9", "measured cleanly": "#4477AA", "decided": "#004488", "finished": "#F0E442",
              "shipped": "#228833", "cleanly stopped": "#AAAA00"}
"""Experiment stages: the funnel's steps and the weekly decisions."""

COHORT = {"work items": "#8C510A", "experiments": "#01665E"}
"""What a finish rate counts: work items (finished ÷ started) or experiments (finished ÷ launched)."""

RISK = {False: "#8DA0CB", True: "#EE3377"}
"""An open item within the at-risk percentile of cycle time, or older than it."""

TICKET_TYPES = ("#7570B3", "#66A61E", "#E6AB02", "#A6CEE3", "#FB9A99")
"""Ticket types in the cycle-time scatter, in name order."""

FAMILIES: dict[str, Iterable[str]] = {
    "reference": (REFERENCE,),
    "kind of time": KIND.values(),
    "stage": (*STAGES, *TERMINAL.values(), NO_STAGE),
    "AI": AI.values(),
    "classification": CLASSIFICATION.values(),
    "experiment stage": EXPERIMENT.values(),
    "cohort": COHORT.values(),
    "risk": RISK.values(),
    "ticket type": TICKET_TYPES,
}
"""Every family's colours; only UNMAPPED is shared, because it means the same thing wherever it is drawn."""


def _tint(colour: str, share: float) -> str:
    """The colour mixed with white (share 0: the colour, 1: white)."""
    rgb = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(c + (255 - c) * share):02X}" for c in rgb)


def stage_colours(stage_order: Mapping[str, float]) -> dict[str, str]:
    """One colour per stage, built once from the stage order so every chart draws a stage alike: work stages take
    STAGES in flow order (beyond nine, lighter tints of them), terminal stages their greys, unmapped its grey."""
    colours: dict[str, str] = {}
    flow = [str(s) for s, _ in sorted(stage_order.items(), key=lambda kv: (kv[1], str(kv[0])))
            if s not in TERMINAL and s != "unmapped"]
    for i, stage in enumerate(flow):
        base = STAGES[i % len(STAGES)]
        colours[stage] = base if i < len(STAGES) else _tint(base, 0.3 * (i // len(STAGES)) / (1 + i // len(STAGES)))
    colours.update({s: TERMINAL[s] for s in stage_order if s in TERMINAL})
    if "unmapped" in stage_order:
        colours["unmapped"] = UNMAPPED
    return colours
