"""`:jobs`: every job the app started and the account's pending jobs, live.

Rows come from the App's JobTracker (no extra API calls); they change as jobs move. A
stuck snapshot says so with the guide's advice: wait, retry (`R` re-issues it), then send
support the diagnostic (`y` copies it, `i` shows it).
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from atlas_tui.cloud.jobs import TrackedJob
from atlas_tui.ui.screens.acting import ActingScreen
from atlas_tui.ui.screens.base import copy_plain
from atlas_tui.ui.widgets.jobs_panel import elapsed
from atlas_tui.ui.widgets.table import FastTable
from atlas_tui.ui.widgets.table_model import Column, Row

COLUMNS = [
    Column("label", "JOB", min_width=14, max_width=34, priority=100),
    Column("phase", "STATE", min_width=9, max_width=18, priority=95),
    Column("elapsed", "TIME", min_width=5, max_width=6, priority=80, align="right"),
    Column("by", "BY", min_width=5, max_width=8, priority=40),
    Column("result", "RESULT", min_width=8, max_width=60, priority=70),
]


def phase_text(job: TrackedJob) -> Text:
    if job.failed:
        return Text(job.phase, style="bold red")
    if job.done:
        return Text(job.phase, style="green")
    if job.stuck:
        return Text(job.phase, style="bold yellow reverse")
    return Text(job.phase + "…", style="yellow")


def job_row(job: TrackedJob) -> Row:
    result = job.error or ("stuck: wait, R retries, y copies a diagnostic" if job.stuck
                           else "ok" if job.done else "")
    return Row(
        key=job.jobid,
        cells=(job.label, phase_text(job), elapsed(job.elapsed_s),
               "other" if job.adopted else "you", result),
        values=(job.label, job.phase, job.elapsed_s, job.adopted, result),
    )


class JobsScreen(ActingScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("R", "retry", "Retry snapshot", id="retry"),
    ]
    MUTATING = frozenset({"retry"})
    DEFAULT_CSS = """
    JobsScreen #job-note { height: auto; max-height: 7; padding: 0 1; }
    """

    def crumbs(self) -> tuple[str, ...]:
        return (self.session.profile.name, "jobs")

    def compose_body(self) -> ComposeResult:
        yield FastTable(COLUMNS, id="jobs",
                        empty_message="no jobs yet: actions you start appear here")
        yield Static(id="job-note")

    def on_mount(self) -> None:
        self.set_interval(1.0, self.rerender)  # elapsed times tick
        self.query_one(FastTable).focus()

    async def load(self) -> None:
        tracker = self.atlas.tracker
        if tracker is not None:
            await tracker.discover()  # pick up jobs started elsewhere since
        self.rerender()

    def affected_by(self, job: TrackedJob) -> bool:
        self.rerender()  # from memory: no API call
        return False

    def _jobs(self) -> list[TrackedJob]:
        tracker = self.atlas.tracker
        return tracker.jobs if tracker is not None else []

    def rerender(self) -> None:
        if not self.is_mounted:
            return
        table = self.query_one(FastTable)
        table.set_rows([job_row(j) for j in self._jobs()])
        self._note()

    def _selected(self) -> TrackedJob | None:
        key = self.query_one(FastTable).cursor_key
        return next((j for j in self._jobs() if j.jobid == key), None)

    def _note(self) -> None:
        job = self._selected()
        note = Text()
        if job is not None and job.stuck:
            note.append(f"{job.label} is stuck in {job.state or 'a pending state'}.\n",
                        style="bold yellow")
            if job.timing_note:
                note.append(f"({job.timing_note}.)\n", style="dim")
            for i, advice in enumerate(job.advice, 1):
                note.append(f"{i}. {advice}\n")
        self.query_one("#job-note", Static).update(note)

    def detail_of(self, table: FastTable, key: str) -> tuple[str, dict[str, Any]] | None:
        job = self._selected()
        if job is None:
            return None
        return f"job {job.jobid}", {"diagnostic": "\n" + job.diagnostic()}

    def action_copy_id(self) -> None:
        job = self._selected()
        if job is None:
            self.notify("nothing selected", severity="warning")
            return
        copy_plain(self.app, job.diagnostic())
        self.notify("diagnostic copied", timeout=2)

    def unavailable(self, action: str) -> str | None:
        reason = super().unavailable(action)
        if reason is None and action == "retry":
            job = self._selected()
            tracker = self.atlas.tracker
            if job is None or tracker is None or tracker.retry_args(job) is None:
                return "retry re-issues a volume snapshot: select a snapshot job"
        return reason

    @work(group="action", exit_on_error=False)
    async def action_retry(self) -> None:
        if self.refuse_if_unavailable("retry"):
            return
        job = self._selected()
        tracker, actions = self.atlas.tracker, self.atlas.actions
        if job is None or tracker is None or actions is None:
            return
        args = tracker.retry_args(job)
        if args is None:
            return

        async def run() -> list:
            now = self.session.client.server_now()
            return [await actions.retry_snapshot(args.volume_id, args.volume_name, now)]

        self.atlas.run_actions(run(), f"Retry snapshot of {args.volume_name}")
