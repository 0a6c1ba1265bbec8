"""Snapshot-policy schedules: CloudStack's schedule string, and when the server will run it.

CloudStack stores a policy's time as a string read *minutes first*: HOURLY ``MM``, DAILY
``MM:HH``, WEEKLY ``MM:HH:D`` (1 = Sunday … 7 = Saturday), MONTHLY ``MM:HH:DD`` (1–28).
The server's ``DateUtil.getNextRunTime`` sets those numbers on a ``java.util.Calendar``,
retries *leniently* when they are out of range, so ``DAILY "02:30"`` silently means 06:02,
and resolves unknown timezone ids to GMT. This module is the single place that knows all that:

* ``Schedule`` / ``encode`` / ``decode``: a validated structured schedule and its string;
* ``server_interpretation``: what the server does with *any* string, quirks included;
* ``next_runs``: the coming runs of a valid schedule, exactly as the server chains them;
* ``lint``: findings about a stored string (rolls over, looks like a swapped ``HH:MM``, …);
* ``describe`` and the timezone helpers the policy form needs.

Java behaviour replicated (verified against JDK 17 running a copy of ``getNextRunTime``):

* ``String.split(":")`` drops trailing empty parts; extra parts are ignored.
* ``Integer.parseInt``: optional ``+``/``-`` sign, Unicode decimal digits, 32-bit range;
  anything else (``""``, ``" 5"``, ``"5.0"``) is refused.
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

Approximations (documented so nobody trusts them further): Java's timezone ids are taken
to be ``zoneinfo``'s names (minus a few Java lacks) plus Java's legacy aliases; offsets come
from the local tz database, which may differ from the server JDK's for far-future or newly
changed rules; the wall-time rules above are the JDK's for dates inside its transition table
(through 2037).
"""

from __future__ import annotations

import enum
import functools
import re
import zoneinfo
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo

__all__ = [
    "WEEKDAYS",
    "Finding",
    "FindingKind",
    "Interval",
    "Schedule",
    "ScheduleError",
    "ScheduleNonCanonicalError",
    "ScheduleRejectedError",
    "ScheduleRolloverError",
    "Severity",
    "decode",
    "describe",
    "encode",
    "lint",
    "next_runs",
    "server_interpretation",
    "server_timezone",
    "timezone_completions",
    "validate_timezone",
]

# Index 0 is Calendar.SUNDAY (1).
WEEKDAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")

_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1
_MINUTES_PER_DAY = 24 * 60


class ScheduleError(ValueError):
    """A schedule (or timezone) that must not be sent as it is."""


class ScheduleRejectedError(ScheduleError):
    """The server refuses this string ("invalid schedule")."""


class ScheduleRolloverError(ScheduleError):
    """The server accepts this string but a number is out of range and silently rolls over."""

    def __init__(self, message: str, field: str, value: int) -> None:
        super().__init__(message)
        self.field = field
        self.value = value


class ScheduleNonCanonicalError(ScheduleError):
    """The server accepts this string and reads it as ``canonical`` (extra parts, ``+5``)."""

    def __init__(self, message: str, canonical: str) -> None:
        super().__init__(message)
        self.canonical = canonical


class Interval(enum.Enum):
    """A policy's interval; ``code`` is the ``intervaltype`` number listSnapshotPolicies returns."""

    HOURLY = 0
    DAILY = 1
    WEEKLY = 2
    MONTHLY = 3

    @property
    def code(self) -> int:
        return self.value

    @property
    def api_name(self) -> str:
        return self.name

    @property
    def part_count(self) -> int:
        """How many ``:``-separated numbers the server reads for this interval."""
        return {0: 1, 1: 2, 2: 3, 3: 3}[self.value]

    @classmethod
    def from_code(cls, code: int) -> Interval:
        if isinstance(code, bool) or not isinstance(code, int) or not 0 <= code <= 3:
            raise ScheduleError(f"interval type must be 0–3 (HOURLY…MONTHLY), got {code!r}")
        return cls(code)

    @classmethod
    def from_name(cls, name: str) -> Interval:
        try:
            return cls[name.strip().upper()]
        except KeyError:
            raise ScheduleError(
                f"unknown interval type {name!r}; use hourly, daily, weekly or monthly"
            ) from None

    @classmethod
    def parse(cls, value: Interval | int | str) -> Interval:
        """From either API form: the number (listSnapshotPolicies) or the name, or "1"."""
        if isinstance(value, Interval):
            return value
        if isinstance(value, str) and value.strip().isdigit():
            return cls.from_code(int(value.strip()))
        if isinstance(value, str):
            return cls.from_name(value)
        return cls.from_code(value)


