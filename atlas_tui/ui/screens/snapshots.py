"""The snapshots of one volume, newest first, with what each is good for."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType

from atlas_tui.cloud.jobs import TrackedJob
from atlas_tui.cloud.models import Snapshot, VirtualMachine, Volume
from atlas_tui.cloud.sizes import stored_bytes
from atlas_tui.ui import format as fmt
from atlas_tui.ui.screens.acting import ActingScreen
from atlas_tui.ui.widgets.table import FastTable
from atlas_tui.ui.widgets.table_model import Column, Row

COLUMNS = [
    Column("name", "SNAPSHOT", min_width=16, max_width=34, priority=100),
    Column("state", "STATE", min_width=9, max_width=11, priority=95),
    Column("type", "TYPE", min_width=7, max_width=7, priority=90),
    Column("created", "CREATED", min_width=14, max_width=23, priority=85),
    Column("size", "SIZE", min_width=9, max_width=10, priority=70, align="right"),
    Column("revertable", "REVERT", min_width=6, max_width=6, priority=50),
]


def snapshot_row(s: Snapshot, now: Any, exact: bool) -> Row:
    stored = stored_bytes(s.raw)  # physicalsize, or an older server's size; None: unknown
    return Row(
        key=s.id,
        cells=(s.name, fmt.state(s.state), fmt.interval_word(s.intervaltype),
               fmt.age(s.created, now, exact=exact), fmt.size(stored),
               fmt.yes_no(s.revertable)),
        values=(s.name.lower(), s.state, s.intervaltype, s.created, stored,
                s.revertable),
    )


class SnapshotsScreen(ActingScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("R", "restore", "Restore…", id="restore"),
        Binding("s", "snapshot", "Snapshot now", id="snapshot"),
        Binding("D", "delete", "Delete", id="delete"),
        Binding("p", "policies", "Policies", id="policies"),
    ]
    MUTATING = frozenset({"snapshot", "delete", "restore"})

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

    def compose_body(self) -> ComposeResult:
        yield FastTable(COLUMNS, id="snapshots", empty_message="no snapshots of this volume")

    def on_mount(self) -> None:
        self.query_one(FastTable).focus()

    async def load(self) -> None:
        self.snapshots = await self.session.client.snapshots_of(self.volume.id)
        self.rerender()
        if self._focus_snapshot:
            self.query_one(FastTable).move_cursor_to_key(self._focus_snapshot)
            self._focus_snapshot = None

    def rerender(self) -> None:
        now = self.session.client.server_now()
        exact = self.atlas.exact_times
        self.query_one(FastTable).set_rows([snapshot_row(s, now, exact) for s in self.snapshots])

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
        reason = super().unavailable(action)
        if reason is None and action == "delete" and not self._chosen():
            return "no snapshot selected"
        if reason is None and action == "restore":
            chosen = self._chosen()
            if len(chosen) != 1:
                return "select one snapshot to restore from"
            if not chosen[0].backed_up:
                return f"{chosen[0].name} is {chosen[0].state}: only BackedUp snapshots restore"
        return reason

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

    def action_policies(self) -> None:
        from atlas_tui.ui.screens.policies import PoliciesScreen

        self.app.push_screen(PoliciesScreen(self.vm, self.volume))
