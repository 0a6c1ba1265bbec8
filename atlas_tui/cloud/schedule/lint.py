"""Findings about a stored or typed schedule string: refused, rolls over, extra parts, or
probably swapped (``HH:MM`` written where ``MM:HH`` is expected)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace

from atlas_tui.cloud.schedule.codec import (
    MINUTES_PER_DAY,
    WEEKDAYS,
    Interval,
    Parsed,
    Schedule,
    ScheduleError,
    ScheduleRejectedError,
    decode,
    encode,
    first_out_of_range,
    parse_like_server,
    schedule_of,
)
from atlas_tui.cloud.schedule.words import clock_text, describe


class Severity(enum.Enum):
    ERROR = "error"  # the server refuses it
    WARNING = "warning"  # the server accepts it but runs at another time than it reads
    ADVICE = "advice"  # valid and saved as is; probably not what was meant


class FindingKind(enum.Enum):
    REJECTED = "rejected"
    ROLLOVER = "rollover"
    IGNORED = "ignored"  # extra parts or odd number syntax the server reads differently
    SWAPPED = "swapped"  # looks like HH:MM written where MM:HH is expected


@dataclass(frozen=True)
class Finding:
    """Something to tell the user about a schedule string.

    ``fix`` is a replacement string the UI may offer with one key (what was probably
    meant); ``effective`` is the canonical string of what the server actually does, when
    one exists. A finding is advice about a string, never a reason to refuse saving a
    valid ``Schedule``: someone who really wants 00:03 daily gets the SWAPPED advice and
    can keep it.
    """

    kind: FindingKind
    severity: Severity
    message: str
    fix: str | None = None
    effective: str | None = None


_POLL_NOTE = (
    "the server then computes a next run that is already due, so it fires at every "
    "scheduler poll (snapshot.poll.interval, 300 s by default)"
)


def _effective(p: Parsed, zone: str = "") -> tuple[Schedule | None, str]:
    """What an out-of-range string does once the Calendar rolls it over, in words, and as a
    valid schedule when one means the same.

    The numbers are added to the start of the period (hour, day, Sunday-first week, 1st of
    the month), and the server adds only one period when that is past. So a total of k
    whole periods plus a rest runs every k periods for k >= 1 (k = 0 and 1 are the same as
    the rest written in range), and for k < 0 the computed run is never after the start.
    """
    iv = p.interval
    total = p.hour * 60 + p.minute
    if iv is Interval.MONTHLY:
        offset = (p.day - 1) * MINUTES_PER_DAY + total  # minutes after the 1st, 00:00
        day, clock = divmod(offset, MINUTES_PER_DAY)
        if 0 <= day < 28:
            sched = Schedule.monthly(day + 1, clock // 60, clock % 60)
            return sched, f"monthly on day {day + 1} at {clock_text(clock)}{zone}"
        if day < 0:
            where = (
                "the last day of the previous month"
                if day == -1
                else (f"{-day} days before the 1st of the month")
            )
            return (
                None,
                f"at {clock_text(clock)}{zone} on {where}; {_POLL_NOTE} until the month turns",
            )
        return None, (
            f"at {clock_text(clock)}{zone} {day - 27} day(s) past the 28th, so on a day that "
            "drifts with the length of the month"
        )
    if iv is Interval.HOURLY:
        period, unit = 60, "hour"
        total = p.minute
    elif iv is Interval.DAILY:
        period, unit = MINUTES_PER_DAY, "day"
    else:
        period, unit = 7 * MINUTES_PER_DAY, "week"
        total += ((p.day - 1) % 7) * MINUTES_PER_DAY
    k, rest = divmod(total, period)
    day, clock = divmod(rest, MINUTES_PER_DAY)
    if iv is Interval.HOURLY:
        sched, at = Schedule.hourly(rest), f"at :{rest:02d}{zone}"
    elif iv is Interval.DAILY:
        sched, at = Schedule.daily(clock // 60, clock % 60), f"at {clock_text(clock)}{zone}"
    else:
        sched = Schedule.weekly(day + 1, clock // 60, clock % 60)
        at = f"on {WEEKDAYS[day]} at {clock_text(clock)}{zone}"
    adverb = {"hour": "hourly", "day": "daily", "week": "weekly"}[unit]
    if k in (0, 1):
        return sched, f"{adverb} {at}"
    if k > 1:
        return None, f"every {k} {unit}s {at}"
    return None, f"{at}, but {_POLL_NOTE} until the {unit} is over"


def lint(interval: Interval | int | str, s: str, tz: str | None = None) -> list[Finding]:
    """Findings about a stored or typed schedule string; empty when it reads as it runs.

    Swap heuristic (DAILY/WEEKLY/MONTHLY only): flag when the hour is 0 and the minute is
    1–23, i.e. the string runs at 00:01…00:23 and reading it the other way round gives a
    whole hour (minute 0) — the guide's DAILY "03:00" runs at 00:03, and "00:03" is the
    fix. Minute 0 ("00:03", "00:00"), any nonzero hour ("30:02"), and minutes 24–59
    (no such hour) are never flagged. It is ADVICE: the string is valid and can be kept.
    An out-of-range string whose two first numbers, swapped, are in range ("02:30" daily)
    gets that swap as its ``fix`` too.
    """
    iv = Interval.parse(interval)
    where = f" {tz}" if tz else ""
    try:
        p = parse_like_server(iv, s)
    except ScheduleRejectedError as exc:
        return [Finding(FindingKind.REJECTED, Severity.ERROR, f"CloudStack refuses this: {exc}")]

    findings: list[Finding] = []
    bad = first_out_of_range(p)
    if bad is not None:
        label, value, allowed = bad
        sched, words = _effective(p, where)
        fix = None
        if iv is not Interval.HOURLY:
            try:
                fix = encode(
                    schedule_of(Parsed(iv, (p.hour, p.minute, *p.numbers[2:]), (), True))
                )
            except ScheduleError:
                fix = None
        message = (
            f"{label} {value} is out of range ({allowed}); CloudStack silently rolls it over, "
            f"so this runs {words}"
        )
        if fix is not None:
            message += f"; did you mean {describe(decode(iv, fix), tz or '').rstrip()}?"
        findings.append(
            Finding(
                FindingKind.ROLLOVER,
                Severity.WARNING,
                message,
                fix=fix,
                effective=encode(sched) if sched is not None else None,
            )
        )
        return findings

    schedule = schedule_of(p)
    canonical = encode(schedule)
    if p.extra:
        findings.append(
            Finding(
                FindingKind.IGNORED,
                Severity.ADVICE,
                f"CloudStack ignores the trailing {':' + ':'.join(p.extra)!r}; "
                f"it reads this as {canonical!r}",
                fix=canonical,
                effective=canonical,
            )
        )
    elif not p.plain:
        findings.append(
            Finding(
                FindingKind.IGNORED,
                Severity.ADVICE,
                f"unusual number syntax; CloudStack reads this as {canonical!r}",
                fix=canonical,
                effective=canonical,
            )
        )
    if iv is not Interval.HOURLY and schedule.hour == 0 and 1 <= schedule.minute <= 23:
        swapped = replace(schedule, minute=0, hour=schedule.minute)
        findings.append(
            Finding(
                FindingKind.SWAPPED,
                Severity.ADVICE,
                f"runs at 00:{schedule.minute:02d}{where}; did you mean "
                f"{schedule.minute:02d}:00? (CloudStack reads minutes first: MM:HH)",
                fix=encode(swapped),
                effective=canonical,
            )
        )
    return findings
