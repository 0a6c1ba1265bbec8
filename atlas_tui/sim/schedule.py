"""Snapshot policy schedules exactly as ``DateUtil.getNextRunTime`` reads them.

The parts are minutes first: HOURLY ``MM``, DAILY ``MM:HH``, WEEKLY ``MM:HH:D`` (1 = Sunday),
MONTHLY ``MM:HH:DD`` (day > 28 refused). Extra parts are ignored. Out-of-range numbers are not
refused: ``java.util.Calendar`` is retried leniently, so they roll over (DAILY ``75:25`` is the
next day at 02:15). Times are wall-clock times in the policy's timezone, so runs follow DST.
Unknown timezone ids silently become ``GMT`` (``TimeZone.getTimeZone``).
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime, timedelta, tzinfo
from datetime import timezone as fixed_timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

HOURLY, DAILY, WEEKLY, MONTHLY = range(4)
_INT = re.compile(r"[+-]?\d+")
_CUSTOM = re.compile(r"GMT([+-])(\d{1,2})(?::?(\d{2}))?")


class ScheduleError(ValueError):
    """The schedule does not parse (too few parts, not a number, monthly day > 28)."""


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def resolve_timezone(name: str) -> str:
    """The id Java's TimeZone.getTimeZone(name).getID() returns: itself, normalised, or GMT."""
    if name in _known_zones():
        return name
    custom = _CUSTOM.fullmatch(name)
    if custom:
        sign, hours, minutes = custom.group(1), int(custom.group(2)), int(custom.group(3) or 0)
        if hours <= 23 and minutes <= 59:
            return f"GMT{sign}{hours:02d}:{minutes:02d}"
    return "GMT"


def zone_of(name: str) -> tzinfo:
    custom = re.fullmatch(r"GMT([+-])(\d{2}):(\d{2})", name)
    if custom:
        delta = timedelta(hours=int(custom.group(2)), minutes=int(custom.group(3)))
        return fixed_timezone(delta if custom.group(1) == "+" else -delta)
    return ZoneInfo(name)


def _java_int(text: str) -> int:
    if not _INT.fullmatch(text):
        raise ScheduleError(f"not a number: {text!r}")
    value = int(text)
    if not -(2**31) <= value < 2**31:
        raise ScheduleError(f"out of int range: {text!r}")
    return value


def _java_split(schedule: str) -> list[str]:
    parts = schedule.split(":")
    while len(parts) > 1 and parts[-1] == "":  # String.split drops trailing empty strings
        parts.pop()
    if parts == [""] and schedule != "":
        return []
    return parts


def _localize(naive: datetime, tz: tzinfo) -> datetime:
    # fold=0 matches the lenient Calendar: a time in a DST gap moves forward by the gap.
    aware = naive.replace(tzinfo=tz)
    return aware.astimezone(UTC).astimezone(tz)


def next_run(interval: int, schedule: str, tzname: str, start: datetime) -> datetime:
    """The first run strictly after ``start`` (aware), in UTC. Raises ScheduleError."""
    parts = _java_split(schedule)
    needed = 1 if interval == HOURLY else 2 if interval == DAILY else 3
    if len(parts) < needed:
        raise ScheduleError(f"Incorrect schedule format: {schedule} for interval type:{interval}")
    minutes = _java_int(parts[0])
    hour = _java_int(parts[1]) if needed >= 2 else 0
    day = _java_int(parts[2]) if needed >= 3 else 0
    if interval == MONTHLY and day > 28:
        raise ScheduleError("Day cannot be greater than 28 for monthly schedule")
    tz = zone_of(tzname)
    local = start.astimezone(tz)
    base = local.replace(tzinfo=None, second=0, microsecond=0)

    if interval == HOURLY:
        first = _localize(base.replace(minute=0) + timedelta(minutes=minutes), tz)
        if first <= start:
            first = first + timedelta(hours=1)  # HOUR_OF_DAY add is an absolute hour
        return first.astimezone(UTC)

    midnight = base.replace(hour=0, minute=0)
    if interval == DAILY:
        first = _localize(midnight + timedelta(hours=hour, minutes=minutes), tz)
        if first <= start:
            first = _localize(first.replace(tzinfo=None) + timedelta(days=1), tz)
        return first.astimezone(UTC)

    if interval == WEEKLY:
        sunday = midnight - timedelta(days=(midnight.weekday() + 1) % 7)
        first = _localize(sunday + timedelta(days=day - 1, hours=hour, minutes=minutes), tz)
        if first <= start:
            first = _localize(first.replace(tzinfo=None) + timedelta(days=7), tz)
        return first.astimezone(UTC)

    first_of_month = midnight.replace(day=1)
    first = _localize(first_of_month + timedelta(days=day - 1, hours=hour, minutes=minutes), tz)
    if first <= start:
        wall = first.replace(tzinfo=None)
        year, month = (wall.year + 1, 1) if wall.month == 12 else (wall.year, wall.month + 1)
        last = calendar.monthrange(year, month)[1]
        first = _localize(wall.replace(year=year, month=month, day=min(wall.day, last)), tz)
    return first.astimezone(UTC)
