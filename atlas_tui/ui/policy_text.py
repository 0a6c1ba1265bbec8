"""Short words for a volume's policies, for list columns ("daily 03:00 UTC ×7")."""

from __future__ import annotations

from collections.abc import Iterable

from atlas_tui.cloud.models import INTERVAL_NAMES, SnapshotPolicy


def _when(policy: SnapshotPolicy) -> str:
    # The server reads the schedule minutes first: MM, MM:HH, MM:HH:D, MM:HH:DD.
    parts = policy.schedule.split(":")
    try:
        minute = int(parts[0])
        if policy.interval == "HOURLY":
            return f":{minute:02d}"
        hour = int(parts[1])
    except (ValueError, IndexError):
        return f"[{policy.schedule}]"
    return f"{hour:02d}:{minute:02d}"


def policy_brief(policy: SnapshotPolicy) -> str:
    return f"{policy.interval.lower()} {_when(policy)} {policy.timezone} ×{policy.maxsnaps}"


def schedule_summary(policies: Iterable[SnapshotPolicy]) -> str:
    ordered = sorted(policies, key=lambda p: INTERVAL_NAMES.index(p.interval)
                     if p.interval in INTERVAL_NAMES else 9)
    if not ordered:
        return "none"
    if len(ordered) == 1:
        return policy_brief(ordered[0])
    return ", ".join(f"{p.interval.lower()} ×{p.maxsnaps}" for p in ordered)
