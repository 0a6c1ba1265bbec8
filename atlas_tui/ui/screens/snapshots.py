"""The snapshots of one volume, newest first, with what each is good for."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import Static

from atlas_tui.cloud.api.models import Snapshot, VirtualMachine, Volume
from atlas_tui.cloud.jobs import TrackedJob
from atlas_tui.cloud.sizes import stored_bytes
from atlas_tui.cloud.stuck import is_stuck, snapshot_diagnostic, stuck_advice
from atlas_tui.ui import format as fmt
from atlas_tui.ui.actions import SNAPSHOTS, bindings_for
from atlas_tui.ui.screens.acting import ActingScreen
from atlas_tui.ui.screens.base import copy_plain
from atlas_tui.ui.widgets.table import FastTable
from atlas_tui.ui.widgets.table_model import Column, Row

COLUMNS = [
    Column("name", "SNAPSHOT", min_width=16, max_width=64, priority=100, cut="middle"),
    Column("state", "STATE", min_width=9, max_width=11, priority=95),
    Column("type", "TYPE", min_width=7, max_width=7, priority=90),
    Column("created", "CREATED", max_width=23, priority=85, whole=True),
    Column("size", "SIZE", min_width=9, max_width=10, priority=70, align="right"),
    Column("revertable", "REVERT", min_width=6, max_width=6, priority=50),
]


def snapshot_row(s: Snapshot, now: Any, exact: bool, stuck_after: timedelta | None = None,
                 ) -> Row:
    state: Any = fmt.state(s.state)
    if stuck_after is not None and is_stuck(s, now, stuck_after):
        state = Text("⚠ stuck", style="bold red")  # whoever started it
    stored = stored_bytes(s.raw)  # physicalsize, or an older server's size; None: unknown
    return Row(
        key=s.id,
        cells=(s.name, state, fmt.interval_word(s.intervaltype),
               fmt.age(s.created, now, exact=exact), fmt.size(stored),
               fmt.yes_no(s.revertable)),
        values=(s.name.lower(), s.state, s.intervaltype, s.created, stored,
                s.revertable),
    )


class SnapshotsScreen(ActingScreen):
    BINDINGS: ClassVar[list[BindingType]] = bindings_for(SNAPSHOTS)
    ACTION_SCOPE = SNAPSHOTS

    def __init__(self, vm: VirtualMachine | None, volume: Volume,
                 focus_snapshot: str | None = None) -> None:
        super().__init__()
        self.vm = vm
        self.volume = volume
        self.snapshots: list[Snapshot] = []
        self._focus_snapshot = focus_snapshot

    def crumbs(self) -> tuple[str, ...]:
        owner = self.vm.name if self.vm else (self.volume.vmname or "detached")
        return (self.session.profile.name, owner, self.volume.name, "snapshots")

    DEFAULT_CSS = """
    SnapshotsScreen #snap-note { height: auto; max-height: 6; padding: 0 1; }
    """

    def compose_body(self) -> ComposeResult:
        yield FastTable(COLUMNS, id="snapshots", empty_message="no snapshots of this volume")
        yield Static(id="snap-note")

    def on_mount(self) -> None:
        self.query_one(FastTable).focus()

    async def load(self) -> None:
        self.snapshots = await self.session.client.snapshots_of(self.volume.id)
        self.rerender()
        if self._focus_snapshot:
            self.query_one(FastTable).move_cursor_to_key(self._focus_snapshot)
            self._focus_snapshot = None

    @property
    def stuck_after(self) -> timedelta:
        return timedelta(minutes=self.atlas.settings.stuck_after_minutes)

    def rerender(self) -> None:
        now = self.session.client.server_now()
        exact = self.atlas.exact_times
        self.query_one(FastTable).set_rows([snapshot_row(s, now, exact, self.stuck_after)
                                            for s in self.snapshots])
        self._note()

    def _stuck_selected(self) -> Snapshot | None:
        key = self.query_one(FastTable).cursor_key
        snap = next((s for s in self.snapshots if s.id == key), None)
        now = self.session.client.server_now()
        return snap if snap is not None and is_stuck(snap, now, self.stuck_after) else None

    def _note(self) -> None:
        """The guide's advice under a stuck snapshot, with where to send the diagnostic."""
        snap = self._stuck_selected()
        note = Text()
        if snap is not None:
            note.append(f"{snap.name} is stuck in {snap.state}.\n", style="bold red")
            for i, advice in enumerate(stuck_advice(self.atlas.settings.support_address), 1):
                note.append(f"{i}. {advice}\n")
        self.query_one("#snap-note", Static).update(note)

    @on(FastTable.CursorMoved)
    def _cursor_note(self) -> None:
        self._note()

    def action_copy_id(self) -> None:
        """On a stuck snapshot, y copies the diagnostic for support; else the id."""
        snap = self._stuck_selected()
        if snap is None:
            super().action_copy_id()
            return
        now = self.session.client.server_now()
        copy_plain(self.app, snapshot_diagnostic(snap, now, self.atlas.settings.support_address))
        self.notify("diagnostic copied", timeout=2)

    def detail_of(self, table: FastTable, key: str) -> tuple[str, dict[str, Any]] | None:
        snap = next((s for s in self.snapshots if s.id == key), None)
        return (f"snapshot {snap.name}", snap.raw) if snap else None

    def affected_by(self, job: TrackedJob) -> bool:
        return self.volume.id in (job.resource_id, job.volume_id)

    def _chosen(self) -> list[Snapshot]:
        table = self.query_one(FastTable)
        keys = table.marked_keys or ({table.cursor_key} if table.cursor_key else set())
        return [s for s in self.snapshots if s.id in keys]

    def unavailable(self, action: str) -> str | None:
        if action == "delete" and not self._chosen():
            return "no snapshot selected"
        if action == "drill":
            chosen = self._chosen()
            if not chosen:
                return "no snapshot selected"
            if not any(s.backed_up for s in chosen):
                return "only BackedUp snapshots can be drilled"
        if action == "restore":
            chosen = self._chosen()
            if len(chosen) != 1:
                return "select one snapshot to restore from"
            if not chosen[0].backed_up:
                return f"{chosen[0].name} is {chosen[0].state}: only BackedUp snapshots restore"
        return None

    @work(group="action", exit_on_error=False)
    async def action_restore(self) -> None:
        if not self.refuse_if_unavailable("restore"):
            await self.restore_flow(self._chosen()[0])

    @work(group="action", exit_on_error=False)
    async def action_snapshot(self) -> None:
        if self.refuse_if_unavailable("snapshot"):
            return
        vms = {self.vm.id: self.vm} if self.vm else {}
        await self.snapshot_flow([self.volume], vms)

    @work(group="action", exit_on_error=False)
    async def action_delete(self) -> None:
        if not self.refuse_if_unavailable("delete"):
            await self.delete_snapshots_flow(self._chosen())

    def action_drill(self) -> None:
        """T: prove the chosen snapshots restore (a drill volume, checked, then deleted)."""
        if self.refuse_if_unavailable("drill"):
            return
        self.atlas.start_drills(self._chosen())

    def action_policies(self) -> None:
        from atlas_tui.ui.screens.policies import PoliciesScreen

        self.app.push_screen(PoliciesScreen(self.vm, self.volume))
