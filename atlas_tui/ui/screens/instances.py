"""Home: every instance, and at a glance which are protected and which are not."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Set as AbstractSet
from datetime import datetime, timedelta
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.css.query import NoMatches
from textual.widgets import Static

from atlas_tui.cloud import turns
from atlas_tui.cloud.api.models import Volume
from atlas_tui.cloud.inventory import InstanceRow, Inventory, SnapshotStats
from atlas_tui.cloud.jobs import TrackedJob
from atlas_tui.cloud.restore import NO_BOOT_DISK
from atlas_tui.cloud.stuck import oldest_stuck
from atlas_tui.ui import format as fmt
from atlas_tui.ui.actions import INSTANCES, bindings_for
from atlas_tui.ui.screens.acting import ActingScreen
from atlas_tui.ui.screens.stuck_rows import copy_stuck_diagnostics, stuck_detail
from atlas_tui.ui.slices import release, sliced
from atlas_tui.ui.widgets.quiet import quiet_update
from atlas_tui.ui.widgets.table import FastTable
from atlas_tui.ui.widgets.table_model import (
    Column,
    LazyRows,
    Row,
    shared,
    shared_text,
)

COLUMNS = [
    Column("name", "NAME", min_width=16, max_width=40, priority=100, cut="middle",
           sort_key=str.lower),
    Column("state", "STATE", min_width=7, max_width=9, priority=90),
    Column("protection", "PROTECTION", max_width=28, priority=85, whole=True),
    Column("newest", "NEWEST SNAP", max_width=32, priority=80, whole=True),
    Column("storage", "STORAGE", min_width=9, max_width=10, priority=60, align="right"),
    Column("volumes", "VOLS", min_width=4, max_width=4, priority=50, align="right"),
    Column("hypervisor", "HYPERVISOR", min_width=6, max_width=10, priority=40),
    Column("zone", "ZONE", min_width=6, max_width=16, priority=30),
]

UNPROTECTED_MARK = "✗"
REPAINT_EVERY_S = 0.25  # while pages stream in, repaint at most this often


async def _volume_index(inventory: Inventory) -> tuple[dict[str, list[Volume]], set[str]]:
    """The volumes of each VM, and the VMs that have a disk at device 0, a slice at a time
    (30,000 volumes at the scale seed)."""
    by_vm: dict[str, list[Volume]] = {}
    with_disk_0: set[str] = set()

    def see(volume: Volume) -> None:
        if volume.virtualmachineid:
            by_vm.setdefault(volume.virtualmachineid, []).append(volume)
            if volume.deviceid == 0:
                with_disk_0.add(volume.virtualmachineid)

    await sliced(see, list(inventory.volumes.values()), keep=True)
    return by_vm, with_disk_0


def _parts(old: Inventory | None, new: Inventory) -> list[object]:
    """What an inventory replaced by `new` holds (to free a slice at a time); nothing if it
    is the same one (the first load paints the inventory it fills)."""
    if old is None or old is new:
        return []
    return [*old.vms.values(), *old.volumes.values(), *old.stats_by_volume.values(),
            *old.policies_by_volume.values()]


class _Counts:
    """What the summary line counts, seen row by row as the table rows are built."""

    def __init__(self) -> None:
        self.rows = 0
        self.unprotected = 0
        self.partial = 0
        self.flagged: list[tuple[str, str]] = []  # (name, flag), in row order

    def see(self, row: InstanceRow, flag: str) -> None:
        self.rows += 1
        p = row.protection
        if p.none and p.total:
            self.unprotected += 1
        if p.partial:
            self.partial += 1
        if flag:
            self.flagged.append((row.vm.name, flag))


async def _orphan_stats(inventory: Inventory) -> SnapshotStats:
    """`Inventory.orphan_stats`, a slice at a time (a stats entry per volume: 30,000)."""
    total = SnapshotStats()
    if "volumes" not in inventory.loaded:
        return total
    volumes = inventory.volumes
    stats = inventory.stats_by_volume

    def see(volume_id: str) -> None:
        if volume_id not in volumes:
            total.merge(stats[volume_id])

    # The keys, not the items: 90,000 (key, stats) tuples at 30,000 instances were made and
    # freed in one piece each (~10-30 ms).
    await sliced(see, list(stats))
    return total


def protection_cell(row: InstanceRow, loaded: bool) -> Text:
    # Shared (table_model.shared_text): 10,000 rows read a handful of these.
    if not loaded:
        return shared_text("…", "dim")
    p = row.protection
    if p.none and p.total:  # the mark reads without colour (NO_COLOR, a grey terminal)
        return shared_text(f"{UNPROTECTED_MARK} {p.describe()}", "bold red")
    return shared_text(p.describe(), "yellow" if p.partial else "green")


def vm_flags(vm_id: str, with_disk_0: set[str] | None, restore_flag: str = "") -> str:
    """What must not be missed about a VM: no disk at device 0 (whatever caused it), a
    restore running or left unfinished. `with_disk_0`: the VMs that have one (None while
    volumes load)."""
    flags = [restore_flag] if restore_flag else []
    if with_disk_0 is not None and vm_id not in with_disk_0:
        flags.insert(0, NO_BOOT_DISK)
    return "; ".join(flags)


def short_flag(flag: str) -> str:
    """Column-sized: the summary line below the table carries the whole text."""
    parts = []
    if "device 0" in flag:
        parts.append("no root disk")
    if "restore" in flag:
        parts.append("restore " + ("running" if "running" in flag else "unfinished"))
    return ", ".join(parts) or flag


def instance_row(row: InstanceRow, loaded: AbstractSet[str], now: datetime, exact: bool,
                 flag: str = "", stuck_after: timedelta | None = None) -> Row:
    """The table row of an instance. `loaded`: the inventory's parts that are in (each
    column shows "…" until its list is whole)."""
    vm = row.vm
    snaps_loaded = "snapshots" in loaded
    volumes_loaded = "volumes" in loaded
    age = shared(fmt.age(row.newest_snapshot, now, exact=exact)) if snaps_loaded else "…"
    newest: str | Text = age
    if snaps_loaded and stuck_after is not None and oldest_stuck(row.oldest_in_progress, now,
                                                                 stuck_after):
        newest = Text.assemble(("⚠ stuck ", "bold red"), age)  # whoever started it
    elif snaps_loaded and row.snapshots_in_progress:
        newest = age + " ⟳"
    return Row(
        key=vm.id,
        cells=(
            Text.assemble(vm.name, (f" ⚠ {short_flag(flag)}", "bold red")) if flag else vm.name,
            shared_text(*fmt.state_parts(vm.state)),
            protection_cell(row, "policies" in loaded and volumes_loaded),
            newest,
            shared(fmt.size_sum(row.snapshot_bytes, row.snapshots_unsized)) if snaps_loaded
            else "…",
            str(row.volume_count) if volumes_loaded else "…",
            vm.hypervisor,
            vm.zonename,
        ),
        values=instance_values(row),
    )


def instance_values(row: InstanceRow) -> tuple[Any, ...]:
    """What each column of an instance's row sorts by."""
    vm = row.vm
    return (
        vm.name,  # compared lower case (the column's sort_key): no copy per row
        vm.state,
        (row.protection.covered / row.protection.total) if row.protection.total else -1,
        row.newest_snapshot,
        row.snapshot_bytes,
        row.volume_count,
        vm.hypervisor,
        vm.zonename,
    )