def _check_range(label: str, value: object, low: int, high: int, note: str = "") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ScheduleError(f"{label} must be {low}–{high}{note}, got {value!r}")
    return value


@dataclass(frozen=True)
class Schedule:
    """A valid schedule; constructing an invalid one raises ``ScheduleError``."""

    interval: Interval
    minute: int
    hour: int = 0  # unused (0) for HOURLY
    weekday: int | None = None  # 1 = Sunday … 7 = Saturday, WEEKLY only
    day_of_month: int | None = None  # 1–28, MONTHLY only

    def __post_init__(self) -> None:
        if not isinstance(self.interval, Interval):
            raise ScheduleError(f"interval must be an Interval, got {self.interval!r}")
        _check_range("minute", self.minute, 0, 59)
        if self.interval is Interval.HOURLY:
            if self.hour != 0:
                raise ScheduleError("hour is not used by an hourly schedule; leave it 0")
        else:
            _check_range("hour", self.hour, 0, 23)
        if self.interval is Interval.WEEKLY:
            _check_range("weekday", self.weekday, 1, 7, " (1 = Sunday … 7 = Saturday)")
        elif self.weekday is not None:
            raise ScheduleError("weekday is only used by a weekly schedule")
        if self.interval is Interval.MONTHLY:
            _check_range("day of month", self.day_of_month, 1, 28, " (CloudStack refuses 29–31)")
        elif self.day_of_month is not None:
            raise ScheduleError("day of month is only used by a monthly schedule")

    @classmethod
    def hourly(cls, minute: int) -> Schedule:
        return cls(Interval.HOURLY, minute)

    @classmethod
    def daily(cls, hour: int, minute: int) -> Schedule:
        return cls(Interval.DAILY, minute, hour)

    @classmethod
    def weekly(cls, weekday: int, hour: int, minute: int) -> Schedule:
        return cls(Interval.WEEKLY, minute, hour, weekday=weekday)

    @classmethod
    def monthly(cls, day_of_month: int, hour: int, minute: int) -> Schedule:
        return cls(Interval.MONTHLY, minute, hour, day_of_month=day_of_month)

    @property
    def day(self) -> int:
        """The third number of the string (weekday or day of month), 0 when there is none."""
        return self.weekday or self.day_of_month or 0


def encode(schedule: Schedule) -> str:
    """CloudStack's string, minutes first. MM and HH are zero-padded as the official UI does;
    the day (weekday or day of month) is never padded: ``"30:02:5"``, ``"00:03:15"``."""
    mm = f"{schedule.minute:02d}"
    if schedule.interval is Interval.HOURLY:
        return mm
    hh = f"{schedule.hour:02d}"
    if schedule.interval is Interval.DAILY:
        return f"{mm}:{hh}"
    return f"{mm}:{hh}:{schedule.day}"


# --- Parsing the way the server does ----------------------------------------------------------


def _java_split(s: str) -> list[str]:
    """``String.split(":")``: trailing empty strings are removed ("" stays [""])."""
    if s == "":
        return [""]
    parts = s.split(":")
    while parts and parts[-1] == "":
        parts.pop()
    return parts


def _java_parse_int(text: str) -> int:
    """``Integer.parseInt``; raises ScheduleRejectedError where Java throws."""
    body = text[1:] if text[:1] in ("+", "-") else text
    # isdecimal() is Unicode category Nd, which is what Character.digit(c, 10) accepts.
    if not body or not body.isdecimal():
        raise ScheduleRejectedError(f"{text!r} is not a whole number")
    value = int(text)
    if not _INT_MIN <= value <= _INT_MAX:
        raise ScheduleRejectedError(f"{text!r} is too large a number")
    return value


@dataclass(frozen=True)
class _Parsed:
    interval: Interval
    numbers: tuple[int, ...]  # minute[, hour[, day]] exactly as the server reads them
    extra: tuple[str, ...]  # parts the server ignores
    plain: bool  # every number used is written with ASCII digits and no "+"

    @property
    def minute(self) -> int:
        return self.numbers[0]

    @property
    def hour(self) -> int:
        return self.numbers[1] if len(self.numbers) > 1 else 0

    @property
    def day(self) -> int:
        return self.numbers[2] if len(self.numbers) > 2 else 0


