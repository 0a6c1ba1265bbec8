"""The jobs panel: every job in flight, on every screen, updated as the tracker sees it.

It shows jobs in flight and those that ended in the last minute (with their outcome), and
hides itself when there is nothing to show. `J` hides or shows it on every screen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

from atlas_tui.cloud.durations import compact

if TYPE_CHECKING:
    from atlas_tui.cloud.jobs import JobTracker, TrackedJob

RECENT_S = 60.0  # finished jobs stay in the panel this long
MAX_LINES = 6


def elapsed(seconds: float) -> str:
    return compact(seconds)


def job_line(job: TrackedJob, width: int) -> Text:
    if job.failed:
        mark, style = "✗", "bold red"
    elif job.done:
        mark, style = "✓", "green"
    elif job.stuck:
        mark, style = "!", "bold yellow"
    else:
        mark, style = "⟳", "yellow"
    text = Text(f" {mark} ", style=style)
    text.append(job.label, style="bold")
    text.append(f"  {job.phase}", style=style)
    text.append(f"  {elapsed(job.elapsed_s)}", style="dim")
    if job.failed and job.error:
        text.append(f"  {job.error}", style="red")
    elif job.stuck:
        text.append("  stuck: see :jobs", style="yellow")
    text.truncate(width, overflow="ellipsis")
    return text


class JobsPanel(Static):
    DEFAULT_CSS = """
    JobsPanel { height: auto; max-height: 8; background: $panel; }
    JobsPanel.-empty { display: none; }
    """

    def __init__(self, tracker: JobTracker | None) -> None:
        super().__init__(id="jobs-panel", classes="-empty")
        self.tracker = tracker
        self._unsubscribe: list[Callable[[], None]] = []
        self.hidden_by_user = False

    def on_mount(self) -> None:
        if self.tracker is not None:
            # A pause (throttled, network down) is shown as it starts, not at the next tick.
            self._unsubscribe = [self.tracker.subscribe(lambda _job: self.refresh_jobs()),
                                 self.tracker.subscribe_paused(lambda _why: self.refresh_jobs())]
        self.set_interval(1.0, self.refresh_jobs)
        self.refresh_jobs()

    def on_unmount(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()

    def visible_jobs(self) -> list[TrackedJob]:
        if self.tracker is None:
            return []
        now = self.tracker.clock()
        shown = [j for j in self.tracker.jobs
                 if not j.done or (j.finished_at is not None and now - j.finished_at < RECENT_S)]
        return shown[:MAX_LINES]

    def refresh_jobs(self) -> None:
        jobs = [] if self.hidden_by_user else self.visible_jobs()
        self.set_class(not jobs, "-empty")
        if not jobs:
            return
        width = max(20, self.size.width or 80)
        in_flight = sum(1 for j in jobs if not j.done)
        lines = Text(f" jobs: {in_flight} running · J hides · :jobs for all\n", style="dim")
        paused = self.tracker.paused_reason if self.tracker else None
        if paused:
            lines.append(f" polling paused: {paused}\n", style="bold yellow")
        for i, job in enumerate(jobs):
            if i:
                lines.append("\n")
            lines.append_text(job_line(job, width))
        self.update(lines)
