"""`:jobs`: every job the app started and the account's pending jobs, live; below them the
account's recent jobs as the server lists them, and this profile's past actions from the
audit log (so after a restart the list is not empty).

Live rows come from the App's JobTracker; they change as jobs move. A
stuck snapshot says so with the guide's advice: wait, retry (`R` re-issues it), then send
support the diagnostic (`y` copies it, `i` shows it).
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import Static

from atlas_tui.cloud.api.errors import CloudError
from atlas_tui.cloud.api.models import AsyncJob, Snapshot
from atlas_tui.cloud.audit import AuditLog
from atlas_tui.cloud.job_history import (
    PastAction,
    job_words,
    past_action_diagnostic,
    past_actions,
    server_job_diagnostic,
)
from atlas_tui.cloud.jobs import TrackedJob
from atlas_tui.cloud.stuck import is_stuck, oldest_stuck, snapshot_diagnostic, stuck_advice
from atlas_tui.ui.actions import JOBS, bindings_for
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


def server_job_row(job: AsyncJob, names: dict[str, str] | None = None) -> Row:
    label, state = job_words(job, names)
    when = job.created.strftime("%Y-%m-%d %H:%M") if job.created else ""
    took = (job.completed - job.created).total_seconds() if job.completed and job.created \
        else 0.0
    style = "green" if state == "succeeded" else "yellow" if state == "pending" else "red"
    return Row(
        key=f"server:{job.jobid}",
        cells=(label, Text(state.split(":")[0], style=style), elapsed(took) if took else "",
               "account", state if state.startswith("failed:") else when),
        values=(label, state, took, "account", when),
    )


def past_row(index: int, action: PastAction) -> Row:
    when = action.time[:16].replace("T", " ")
    ok = action.outcome == "accepted"
    return Row(
        key=f"audit:{index}",
        cells=(action.label, Text("sent" if ok else action.outcome.split(":")[0],
                                  style="dim" if ok else "red"), "",
               "log", f"{when} {action.outcome if not ok else ''}".strip()),
        values=(action.label, action.outcome, 0.0, "log", action.time),
    )


def stuck_row(snap: Snapshot, now: datetime) -> Row:
    label = f"Snapshot {snap.volumename}: {snap.name}"
    age = (now - snap.created).total_seconds() if snap.created else 0.0
    return Row(
        key=f"stuck:{snap.id}",
        cells=(label, Text("stuck", style="bold yellow reverse"), elapsed(age), "account",
               f"{snap.state}: wait, retry, y copies a diagnostic"),
        values=(label, "stuck", age, "account", snap.state),
    )


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
    BINDINGS: ClassVar[list[BindingType]] = bindings_for(JOBS)
    ACTION_SCOPE = JOBS
    DEFAULT_CSS = """
    JobsScreen #job-note { height: auto; max-height: 7; padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.server_jobs: list[AsyncJob] = []
        self.past: list[PastAction] = []
        self.stuck: list[Snapshot] = []  # stuck snapshots, whoever started them

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
        client = self.session.client
        try:
            self.server_jobs = await client.jobs()  # pending and recently finished
        except CloudError:
            self.server_jobs = []  # listAsyncJobs refused: the live rows still stand
        audit = client.audit
        if isinstance(audit, AuditLog):
            self.past = await asyncio.to_thread(past_actions, audit.path, audit.profile)
        self.stuck = await self._stuck_snapshots()
        self.rerender()

    async def _stuck_snapshots(self) -> list[Snapshot]:
        """Every stuck snapshot of the account, whoever started it: the volumes whose folded
        statistics show one are read (a few calls, not the account's whole list)."""
        client, inv = self.session.client, self.session.inventory
        now, after = client.server_now(), self.stuck_after
        volumes = [vid for vid, st in inv.stats_by_volume.items()
                   if oldest_stuck(st.oldest_in_progress, now, after)]
        found = await asyncio.gather(*(client.snapshots_of(v) for v in volumes[:20]))
        return [s for group in found for s in group if is_stuck(s, now, after)]

    @property
    def stuck_after(self) -> timedelta:
        return timedelta(minutes=self.atlas.settings.stuck_after_minutes)

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
        live = self._jobs()
        seen = {j.jobid for j in live}
        rows = [job_row(j) for j in live]
        tracked = {j.entity_id for j in live if j.stuck}
        now = self.session.client.server_now()
        rows += [stuck_row(s, now) for s in self.stuck
                 if s.id not in tracked]  # stuck snapshots started elsewhere, after ours
        inv = self.session.inventory
        names = {i: v.name for i, v in inv.vms.items()} | {i: v.name for i, v in
                                                            inv.volumes.items()}
        rows += [server_job_row(j, names) for j in self.server_jobs if j.jobid not in seen]
        seen |= {j.jobid for j in self.server_jobs}
        rows += [past_row(i, a) for i, a in enumerate(self.past) if a.jobid not in seen]
        table.set_rows(rows)
        self._note()

    def _selected(self) -> TrackedJob | None:
        key = self.query_one(FastTable).cursor_key
        return next((j for j in self._jobs() if j.jobid == key), None)

    def _other_diagnostic(self) -> str:
        """For a row of the server's list or of the audit log: its plain-text diagnostic."""
        key = self.query_one(FastTable).cursor_key or ""
        if key.startswith("server:"):
            job = next((j for j in self.server_jobs if f"server:{j.jobid}" == key), None)
            return server_job_diagnostic(job, job_words(job)[0]) if job is not None else ""
        if key.startswith("audit:"):
            index = int(key.split(":", 1)[1])
            return past_action_diagnostic(self.past[index]) if index < len(self.past) else ""
        return ""

    def _stuck_selected(self) -> Snapshot | None:
        key = self.query_one(FastTable).cursor_key or ""
        return next((s for s in self.stuck if f"stuck:{s.id}" == key), None)

    def _note(self) -> None:
        job = self._selected()
        snap = self._stuck_selected()
        note = Text()
        support = self.atlas.settings.support_address
        if job is not None and job.stuck:
            note.append(f"{job.label} is stuck in {job.state or 'a pending state'}.\n",
                        style="bold yellow")
            if job.timing_note:
                note.append(f"({job.timing_note}.)\n", style="dim")
            for i, advice in enumerate(stuck_advice(support), 1):
                note.append(f"{i}. {advice}\n")
        elif snap is not None:
            note.append(f"Snapshot {snap.name} of {snap.volumename} is stuck in "
                        f"{snap.state}.\n", style="bold yellow")
            for i, advice in enumerate(stuck_advice(support), 1):
                note.append(f"{i}. {advice}\n")
        self.query_one("#job-note", Static).update(note)

    def detail_of(self, table: FastTable, key: str) -> tuple[str, dict[str, Any]] | None:
        job = self._selected()
        if job is None:
            return None
        return f"job {job.jobid}", {"diagnostic": "\n" + job.diagnostic()}

    def action_copy_id(self) -> None:
        snap = self._stuck_selected()
        if snap is not None:
            copy_plain(self.app, snapshot_diagnostic(snap, self.session.client.server_now(),
                                                     self.atlas.settings.support_address))
            self.notify("diagnostic copied", timeout=2)
            return
        job = self._selected()
        other = self._other_diagnostic()
        if job is None and other:
            copy_plain(self.app, other)
            self.notify("diagnostic copied", timeout=2)
            return
        if job is None:
            self.notify("nothing selected", severity="warning")
            return
        copy_plain(self.app, job.diagnostic())
        self.notify("diagnostic copied", timeout=2)

    def unavailable(self, action: str) -> str | None:
        if action == "retry":
            job = self._selected()
            tracker = self.atlas.tracker
            if job is None or tracker is None or tracker.retry_args(job) is None:
                return "retry re-issues a volume snapshot: select a snapshot job"
        return None

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
