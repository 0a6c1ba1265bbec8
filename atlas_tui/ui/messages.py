"""The messages the App and the screens exchange (the App posts, screens handle)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from atlas_tui.cloud.jobs import TrackedJob


class JobChanged(Message):
    """Posted to the current screen when a tracked job changes, so it can update rows."""

    def __init__(self, job: TrackedJob) -> None:
        super().__init__()
        self.job = job
