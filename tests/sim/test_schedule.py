"""DateUtil.getNextRunTime semantics: minutes first, lenient roll-over, GMT fallback, DST."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from atlas_tui.sim.schedule import (
    DAILY,
    HOURLY,
    MONTHLY,
    WEEKLY,
    ScheduleError,
    next_run,
    resolve_timezone,
)

START = datetime(2026, 1, 7, 12, 0, tzinfo=UTC)  # a Wednesday


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("interval", "schedule", "expected"),
    [
        (DAILY, "03:00", at(2026, 1, 8, 0, 3)),  # the Atlas guide's policy runs at 00:03
        (DAILY, "30:02", at(2026, 1, 8, 2, 30)),
        (DAILY, "02:30", at(2026, 1, 8, 6, 2)),  # hour 30 rolls into the next day
        (DAILY, "75:25", at(2026, 1, 8, 2, 15)),
        (DAILY, "30:02:5", at(2026, 1, 8, 2, 30)),  # extra parts ignored
        (HOURLY, "15", at(2026, 1, 7, 12, 15)),
        (HOURLY, "0", at(2026, 1, 7, 13, 0)),  # "now" exactly is not a next run
        (WEEKLY, "00:03:1", at(2026, 1, 11, 3, 0)),  # 1 = Sunday
        (WEEKLY, "1:03:00", at(2026, 1, 10, 3, 1)),  # day 0 = the Saturday before... +7
        (MONTHLY, "00:04:1", at(2026, 2, 1, 4, 0)),
        (MONTHLY, "15:01:00", at(2026, 1, 31, 1, 15)),  # day 0 = last day of previous month
    ],
)
def test_next_run_matches_dateutil(interval: int, schedule: str, expected: datetime) -> None:
    assert next_run(interval, schedule, "UTC", START) == expected


@pytest.mark.parametrize(
    ("interval", "schedule"),
    [(DAILY, "30"), (DAILY, "a:02"), (HOURLY, ""), (WEEKLY, "00:03"), (MONTHLY, "00:01:29")],
)
def test_unparseable_schedules(interval: int, schedule: str) -> None:
    with pytest.raises(ScheduleError):
        next_run(interval, schedule, "UTC", START)


def test_runs_follow_wall_clock_across_dst() -> None:
    # Europe/Oslo leaves DST on 2026-10-25: 03:00 local is 01:00 UTC before, 02:00 UTC after.
    before = next_run(DAILY, "00:03", "Europe/Oslo", at(2026, 10, 23, 12, 0))
    after = next_run(DAILY, "00:03", "Europe/Oslo", at(2026, 10, 25, 12, 0))
    assert before == at(2026, 10, 24, 1, 0)
    assert after == at(2026, 10, 26, 2, 0)


def test_timezone_resolution() -> None:
    assert resolve_timezone("Europe/Oslo") == "Europe/Oslo"
    assert resolve_timezone("UTC") == "UTC"
    assert resolve_timezone("Europe/Zurch") == "GMT"
    assert resolve_timezone("utc") == "GMT"
    assert resolve_timezone("America/New York") == "GMT"
    assert resolve_timezone("GMT+5") == "GMT+05:00"
