"""Colours that survive colour-blindness: the Okabe-Ito palette, with fixed meanings across the report."""

from __future__ import annotations

ORANGE = "#E69F00"
SKY = "#56B4E9"
GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
PURPLE = "#CC79A7"
GREY = "#7F7F7F"
BLACK = "#000000"

SEQUENCE = [BLUE, ORANGE, GREEN, VERMILLION, SKY, PURPLE, YELLOW, GREY]
"""Categorical order: stages, teams."""

KIND = {"queue": VERMILLION, "active": BLUE, "wait": ORANGE, "unmapped": GREY}
"""Time by kind: waiting for people (queue) is the warm colour that draws the eye."""

AI = {True: PURPLE, False: GREEN, None: GREY}
"""AI-assisted vs not (and unknown)."""

CLASSIFICATION = {"constraint": VERMILLION, "delay": ORANGE, "healthy": SKY}

TICKET_TYPES = [SKY, GREEN, PURPLE, YELLOW, BLUE]
"""Ticket types in the cycle-time scatter, in name order. Vermillion and orange stay out: they mean waiting and at
risk; the service-level lines are black."""
