"""How values read on screen: ages and sizes through humanize, states in colour.

Colours are named Rich styles that degrade on 16-colour terminals and vanish under
NO_COLOR; states also read as words, so nothing depends on colour alone.
"""

from __future__ import annotations

from datetime import UTC, datetime

import humanize
from rich.text import Text

UTC_FORMAT = "%Y-%m-%d %H:%M:%S UTC"

STATE_STYLES = {
    # snapshots
    "BackedUp": "green",
    "Allocated": "yellow",
    "Creating": "yellow",
    "CreatedOnPrimary": "yellow",
    "BackingUp": "yellow",
    "Copying": "yellow",
    "Destroying": "magenta",
    "Error": "bold red",
    # VMs and volumes
    "Running": "green",
    "Ready": "green",
    "Stopped": "dim",
    "Starting": "yellow",
    "Stopping": "yellow",
    "Snapshotting": "yellow",
    "RevertSnapshotting": "yellow",
    "Expunging": "magenta",
    "Destroyed": "magenta",
    "Reverting": "yellow",
}

IN_PROGRESS_WORD = {"Allocated", "Creating", "CreatedOnPrimary", "BackingUp", "Copying"}


def age(when: datetime | None, now: datetime, *, exact: bool = False) -> str:
    """'3 hours ago', or the exact UTC time when asked; '—' when unknown."""
    if when is None:
        return "—"
    if exact:
        return when.astimezone(UTC).strftime(UTC_FORMAT)
    delta = now - when
    if delta.total_seconds() < 0:
        if delta.total_seconds() > -120:  # small clock skew
            return "just now"
        return humanize.naturaldelta(-delta) + " ahead"
    # naturaldelta, not naturaltime: the latter looks up local time for every row.
    if delta.total_seconds() < 1:
        return "now"
    return humanize.naturaldelta(delta) + " ago"


def size(value: int | None) -> str:
    if value is None:
        return "—"
    return humanize.naturalsize(value, binary=True, format="%.1f")


def size_sum(known_bytes: int, unsized: int) -> str:
    """A total of sizes where some may be unknown: "—" when none is known, "≥ 1.2 GiB" when
    some are missing (never a 0 standing for "unknown")."""
    if unsized and not known_bytes:
        return "—"
    text = size(known_bytes)
    return f"≥ {text}" if unsized else text


def unsized_note(unsized: int) -> str:
    """' (3 snapshots without a size)' for a summary line, or ''."""
    if not unsized:
        return ""
    return f" ({unsized} snapshot{'s' if unsized != 1 else ''} without a size)"


def state_parts(value: str) -> tuple[str, str]:
    """(label, style) of a state: in-progress states get a marker that needs no colour."""
    return (f"{value}…" if value in IN_PROGRESS_WORD else value), STATE_STYLES.get(value, "")


def state(value: str) -> Text:
    """A state as coloured text; in-progress states get a marker that needs no colour."""
    label, style = state_parts(value)
    return Text(label, style=style)


def interval_word(interval: str) -> str:
    return interval.lower() if interval else "manual"


def yes_no(value: bool) -> str:
    return "yes" if value else "no"
