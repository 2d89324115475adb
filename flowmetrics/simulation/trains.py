"""When the next deploy train leaves: a weekly timetable (weekdays x hours, UTC) in simulation hours."""

from __future__ import annotations

import math
from datetime import datetime

from flowmetrics.simulation.config import HOURS_PER_DAY, HOURS_PER_WEEK, DeployTrains


class Timetable:
    """The weekly departures of a deploy train, relative to a simulation epoch."""

    def __init__(self, trains: DeployTrains, epoch: datetime) -> None:
        # hours of the week (Monday 00:00 = 0) of every departure, sorted
        self._week = sorted(d * HOURS_PER_DAY + h for d in set(trains.weekdays) for h in set(trains.hours_utc))
        self._offset = epoch.weekday() * HOURS_PER_DAY + epoch.hour + epoch.minute / 60 + epoch.second / 3600

    def next_after(self, t: float) -> float:
        """The first departure strictly after simulation time `t`."""
        absolute = t + self._offset
        week = math.floor(absolute / HOURS_PER_WEEK)
        within = absolute - week * HOURS_PER_WEEK
        for h in self._week:
            if h > within:
                return week * HOURS_PER_WEEK + h - self._offset
        return (week + 1) * HOURS_PER_WEEK + self._week[0] - self._offset
