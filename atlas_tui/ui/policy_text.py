"""Policies in words for list columns ("daily at 03:00 UTC, keeps 7"), via the codec."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from atlas_tui.cloud.models import INTERVAL_NAMES, SnapshotPolicy
from atlas_tui.cloud.schedule import (
    WEEKDAYS,
    Interval,
    ScheduleError,
    decode,
    describe,
    lint,
    next_runs,
)


def policy_words(policy: SnapshotPolicy) -> str:
    """What the server will do, in words; a string it reads oddly is shown raw with '?'."""
    try:
        schedule = decode(Interval.parse(policy.interval), policy.schedule)
    except (ScheduleError, ValueError):
        return f"{policy.interval.lower()} [{policy.schedule}]? {policy.timezone}"
    return describe(schedule, policy.timezone, policy.maxsnaps)


def policy_brief(policy: SnapshotPolicy) -> str:
    """Column-sized: "daily 03:00 UTC ×7", "weekly Sun 02:30 Europe/Oslo ×4"."""
    try:
        sc = decode(Interval.parse(policy.interval), policy.schedule)
    except (ScheduleError, ValueError):
        return f"{policy.interval.lower()} [{policy.schedule}]? ×{policy.maxsnaps}"
    at = f":{sc.minute:02d}" if sc.interval is Interval.HOURLY else f"{sc.hour:02d}:{sc.minute:02d}"
    day = ""
    if sc.interval is Interval.WEEKLY:
        day = WEEKDAYS[sc.day - 1][:3] + " "
    elif sc.interval is Interval.MONTHLY:
        day = f"day {sc.day} "
    return f"{sc.interval.api_name.lower()} {day}{at} {policy.timezone} ×{policy.maxsnaps}"


def policy_warning(policy: SnapshotPolicy) -> str:
    """The first thing worth telling about a stored schedule (roll-over, swapped HH:MM)."""
    try:
        findings = lint(Interval.parse(policy.interval), policy.schedule, policy.timezone)
    except ValueError:
        return ""
    return findings[0].message if findings else ""


def _order(policy: SnapshotPolicy) -> int:
    return INTERVAL_NAMES.index(policy.interval) if policy.interval in INTERVAL_NAMES else 9


def schedule_summary(policies: Iterable[SnapshotPolicy]) -> str:
    ordered = sorted(policies, key=_order)
    if not ordered:
        return "none"
    if len(ordered) == 1:
        return policy_brief(ordered[0])
    return ", ".join(f"{p.interval.lower()} ×{p.maxsnaps}" for p in ordered)


def next_runs_text(policy: SnapshotPolicy, now: datetime, count: int = 3) -> str:
    """"next: Mon 03 Nov 00:03 UTC, ..." in the policy's zone and the viewer's local time."""
    try:
        schedule = decode(Interval.parse(policy.interval), policy.schedule)
        runs = next_runs(schedule, policy.timezone, now, count)
    except (ScheduleError, ValueError):
        return "next runs: cannot be computed from this schedule"
    zone = "%H:%M %Z"
    parts = [f"{r:%a %d %b} {r.strftime(zone)} ({r.astimezone():%H:%M} local)" for r in runs]
    return "next: " + " · ".join(parts)
