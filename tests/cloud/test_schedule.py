"""Tests for atlas_tui.cloud.schedule: the codec, the server's reading, next runs, lint.

Where a test says "JDK 17", the expected values were produced by running a verbatim copy
of CloudStack's DateUtil.getNextRunTime on OpenJDK 17.0.15 (locale en_US), start = now.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from atlas_tui.cloud import schedule as sched_pkg
from atlas_tui.cloud.schedule.codec import (
    Interval,
    Schedule,
    ScheduleError,
    ScheduleNonCanonicalError,
    ScheduleRejectedError,
    ScheduleRolloverError,
    decode,
    encode,
)
from atlas_tui.cloud.schedule.lint import Finding, FindingKind, Severity, lint
from atlas_tui.cloud.schedule.next_run import next_runs, server_interpretation
from atlas_tui.cloud.schedule.words import describe
from atlas_tui.cloud.schedule.zones import server_timezone, timezone_completions, validate_timezone
from tests.helpers import present

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SAMPLE_TZS = [
    "Europe/Oslo",
    "America/New_York",
    "Australia/Lord_Howe",  # 30-minute DST
    "Asia/Kolkata",
    "UTC",
    "Pacific/Chatham",  # +12:45 / +13:45
]
DOC_START = datetime(2026, 1, 7, 12, 0, tzinfo=UTC)  # Wed, the start of failures.md §5.3


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def in_utc(moments: list[datetime]) -> list[datetime]:
    # Python's == between aware datetimes of *different* zones is always False when one
    # of them falls in a repeated hour (PEP 495), so compare instants in UTC.
    return [m.astimezone(UTC) for m in moments]


minutes = st.integers(0, 59)
hours = st.integers(0, 23)
schedules = st.one_of(
    st.builds(Schedule.hourly, minutes),
    st.builds(Schedule.daily, hours, minutes),
    st.builds(Schedule.weekly, st.integers(1, 7), hours, minutes),
    st.builds(Schedule.monthly, st.integers(1, 28), hours, minutes),
)
# Before 2037: the JDK's wall-time rules are those of its transition table up to then.
instants = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2036, 6, 30)).map(
    lambda d: d.replace(tzinfo=UTC)
)


# --- Interval ------------------------------------------------------------------------------


def test_interval_codes_and_names_match_the_api() -> None:
    assert [i.code for i in Interval] == [0, 1, 2, 3]
    assert [i.api_name for i in Interval] == ["HOURLY", "DAILY", "WEEKLY", "MONTHLY"]
    assert Interval.from_code(1) is Interval.DAILY
    assert Interval.from_name("daily") is Interval.DAILY
    assert Interval.from_name(" Weekly ") is Interval.WEEKLY
    assert Interval.parse(3) is Interval.MONTHLY
    assert Interval.parse("2") is Interval.WEEKLY
    assert Interval.parse("hourly") is Interval.HOURLY
    assert Interval.parse(Interval.DAILY) is Interval.DAILY


@pytest.mark.parametrize("bad", [4, -1, True, "yearly", "", 1.0])
def test_interval_rejects_unknown_values(bad: object) -> None:
    with pytest.raises(ScheduleError):
        Interval.parse(bad)  # type: ignore[arg-type]  # what the test tries


# --- Schedule validation -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "needle"),
    [
        (lambda: Schedule.hourly(60), "minute must be 0–59"),
        (lambda: Schedule.daily(24, 0), "hour must be 0–23"),
        (lambda: Schedule.daily(-1, 0), "hour must be 0–23"),
        (lambda: Schedule.weekly(0, 3, 0), "weekday must be 1–7 (1 = Sunday"),
        (lambda: Schedule.weekly(8, 3, 0), "weekday must be 1–7"),
        (
            lambda: Schedule.monthly(29, 3, 0),
            "day of month must be 1–28 (CloudStack refuses 29–31)",
        ),
        (lambda: Schedule.monthly(0, 3, 0), "day of month must be 1–28"),
        (lambda: Schedule(Interval.HOURLY, 5, hour=3), "hour is not used"),
        (lambda: Schedule(Interval.DAILY, 5, 3, weekday=2), "weekday is only used"),
        (
            lambda: Schedule(Interval.WEEKLY, 5, 3, weekday=2, day_of_month=2),
            "day of month is only",
        ),
        (lambda: Schedule.daily(True, 0), "hour must be"),
    ],
)
def test_invalid_schedules_say_which_field_and_range(make, needle: str) -> None:
    with pytest.raises(ScheduleError, match=needle.replace("(", r"\(").replace(")", r"\)")):
        make()


def test_schedule_error_is_a_value_error_and_the_kinds_are_distinct() -> None:
    assert issubclass(ScheduleError, ValueError)
    for kind in (ScheduleRejectedError, ScheduleRolloverError, ScheduleNonCanonicalError):
        assert issubclass(kind, ScheduleError)
    assert not issubclass(ScheduleRolloverError, ScheduleRejectedError)
    assert not issubclass(ScheduleRejectedError, ScheduleRolloverError)


# --- encode / decode -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schedule", "text"),
    [
        (Schedule.hourly(5), "05"),
        (Schedule.daily(3, 0), "00:03"),  # 03:00 is minute 0 of hour 3
        (Schedule.daily(2, 30), "30:02"),
        (Schedule.weekly(1, 3, 0), "00:03:1"),  # Sunday
        (Schedule.weekly(7, 23, 59), "59:23:7"),  # Saturday
        (Schedule.monthly(15, 1, 0), "00:01:15"),
        (Schedule.monthly(1, 0, 30), "30:00:1"),  # the day is never padded
    ],
)
def test_encode_is_minutes_first_and_padded(schedule: Schedule, text: str) -> None:
    assert encode(schedule) == text
    assert decode(schedule.interval, text) == schedule


@FAST
@given(schedules)
def test_decode_encode_is_identity(schedule: Schedule) -> None:
    assert decode(schedule.interval, encode(schedule)) == schedule
    assert decode(schedule.interval.code, encode(schedule)) == schedule
    assert decode(schedule.interval.api_name.lower(), encode(schedule)) == schedule


@FAST
@given(schedules)
def test_decode_accepts_unpadded_and_extra_zeros(schedule: Schedule) -> None:
    numbers = [schedule.minute, schedule.hour, schedule.day][: schedule.interval.part_count]
    assert decode(schedule.interval, ":".join(str(n) for n in numbers)) == schedule
    assert decode(schedule.interval, ":".join(f"{n:03d}" for n in numbers)) == schedule


@pytest.mark.parametrize(
    ("interval", "text"),
    [
        ("DAILY", "30"),  # too few parts
        ("WEEKLY", "00:03"),
        ("MONTHLY", "00:03"),
        ("HOURLY", ""),
        ("HOURLY", ":"),
        ("DAILY", "30::"),  # Java's split drops the trailing empty parts
        ("DAILY", "a:b"),
        ("DAILY", " 5:02"),  # Integer.parseInt does not trim
        ("DAILY", "5.0:02"),
        ("HOURLY", "1_0"),  # Python's int() would take it, Java's does not
        ("HOURLY", "2147483648"),  # past Integer.MAX_VALUE
        ("MONTHLY", "00:03:29"),
        ("MONTHLY", "00:03:31"),
    ],
)
def test_decode_raises_rejected_for_what_the_server_refuses(interval: str, text: str) -> None:
    with pytest.raises(ScheduleRejectedError):
        decode(interval, text)
    with pytest.raises(ScheduleRejectedError):
        server_interpretation(interval, text, "UTC", DOC_START)
    (finding,) = lint(interval, text)
    assert (finding.kind, finding.severity) == (FindingKind.REJECTED, Severity.ERROR)


@pytest.mark.parametrize(
    ("interval", "text", "field", "value"),
    [
        ("HOURLY", "60", "minute", 60),
        ("HOURLY", "-5", "minute", -5),
        ("DAILY", "02:30", "hour", 30),
        ("DAILY", "75:25", "minute", 75),
        ("WEEKLY", "1:03:00", "weekday", 0),
        ("WEEKLY", "0:3:8", "weekday", 8),
        ("MONTHLY", "15:01:00", "day of month", 0),
        ("MONTHLY", "0:0:-1", "day of month", -1),
    ],
)
def test_decode_raises_rollover_for_what_the_server_silently_rolls_over(
    interval: str, text: str, field: str, value: int
) -> None:
    with pytest.raises(ScheduleRolloverError) as info:
        decode(interval, text)
    assert (info.value.field, info.value.value) == (field, value)
    assert "roll" in str(info.value)


@pytest.mark.parametrize(
    ("interval", "text", "canonical"),
    [
        ("DAILY", "30:02:5", "30:02"),
        ("DAILY", "30:02:", "30:02"),
        ("HOURLY", "5:", "05"),
        ("DAILY", "+30:02", "30:02"),
        ("HOURLY", "٥", "05"),  # Java's parseInt takes any Unicode decimal digit
    ],
)
def test_decode_flags_strings_the_server_reads_differently_from_how_they_look(
    interval: str, text: str, canonical: str
) -> None:
    with pytest.raises(ScheduleNonCanonicalError) as info:
        decode(interval, text)
    assert info.value.canonical == canonical
    # ...and the server really does read them as the canonical string.
    assert server_interpretation(interval, text, "UTC", DOC_START) == server_interpretation(
        interval, canonical, "UTC", DOC_START
    )
    (finding,) = lint(interval, text)
    assert (finding.kind, finding.fix) == (FindingKind.IGNORED, canonical)


# --- The server's reading: failures.md §5.3 ---------------------------------------------------

# Start Wed 2026-01-07 12:00 UTC, timezone UTC; the right column is "what CloudStack does".
DOC_TABLE = [
    ("DAILY", "30:02", "2026-01-08T02:30Z"),  # 02:30 ✓
    ("DAILY", "02:30", "2026-01-08T06:02Z"),  # hour 30 → +1 day 06h, minute 2
    ("DAILY", "03:00", "2026-01-08T00:03Z"),  # 00:03
    ("WEEKLY", "00:03:1", "2026-01-11T03:00Z"),  # Sunday 03:00 ✓
    # "Saturday 03:01 (day 0 → previous Saturday)": the day is Saturday 03:01 as the doc
    # says, but JDK 17 resolves day 0 to the Saturday that *ends* the start's Sunday-first
    # week (Jan 10), not the one before it; see the next test, where the two differ.
    ("WEEKLY", "1:03:00", "2026-01-10T03:01Z"),
    # "last day of previous month, 01:15 (day 0)": day 0 of January is Dec 31, already
    # past, so one month is added and the run is Jan 31 01:15, the last day of the month
    # before February's day 1. The doc's row means the rolled-over day, not the run date.
    ("MONTHLY", "15:01:00", "2026-01-31T01:15Z"),
    ("DAILY", "75:25", "2026-01-08T02:15Z"),  # accepted → next day 02:15
]


@pytest.mark.parametrize(("interval", "text", "expected"), DOC_TABLE)
def test_server_interpretation_matches_the_documented_table(
    interval: str, text: str, expected: str
) -> None:
    got = server_interpretation(interval, text, "UTC", DOC_START)
    assert got == utc(expected)
    assert got.tzinfo is not None and got.utcoffset() == timedelta(0)


def test_weekly_day_zero_is_the_saturday_ending_the_week_not_the_one_before() -> None:
    # From Saturday 2026-01-10 12:00: "previous Saturday" would give Jan 3 + 7 = Jan 10 03:01
    # (already past); JDK 17 gives Jan 10 03:01 + 7 days.
    start = utc("2026-01-10T12:00Z")
    assert server_interpretation("WEEKLY", "01:03:0", "UTC", start) == utc("2026-01-17T03:01Z")


def test_monthly_day_zero_gets_stuck_on_the_last_day_of_the_month() -> None:
    # JDK 17: from Jan 31 01:15 the server computes Jan 31 01:15 again (not after the
    # start), so the scheduler fires at every poll for the rest of that day.
    first = server_interpretation("MONTHLY", "15:01:00", "UTC", DOC_START)
    assert server_interpretation("MONTHLY", "15:01:00", "UTC", first) == first
    (finding,) = lint("MONTHLY", "15:01:00")
    assert finding.kind is FindingKind.ROLLOVER and finding.effective is None
    assert "every scheduler poll" in finding.message


@pytest.mark.parametrize(
    ("interval", "text", "runs"),
    [  # JDK 17, UTC, from DOC_START
        ("HOURLY", "150", ["2026-01-07T14:30Z", "2026-01-07T16:30Z", "2026-01-07T18:30Z"]),
        ("DAILY", "0:50", ["2026-01-09T02:00Z", "2026-01-11T02:00Z", "2026-01-13T02:00Z"]),
        ("WEEKLY", "0:400:1", ["2026-01-20T16:00Z", "2026-02-03T16:00Z", "2026-02-17T16:00Z"]),
        ("DAILY", "-5:0", ["2026-01-07T23:55Z", "2026-01-07T23:55Z", "2026-01-07T23:55Z"]),
    ],
)
def test_rollover_past_a_whole_period_runs_every_k_periods_or_gets_stuck(
    interval: str, text: str, runs: list[str]
) -> None:
    moment, got = DOC_START, []
    for _ in runs:
        moment = server_interpretation(interval, text, "UTC", moment)
        got.append(moment)
    assert got == [utc(r) for r in runs]
    (finding,) = lint(interval, text, "UTC")
    assert finding.effective is None
    assert ("every 2" in finding.message) != ("every scheduler poll" in finding.message)


def test_server_interpretation_uses_gmt_for_an_unknown_timezone() -> None:
    got = server_interpretation("DAILY", "00:02", "Europe/Zurch", DOC_START)
    assert got == utc("2026-01-08T02:00Z")  # 02:00 GMT, not 02:00 Zurich (01:00 UTC)
    assert got.tzname() == "GMT"
    assert server_interpretation("DAILY", "00:02", "Europe/Zurich", DOC_START) == utc(
        "2026-01-08T01:00Z"
    )


def test_server_interpretation_needs_an_aware_now() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        server_interpretation("DAILY", "00:02", "UTC", datetime(2026, 1, 7, 12))


# --- JDK 17 golden runs ------------------------------------------------------------------------

# interval, schedule, timezone, start (UTC), then the 3 runs the server chains (UTC), each
# computed from the previous one. Random schedules and instants, most of them within a few
# periods of a DST change and many at the very wall time that is skipped or repeated; a
# fifth with out-of-range numbers. "Europe/Zurch" is misspelled on purpose (→ GMT).
GOLDEN = """
HOURLY  6         Europe/Oslo         2026-05-13T19:31Z 2026-05-13T20:06Z 2026-05-13T21:06Z 2026-05-13T22:06Z
DAILY   46:01     Europe/Oslo         2025-10-23T20:06Z 2025-10-23T23:46Z 2025-10-24T23:46Z 2025-10-25T23:46Z
WEEKLY  15:02:1   Europe/Oslo         2028-10-23T01:14Z 2028-10-29T00:15Z 2028-10-29T01:15Z 2028-11-05T01:15Z
MONTHLY 35:22:9   Europe/Oslo         2028-12-28T04:01Z 2029-01-09T21:35Z 2029-02-09T21:35Z 2029-03-09T21:35Z
HOURLY  3         America/New_York    2027-11-07T03:55Z 2027-11-07T04:03Z 2027-11-07T05:03Z 2027-11-07T06:03Z
DAILY   23:-15    America/New_York    2025-11-01T07:10Z 2025-11-01T13:23Z 2025-11-01T13:23Z 2025-11-01T13:23Z
WEEKLY  27:05:7   America/New_York    2025-08-11T18:51Z 2025-08-16T09:27Z 2025-08-23T09:27Z 2025-08-30T09:27Z
MONTHLY 22:00:25  America/New_York    2026-10-19T01:57Z 2026-10-25T04:22Z 2026-11-25T05:22Z 2026-12-25T05:22Z
HOURLY  27        Australia/Lord_Howe 2026-04-04T12:38Z 2026-04-04T13:27Z 2026-04-04T14:27Z 2026-04-04T15:27Z
DAILY   15:23     Australia/Lord_Howe 2028-05-08T09:01Z 2028-05-08T12:45Z 2028-05-09T12:45Z 2028-05-10T12:45Z
WEEKLY  10:02:1   Australia/Lord_Howe 2026-09-21T06:35Z 2026-09-26T15:40Z 2026-10-03T15:10Z 2026-10-03T15:40Z
MONTHLY 00:01:4   Australia/Lord_Howe 2027-02-04T20:57Z 2027-03-03T14:00Z 2027-04-03T14:00Z 2027-05-03T14:30Z
HOURLY  4         Asia/Kolkata        2025-12-29T08:56Z 2025-12-29T09:34Z 2025-12-29T10:34Z 2025-12-29T11:34Z
DAILY   39:7      Asia/Kolkata        2025-04-16T05:32Z 2025-04-17T02:09Z 2025-04-18T02:09Z 2025-04-19T02:09Z
WEEKLY  3:02:3    Asia/Kolkata        2027-10-20T20:49Z 2027-10-25T20:33Z 2027-11-01T20:33Z 2027-11-08T20:33Z
MONTHLY 58:2:13   Asia/Kolkata        2028-02-03T11:32Z 2028-02-12T21:28Z 2028-03-12T21:28Z 2028-04-12T21:28Z
HOURLY  53        UTC                 2025-05-02T21:24Z 2025-05-02T21:53Z 2025-05-02T22:53Z 2025-05-02T23:53Z
DAILY   51:17     UTC                 2025-04-23T04:11Z 2025-04-23T17:51Z 2025-04-24T17:51Z 2025-04-25T17:51Z
WEEKLY  54:3:7    UTC                 2026-06-11T19:24Z 2026-06-13T03:54Z 2026-06-20T03:54Z 2026-06-27T03:54Z
MONTHLY 34:06:23  UTC                 2025-05-02T12:11Z 2025-05-23T06:34Z 2025-06-23T06:34Z 2025-07-23T06:34Z
HOURLY  53        Europe/Zurch        2025-05-10T04:35Z 2025-05-10T04:53Z 2025-05-10T05:53Z 2025-05-10T06:53Z
DAILY   22:12     Europe/Zurch        2027-10-18T14:07Z 2027-10-19T12:22Z 2027-10-20T12:22Z 2027-10-21T12:22Z
WEEKLY  33:03:5   Europe/Zurch        2026-11-26T18:49Z 2026-12-03T03:33Z 2026-12-10T03:33Z 2026-12-17T03:33Z
MONTHLY 28:02:23  Europe/Zurch        2025-12-27T11:55Z 2026-01-23T02:28Z 2026-02-23T02:28Z 2026-03-23T02:28Z
HOURLY  08        Europe/Oslo         2028-03-07T08:38Z 2028-03-07T09:08Z 2028-03-07T10:08Z 2028-03-07T11:08Z
DAILY   123:0     Europe/Oslo         2025-10-25T21:13Z 2025-10-26T00:03Z 2025-10-26T01:03Z 2025-10-27T01:03Z
WEEKLY  45:02:1   Europe/Oslo         2028-03-17T06:45Z 2028-03-19T01:45Z 2028-03-26T00:45Z 2028-03-26T01:45Z
MONTHLY 45:17:26  Europe/Oslo         2025-03-25T23:38Z 2025-03-26T16:45Z 2025-04-26T15:45Z 2025-05-26T15:45Z
HOURLY  17        America/New_York    2025-11-02T05:20Z 2025-11-02T06:17Z 2025-11-02T07:17Z 2025-11-02T08:17Z
DAILY   30:02     America/New_York    2027-03-12T12:15Z 2027-03-13T07:30Z 2027-03-14T06:30Z 2027-03-14T07:30Z
WEEKLY  -20:90:1  America/New_York    2028-11-19T16:35Z 2028-11-22T22:40Z 2028-11-29T22:40Z 2028-12-06T22:40Z
MONTHLY 36:00:18  America/New_York    2027-01-19T11:42Z 2027-02-18T05:36Z 2027-03-18T04:36Z 2027-04-18T04:36Z
HOURLY  1         Australia/Lord_Howe 2027-04-03T13:20Z 2027-04-03T14:01Z 2027-04-03T15:01Z 2027-04-03T15:01Z
DAILY   39:02     Australia/Lord_Howe 2026-06-13T06:24Z 2026-06-13T16:09Z 2026-06-14T16:09Z 2026-06-15T16:09Z
WEEKLY  58:2:7    Australia/Lord_Howe 2026-03-25T09:35Z 2026-03-27T15:58Z 2026-04-03T15:58Z 2026-04-10T16:28Z
MONTHLY 40:01:5   Australia/Lord_Howe 2026-01-25T15:14Z 2026-02-04T14:40Z 2026-03-04T14:40Z 2026-04-04T15:10Z
HOURLY  50        Asia/Kolkata        2026-10-21T07:29Z 2026-10-21T08:20Z 2026-10-21T09:20Z 2026-10-21T10:20Z
DAILY   03:16     Asia/Kolkata        2028-01-13T15:07Z 2028-01-14T10:33Z 2028-01-15T10:33Z 2028-01-16T10:33Z
WEEKLY  31:14:2   Asia/Kolkata        2026-06-09T03:10Z 2026-06-15T09:01Z 2026-06-22T09:01Z 2026-06-29T09:01Z
MONTHLY 16:00:28  Asia/Kolkata        2025-05-31T01:25Z 2025-06-27T18:46Z 2025-07-27T18:46Z 2025-08-27T18:46Z
HOURLY  10        UTC                 2025-12-25T06:57Z 2025-12-25T07:10Z 2025-12-25T08:10Z 2025-12-25T09:10Z
DAILY   36:21     UTC                 2026-09-06T18:35Z 2026-09-06T21:36Z 2026-09-07T21:36Z 2026-09-08T21:36Z
WEEKLY  3:01:4    UTC                 2025-10-15T08:02Z 2025-10-22T01:03Z 2025-10-29T01:03Z 2025-11-05T01:03Z
MONTHLY 54:9:17   UTC                 2028-09-16T00:11Z 2028-09-17T09:54Z 2028-10-17T09:54Z 2028-11-17T09:54Z
HOURLY  38        Europe/Zurch        2027-03-09T15:57Z 2027-03-09T16:38Z 2027-03-09T17:38Z 2027-03-09T18:38Z
DAILY   19:12     Europe/Zurch        2026-09-20T19:09Z 2026-09-21T12:19Z 2026-09-22T12:19Z 2026-09-23T12:19Z
WEEKLY  15:5:4    Europe/Zurch        2028-04-21T03:29Z 2028-04-26T05:15Z 2028-05-03T05:15Z 2028-05-10T05:15Z
MONTHLY 0:06:7    Europe/Zurch        2028-03-16T22:59Z 2028-04-07T06:00Z 2028-05-07T06:00Z 2028-06-07T06:00Z
HOURLY  25        Europe/Oslo         2025-10-21T23:10Z 2025-10-21T23:25Z 2025-10-22T00:25Z 2025-10-22T01:25Z
DAILY   15:03     Europe/Oslo         2027-10-29T03:13Z 2027-10-30T01:15Z 2027-10-31T02:15Z 2027-11-01T02:15Z
WEEKLY  00:02:1   Europe/Oslo         2027-03-18T20:52Z 2027-03-21T01:00Z 2027-03-28T00:00Z 2027-03-28T01:00Z
MONTHLY 14:22:21  Europe/Oslo         2026-01-18T09:39Z 2026-01-21T21:14Z 2026-02-21T21:14Z 2026-03-21T21:14Z
HOURLY  2         America/New_York    2025-11-02T05:00Z 2025-11-02T06:02Z 2025-11-02T07:02Z 2025-11-02T08:02Z
DAILY   20:16     America/New_York    2027-03-14T02:35Z 2027-03-14T20:20Z 2027-03-15T20:20Z 2027-03-16T20:20Z
WEEKLY  22:1:5    America/New_York    2026-04-09T13:07Z 2026-04-16T05:22Z 2026-04-23T05:22Z 2026-04-30T05:22Z
MONTHLY 45:01:2   America/New_York    2025-09-04T09:46Z 2025-10-02T05:45Z 2025-11-02T06:45Z 2025-12-02T06:45Z
HOURLY  51        Australia/Lord_Howe 2028-09-30T13:19Z 2028-09-30T13:21Z 2028-09-30T14:21Z 2028-09-30T15:21Z
DAILY   2:16      Australia/Lord_Howe 2027-09-12T11:51Z 2027-09-13T05:32Z 2027-09-14T05:32Z 2027-09-15T05:32Z
WEEKLY  33:13:5   Australia/Lord_Howe 2025-09-22T19:10Z 2025-09-25T03:03Z 2025-10-02T03:03Z 2025-10-09T02:33Z
MONTHLY 40:02:6   Australia/Lord_Howe 2025-03-27T07:45Z 2025-04-05T16:10Z 2025-05-05T16:10Z 2025-06-05T16:10Z
HOURLY  40        Asia/Kolkata        2026-06-07T19:37Z 2026-06-07T20:10Z 2026-06-07T21:10Z 2026-06-07T22:10Z
DAILY   09:07     Asia/Kolkata        2026-01-21T03:15Z 2026-01-22T01:39Z 2026-01-23T01:39Z 2026-01-24T01:39Z
WEEKLY  07:11:4   Asia/Kolkata        2026-12-22T14:15Z 2026-12-23T05:37Z 2026-12-30T05:37Z 2027-01-06T05:37Z
MONTHLY 00:15:7   Asia/Kolkata        2027-12-08T02:53Z 2028-01-07T09:30Z 2028-02-07T09:30Z 2028-03-07T09:30Z
HOURLY  42        UTC                 2026-09-05T01:00Z 2026-09-05T01:42Z 2026-09-05T02:42Z 2026-09-05T03:42Z
DAILY   55:11     UTC                 2027-09-12T12:29Z 2027-09-13T11:55Z 2027-09-14T11:55Z 2027-09-15T11:55Z
WEEKLY  21:9:4    UTC                 2026-03-23T08:43Z 2026-03-25T09:21Z 2026-04-01T09:21Z 2026-04-08T09:21Z
MONTHLY 40:3:28   UTC                 2026-06-25T07:55Z 2026-06-28T03:40Z 2026-07-28T03:40Z 2026-08-28T03:40Z
HOURLY  38        Europe/Zurch        2027-05-01T03:37Z 2027-05-01T03:38Z 2027-05-01T04:38Z 2027-05-01T05:38Z
DAILY   47:9      Europe/Zurch        2026-07-06T12:12Z 2026-07-07T09:47Z 2026-07-08T09:47Z 2026-07-09T09:47Z
WEEKLY  96:21:5   Europe/Zurch        2028-08-03T17:59Z 2028-08-03T22:36Z 2028-08-10T22:36Z 2028-08-17T22:36Z
MONTHLY 36:12:25  Europe/Zurch        2026-02-09T00:51Z 2026-02-25T12:36Z 2026-03-25T12:36Z 2026-04-25T12:36Z
HOURLY  36        Europe/Oslo         2028-12-14T20:44Z 2028-12-14T21:36Z 2028-12-14T22:36Z 2028-12-14T23:36Z
DAILY   49:21     Europe/Oslo         2026-10-22T19:49Z 2026-10-23T19:49Z 2026-10-24T19:49Z 2026-10-25T20:49Z
WEEKLY  53:23:7   Europe/Oslo         2025-03-23T20:33Z 2025-03-29T22:53Z 2025-04-05T21:53Z 2025-04-12T21:53Z
MONTHLY 79:114:-4 Europe/Oslo         2026-06-28T07:12Z 2026-06-30T17:19Z 2026-06-30T17:19Z 2026-06-30T17:19Z
HOURLY  46        America/New_York    2028-03-12T05:51Z 2028-03-12T06:46Z 2028-03-12T07:46Z 2028-03-12T08:46Z
DAILY   15:01     America/New_York    2028-11-03T01:53Z 2028-11-03T05:15Z 2028-11-04T05:15Z 2028-11-05T05:15Z
WEEKLY  22:17:7   America/New_York    2027-03-27T15:03Z 2027-03-27T21:22Z 2027-04-03T21:22Z 2027-04-10T21:22Z
MONTHLY 30:01:7   America/New_York    2027-10-11T12:42Z 2027-11-07T06:30Z 2027-12-07T06:30Z 2028-01-07T06:30Z
HOURLY  16        Australia/Lord_Howe 2027-04-03T14:20Z 2027-04-03T15:16Z 2027-04-03T15:16Z 2027-04-03T15:16Z
DAILY   50:01     Australia/Lord_Howe 2028-03-15T07:37Z 2028-03-15T14:50Z 2028-03-16T14:50Z 2028-03-17T14:50Z
WEEKLY  50:01:1   Australia/Lord_Howe 2026-09-27T09:09Z 2026-10-03T15:20Z 2026-10-10T14:50Z 2026-10-17T14:50Z
MONTHLY 20:02:4   Australia/Lord_Howe 2027-03-24T11:28Z 2027-04-03T15:50Z 2027-05-03T15:50Z 2027-06-03T15:50Z
HOURLY  31        Asia/Kolkata        2027-07-21T00:11Z 2027-07-21T01:01Z 2027-07-21T02:01Z 2027-07-21T03:01Z
DAILY   59:37     Asia/Kolkata        2025-09-18T23:40Z 2025-09-20T08:29Z 2025-09-21T08:29Z 2025-09-22T08:29Z
WEEKLY  22:12:4   Asia/Kolkata        2027-03-10T14:12Z 2027-03-17T06:52Z 2027-03-24T06:52Z 2027-03-31T06:52Z
MONTHLY 11:21:1   Asia/Kolkata        2028-11-26T15:38Z 2028-12-01T15:41Z 2029-01-01T15:41Z 2029-02-01T15:41Z
HOURLY  54        UTC                 2025-08-17T13:06Z 2025-08-17T13:54Z 2025-08-17T14:54Z 2025-08-17T15:54Z
DAILY   44:21     UTC                 2027-10-29T04:39Z 2027-10-29T21:44Z 2027-10-30T21:44Z 2027-10-31T21:44Z
WEEKLY  18:19:4   UTC                 2028-02-04T05:27Z 2028-02-09T19:18Z 2028-02-16T19:18Z 2028-02-23T19:18Z
MONTHLY 20:18:22  UTC                 2025-09-17T15:07Z 2025-09-22T18:20Z 2025-10-22T18:20Z 2025-11-22T18:20Z
HOURLY  13        Europe/Zurch        2028-08-15T12:58Z 2028-08-15T13:13Z 2028-08-15T14:13Z 2028-08-15T15:13Z
DAILY   47:06     Europe/Zurch        2025-08-15T19:15Z 2025-08-16T06:47Z 2025-08-17T06:47Z 2025-08-18T06:47Z
WEEKLY  29:9:3    Europe/Zurch        2027-10-22T23:45Z 2027-10-26T09:29Z 2027-11-02T09:29Z 2027-11-09T09:29Z
MONTHLY 79:6:28   Europe/Zurch        2028-10-04T05:05Z 2028-10-28T07:19Z 2028-11-28T07:19Z 2028-12-28T07:19Z
HOURLY  41        Europe/Oslo         2025-04-17T05:20Z 2025-04-17T05:41Z 2025-04-17T06:41Z 2025-04-17T07:41Z
DAILY   45:02     Europe/Oslo         2028-10-27T02:21Z 2028-10-28T00:45Z 2028-10-29T00:45Z 2028-10-29T01:45Z
WEEKLY  00:02:1   Europe/Oslo         2025-03-28T13:23Z 2025-03-30T00:00Z 2025-03-30T01:00Z 2025-04-06T01:00Z
MONTHLY 56:16:12  Europe/Oslo         2026-08-03T14:08Z 2026-08-12T14:56Z 2026-09-12T14:56Z 2026-10-12T14:56Z
HOURLY  22        America/New_York    2027-11-07T05:37Z 2027-11-07T06:22Z 2027-11-07T07:22Z 2027-11-07T08:22Z
DAILY   15:01     America/New_York    2028-11-05T00:59Z 2028-11-05T05:15Z 2028-11-05T06:15Z 2028-11-06T06:15Z
WEEKLY  35:12:5   America/New_York    2027-03-22T05:56Z 2027-03-25T16:35Z 2027-04-01T16:35Z 2027-04-08T16:35Z
MONTHLY 45:02:9   America/New_York    2025-01-07T18:08Z 2025-01-09T07:45Z 2025-02-09T07:45Z 2025-03-09T07:45Z
HOURLY  20        Australia/Lord_Howe 2027-04-03T13:09Z 2027-04-03T13:20Z 2027-04-03T14:20Z 2027-04-03T15:20Z
DAILY   63:16     Australia/Lord_Howe 2027-12-01T10:07Z 2027-12-02T06:03Z 2027-12-03T06:03Z 2027-12-04T06:03Z
WEEKLY  50:02:1   Australia/Lord_Howe 2026-09-21T20:23Z 2026-09-26T16:20Z 2026-10-03T15:50Z 2026-10-10T15:50Z
MONTHLY 40:02:5   Australia/Lord_Howe 2025-09-24T01:30Z 2025-10-04T15:40Z 2025-11-04T15:40Z 2025-12-04T15:40Z
HOURLY  48        Asia/Kolkata        2025-10-03T14:16Z 2025-10-03T14:18Z 2025-10-03T15:18Z 2025-10-03T16:18Z
DAILY   41:11     Asia/Kolkata        2027-02-23T12:58Z 2027-02-24T06:11Z 2027-02-25T06:11Z 2027-02-26T06:11Z
WEEKLY  2:12:4    Asia/Kolkata        2026-12-26T08:55Z 2026-12-30T06:32Z 2027-01-06T06:32Z 2027-01-13T06:32Z
MONTHLY 16:12:11  Asia/Kolkata        2028-08-29T17:15Z 2028-09-11T06:46Z 2028-10-11T06:46Z 2028-11-11T06:46Z
HOURLY  52        UTC                 2027-12-22T15:09Z 2027-12-22T15:52Z 2027-12-22T16:52Z 2027-12-22T17:52Z
DAILY   24:2      UTC                 2027-08-26T00:57Z 2027-08-26T02:24Z 2027-08-27T02:24Z 2027-08-28T02:24Z
WEEKLY  53:5:3    UTC                 2025-01-31T02:00Z 2025-02-04T05:53Z 2025-02-11T05:53Z 2025-02-18T05:53Z
MONTHLY 52:00:28  UTC                 2025-09-01T05:49Z 2025-09-28T00:52Z 2025-10-28T00:52Z 2025-11-28T00:52Z
HOURLY  55        Europe/Zurch        2027-09-28T17:45Z 2027-09-28T17:55Z 2027-09-28T18:55Z 2027-09-28T19:55Z
DAILY   44:5      Europe/Zurch        2027-01-03T01:50Z 2027-01-03T05:44Z 2027-01-04T05:44Z 2027-01-05T05:44Z
WEEKLY  9:2:6     Europe/Zurch        2026-03-20T16:08Z 2026-03-27T02:09Z 2026-04-03T02:09Z 2026-04-10T02:09Z
MONTHLY 43:19:22  Europe/Zurch        2027-10-27T14:51Z 2027-11-22T19:43Z 2027-12-22T19:43Z 2028-01-22T19:43Z
HOURLY  19        Europe/Oslo         2027-09-19T09:37Z 2027-09-19T10:19Z 2027-09-19T11:19Z 2027-09-19T12:19Z
DAILY   15:02     Europe/Oslo         2027-10-30T01:40Z 2027-10-31T00:15Z 2027-10-31T01:15Z 2027-11-01T01:15Z
WEEKLY  00:03:1   Europe/Oslo         2028-10-23T03:05Z 2028-10-29T02:00Z 2028-11-05T02:00Z 2028-11-12T02:00Z
MONTHLY 12:23:12  Europe/Oslo         2026-02-14T20:02Z 2026-03-12T22:12Z 2026-04-12T21:12Z 2026-05-12T21:12Z
HOURLY  38        America/New_York    2027-03-14T04:55Z 2027-03-14T05:38Z 2027-03-14T06:38Z 2027-03-14T07:38Z
DAILY   30:02     America/New_York    2027-03-14T04:26Z 2027-03-14T06:30Z 2027-03-14T07:30Z 2027-03-15T07:30Z
WEEKLY  39:19:1   America/New_York    2027-12-07T22:25Z 2027-12-13T00:39Z 2027-12-20T00:39Z 2027-12-27T00:39Z
MONTHLY 00:01:2   America/New_York    2025-10-18T05:00Z 2025-11-02T06:00Z 2025-12-02T06:00Z 2026-01-02T06:00Z
HOURLY  19        Australia/Lord_Howe 2027-10-02T12:43Z 2027-10-02T12:49Z 2027-10-02T13:49Z 2027-10-02T14:49Z
DAILY   38:10     Australia/Lord_Howe 2025-06-29T04:01Z 2025-06-30T00:08Z 2025-07-01T00:08Z 2025-07-02T00:08Z
WEEKLY  10:01:1   Australia/Lord_Howe 2025-10-03T14:24Z 2025-10-04T14:40Z 2025-10-11T14:10Z 2025-10-18T14:10Z
MONTHLY 11:23:6   Australia/Lord_Howe 2025-02-03T07:32Z 2025-02-06T12:11Z 2025-03-06T12:11Z 2025-04-06T12:41Z
HOURLY  51        Asia/Kolkata        2028-04-25T23:32Z 2028-04-26T00:21Z 2028-04-26T01:21Z 2028-04-26T02:21Z
DAILY   0:0       Asia/Kolkata        2026-12-08T00:03Z 2026-12-08T18:30Z 2026-12-09T18:30Z 2026-12-10T18:30Z
WEEKLY  17:2:5    Asia/Kolkata        2028-06-04T10:36Z 2028-06-07T20:47Z 2028-06-14T20:47Z 2028-06-21T20:47Z
MONTHLY 2:3:15    Asia/Kolkata        2026-04-07T22:36Z 2026-04-14T21:32Z 2026-05-14T21:32Z 2026-06-14T21:32Z
HOURLY  8         UTC                 2025-04-15T21:50Z 2025-04-15T22:08Z 2025-04-15T23:08Z 2025-04-16T00:08Z
DAILY   15:23     UTC                 2028-08-10T21:11Z 2028-08-10T23:15Z 2028-08-11T23:15Z 2028-08-12T23:15Z
WEEKLY  39:21:2   UTC                 2026-03-25T13:04Z 2026-03-30T21:39Z 2026-04-06T21:39Z 2026-04-13T21:39Z
MONTHLY 48:1:11   UTC                 2028-12-06T17:24Z 2028-12-11T01:48Z 2029-01-11T01:48Z 2029-02-11T01:48Z
"""  # noqa: E501


def _golden_rows() -> list[tuple[str, str, str, datetime, list[datetime]]]:
    rows = []
    for line in GOLDEN.strip().splitlines():
        interval, text, tz, start, *runs = line.split()
        rows.append((interval, text, tz, utc(start), [utc(r) for r in runs]))
    return rows


GOLDEN_ROWS = _golden_rows()


def test_golden_table_covers_dst_days_and_rollovers() -> None:
    # Guard against the table quietly shrinking to the easy cases.
    assert len(GOLDEN_ROWS) >= 120
    rolled = [r for r in GOLDEN_ROWS if isinstance(_decode_error(r[0], r[1]), ScheduleError)]
    assert len(rolled) >= 5
    dst_changes = [
        r
        for r in GOLDEN_ROWS
        if r[2] in ("Europe/Oslo", "America/New_York", "Australia/Lord_Howe")
        and len({run.astimezone(ZoneInfo(r[2])).utcoffset() for run in r[4]}) > 1
    ]
    assert len(dst_changes) >= 30


def _decode_error(interval: Interval | str, text: str) -> Exception | None:
    try:
        decode(interval, text)
    except ScheduleError as exc:
        return exc
    return None


@pytest.mark.parametrize(
    ("interval", "text", "tz", "start", "runs"),
    GOLDEN_ROWS,
    ids=[f"{r[0]}-{r[1]}-{r[2]}-{r[3]:%Y%m%dT%H%M}" for r in GOLDEN_ROWS],
)
def test_matches_jdk17_get_next_run_time(
    interval: str, text: str, tz: str, start: datetime, runs: list[datetime]
) -> None:
    moment, got = start, []
    for _ in runs:
        moment = server_interpretation(interval, text, tz, moment)
        got.append(moment)
    assert in_utc(got) == runs
    if _decode_error(interval, text) is None:
        # A valid schedule's next_runs is the same chain, DST quirks included, up to where
        # the server gets stuck (returns a run not after its start: it then fires at every
        # poll until the computation moves on); next_runs lists such a run once.
        distinct = [r for i, r in enumerate(runs) if i == 0 or r > runs[i - 1]]
        got_runs = in_utc(next_runs(decode(interval, text), tz, start, len(runs)))
        assert got_runs[: len(distinct)] == distinct
        assert len(distinct) == len(runs) or got_runs[len(distinct)] > distinct[-1]


# --- DST, explicitly (all values from JDK 17) -------------------------------------------------

OSLO = ZoneInfo("Europe/Oslo")


def oslo(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=OSLO)


def test_daily_in_the_spring_gap_runs_early_then_late_as_the_server_does() -> None:
    runs = next_runs(Schedule.daily(2, 30), "Europe/Oslo", oslo(2026, 3, 28, 13, 0), 5)
    assert [(r.strftime("%m-%d %H:%M"), r.tzname()) for r in runs] == [
        ("03-29 01:30", "CET"),  # day added keeping the old offset: one gap *earlier*
        ("03-29 03:30", "CEST"),  # resolved afresh: shifted *forward* by the gap
        ("03-30 03:30", "CEST"),  # the next day keeps the shifted wall time once
        ("03-31 02:30", "CEST"),
        ("04-01 02:30", "CEST"),
    ]
    assert all(isinstance(r.tzinfo, ZoneInfo) and r.tzinfo.key == "Europe/Oslo" for r in runs)


def test_a_gap_time_resolved_directly_is_shifted_forward() -> None:
    start = utc("2026-03-28T23:10Z")  # 00:10 CET on the spring-forward day
    assert next_runs(Schedule.daily(2, 30), "Europe/Oslo", start, 1) == [oslo(2026, 3, 29, 3, 30)]


def test_daily_on_the_fall_back_day_runs_at_both_occurrences() -> None:
    runs = next_runs(Schedule.daily(2, 30), "Europe/Oslo", oslo(2026, 10, 23, 14, 0), 4)
    assert [(r.strftime("%m-%d %H:%M"), r.tzname()) for r in runs] == [
        ("10-24 02:30", "CEST"),
        ("10-25 02:30", "CEST"),  # day added keeping the offset: the earlier occurrence
        ("10-25 02:30", "CET"),  # resolved afresh: the later (standard-time) occurrence
        ("10-26 02:30", "CET"),
    ]


def test_a_repeated_time_resolved_directly_is_the_later_occurrence() -> None:
    start = utc("2026-10-24T22:10Z")  # 00:10 CEST on the fall-back day
    (run,) = next_runs(Schedule.daily(2, 30), "Europe/Oslo", start, 1)
    assert run.astimezone(UTC) == utc("2026-10-25T01:30Z") and run.tzname() == "CET"


def test_hourly_across_lord_howes_half_hour_change() -> None:
    runs = next_runs(Schedule.hourly(10), "Australia/Lord_Howe", utc("2026-10-03T14:00Z"), 5)
    assert [r.strftime("%H:%M%z") for r in runs] == [
        "01:10+1030",
        "02:40+1100",  # 02:10 does not exist
        "03:40+1100",
        "04:10+1100",
        "05:10+1100",
    ]


def test_monthly_in_new_yorks_gap_keeps_the_shifted_time_for_a_month() -> None:
    runs = next_runs(Schedule.monthly(8, 2, 30), "America/New_York", utc("2026-02-20T12:00Z"))
    assert [r.strftime("%m-%d %H:%M %Z") for r in runs] == [
        "03-08 03:30 EDT",
        "04-08 03:30 EDT",
        "05-08 02:30 EDT",
    ]


# --- next_runs against an independent brute-force reference -------------------------------


def reference_runs(
    schedule: Schedule, tz: str, after: datetime, count: int
) -> tuple[list[datetime], bool]:
    """Runs by wall-clock matching, found by brute force; ``clean`` is False when any wall
    time it had to look at (from one period before ``after``) is skipped or repeated by a
    DST change, where the server's Calendar arithmetic has its own rules.

    Different on purpose from the module: it walks local dates, writes the wall time for
    each matching day, and finds the instants that show that wall time by trying every
    UTC offset from -16 h to +16 h in 15-minute steps (all zones sampled use such offsets).
    """
    zone = ZoneInfo(tz)
    local_after = after.astimezone(zone).replace(tzinfo=None)
    iv = schedule.interval
    if iv is Interval.HOURLY:
        cursor = (local_after - timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
        step = timedelta(hours=1)
    else:
        back = {Interval.DAILY: 2, Interval.WEEKLY: 8, Interval.MONTHLY: 32}[iv]
        cursor = datetime.combine(local_after.date() - timedelta(days=back), datetime.min.time())
        step = timedelta(days=1)

    def wanted(slot: datetime) -> datetime | None:
        if iv is Interval.HOURLY:
            return slot.replace(minute=schedule.minute)
        if iv is Interval.WEEKLY and slot.isoweekday() % 7 + 1 != schedule.weekday:
            return None
        if iv is Interval.MONTHLY and slot.day != schedule.day_of_month:
            return None
        return slot.replace(hour=schedule.hour, minute=schedule.minute)

    runs: list[datetime] = []
    clean = True
    while len(runs) < count:
        wall = wanted(cursor)
        cursor += step
        if wall is None:
            continue
        found = set()
        for quarter in range(-64, 65):
            instant = (wall - timedelta(minutes=15 * quarter)).replace(tzinfo=UTC)
            if instant.astimezone(zone).replace(tzinfo=None) == wall:
                found.add(instant)
        if len(found) != 1:
            clean = False
            continue
        (instant,) = found
        if instant > after:
            runs.append(instant)
    return runs, clean


def test_reference_itself_sees_dst_trouble() -> None:
    # Make sure the oracle's "clean" flag is not always True (it would hide nothing).
    _, clean = reference_runs(Schedule.daily(2, 30), "Europe/Oslo", oslo(2026, 3, 28, 13), 3)
    assert not clean
    runs, clean = reference_runs(Schedule.daily(2, 30), "Europe/Oslo", oslo(2026, 1, 5, 13), 2)
    assert clean and runs == [oslo(2026, 1, 6, 2, 30), oslo(2026, 1, 7, 2, 30)]


@FAST
@given(schedules, st.sampled_from(SAMPLE_TZS), instants)
def test_next_runs_match_the_reference(schedule: Schedule, tz: str, after: datetime) -> None:
    expected, clean = reference_runs(schedule, tz, after, 3)
    assume(clean)  # DST-day behaviour is pinned by the JDK 17 golden table instead
    got = next_runs(schedule, tz, after, 3)
    assert in_utc(got) == expected
    for run in got:  # and in words: the wall clock shows exactly the schedule
        assert (run.minute, run.second) == (schedule.minute, 0)
        if schedule.interval is not Interval.HOURLY:
            assert run.hour == schedule.hour


@FAST
@given(schedules, st.sampled_from(SAMPLE_TZS), instants, st.integers(1, 6))
def test_next_runs_are_strictly_increasing_and_after_the_start(
    schedule: Schedule, tz: str, after: datetime, count: int
) -> None:
    zoned = next_runs(schedule, tz, after, count)
    runs = in_utc(zoned)  # same-zone comparisons ignore fold, so order instants in UTC
    assert len(runs) == count
    assert all(b > a for a, b in zip([after, *runs], runs, strict=False))
    assert all(r.tzinfo is not None and r.tzinfo is ZoneInfo(tz) for r in zoned)
    # No run is more than one period (plus DST slack) after the previous one.
    limit = {
        Interval.HOURLY: timedelta(hours=2),
        Interval.DAILY: timedelta(days=1, hours=2),
        Interval.WEEKLY: timedelta(days=7, hours=2),
        Interval.MONTHLY: timedelta(days=31, hours=2),
    }[schedule.interval]
    assert all(b - a <= limit for a, b in zip([after, *runs], runs, strict=False))


def test_next_runs_examples_and_arguments() -> None:
    runs = next_runs(Schedule.weekly(1, 5, 0), "UTC", DOC_START)
    assert runs == [utc("2026-01-11T05:00Z"), utc("2026-01-18T05:00Z"), utc("2026-01-25T05:00Z")]
    # Strictly after: a start exactly at a run time is not itself a run.
    assert next_runs(Schedule.daily(12, 0), "UTC", DOC_START, 1) == [utc("2026-01-08T12:00Z")]
    assert next_runs(Schedule.hourly(0), "Asia/Kolkata", DOC_START, 2) == [
        utc("2026-01-07T12:30Z"),  # :00 in +05:30
        utc("2026-01-07T13:30Z"),
    ]
    assert next_runs(Schedule.monthly(28, 0, 0), "UTC", DOC_START, 2)[1] == utc("2026-02-28T00:00Z")
    assert next_runs(Schedule.hourly(1), "UTC", DOC_START, 0) == []
    with pytest.raises(ValueError, match="timezone-aware"):
        next_runs(Schedule.hourly(1), "UTC", datetime(2026, 1, 1))


# --- Rollover detection, as a property -------------------------------------------------------


@st.composite
def raw_strings(draw: st.DrawFn) -> tuple[Interval, str]:
    interval = draw(st.sampled_from(list(Interval)))
    numbers = [draw(st.integers(-300, 400)), draw(st.integers(-50, 100))]
    numbers.append(
        draw(st.integers(-10, 20) if interval is Interval.WEEKLY else st.integers(-40, 28))
    )
    return interval, ":".join(str(n) for n in numbers[: interval.part_count])


@FAST
@given(raw_strings(), st.sampled_from(["UTC", "Europe/Oslo"]), instants)
def test_decode_accepts_only_strings_that_mean_what_they_say(
    raw: tuple[Interval, str], tz: str, now: datetime
) -> None:
    interval, text = raw
    try:
        schedule = decode(interval, text)
    except ScheduleRolloverError:
        (finding,) = lint(interval, text)
        assert (finding.kind, finding.severity) == (FindingKind.ROLLOVER, Severity.WARNING)
        return
    # Accepted: the server's next run is the decoded schedule's next run.
    assert in_utc([server_interpretation(interval, text, tz, now)]) == in_utc(
        next_runs(schedule, tz, now, 1)
    )


@FAST
@given(raw_strings(), instants)
def test_rollover_effective_string_is_what_the_server_does(
    raw: tuple[Interval, str], now: datetime
) -> None:
    interval, text = raw
    assume(isinstance(_decode_error(interval, text), ScheduleRolloverError))
    (finding,) = lint(interval, text)
    assume(finding.effective is not None)
    effective = decode(interval, present(finding.effective))  # a valid, canonical schedule
    assert encode(effective) == finding.effective
    first = server_interpretation(interval, text, "UTC", now)
    # The first run is one of the effective schedule's runs, and so is every later one.
    assert next_runs(effective, "UTC", first - timedelta(minutes=1), 1) == [first]
    chain, moment = [], first
    for _ in range(2):
        moment = server_interpretation(interval, text, "UTC", moment)
        chain.append(moment)
    assert chain == next_runs(effective, "UTC", first, 2)


def test_rollover_findings_say_what_it_means_and_offer_the_swap() -> None:
    (f,) = lint("DAILY", "02:30", "UTC")
    assert f.kind is FindingKind.ROLLOVER
    assert "runs daily at 06:02 UTC" in f.message
    assert (f.fix, f.effective) == ("30:02", "02:06")
    (f,) = lint("WEEKLY", "1:03:00")
    assert "weekly on Saturday at 03:01" in f.message
    assert (f.fix, f.effective) == (None, "01:03:7")
    (f,) = lint("DAILY", "75:25")
    assert "daily at 02:15" in f.message and f.effective == "15:02"


# --- Swapped HH:MM --------------------------------------------------------------------------


def test_the_guides_daily_03_00_is_flagged_with_a_one_key_fix() -> None:
    (f,) = lint("DAILY", "03:00", "UTC")
    assert f == Finding(
        FindingKind.SWAPPED,
        Severity.ADVICE,
        "runs at 00:03 UTC; did you mean 03:00? (CloudStack reads minutes first: MM:HH)",
        fix="00:03",
        effective="03:00",
    )
    assert decode("DAILY", present(f.fix)) == Schedule.daily(3, 0)
    assert lint("DAILY", present(f.fix)) == []
    assert lint(1, "12:00", "Europe/Oslo")[0].message.startswith("runs at 00:12 Europe/Oslo;")
    (f,) = lint("WEEKLY", "03:00:2")
    assert f.fix == "00:03:2"
    (f,) = lint("MONTHLY", "5:0:15")
    assert f.fix == "00:05:15"


@pytest.mark.parametrize(
    ("interval", "text"),
    [
        ("DAILY", "00:03"),  # the right way to write 03:00
        ("DAILY", "30:02"),  # 02:30
        ("DAILY", "00:00"),  # midnight
        ("DAILY", "30:00"),  # 00:30: no hour 30
        ("DAILY", "24:00"),  # 00:24: no hour 24
        ("DAILY", "59:00"),
        ("DAILY", "03:01"),  # 01:03: the hour is not 0
        ("HOURLY", "03"),  # hourly has no hour to swap
        ("WEEKLY", "00:03:1"),
        ("MONTHLY", "15:01:15"),
    ],
)
def test_correct_strings_are_not_flagged(interval: str, text: str) -> None:
    assert lint(interval, text) == []


@FAST
@given(schedules)
def test_lint_of_encoded_schedules_is_only_ever_swap_advice(schedule: Schedule) -> None:
    findings = lint(schedule.interval, encode(schedule))
    suspicious = (
        schedule.interval is not Interval.HOURLY
        and schedule.hour == 0
        and 1 <= schedule.minute <= 23
    )
    if not suspicious:
        assert findings == []
        return
    (f,) = findings
    assert (f.kind, f.severity) == (FindingKind.SWAPPED, Severity.ADVICE)
    # Advice, not an error: the schedule still round-trips, so the UI can save it.
    assert decode(schedule.interval, encode(schedule)) == schedule
    fixed = decode(schedule.interval, present(f.fix))
    assert (fixed.hour, fixed.minute, fixed.day) == (schedule.minute, 0, schedule.day)
    assert lint(schedule.interval, present(f.fix)) == []


# --- describe -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schedule", "tz", "keep", "text"),
    [
        (Schedule.daily(3, 0), "Europe/Oslo", 7, "daily at 03:00 Europe/Oslo, keeps 7"),
        (Schedule.hourly(5), "UTC", 8, "hourly at :05 UTC, keeps 8"),
        (Schedule.weekly(1, 5, 0), "UTC", 4, "weekly on Sunday at 05:00 UTC, keeps 4"),
        (Schedule.weekly(7, 23, 59), "UTC", None, "weekly on Saturday at 23:59 UTC"),
        (Schedule.monthly(1, 0, 30), "UTC", 12, "monthly on day 1 at 00:30 UTC, keeps 12"),
    ],
)
def test_describe(schedule: Schedule, tz: str, keep: int | None, text: str) -> None:
    assert describe(schedule, tz, keep) == text


# --- Timezones ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Europe/Oslo", "UTC", "GMT", "America/New_York", "Etc/UTC"])
def test_validate_timezone_accepts_iana_names(name: str) -> None:
    assert validate_timezone(name) == name


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("Europe/Zurch", None),
        ("America/New York", "America/New_York"),
        ("utc", "UTC"),  # Java ids are case-sensitive: "utc" → GMT
        ("europe/oslo", "Europe/Oslo"),
        ("", None),
        ("localtime", None),
    ],
)
def test_validate_timezone_rejects_what_the_server_would_turn_into_gmt(
    name: str, hint: str | None
) -> None:
    with pytest.raises(ScheduleError) as info:
        validate_timezone(name)
    message = str(info.value)
    assert f"unknown timezone {name!r} — CloudStack would silently use GMT" in message
    assert (
        hint is not None and f"did you mean {hint!r}" in message
    ) or "did you mean" not in message


@pytest.mark.parametrize(
    ("name", "java"),
    [  # TimeZone.getTimeZone(name).getID() on JDK 17
        ("Europe/Zurch", "GMT"),
        ("America/New York", "GMT"),
        ("utc", "GMT"),
        ("gmt", "GMT"),
        ("europe/oslo", "GMT"),
        ("UTC", "UTC"),
        ("GMT", "GMT"),
        ("Europe/Oslo", "Europe/Oslo"),
        ("Etc/UTC", "Etc/UTC"),
        ("Zulu", "Zulu"),
        ("EST", "EST"),
        ("PST", "PST"),
        ("GMT+5:30", "GMT+05:30"),
        ("GMT+0530", "GMT+05:30"),
        ("GMT+5", "GMT+05:00"),
        ("GMT+123", "GMT+01:23"),
        ("GMT+0", "GMT+00:00"),
        ("GMT-0", "GMT-00:00"),
        ("GMT+23:59", "GMT+23:59"),
        ("GMT+24:00", "GMT"),
        ("GMT+1:5", "GMT"),
        ("UTC+1", "GMT"),
    ],
)
def test_server_timezone_matches_java(name: str, java: str) -> None:
    assert server_timezone(name) == java


def test_java_only_ids_compute_with_their_zone() -> None:
    # PST is Java's alias of America/Los_Angeles; GMT+05:30 is a fixed custom zone.
    assert server_interpretation("DAILY", "00:02", "PST", DOC_START) == utc("2026-01-08T10:00Z")
    assert server_interpretation("DAILY", "00:02", "GMT+5:30", DOC_START) == utc(
        "2026-01-07T20:30Z"
    )


def test_timezone_completions() -> None:
    assert timezone_completions("oslo")[0] == "Europe/Oslo"
    assert timezone_completions("Europe/Os") == ["Europe/Oslo"]
    assert timezone_completions("new york")[0] == "America/New_York"
    assert timezone_completions("utc")[0] == "UTC"
    europe = timezone_completions("europe/", limit=5)
    assert len(europe) == 5 and all(n.startswith("Europe/") for n in europe)
    assert europe == sorted(europe, key=str.lower)
    assert timezone_completions("zzzz-no-such") == []
    assert timezone_completions("o", limit=0) == []
    assert len(timezone_completions("", limit=20)) == 20
    # Names starting with the text come before names merely containing it.
    lord = timezone_completions("lord")
    assert lord[0] == "Australia/Lord_Howe"


@FAST
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz/_ ", max_size=6), st.integers(0, 30))
def test_timezone_completions_are_valid_and_match(prefix: str, limit: int) -> None:
    got = timezone_completions(prefix, limit)
    assert len(got) <= limit and len(set(got)) == len(got)
    key = prefix.strip().lower().replace(" ", "_")
    for name in got:
        assert validate_timezone(name) == name
        assert key in name.lower()


# --- Purity ---------------------------------------------------------------------------------


def test_package_imports_only_the_stdlib_and_itself() -> None:
    files = sorted(Path(sched_pkg.__file__).parent.glob("*.py"))
    assert {f.name for f in files} >= {"codec.py", "next_run.py", "lint.py", "words.py"}
    imported = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                inside = node.module.startswith("atlas_tui.cloud.schedule.")
                imported.add("(itself)" if inside else node.module.split(".")[0])
    assert imported <= {
        "(itself)",
        "__future__",
        "enum",
        "functools",
        "re",
        "zoneinfo",
        "dataclasses",
        "datetime",
    }
    code = ("import sys, atlas_tui.cloud.schedule.lint, atlas_tui.cloud.schedule.next_run; "
            "print('textual' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_date_is_only_used_for_calendar_maths() -> None:
    # A tiny guard that the module's month arithmetic handles December and leap years.
    assert next_runs(Schedule.monthly(28, 0, 0), "UTC", utc("2027-12-28T00:00Z"), 3) == [
        utc("2028-01-28T00:00Z"),
        utc("2028-02-28T00:00Z"),
        utc("2028-03-28T00:00Z"),
    ]
    assert date(2028, 2, 29)  # leap year exists; day 29 is never scheduled
