"""Numbers formatted for people: durations in minutes/hours/days/weeks, shares as percentages."""

from __future__ import annotations

import math

MINUTE, HOUR, DAY, WEEK = 60.0, 3600.0, 86400.0, 7 * 86400.0


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def duration(seconds: float | None) -> str:
    """'45 min', '5.2 h', '3.4 days', '2.1 weeks'; '–' when unknown."""
    if _missing(seconds):
        return "–"
    s = float(seconds)  # type: ignore[arg-type]
    sign = "-" if s < 0 else ""
    s = abs(s)
    if s < HOUR:
        return f"{sign}{s / MINUTE:.0f} min"
    if s < DAY:
        return f"{sign}{s / HOUR:.1f} h"
    if s < 3 * WEEK:
        return f"{sign}{s / DAY:.1f} days"
    return f"{sign}{s / WEEK:.1f} weeks"


def days(seconds: float | None) -> float | None:
    """Seconds as days (for chart axes)."""
    return None if _missing(seconds) else float(seconds) / DAY  # type: ignore[arg-type]


def percent(share: float | None, digits: int = 0) -> str:
    """0.643 → '64%'; '–' when unknown."""
    if _missing(share):
        return "–"
    return f"{100 * float(share):.{digits}f}%"  # type: ignore[arg-type]


def signed_percent(change: float | None, digits: int = 0) -> str:
    """A relative change: 0.052 → '+5%', -0.4 → '−40%'; a change that rounds to nothing has no sign ('0%')."""
    if _missing(change):
        return "–"
    value = 100 * float(change)  # type: ignore[arg-type]
    text = f"{abs(value):.{digits}f}%"
    if round(value, digits) == 0:
        return text
    return ("+" if value > 0 else "−") + text


def count(n: float | None) -> str:
    """1234 → '1,234'."""
    if _missing(n):
        return "–"
    return f"{float(n):,.0f}"  # type: ignore[arg-type]