def _parse_like_server(interval: Interval, s: str) -> _Parsed:
    """Accept exactly what getNextRunTime accepts, in its order of checks."""
    if not isinstance(s, str):
        raise ScheduleRejectedError(f"schedule must be a string, got {s!r}")
    parts = _java_split(s)
    need = interval.part_count
    # What the server ignores, as written (Java's split has already dropped trailing "").
    extra = tuple(s.split(":")[need:])
    if len(parts) < need:
        shape = {1: "MM", 2: "MM:HH", 3: "MM:HH:D" if interval is Interval.WEEKLY else "MM:HH:DD"}
        raise ScheduleRejectedError(
            f"invalid {interval.api_name} schedule {s!r}: the format is {shape[need]}"
        )
    numbers = []
    for text in parts[:need]:
        try:
            numbers.append(_java_parse_int(text))
        except ScheduleRejectedError as exc:
            raise ScheduleRejectedError(
                f"invalid {interval.api_name} schedule {s!r}: {exc}"
            ) from None
    if interval is Interval.MONTHLY and numbers[2] > 28:
        raise ScheduleRejectedError(
            f"invalid MONTHLY schedule {s!r}: day of month must be 1–28 (CloudStack refuses 29–31)"
        )
    plain = all(re.fullmatch(r"-?[0-9]+", t) for t in parts[:need])
    return _Parsed(interval, tuple(numbers), extra, plain)


def _first_out_of_range(p: _Parsed) -> tuple[str, int, str] | None:
    """(field, value, allowed) for the first number the server would roll over."""
    checks = [("minute", p.minute, 0, 59)]
    if p.interval is not Interval.HOURLY:
        checks.append(("hour", p.hour, 0, 23))
    if p.interval is Interval.WEEKLY:
        checks.append(("weekday", p.day, 1, 7))
    if p.interval is Interval.MONTHLY:
        checks.append(("day of month", p.day, 1, 28))
    for label, value, low, high in checks:
        if not low <= value <= high:
            return label, value, f"{low}–{high}"
    return None


def _schedule_of(p: _Parsed) -> Schedule:
    iv = p.interval
    return Schedule(
        iv,
        p.minute,
        p.hour if iv is not Interval.HOURLY else 0,
        weekday=p.day if iv is Interval.WEEKLY else None,
        day_of_month=p.day if iv is Interval.MONTHLY else None,
    )


def decode(interval: Interval | int | str, s: str) -> Schedule:
    """Strictly parse a stored string.

    Raises ``ScheduleRejectedError`` where the server refuses the string,
    ``ScheduleRolloverError`` where it accepts it but a number is out of range (so it
    means something else), and ``ScheduleNonCanonicalError`` where it accepts it with the
    same meaning as ``.canonical`` but the text is odd (extra parts, ``+5``).
    Leading zeros and missing padding (``"5"``, ``"5:3"``) are fine.
    """
    p = _parse_like_server(Interval.parse(interval), s)
    bad = _first_out_of_range(p)
    if bad is not None:
        label, value, allowed = bad
        raise ScheduleRolloverError(
            f"{label} {value} is out of range ({allowed}); CloudStack would not refuse "
            f"{s!r} but silently roll it over",
            label,
            value,
        )
    schedule = _schedule_of(p)
    if p.extra or not p.plain:
        what = "ignores the trailing part" if p.extra else "reads the numbers"
        raise ScheduleNonCanonicalError(
            f"CloudStack {what} in {s!r} as {encode(schedule)!r}", encode(schedule)
        )
    return schedule


# --- Timezones -----------------------------------------------------------------------------

