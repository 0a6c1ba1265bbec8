"""The schedule string, minutes first, and how the server reads it.

HOURLY ``MM``, DAILY ``MM:HH``, WEEKLY ``MM:HH:D`` (1 = Sunday … 7 = Saturday), MONTHLY
``MM:HH:DD`` (1–28). ``Schedule`` is a valid schedule, ``encode``/``decode`` its string;
``parse_like_server`` accepts exactly what the server's ``getNextRunTime`` accepts (Java's
``String.split(":")`` drops trailing empty parts and ignores extra ones; ``Integer.parseInt``
takes an optional sign and Unicode decimal digits, 32-bit range), so the lint and the
next-run port read a string as the server does.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

# Index 0 is Calendar.SUNDAY (1).
WEEKDAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")

_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1
MINUTES_PER_DAY = 24 * 60


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
class Parsed:
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


def parse_like_server(interval: Interval, s: str) -> Parsed:
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
    return Parsed(interval, tuple(numbers), extra, plain)


def first_out_of_range(p: Parsed) -> tuple[str, int, str] | None:
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


def schedule_of(p: Parsed) -> Schedule:
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
    p = parse_like_server(Interval.parse(interval), s)
    bad = first_out_of_range(p)
    if bad is not None:
        label, value, allowed = bad
        raise ScheduleRolloverError(
            f"{label} {value} is out of range ({allowed}); CloudStack would not refuse "
            f"{s!r} but silently roll it over",
            label,
            value,
        )
    schedule = schedule_of(p)
    if p.extra or not p.plain:
        what = "ignores the trailing part" if p.extra else "reads the numbers"
        raise ScheduleNonCanonicalError(
            f"CloudStack {what} in {s!r} as {encode(schedule)!r}", encode(schedule)
        )
    return schedule
