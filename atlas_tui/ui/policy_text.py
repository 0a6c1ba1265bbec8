"""Policies in words for list columns ("daily at 03:00 UTC, keeps 7"), via the codec."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from atlas_tui.cloud.api.models import INTERVAL_NAMES, SnapshotPolicy
from atlas_tui.cloud.schedule.codec import WEEKDAYS, Interval, Schedule, ScheduleError, decode
from atlas_tui.cloud.schedule.lint import Finding, lint
from atlas_tui.cloud.schedule.next_run import next_runs
from atlas_tui.cloud.schedule.words import describe


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


def policy_raw(policy: SnapshotPolicy) -> str:
    """The policy as the API holds it, e.g. `DAILY schedule="03:00" timezone=UTC maxsnaps=7`."""
    return (f'{policy.interval} schedule="{policy.schedule}" timezone={policy.timezone} '
            f"maxsnaps={policy.maxsnaps}")


def policy_fix(policy: SnapshotPolicy) -> Finding | None:
    """The first finding about a stored schedule that comes with a one-key fix."""
    try:
        findings = lint(Interval.parse(policy.interval), policy.schedule, policy.timezone)
    except ValueError:
        return None
    return next((f for f in findings if f.fix), None)


def next_run_short(policy: SnapshotPolicy, now: datetime) -> str:
    """The next run in the policy's zone, for a column: "Tue 03 Nov 00:03"."""
    try:
        schedule = decode(Interval.parse(policy.interval), policy.schedule)
        runs = next_runs(schedule, policy.timezone, now, 1)
    except (ScheduleError, ValueError):
        return "?"
    return f"{runs[0]:%a %d %b %H:%M}"


def run_lines(schedule: Schedule, tz: str, now: datetime, count: int = 3) -> list[str]:
    """One line per coming run: in the policy's zone, then the viewer's local time."""
    lines = []
    for run in next_runs(schedule, tz, now, count):
        local = run.astimezone()
        lines.append(f"{run:%a %d %b %Y %H:%M} {run:%Z}".ljust(27)
                     + f"your time {local:%a %d %b %H:%M} {local:%Z}")
    return lines