# In zoneinfo's list but not a Java TimeZone id ("GMT+0" is parsed as a custom GMT+00:00).
_NOT_JAVA = frozenset({"Factory", "localtime", "posixrules", "ROC", "GMT+0", "GMT-0"})
# Java-only legacy ids, with a zone that has the same offsets in JDK 17 (checked 2000–2030;
# the JDK's SystemV/*DT ids have no DST).
_JAVA_ALIASES = {
    "ACT": "Australia/Darwin", "AET": "Australia/Sydney",
    "AGT": "America/Argentina/Buenos_Aires", "ART": "Africa/Cairo",
    "AST": "America/Anchorage", "BET": "America/Sao_Paulo", "BST": "Asia/Dhaka",
    "CAT": "Africa/Harare", "CNT": "America/St_Johns", "CST": "America/Chicago",
    "CTT": "Asia/Shanghai", "EAT": "Africa/Addis_Ababa", "ECT": "Europe/Paris",
    "IET": "America/Indiana/Indianapolis", "IST": "Asia/Kolkata", "JST": "Asia/Tokyo",
    "MIT": "Pacific/Apia", "NET": "Asia/Yerevan", "NST": "Pacific/Auckland",
    "PLT": "Asia/Karachi", "PNT": "America/Phoenix", "PRT": "America/Puerto_Rico",
    "PST": "America/Los_Angeles", "SST": "Pacific/Guadalcanal", "VST": "Asia/Ho_Chi_Minh",
    "SystemV/AST4": "Etc/GMT+4", "SystemV/AST4ADT": "Etc/GMT+4",
    "SystemV/CST6": "Etc/GMT+6", "SystemV/CST6CDT": "Etc/GMT+6",
    "SystemV/EST5": "Etc/GMT+5", "SystemV/EST5EDT": "Etc/GMT+5",
    "SystemV/HST10": "Etc/GMT+10", "SystemV/MST7": "Etc/GMT+7",
    "SystemV/MST7MDT": "Etc/GMT+7", "SystemV/PST8": "Etc/GMT+8",
    "SystemV/PST8PDT": "Etc/GMT+8", "SystemV/YST9": "Etc/GMT+9",
    "SystemV/YST9YDT": "Etc/GMT+9",
}  # fmt: skip


@functools.cache
def _iana_names() -> frozenset[str]:
    """IANA names both zoneinfo and Java know: what the form offers."""
    names = {n for n in zoneinfo.available_timezones() if not n.startswith(("posix/", "right/"))}
    return frozenset((names | {"UTC", "GMT"}) - _NOT_JAVA)


@functools.cache
def _sorted_names() -> tuple[str, ...]:
    return tuple(sorted(_iana_names(), key=lambda n: (n.lower(), n)))


def _java_custom_id(name: str) -> str | None:
    """``TimeZone.parseCustomTimeZone``: "GMT+5:30" → "GMT+05:30"; None if not custom."""
    m = re.fullmatch(r"GMT([+-])([0-9]+)(?::([0-9]+))?", name)
    if m is None:
        return None
    sign, first, second = m.groups()
    if second is None:
        if len(first) <= 2:
            hours, minutes = int(first), 0
        else:
            hours, minutes = divmod(int(first), 100)
    else:
        if len(first) > 2 or len(second) != 2:
            return None
        hours, minutes = int(first), int(second)
    if hours > 23 or minutes > 59:
        return None
    return f"GMT{sign}{hours:02d}:{minutes:02d}"


def server_timezone(name: str) -> str:
    """The id the server stores for ``name``: Java's ``TimeZone.getTimeZone(name).getID()``.

    Ids are case-sensitive; unknown ones (``Europe/Zurch``, ``America/New York``, ``utc``)
    become ``GMT``. Approximation: Java's ids = zoneinfo's names (less ``_NOT_JAVA``) plus
    Java's legacy aliases (``PST``, ``SystemV/…``) plus custom ``GMT±hh:mm`` ids.
    """
    if name in _iana_names() or name in _JAVA_ALIASES:
        return name
    return _java_custom_id(name) or "GMT"


def _tzinfo(name: str) -> tzinfo:
    """A tzinfo for a name as the server resolves it."""
    resolved = server_timezone(name)
    if resolved.startswith(("GMT+", "GMT-")):
        sign = -1 if resolved[3] == "-" else 1
        offset = timedelta(hours=int(resolved[4:6]), minutes=int(resolved[7:9]))
        return timezone(sign * offset, resolved)
    return zoneinfo.ZoneInfo(_JAVA_ALIASES.get(resolved, resolved))


def validate_timezone(name: str) -> str:
    """``name`` itself if it is an IANA zone the server knows, else ScheduleError.

    Java ids are case-sensitive, so ``"utc"`` is unknown (the server would use GMT); the
    message then suggests the right spelling.
    """
    if isinstance(name, str) and name in _iana_names():
        return name
    msg = f"unknown timezone {name!r} — CloudStack would silently use GMT"
    if isinstance(name, str):
        key = name.strip().lower().replace(" ", "_")
        match = [n for n in _sorted_names() if n.lower() == key]
        if match:
            msg += f" (names are case-sensitive: did you mean {match[0]!r}?)"
    raise ScheduleError(msg)


