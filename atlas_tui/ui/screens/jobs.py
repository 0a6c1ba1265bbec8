"""`:jobs`: the account's async jobs, pending first, as the server lists them."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult

from atlas_tui.cloud.models import AsyncJob, JobStatus
from atlas_tui.ui import format as fmt
from atlas_tui.ui.screens.base import BrowseScreen
from atlas_tui.ui.widgets.table import FastTable
from atlas_tui.ui.widgets.table_model import Column, Row

COLUMNS = [
    Column("command", "COMMAND", min_width=12, max_width=26, priority=100),
    Column("status", "STATUS", min_width=7, max_width=9, priority=95),
    Column("target", "TARGET", min_width=8, max_width=20, priority=60),
    Column("created", "STARTED", min_width=10, max_width=19, priority=80),
    Column("result", "RESULT", min_width=8, max_width=60, priority=70),
]

STATUS_TEXT = {
    JobStatus.PENDING: Text("running…", style="yellow"),
    JobStatus.SUCCEEDED: Text("done", style="green"),
    JobStatus.FAILED: Text("failed", style="bold red"),
    JobStatus.CANCELLED: Text("cancelled", style="magenta"),
}


def job_row(job: AsyncJob, now: Any, exact: bool) -> Row:
    command = job.command_name.removesuffix("Cmd").removesuffix("ByAdmin")
    target = f"{job.instancetype} {job.instanceid[:8]}" if job.instanceid else "—"
    return Row(
        key=job.jobid,
        cells=(command, STATUS_TEXT[job.status], target, fmt.age(job.created, now, exact=exact),
               job.error_text or ("" if job.status is JobStatus.PENDING else "ok")),
        values=(command, int(job.status != JobStatus.PENDING), target, job.created,
                job.error_text),
    )


class JobsScreen(BrowseScreen):
    def __init__(self) -> None:
        super().__init__()
        self.jobs: list[AsyncJob] = []

    def crumbs(self) -> tuple[str, ...]:
        return (self.session.profile.name, "jobs")

    def compose_body(self) -> ComposeResult:
        yield FastTable(COLUMNS, id="jobs", empty_message="no recent jobs on this account")

    def on_mount(self) -> None:
        super().on_mount()
        self._auto_refresh_s = 3.0
        self.query_one(FastTable).focus()

    async def load(self) -> None:
        self.jobs = await self.session.client.jobs()
        self.rerender()

    def rerender(self) -> None:
        now = self.session.client.server_now()
        exact = self.atlas.exact_times
        table = self.query_one(FastTable)
        table.set_rows([job_row(j, now, exact) for j in self.jobs])
        if table.sort_column is None:
            table.sort_by("created", reverse=True)

    def detail_of(self, table: FastTable, key: str) -> tuple[str, dict[str, Any]] | None:
        job = next((j for j in self.jobs if j.jobid == key), None)
        return (f"job {job.jobid}", job.raw) if job else None
