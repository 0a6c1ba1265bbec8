"""One instance: its volumes (with snapshot counts and schedules) and its VM snapshots."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import Static

from atlas_tui.cloud.api.models import VirtualMachine
from atlas_tui.cloud.browse import InstanceDetail, VolumeRow, instance_detail
from atlas_tui.cloud.jobs import TrackedJob
from atlas_tui.cloud.restore import boot_flag
from atlas_tui.cloud.stuck import oldest_stuck
from atlas_tui.ui import format as fmt
from atlas_tui.ui.actions import VOLUMES, bindings_for
from atlas_tui.ui.policy_text import schedule_summary
from atlas_tui.ui.screens.acting import ActingScreen
from atlas_tui.ui.screens.stuck_rows import copy_stuck_diagnostics, stuck_detail
from atlas_tui.ui.widgets.quiet import quiet_update
from atlas_tui.ui.widgets.table import FastTable
from atlas_tui.ui.widgets.table_model import Column, Row

VOLUME_COLUMNS = [
    Column("name", "VOLUME", min_width=8, max_width=40, priority=100, cut="middle"),
    Column("type", "TYPE", max_width=8, priority=90, whole=True),
    Column("size", "SIZE", min_width=9, max_width=10, priority=80, align="right"),
    Column("snaps", "SNAPS", min_width=5, max_width=5, priority=75, align="right"),
    Column("newest", "NEWEST", max_width=32, priority=70, whole=True),
    Column("schedule", "SCHEDULE", min_width=12, max_width=34, priority=65),
    Column("state", "STATE", min_width=5, max_width=9, priority=40),
    Column("device", "DEV", min_width=3, max_width=3, priority=30, align="right"),
]

VM_SNAPSHOT_COLUMNS = [
    Column("name", "VM SNAPSHOT", min_width=10, max_width=40, priority=100, cut="middle"),
    Column("type", "TYPE", min_width=4, max_width=13, priority=90),
    Column("state", "STATE", min_width=5, max_width=9, priority=80),
    Column("created", "CREATED", max_width=23, priority=70, whole=True),
    Column("current", "CURRENT", min_width=3, max_width=7, priority=40),
    Column("parent", "PARENT", min_width=6, max_width=20, priority=20),
]


class VolumesScreen(ActingScreen):
    BINDINGS: ClassVar[list[BindingType]] = bindings_for(VOLUMES)
    ACTION_SCOPE = VOLUMES

    DEFAULT_CSS = """
    VolumesScreen #volumes { height: 3fr; }
    VolumesScreen #vm-snapshots { height: 2fr; }
    """

    def __init__(self, vm: VirtualMachine) -> None:
        super().__init__()
        self.vm = vm
        self.detail: InstanceDetail | None = None

    def crumbs(self) -> tuple[str, ...]:
        return (self.session.profile.name, self.vm.name, "volumes")

    def compose_body(self) -> ComposeResult:
        yield FastTable(VOLUME_COLUMNS, id="volumes", empty_message="no volumes attached")
        yield Static(id="vm-snap-title", classes="subtitle")
        yield FastTable(VM_SNAPSHOT_COLUMNS, id="vm-snapshots", empty_message="no VM snapshots")

    def on_mount(self) -> None:
        self.query_one("#volumes", FastTable).focus()

    async def load(self) -> None:
        self.detail = await instance_detail(self.session.client, self.vm)
        self.vm = self.detail.vm
        self.rerender()

    def rerender(self) -> None:
        if self.detail is None or not self.query("#volumes"):
            return  # a load that ended after the screen was closed
        now = self.session.client.server_now()
        exact = self.atlas.exact_times
        stuck_after = timedelta(minutes=self.atlas.settings.stuck_after_minutes)
        self.query_one("#volumes", FastTable).set_rows(
            [self._volume_row(r, now, exact, stuck_after) for r in self.detail.volumes]
        )
        vm_snaps = self.detail.vm_snapshots
        self.query_one("#vm-snapshots", FastTable).set_rows(
            [
                Row(
                    key=s.id,
                    cells=(s.displayname, s.type, fmt.state(s.state),
                           fmt.age(s.created, now, exact=exact), fmt.yes_no(s.current),
                           s.parent_name or "—"),
                    values=(s.displayname.lower(), s.type, s.state, s.created, s.current,
                            s.parent_name),
                )
                for s in vm_snaps
            ]
        )
        title = Text()
        flags = [f for f in (boot_flag([r.volume for r in self.detail.volumes]),
                             self.atlas.restore_flag(self.vm.id)) if f]
        if flags:  # first on the line: not to be missed
            title.append(f"⚠ {self.vm.name}: {'; '.join(flags)} · ", style="bold red")
        title.append(f"{len(vm_snaps)} VM snapshots")
        if vm_snaps:
            # The restore path's first obstacle, said where the user looks.
            title.append(": they block attach, detach and revert", style="yellow")
        title.append(f" · VM {self.vm.state} · tab ⇄", style="dim")
        quiet_update(self.query_one("#vm-snap-title", Static), title)

    @staticmethod
    def _volume_row(r: VolumeRow, now: Any, exact: bool,
                    stuck_after: timedelta | None = None) -> Row:
        v = r.volume
        newest: str | Text = fmt.age(r.stats.newest, now, exact=exact)
        if stuck_after is not None and oldest_stuck(r.stats.oldest_in_progress, now,
                                                    stuck_after):
            newest = Text.assemble(("⚠ stuck ", "bold red"), newest)
        return Row(
            key=v.id,
            cells=(
                v.name, v.type, fmt.size(v.size), str(r.stats.count),
                newest,
                schedule_summary(r.policies), fmt.state(v.state),
                "—" if v.deviceid is None else str(v.deviceid),
            ),
            values=(v.name.lower(), v.type, v.size, r.stats.count, r.stats.newest,
                    len(r.policies), v.state, v.deviceid),
        )

    def volume_row(self, key: str | None) -> VolumeRow | None:
        if self.detail is None or key is None:
            return None
        return next((r for r in self.detail.volumes if r.volume.id == key), None)

    def detail_of(self, table: FastTable, key: str) -> tuple[str, dict[str, Any]] | None:
        if self.detail is None:
            return None
        if table.id == "vm-snapshots":
            snap = next((s for s in self.detail.vm_snapshots if s.id == key), None)
            return (f"VM snapshot {snap.displayname}", snap.raw) if snap else None
        row = self.volume_row(key)
        if row is None:
            return None
        if self._stuck(row):  # the mark's advice first, then the server's data
            support = self.atlas.settings.support_address
            return f"volume {row.volume.name}", {**stuck_detail(row.volume.name, support),
                                                 **row.volume.raw}
        return f"volume {row.volume.name}", dict(row.volume.raw)

    def _stuck(self, row: VolumeRow) -> bool:
        after = timedelta(minutes=self.atlas.settings.stuck_after_minutes)
        return oldest_stuck(row.stats.oldest_in_progress, self.session.client.server_now(),
                            after)

    def action_copy_id(self) -> None:
        """On a stuck volume, y copies the diagnostic of its stuck snapshots; else the id."""
        table = self.active_table()
        row = self.volume_row(table.cursor_key) if table is not None \
            and table.id != "vm-snapshots" else None
        if row is None or not self._stuck(row):
            super().action_copy_id()
            return
        self.run_worker(copy_stuck_diagnostics(self, [row.volume.id]), group="stuck-diagnostic",
                        exclusive=True, exit_on_error=False)

    def affected_by(self, job: TrackedJob) -> bool:
        ids = {self.vm.id}
        if self.detail is not None:
            ids |= {r.volume.id for r in self.detail.volumes}
        return bool({job.resource_id, job.volume_id} & ids)

    def _vm_snapshot_choice(self) -> list:
        if self.detail is None:
            return []
        table = self.query_one("#vm-snapshots", FastTable)
        keys = table.marked_keys or ({table.cursor_key} if table.cursor_key else set())
        return [s for s in self.detail.vm_snapshots if s.id in keys]

    def unavailable(self, action: str) -> str | None:
        if action in ("revert_vm_snapshot", "delete"):
            if not self.query_one("#vm-snapshots", FastTable).has_focus:
                return "select a VM snapshot first (tab moves to the VM snapshots list)"
            chosen = self._vm_snapshot_choice()
            if not chosen:
                return "no VM snapshot selected"
            if action == "revert_vm_snapshot" and len(chosen) != 1:
                return "revert takes one VM snapshot"
        return None

    def enter_opens(self, table: FastTable) -> bool:
        return table.id == "volumes"  # a VM snapshot opens nothing

    @work(group="action", exit_on_error=False)
    async def action_snapshot(self) -> None:
        if self.refuse_if_unavailable("snapshot") or self.detail is None:
            return
        table = self.query_one("#volumes", FastTable)
        keys = table.marked_keys or ({table.cursor_key} if table.cursor_key else set())
        volumes = [r.volume for r in self.detail.volumes if r.volume.id in keys]
        await self.snapshot_flow(volumes, {self.vm.id: self.vm})

    @work(group="action", exit_on_error=False)
    async def action_vm_snapshot(self) -> None:
        if not self.refuse_if_unavailable("vm_snapshot"):
            await self.vm_snapshot_flow(self.vm)

    @work(group="action", exit_on_error=False)
    async def action_revert_vm_snapshot(self) -> None:
        if not self.refuse_if_unavailable("revert_vm_snapshot"):
            await self.revert_vm_snapshot_flow(self.vm, self._vm_snapshot_choice()[0])

    @work(group="action", exit_on_error=False)
    async def action_delete(self) -> None:
        if not self.refuse_if_unavailable("delete"):
            await self.delete_vm_snapshots_flow(self._vm_snapshot_choice())

    def action_switch_list(self) -> None:
        volumes = self.query_one("#volumes", FastTable)
        other = self.query_one("#vm-snapshots", FastTable)
        (other if volumes.has_focus else volumes).focus()

    def _selected_volume(self) -> VolumeRow | None:
        return self.volume_row(self.query_one("#volumes", FastTable).cursor_key)

    @on(FastTable.RowSelected, "#volumes")
    def _volume_selected(self, event: FastTable.RowSelected) -> None:
        self.action_open()

    def action_open(self) -> None:
        row = self._selected_volume()
        if row is None:
            return
        from atlas_tui.ui.screens.snapshots import SnapshotsScreen

        self.app.push_screen(SnapshotsScreen(self.vm, row.volume))

    def action_policies(self) -> None:
        row = self._selected_volume()
        if row is None:
            return
        from atlas_tui.ui.screens.policies import PoliciesScreen

        self.app.push_screen(PoliciesScreen(self.vm, row.volume))