def timezone_completions(prefix: str, limit: int = 20) -> list[str]:
    """Zone names matching ``prefix`` (case-insensitive; a space matches ``_``).

    Ordered: exact match, then names starting with it, then names with a part starting
    with it ("oslo" → Europe/Oslo), then names containing it; area/city names before legacy
    ones (EST5EDT, Cuba), then alphabetically.
    """
    query = prefix.strip().lower().replace(" ", "_")
    if limit <= 0:
        return []

    def rank(name: str) -> int | None:
        low = name.lower()
        if not query or low == query:
            return 0
        if low.startswith(query):
            return 1
        if any(part.startswith(query) for part in re.split(r"[/_-]", low)):
            return 2
        if query in low:
            return 3
        return None

    def legacy(name: str) -> bool:
        return "/" not in name and name not in ("UTC", "GMT")

    hits = [(r, legacy(n), n.lower(), n) for n in _sorted_names() if (r := rank(n)) is not None]
    hits.sort()
    return [n for *_, n in hits[:limit]]


# --- getNextRunTime ------------------------------------------------------------------------


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


def _java_next_run(p: _Parsed, tz: tzinfo, start: datetime) -> datetime:
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
    p = _parse_like_server(Interval.parse(interval), s)
    zone = _tzinfo(tz)
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
    zone = _tzinfo(tz)
    p = _Parsed(
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


# --- Words ---------------------------------------------------------------------------------


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def describe(schedule: Schedule, tz: str, maxsnaps: int | None = None) -> str:
    """E.g. "daily at 03:00 Europe/Oslo, keeps 7"."""
    at = _clock(schedule.hour * 60 + schedule.minute)
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


# --- Lint ----------------------------------------------------------------------------------


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


def _effective(p: _Parsed, zone: str = "") -> tuple[Schedule | None, str]:
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
        offset = (p.day - 1) * _MINUTES_PER_DAY + total  # minutes after the 1st, 00:00
        day, clock = divmod(offset, _MINUTES_PER_DAY)
        if 0 <= day < 28:
            sched = Schedule.monthly(day + 1, clock // 60, clock % 60)
            return sched, f"monthly on day {day + 1} at {_clock(clock)}{zone}"
        if day < 0:
            where = (
                "the last day of the previous month"
                if day == -1
                else (f"{-day} days before the 1st of the month")
            )
            return (
                None,
                f"at {_clock(clock)}{zone} on {where}; {_POLL_NOTE} until the month turns",
            )
        return None, (
            f"at {_clock(clock)}{zone} {day - 27} day(s) past the 28th, so on a day that drifts "
            "with the length of the month"
        )
    if iv is Interval.HOURLY:
        period, unit = 60, "hour"
        total = p.minute
    elif iv is Interval.DAILY:
        period, unit = _MINUTES_PER_DAY, "day"
    else:
        period, unit = 7 * _MINUTES_PER_DAY, "week"
        total += ((p.day - 1) % 7) * _MINUTES_PER_DAY
    k, rest = divmod(total, period)
    day, clock = divmod(rest, _MINUTES_PER_DAY)
    if iv is Interval.HOURLY:
        sched, at = Schedule.hourly(rest), f"at :{rest:02d}{zone}"
    elif iv is Interval.DAILY:
        sched, at = Schedule.daily(clock // 60, clock % 60), f"at {_clock(clock)}{zone}"
    else:
        sched = Schedule.weekly(day + 1, clock // 60, clock % 60)
        at = f"on {WEEKDAYS[day]} at {_clock(clock)}{zone}"
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
        p = _parse_like_server(iv, s)
    except ScheduleRejectedError as exc:
        return [Finding(FindingKind.REJECTED, Severity.ERROR, f"CloudStack refuses this: {exc}")]

    findings: list[Finding] = []
    bad = _first_out_of_range(p)
    if bad is not None:
        label, value, allowed = bad
        sched, words = _effective(p, where)
        fix = None
        if iv is not Interval.HOURLY:
            try:
                fix = encode(
                    _schedule_of(_Parsed(iv, (p.hour, p.minute, *p.numbers[2:]), (), True))
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

    schedule = _schedule_of(p)
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
