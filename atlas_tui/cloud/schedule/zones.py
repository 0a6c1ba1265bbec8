"""Timezone ids as the server resolves them (Java's ``TimeZone.getTimeZone``).

The server silently turns an unknown id into GMT; these helpers say which ids it knows,
what it stores for a name, and offer completions for the policy form.

Approximation: Java's timezone ids are taken to be ``zoneinfo``'s names (minus a few Java
lacks) plus Java's legacy aliases; offsets come from the local tz database, which may differ
from the server JDK's for far-future or newly changed rules.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from datetime import timedelta, timezone, tzinfo

from atlas_tui.cloud.schedule.codec import ScheduleError

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


def zone_info(name: str) -> tzinfo:
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