def _vm_id(row: InstanceRow) -> str:
    return row.vm.id


class InstancesScreen(ActingScreen):
    BINDINGS: ClassVar[list[BindingType]] = bindings_for(INSTANCES)
    ACTION_SCOPE = INSTANCES
    can_go_back = False
    # The summary wraps rather than losing its end (the orphans' size) at 80 columns.
    DEFAULT_CSS = """
    InstancesScreen #summary { height: auto; max-height: 4; }
    """

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[InstanceRow] = []
        self._painted_from: Inventory | None = None
        # The VMs with a disk at device 0, as of the last paint (None while volumes load).
        self._with_disk_0: set[str] | None = None
        self._fills = 0  # table fills started (see _fill_table)
        self._last_paint = 0.0
        self._repaint_every = REPAINT_EVERY_S
        self.first_rows_at: float | None = None  # monotonic; read by the benchmark
        self.full_load_at: float | None = None

    def crumbs(self) -> tuple[str, ...]:
        return (self.session.profile.name, "instances")

    def compose_body(self) -> ComposeResult:
        yield FastTable(COLUMNS, id="instances", empty_message="no instances")
        yield Static(id="summary", classes="subtitle")

    def on_mount(self) -> None:
        self.query_one(FastTable).focus()

    def release(self) -> None:
        self._rows = []  # a closed session's instances (a reconnect replaces this screen)
        self._painted_from = None

    async def load(self) -> None:
        self._last_paint = 0.0
        painted: set[str] = set()  # parts whose complete list has been painted
        dirty = False
        # A reload keeps the rows on screen as they are until the new lists are all in (then
        # one set_rows repaints only what changed): painting it part by part would show "…"
        # in every column again and rewrite the whole table on every auto refresh.
        reload = self.full_load_at is not None

        # Paints run beside the load, a slice at a time (`_paint`): a page that asks for one
        # while one runs gets the next, which reads the inventory as it is by then.
        painting: asyncio.Task[None] | None = None
        again = False

        async def paint_until_current(inventory: Inventory) -> None:
            nonlocal again
            again = True
            while again:
                again = False
                await self._paint(inventory)

        def paint_soon(inventory: Inventory) -> None:
            nonlocal painting, again
            if painting is not None and not painting.done():
                again = True
            else:
                painting = asyncio.ensure_future(paint_until_current(inventory))

        def on_update(inventory: Inventory, part: str) -> None:
            # Volume, policy and snapshot columns show "…" until their whole list is in, so
            # their pages change nothing on screen: paint each of those once, when complete.
            # Instance pages add rows: paint the first at once, then at most every
            # `_repaint_every` s, which grows with the cost of a paint so that streaming pages
            # never leaves the UI busy repainting.
            nonlocal dirty
            if reload:
                dirty = True
                return
            if part in inventory.loaded:
                if part not in painted:
                    painted.add(part)
                    paint_soon(inventory)
                    dirty = False
                return
            now = time.monotonic()
            if part == "vms" and (
                self.first_rows_at is None or now - self._last_paint >= self._repaint_every
            ):
                paint_soon(inventory)
                dirty = False
            else:
                dirty = True

        try:
            # The session's one inventory, loaded afresh (or the load under way, joined).
            inventory = await self.session.load_inventory(on_update)
            if painting is not None:
                await painting
            if dirty or not painted:
                await self._paint(inventory)
        finally:
            if painting is not None and not painting.done():
                painting.cancel()
        if self.full_load_at is None:
            self.full_load_at = time.monotonic()

    async def _paint(self, inventory: Inventory) -> None:
        """Rows for every instance, built a slice at a time: 10,000 rows take ~0.5 s, which
        the UI must never wait for in one piece (a key is answered between slices)."""
        start = time.monotonic()
        volumes_loaded = "volumes" in inventory.loaded
        by_vm, with_disk_0 = await _volume_index(inventory)
        rows = await sliced(inventory.row_maker(by_vm), list(inventory.vms.values()),
                            keep=True)
        replaced = [*self._rows, *_parts(self._painted_from, inventory)]
        self._rows = rows
        self._painted_from = inventory
        self._with_disk_0 = with_disk_0 if volumes_loaded else None
        replaced += await self._fill_table()
        if replaced:  # the rows replaced, and the inventory a reload replaced
            self.run_worker(release(replaced), group="release", exit_on_error=False)
        now = time.monotonic()
        self._last_paint = now
        self._repaint_every = max(REPAINT_EVERY_S, 4 * (now - start))
        if self._rows and self.first_rows_at is None:
            self.first_rows_at = now

    def rerender(self) -> None:
        """After `t`: the rows again from the instance rows already built, in slices."""
        async def rebuild() -> None:
            await release(await self._fill_table())

        self.run_worker(rebuild(), group="rerender", exclusive=True, exit_on_error=False)

    async def _fill_table(self) -> list[object]:
        """The table rows and the summary from `_rows`, a slice at a time, then both shown
        at once. A newer fill (a paint, `t`) started meanwhile wins: this one shows nothing.
        Returns the table rows replaced, for `release`."""
        self._fills += 1
        fill = self._fills
        rows = self._rows
        # The inventory the rows came from: a reload fills a new one before it is shared.
        inventory = self._painted_from or self.session.inventory
        now = self.session.client.server_now()
        exact = self.atlas.exact_times
        restore_flag = self.atlas.restore_flag
        with_disk_0 = self._with_disk_0
        stuck_after = timedelta(minutes=self.atlas.settings.stuck_after_minutes)
        loaded = frozenset(inventory.loaded)  # as of this fill: a row made later reads alike
        counts = _Counts()
        try:
            table = self.query_one("#instances", FastTable)
        except NoMatches:  # the screen is being removed (popped, the app quitting)
            return []
        flags: dict[str, str] = {}  # the few instances with a flag, as of this fill

        def see(r: InstanceRow) -> None:
            flag = vm_flags(r.vm.id, with_disk_0, restore_flag(r.vm.id))
            counts.see(r, flag)
            if flag:
                flags[r.vm.id] = flag

        await sliced(see, rows)

        def make(r: InstanceRow) -> Row:
            return instance_row(r, loaded, now, exact, flags.get(r.vm.id, ""), stuck_after)

        # Made when read (the lines on screen, a filter's texts), not all held: 10,000 rows
        # of cells are ~3 MB, and a reload after a few minutes away (every age changed)
        # held two sets of them at its peak.
        # The index, the widths, the search texts while a filter is set (else built when one
        # is: ensure_search), a slice at a time.
        prepared = await table.prepare(
            LazyRows(rows, make, key=_vm_id, values=instance_values))
        summary = await self._summary(counts, inventory)
        # Setting the rows (sort, filter, a repaint) is a piece of its own: ~5-15 ms at
        # 30,000 rows, after the last slice of the summary.
        async with turns.turn():
            if fill != self._fills:  # a newer fill wins
                return []
            try:
                shown, table = self.query_one("#summary", Static), self.query_one(
                    "#instances", FastTable)
            except NoMatches:  # the screen is being removed (popped, the app quitting)
                return []
            quiet_update(shown, summary)
            return [*table.replace_rows(prepared)]

    async def _summary(self, counts: _Counts, inventory: Inventory) -> Text:
        parts = [f"{counts.rows} instances"]
        if "policies" in inventory.loaded:
            parts.append(f"{counts.unprotected} unprotected")
            parts.append(f"{counts.partial} partly protected")
        if "snapshots" in inventory.loaded:
            orphans = await _orphan_stats(inventory)
            if orphans.count:
                parts.append(
                    f"{orphans.count} orphaned snapshots "
                    f"({fmt.size_sum(orphans.physical_bytes, orphans.unsized)})"
                )
        summary = Text()
        for name, flag in counts.flagged[:3]:  # first, where the eye lands: not to be missed
            summary.append(f"⚠ {name}: {flag} · ", style="bold red")
        summary.append(" · ".join(parts))
        return summary

    def detail_of(self, table: FastTable, key: str) -> tuple[str, dict[str, Any]] | None:
        vm = self.session.inventory.vms.get(key)
        if vm is None:
            return None
        if self._stuck_row(key) is not None:  # the mark's advice first, then the server's data
            return f"instance {vm.name}", {**stuck_detail(vm.name, self.support), **vm.raw}
        return f"instance {vm.name}", dict(vm.raw)  # read back from its page (raw_archive)

    @property
    def support(self) -> str:
        return self.atlas.settings.support_address

    def _stuck_row(self, key: str | None) -> InstanceRow | None:
        """The row under `key` if a snapshot of one of its disks is stuck."""
        if "snapshots" not in self.session.inventory.loaded:
            return None
        row = next((r for r in self._rows if r.vm.id == key), None)
        after = timedelta(minutes=self.atlas.settings.stuck_after_minutes)
        now = self.session.client.server_now()
        return row if row is not None and oldest_stuck(row.oldest_in_progress, now, after) \
            else None

    def action_copy_id(self) -> None:
        """On a stuck row, y copies the diagnostic of its stuck snapshots; else the id."""
        key = self.query_one("#instances", FastTable).cursor_key
        if self._stuck_row(key) is None or key is None:
            super().action_copy_id()
            return
        volume_ids = [v.id for v in self.session.inventory.volumes_of(key)]
        self.run_worker(copy_stuck_diagnostics(self, volume_ids), group="stuck-diagnostic",
                        exclusive=True, exit_on_error=False)

    def action_open(self) -> None:
        table = self.query_one("#instances", FastTable)
        if table.cursor_key:
            self._open(table.cursor_key)

    @on(FastTable.RowSelected, "#instances")
    def _row_selected(self, event: FastTable.RowSelected) -> None:
        self._open(event.key)

    def _open(self, vm_id: str) -> None:
        vm = self.session.inventory.vms.get(vm_id)
        if vm is None:
            return
        from atlas_tui.ui.screens.volumes import VolumesScreen

        self.app.push_screen(VolumesScreen(vm))

    def action_protection(self) -> None:
        from atlas_tui.ui.screens.protection import ProtectionScreen

        self.app.push_screen(ProtectionScreen())

    def affected_by(self, job: TrackedJob) -> bool:
        # A whole-account reload is cheap on small accounts only; big ones wait for `r`
        # or the periodic refresh.
        return job.done and self._last_load_s < 1.5

    def _chosen_vms(self) -> list[str]:
        table = self.query_one("#instances", FastTable)
        return sorted(table.marked_keys) or ([table.cursor_key] if table.cursor_key else [])

    def unavailable(self, action: str) -> str | None:
        if action in ("snapshot", "vm_snapshot", "drill"):
            if not self._chosen_vms():
                return "no instance selected"
            if action in ("snapshot", "drill") \
                    and "volumes" not in self.session.inventory.loaded:
                return "volumes are still loading"
        return None

    @work(group="action", exit_on_error=False)
    async def action_snapshot(self) -> None:
        """All volumes of the selected (or marked) instances."""
        if self.refuse_if_unavailable("snapshot"):
            return
        inventory = self.session.inventory
        volumes = [v for vm_id in self._chosen_vms() for v in inventory.volumes_of(vm_id)]
        if not volumes:
            self.notify("no volumes attached", severity="warning")
            return
        await self.snapshot_flow(volumes, inventory.vms)

    @work(group="action", exit_on_error=False)
    async def action_drill(self) -> None:
        """T: drill the newest BackedUp snapshot of each disk of the selected (or marked)
        instances, with a live view of the drills."""
        from atlas_tui.cloud.api.errors import CloudError
        from atlas_tui.cloud.restore import newest_backed_up

        if self.refuse_if_unavailable("drill"):
            return
        inventory = self.session.inventory
        volumes = [v for vm_id in self._chosen_vms() for v in inventory.volumes_of(vm_id)]
        try:
            snaps, without = await newest_backed_up(self.session.client,
                                                    [v.id for v in volumes])
        except CloudError as err:
            self.notify(f"could not read the snapshots: {err.text}", severity="error",
                        markup=False)
            return
        if without:
            names = ", ".join(inventory.volumes[v].name for v in without
                              if v in inventory.volumes)
            self.notify(f"no BackedUp snapshot to drill of {names}", severity="warning",
                        markup=False)
        if snaps:
            self.atlas.start_drills(snaps, show=True)

    @work(group="action", exit_on_error=False)
    async def action_vm_snapshot(self) -> None:
        if self.refuse_if_unavailable("vm_snapshot"):
            return
        vm = self.session.inventory.vms.get(self.query_one("#instances", FastTable).cursor_key
                                            or "")
        if vm is not None:
            await self.vm_snapshot_flow(vm)
