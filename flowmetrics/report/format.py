"""Numbers formatted for people: durations in minutes/hours/days/weeks, shares as percentages."""

from __future__ import annotations

import math

MINUTE, HOUR, DAY, WEEK = 60.0, 3600.0, 86400.0, 7 * 86400.0


def _known(value: float | None) -> float | None:
    """The value as a float, or None when it is unknown (None or NaN)."""
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def duration(seconds: float | None) -> str:
    """'45 min', '5.2 h', '3.4 days', '2.1 weeks'; '–' when unknown."""
    s = _known(seconds)
    if s is None:
        return "–"
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
    s = _known(seconds)
    return None if s is None else s / DAY


def percent(share: float | None, digits: int = 0) -> str:
    """0.643 → '64%'; '–' when unknown."""
    known = _known(share)
    if known is None:
        return "–"
    return f"{100 * known:.{digits}f}%"


def signed_percent(change: float | None, digits: int = 0) -> str:
    """A relative change: 0.052 → '+5%', -0.4 → '−40%'; a change that rounds to nothing has no sign ('0%')."""
    known = _known(change)
    if known is None:
        return "–"
    value = 100 * known
    text = f"{abs(value):.{digits}f}%"
    if round(value, digits) == 0:
        return text
    return ("+" if value > 0 else "−") + text


def count(n: float | None) -> str:
    """1234 → '1,234'."""
    known = _known(n)
    if known is None:
        return "–"
    return f"{known:,.0f}"
