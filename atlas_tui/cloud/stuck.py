"""Stuck is about the snapshot, not about who started it: any snapshot of the account that
has not reached BackedUp after the threshold (measured on the server's clock from its
`created`) is stuck, with the Atlas guide's advice and a diagnostic to copy for support."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from atlas_tui.cloud.api.models import IN_PROGRESS_SNAPSHOT_STATES, Snapshot

DEFAULT_SUPPORT = "help@runatlas.is"


def stuck_since(created: datetime | None, state: str, now: datetime,
                after: timedelta) -> bool:
    """A snapshot in an in-progress state for at least `after` (server time)."""
    return state in IN_PROGRESS_SNAPSHOT_STATES and created is not None \
        and now - created >= after


def is_stuck(snap: Snapshot, now: datetime, after: timedelta) -> bool:
    return stuck_since(snap.created, snap.state, now, after)


def _duration(seconds: float) -> str:
    minutes = int(max(0, seconds) // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def stuck_advice(support: str = DEFAULT_SUPPORT) -> tuple[str, ...]:
    """The guide's steps, in order, naming where to send the diagnostic."""
    return (
        "Wait: a large volume can take a long time to back up, and the server may still be "
        "working on it.",
        "Retry: take the snapshot again. The stuck one can be deleted once it leaves "
        "Creating/BackingUp.",
        f"Contact support at {support}: send the diagnostic (y copies it), with the snapshot, "
        "volume and ids, the times and the state seen.",
    )


def snapshot_diagnostic(snap: Snapshot, now: datetime, support: str = DEFAULT_SUPPORT) -> str:
    """Plain text for a support ticket: ids, times (UTC, server clock), the state."""
    age = (now - snap.created).total_seconds() if snap.created else 0.0
    created = snap.created.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") \
        if snap.created else "-"
    return "\n".join([
        "atlas-tui: stuck snapshot",
        f"snapshot:      {snap.name} ({snap.id})",
        f"volume:        {snap.volumename} ({snap.volumeid})",
        f"state:         {snap.state}, not BackedUp after {_duration(age)}",
        f"created:       {created}",
        f"seen at:       {now.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC (server clock)",
        f"zone:          {snap.zoneid or '-'}",
        f"send to:       {support}",
    ])


def oldest_stuck(oldest_in_progress: datetime | None, now: datetime, after: timedelta) -> bool:
    """For folded statistics (SnapshotStats.oldest_in_progress): is any snapshot stuck?"""
    return oldest_in_progress is not None and now - oldest_in_progress >= after
