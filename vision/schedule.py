"""Named weekly schedules (e.g. school pickup times) evaluated in each schedule's own timezone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from gatewatch.vision.analytics_config import WEEKDAYS, ScheduleConfig


class ScheduleBook:
    def __init__(self, schedules: dict[str, ScheduleConfig]) -> None:
        self.schedules = schedules
        self._zones = {name: ZoneInfo(schedule.timezone) for name, schedule in schedules.items()}

    def active(self, wall_utc: dt.datetime) -> tuple[str, ...]:
        """Names of the schedules with a window in force at ``wall_utc`` (naive times are taken as UTC).

        Windows are half-open, [start, end): at 17:00 a 15:30-17:00 window is over.
        """
        if wall_utc.tzinfo is None:
            wall_utc = wall_utc.replace(tzinfo=dt.UTC)
        names = []
        for name, schedule in self.schedules.items():
            local = wall_utc.astimezone(self._zones[name])
            day, now = WEEKDAYS[local.weekday()], local.time()
            if any(day in w.days and w.start <= now < w.end for w in schedule.windows):
                names.append(name)
        return tuple(names)
