"""A schedule in words: "daily at 03:00 Europe/Oslo, keeps 7"."""

from __future__ import annotations

from atlas_tui.cloud.schedule.codec import WEEKDAYS, Interval, Schedule


def clock_text(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def describe(schedule: Schedule, tz: str, maxsnaps: int | None = None) -> str:
    """E.g. "daily at 03:00 Europe/Oslo, keeps 7"."""
    at = clock_text(schedule.hour * 60 + schedule.minute)
    iv = schedule.interval
    if iv is Interval.HOURLY:
        text = f"hourly at :{schedule.minute:02d} {tz}"
    elif iv is Interval.DAILY:
        text = f"daily at {at} {tz}"
    elif iv is Interval.WEEKLY:
        text = f"weekly on {WEEKDAYS[schedule.day - 1]} at {at} {tz}"
    else:
        text = f"monthly on day {schedule.day} at {at} {tz}"
    if maxsnaps is not None:
        text += f", keeps {maxsnaps}"
    return text
