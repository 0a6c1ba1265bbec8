"""When the server runs a schedule: a port of CloudStack's ``DateUtil.getNextRunTime``.

The server sets the schedule's numbers on a ``java.util.Calendar`` and retries *leniently*
when they are out of range, so ``DAILY "02:30"`` silently means 06:02.

Java behaviour replicated (verified against JDK 17 running a copy of ``getNextRunTime``):

* Lenient ``GregorianCalendar``: fields are added linearly to the start's date, so minute 75
  is the next hour's :15, hour 30 is the next day's 06h, month day 0 is the last day of the
  previous month, negative numbers count backwards.
* The weekly day is resolved inside the start's Sunday-first week (en_US, the usual server
  locale): day ``d`` is the week's Sunday + ``(d - 1) mod 7`` days, so day 0 is that week's
  *Saturday* (the one ending the week, not the one before it) and day 8 is its Sunday.
* Resolving a wall-clock time (``getOffsetsByWall``): a time in a spring-forward gap takes the
  offset from before the transition, so it is shifted *forward* by the gap (02:30 → 03:30);
  a time that occurs twice takes the offset from after the transition, i.e. the *later*
  (standard-time) occurrence.
* If that run is not after the start, one interval is added, and ``Calendar.add`` has its
  own DST rules: HOURLY adds 3600 s; DAILY/WEEKLY add days keeping the previous run's UTC
  offset when it is still valid (so a repeated time gets its *earlier* occurrence, and a
  time in a gap lands one gap *earlier*, 02:30 → 01:30); MONTHLY re-resolves the wall time.
  On DST days this makes the server run some policies twice or at a shifted time; the
  module reproduces that rather than an idealised schedule.

The wall-time rules above are the JDK's for dates inside its transition table (through 2037).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo

from atlas_tui.cloud.schedule.codec import (
    Interval,
    Parsed,
    Schedule,
    ScheduleError,
    parse_like_server,
)
from atlas_tui.cloud.schedule.zones import zone_info


def _wall(instant: datetime, tz: tzinfo) -> tuple[datetime, timedelta]:
    local = instant.astimezone(tz)
    offset = local.utcoffset()
    assert offset is not None
    return local.replace(tzinfo=None), offset


def _by_wall(wall: datetime, tz: tzinfo) -> datetime:
    """Calendar's wall-clock → instant (ZoneInfo.getOffsetsByWall)."""
    first = wall.replace(tzinfo=tz, fold=0)
    second = wall.replace(tzinfo=tz, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first.astimezone(UTC)
    as_first = first.astimezone(UTC)
    if as_first.astimezone(tz).replace(tzinfo=None) == wall:
        return second.astimezone(UTC)  # occurs twice: the offset after the transition
    return as_first  # in a gap: the offset before it, i.e. shifted forward


def _add_days(run: datetime, days: int, tz: tzinfo) -> datetime:
    """GregorianCalendar.add(DAY_OF_YEAR/DAY_OF_WEEK, n): keep the old offset if it fits."""
    wall, old = _wall(run, tz)
    target = wall + timedelta(days=days)
    moved = (target - old).replace(tzinfo=UTC)
    new = _wall(moved, tz)[1]
    if new == old:
        return moved
    adjusted = moved + (old - new)
    if _wall(adjusted, tz)[0].date() != target.date():
        return moved
    return adjusted


def _add_month(run: datetime, tz: tzinfo) -> datetime:
    """GregorianCalendar.add(MONTH, 1): same day (pinned to the month's end), same time."""
    wall, _ = _wall(run, tz)
    year, month = (wall.year + 1, 1) if wall.month == 12 else (wall.year, wall.month + 1)
    last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return _by_wall(wall.replace(year=year, month=month, day=min(wall.day, last)), tz)


def _java_next_run(p: Parsed, tz: tzinfo, start: datetime) -> datetime:
    """One call of DateUtil.getNextRunTime with startDate = now = ``start``."""
    wall, _ = _wall(start, tz)
    midnight = wall.replace(hour=0, minute=0, second=0, microsecond=0)
    iv = p.interval
    try:
        clock = timedelta(hours=p.hour, minutes=p.minute)
        if iv is Interval.HOURLY:
            target = wall.replace(minute=0, second=0, microsecond=0) + clock
        elif iv is Interval.DAILY:
            target = midnight + clock
        elif iv is Interval.WEEKLY:
            # proleptic ordinals: ordinal % 7 == 0 is a Sunday, as Java's fixed dates.
            ordinal = midnight.toordinal()
            saturday = ordinal - ordinal % 7 + 6
            day = saturday - (saturday - (p.day - 1)) % 7
            target = datetime.fromordinal(day) + clock
        else:
            target = midnight.replace(day=1) + timedelta(days=p.day - 1) + clock
        run = _by_wall(target, tz)
        if run <= start:
            if iv is Interval.HOURLY:
                run = run + timedelta(hours=1)
            elif iv is Interval.DAILY:
                run = _add_days(run, 1, tz)
            elif iv is Interval.WEEKLY:
                run = _add_days(run, 7, tz)
            else:
                run = _add_month(run, tz)
    except OverflowError:
        raise ScheduleError("the numbers are too far out of range to compute a date") from None
    return run


def _aware(moment: datetime, what: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware")
    return moment.astimezone(UTC)


def server_interpretation(
    interval: Interval | int | str, s: str, tz: str, now: datetime
) -> datetime:
    """The next run the server computes for raw string ``s`` at ``now``, quirks included.

    ``tz`` is resolved as the server does (unknown → GMT); the result is in that zone.
    Raises ScheduleRejectedError where the server refuses the string. Note the server only
    adds one interval, so a badly out-of-range string can give a time at or before ``now``.
    """
    p = parse_like_server(Interval.parse(interval), s)
    zone = zone_info(tz)
    return _java_next_run(p, zone, _aware(now, "now")).astimezone(zone)


def next_runs(schedule: Schedule, tz: str, after: datetime, count: int = 3) -> list[datetime]:
    """The next ``count`` runs strictly after ``after``, as the server chains them.

    Each run is getNextRunTime of the previous one (the scheduler recomputes just after a
    run), so DST days behave as on the server (see the module docstring): e.g. DAILY 02:30
    Europe/Oslo runs at 01:30 CET and again at 03:30 CEST on the spring-forward day, and
    twice (02:30 CEST, 02:30 CET) on the fall-back day. ``tz`` is resolved as the server
    does; results are aware datetimes in that zone. Compare them as instants
    (``.astimezone(UTC)``): Python compares same-zone datetimes by wall clock, ignoring
    ``fold``, and inter-zone ``==`` is False inside a repeated hour (PEP 495).
    """
    zone = zone_info(tz)
    p = Parsed(
        schedule.interval,
        (schedule.minute, schedule.hour, schedule.day)[: schedule.interval.part_count],
        (),
        True,
    )
    runs: list[datetime] = []
    moment = _aware(after, "after")
    while len(runs) < count:
        run = _java_next_run(p, zone, moment)
        if run <= moment:
            # The server can get stuck (HOURLY in Lord Howe's half-hour fall-back: it keeps
            # returning the same run, and fires at every poll until the wall-clock hour
            # changes); list that run once and look again a minute later.
            moment += timedelta(minutes=1)
            continue
        runs.append(run.astimezone(zone))
        moment = run
    return runs
