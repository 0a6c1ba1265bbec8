"""Durations for people: "45s", "12m 05s", "3h 07m", "1d 21h 12m" (never "45292h")."""

from __future__ import annotations


def duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h {minutes}m"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def compact(seconds: float) -> str:
    """For a narrow cell: "4:05" under an hour, else "3h07m", "1d21h"."""
    seconds = max(0, int(seconds))
    if seconds < 3600:
        return f"{seconds // 60}:{seconds % 60:02d}"
    days, rest = divmod(seconds, 86400)
    hours, minutes = rest // 3600, rest % 3600 // 60
    return f"{days}d{hours:02d}h" if days else f"{hours}h{minutes:02d}m"
