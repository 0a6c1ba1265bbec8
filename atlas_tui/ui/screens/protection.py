"""The whole account's protection: every volume with its policies, its newest snapshot and
the storage its snapshots use; volumes without a policy, policies that stopped producing
snapshots, and snapshots left by deleted volumes come first, in colour and in words."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import Static

from atlas_tui.cloud.inventory import Inventory
from atlas_tui.cloud.protection import (
    PERIODS,
    Status,
    VolumeProtection,
    assess_sliced,
    by_instance,
    monthly_cost,
    summarize,
)
from atlas_tui.cloud.restore import load_results, verified_words
from atlas_tui.cloud.stuck import oldest_stuck
from atlas_tui.ui import format as fmt
from atlas_tui.ui.actions import PROTECTION, bindings_for
from atlas_tui.ui.policy_text import next_run_short, schedule_summary
from atlas_tui.ui.screens.base import BrowseScreen
from atlas_tui.ui.screens.stuck_rows import copy_stuck_diagnostics, stuck_detail, stuck_note
from atlas_tui.ui.widgets.quiet import quiet_update
from atlas_tui.ui.widgets.table import FastTable
from atlas_tui.ui.widgets.table_model import (
    Column,
    LazyRows,
    Prepared,
    Row,
    shared,
    shared_text,
)

STATUS_STYLES = {
    Status.STALE: "bold red",
    Status.UNPROTECTED: "bold red",
    Status.NO_RUNS: "yellow",
    Status.ORPHANED: "magenta",
    Status.OK: "green",
}
# Every problem reads as a word with a marker, so nothing depends on colour alone.
STATUS_WORDS = {
    Status.STALE: "✗ stale",
    Status.UNPROTECTED: "✗ unprotected",
    Status.NO_RUNS: "… no runs yet",
    Status.ORPHANED: "⚠ orphaned",
    Status.OK: "ok",
}
EVERY = {"HOURLY": "hour", "DAILY": "day", "WEEKLY": "week", "MONTHLY": "month"}

BASE_COLUMNS = [
    Column("status", "STATUS", min_width=13, max_width=14, priority=100),
    # Names compared lower case (sort_key): the rows' values hold the names themselves.
    Column("volume", "VOLUME", min_width=10, max_width=32, priority=95, cut="middle",
           sort_key=str.lower),
    Column("vm", "INSTANCE", min_width=10, max_width=32, priority=80, cut="middle",
           sort_key=str.lower),
    Column("policies", "POLICIES", min_width=12, max_width=30, priority=70),
    Column("newest", "NEWEST", max_width=32, priority=75, whole=True),
    Column("storage", "STORAGE", min_width=9, max_width=10, priority=85, align="right"),
    # The last restore drill of the volume's snapshots (T): never or failed is flagged.
    Column("verified", "VERIFIED", min_width=10, max_width=12, priority=60),
]


def verified_cell(entry: dict[str, Any] | None, orphaned: bool) -> Text:
    # Shared (table_model.shared_text): 30,000 rows read "never", a date, "—".
    if orphaned:
        return shared_text("—", "dim")
    words, flagged = verified_words(entry)
    return shared_text(("⚠ " if flagged else "") + words, "yellow" if flagged else "green")


def cost_column(currency: str) -> Column:
    # No min_width: at 80 columns it is dropped whole (the note and summary keep the cost).
    return Column("cost", f"{currency}/MONTH", max_width=12, priority=50, align="right")


def _key(r: VolumeProtection) -> str:
    return r.key


def money(amount: float, currency: str = "") -> str:
    return f"{amount:,.2f} {currency}".rstrip()


class ProtectionScreen(BrowseScreen):
    BINDINGS: ClassVar[list[BindingType]] = bindings_for(PROTECTION)
    ACTION_SCOPE = PROTECTION
    DEFAULT_CSS = """
    ProtectionScreen #protection { height: 1fr; }
    ProtectionScreen #protection-note { height: auto; max-height: 9; padding: 0 1; }
    ProtectionScreen #protection-summary { height: auto; padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[VolumeProtection] = []
        self.inventory: Inventory | None = None  # the one the rows were assessed from
        self._left = False  # another screen was pushed over this one
        self._changes_seen = (0, 0)  # `_changes()` when the last load started

    @property
    def rate(self) -> float | None:
        return self.atlas.settings.cost_per_gib_month

    @property
    def currency(self) -> str:
        return self.atlas.settings.currency

    def crumbs(self) -> tuple[str, ...]:
        return (self.session.profile.name, "protection")

    def compose_body(self) -> ComposeResult:
        columns = BASE_COLUMNS
        if self.rate is not None:
            columns = [*BASE_COLUMNS, cost_column(self.currency)]
        yield Static(id="protection-summary")
        yield FastTable(columns, id="protection", empty_message="no volumes")
        yield Static(id="protection-note")

    def on_mount(self) -> None:
        # No super().on_mount(): Textual dispatches BrowseScreen.on_mount by itself.
        self.query_one(FastTable).focus()

    def on_screen_suspend(self) -> None:
        self._left = True

    def release(self) -> None:
        self.rows = []
        self.inventory = None  # after a reload, an inventory no other screen reads

    def on_screen_resume(self) -> None:
        # Back from a volume's policies: what was changed there shows here at once. Back
        # from a screen that changed nothing (the jobs list, a look at a volume), no reload:
        # a walk of every snapshot each time would cost as much as the first load (the
        # timer still reloads once the list is `refresh_seconds` old). Resume also comes on
        # the first show, which the first load already covers.
        if self.updated is not None and self._left:
            self._left = False
            if self._changes() != self._changes_seen:
                self.refresh_data()

    def _changes(self) -> tuple[int, int]:
        """What may have changed the account through this app: calls that change it, and
        the tracked jobs seen to end (a snapshot started before, done while away)."""
        tracker = self.atlas.tracker
        done = sum(1 for job in tracker.jobs if job.done) if tracker is not None else 0
        return self.session.client.writes, done

    async def load(self) -> None:
        # The session's one inventory, as the home screen loaded it (or joining its load under
        # way): no second walk of the snapshots. A refresh (r, the timer, back from a policy
        # change) loads it afresh, for every screen.
        self._changes_seen = self._changes()
        inventory = self.session.inventory
        if self.updated is not None or not inventory.complete:
            inventory = await self.session.load_inventory()
        # A slice at a time: 30,000 volumes are ~0.2 s of work; then the rows' index, widths
        # and search texts (while a filter is set).
        rows = await assess_sliced(inventory.volumes, inventory.vms,
                                   inventory.policies_by_volume, inventory.stats_by_volume,
                                   self.session.client.server_now())
        prepared = await self.query_one(FastTable).prepare(self._lazy_rows(rows, inventory))
        self.inventory, self.rows = inventory, rows
        self._show(prepared)

    def rerender(self) -> None:
        self._show(self._lazy_rows(self.rows, self.inventory))

    def _lazy_rows(self, rows: list[VolumeProtection],
                   inventory: Inventory | None) -> LazyRows[VolumeProtection]:
        # Made when read (the lines on screen, a filter's texts a slice at a time), not all
        # held: 30,000 rows of cells were ~7 MB, twice that while a refresh made the next.
        make, values = self._row_maker(inventory)
        return LazyRows(rows, make, key=_key, values=values)

    def _show(self, rows: LazyRows[VolumeProtection] | Prepared) -> None:
        self.query_one(FastTable).set_rows(rows)
        self._summary()
        self._note()

    def _row_maker(self, inventory: Inventory | None) -> tuple[
            Callable[[VolumeProtection], Row], Callable[[VolumeProtection], tuple[Any, ...]]]:
        """The row of a volume and its sort values, as they read now: the time, the drills
        and the settings are read once here, so a row made again later reads the same."""
        now = self.session.client.server_now()
        exact = self.atlas.exact_times
        rate = self.rate
        stuck_after = timedelta(minutes=self.atlas.settings.stuck_after_minutes)
        stats = inventory.stats_by_volume if inventory is not None else {}
        drills = load_results()

        def values(r: VolumeProtection) -> tuple[Any, ...]:
            # STATUS sorts by the verdict's rank, a small int shared by every row: the rows
            # come in `assess` order and the sort is stable, so within a verdict they keep it.
            sort = (r.status.rank, r.volume_name, r.vm_name, len(r.policies), r.newest,
                    r.bytes, (drills.get(r.key) or {}).get("verified_at", ""))
            return sort if rate is None else (*sort, r.bytes)

        def make(r: VolumeProtection) -> Row:
            # Shared texts and cells: 30,000 rows (90,000 at the largest seed) read few.
            newest: str | Text = shared(fmt.age(r.newest, now, exact=exact))
            folded = stats.get(r.key)
            if folded is not None and oldest_stuck(folded.oldest_in_progress, now, stuck_after):
                newest = Text.assemble(("⚠ stuck ", "bold red"), newest)  # whoever started it
            orphaned = r.status is Status.ORPHANED
            cells: list[Any] = [
                shared_text(STATUS_WORDS[r.status], STATUS_STYLES[r.status]),
                r.volume_name,
                r.vm_name or ("(deleted)" if orphaned else "—"),
                "—" if orphaned else shared(schedule_summary(h.policy for h in r.policies)),
                newest,
                shared(fmt.size_sum(r.bytes, r.unsized)),
                verified_cell(drills.get(r.key), orphaned),
            ]
            if rate is not None:
                cost = money(monthly_cost(r.bytes, rate))
                cells.append(("≥ " + cost) if r.unsized and r.bytes else
                             "—" if r.unsized else cost)
            return Row(key=r.key, cells=tuple(cells), values=values(r))

        return make, values

    def _summary(self) -> None:
        s = summarize(self.rows, self.rate)
        text = Text()
        text.append(f"{s.volumes} volumes · ")
        text.append(f"{s.unprotected} unprotected", style="bold red" if s.unprotected else "")
        text.append(" · ")
        text.append(f"{s.stale} stale", style="bold red" if s.stale else "")
        if s.no_runs:
            text.append(" · ")
            text.append(f"{s.no_runs} no runs yet", style="yellow")
        text.append(" · ")
        orphans = (f"{s.orphan_snapshots} orphaned snapshots "
                   f"({fmt.size_sum(s.orphan_bytes, s.orphan_unsized)})"
                   if s.orphan_snapshots else "no orphans")
        text.append(orphans, style="magenta" if s.orphan_snapshots else "")
        text.append(f" · snapshots use {fmt.size_sum(s.total_bytes, s.unsized)}")
        text.append(fmt.unsized_note(s.unsized), style="dim")
        if s.monthly_cost is not None and self.rate is not None:
            at_least = "≥ " if s.unsized else ""
            text.append(f" ≈ {at_least}{money(s.monthly_cost, self.currency)}/month",
                        style="bold")
            text.append(f" at {self.rate:g} {self.currency}/GiB", style="dim")
        quiet_update(self.query_one("#protection-summary", Static), text)

    @on(FastTable.CursorMoved)
    def _moved(self) -> None:
        self._note()

    def selected(self) -> VolumeProtection | None:
        key = self.query_one(FastTable).cursor_key
        return next((r for r in self.rows if r.key == key), None)

    def _note(self) -> None:
        row = self.selected()
        note = Text()
        if row is not None:
            note.append_text(self._reason(row, self.session.client.server_now()))
            if self._stuck(row.key):
                note.append("\n")
                note.append_text(stuck_note(row.volume_name, self.atlas.settings.support_address))
                note.rstrip()
            # Storage of this volume and of its whole instance, and their cost per month.
            note.append(f"\n{row.volume_name} {self._storage(row.bytes, row.unsized)}",
                        style="dim")
            storage = by_instance(self.rows).get(row.vm_id) if row.vm_id else None
            if storage is not None:
                plural = "s" if storage.volumes != 1 else ""
                note.append(f" · {storage.vm_name} ({storage.volumes} volume{plural}) "
                            f"{self._storage(storage.bytes, storage.unsized)}", style="dim")
        quiet_update(self.query_one("#protection-note", Static), note)

    def _storage(self, size: int, unsized: int = 0) -> str:
        text = f"snapshots {fmt.size_sum(size, unsized)}"
        if self.rate is not None and not (unsized and not size):
            at_least = "≥ " if unsized else ""
            text += f" ≈ {at_least}{money(monthly_cost(size, self.rate), self.currency)}/month"
        return text + fmt.unsized_note(unsized)

    def _reason(self, row: VolumeProtection, now: datetime) -> Text:
        exact = self.atlas.exact_times
        style = STATUS_STYLES[row.status]
        if row.status is Status.ORPHANED:
            return Text(f"volume deleted: the {row.snapshots} snapshots of {row.volume_name} "
                        f"({fmt.size_sum(row.bytes, row.unsized)}) remain and still use "
                        "storage.", style=style)
        if row.status is Status.UNPROTECTED:
            return Text("No recurring snapshots: enter opens its policies, where a adds one.",
                        style=style)
        parts = Text()
        for h in row.policies:
            word = h.policy.interval.lower()
            if h.stale:
                parts.append(f"{word}: newest {word} snapshot {fmt.age(h.newest, now, exact=exact)}"
                             f", expected every {EVERY.get(h.policy.interval, '?')}. ",
                             style=style)
            elif h.never_ran:
                parts.append(f"{word}: no {word} snapshot yet (next run "
                             f"{next_run_short(h.policy, now)} {h.policy.timezone}). ",
                             style="yellow")
            elif h.policy.interval in PERIODS:
                parts.append(f"{word}: newest {fmt.age(h.newest, now, exact=exact)}. ",
                             style="dim")
        if row.status in (Status.STALE, Status.NO_RUNS) and row.inactive:
            why = "detached" if not row.vm_id else f"its VM is {row.vm_state or 'not running'}"
            parts.append(f"The volume is {why}: the server skips runs of inactive volumes.",
                         style="yellow")
        return parts

    def detail_of(self, table: FastTable, key: str) -> tuple[str, dict[str, Any]] | None:
        inventory = self.inventory
        volume = inventory.volumes.get(key) if inventory else None
        if volume is None:
            return None
        if self._stuck(key):  # the mark's advice first, then the server's data
            support = self.atlas.settings.support_address
            return f"volume {volume.name}", {**stuck_detail(volume.name, support), **volume.raw}
        return f"volume {volume.name}", dict(volume.raw)  # read back from its page (raw_archive)

    def _stuck(self, key: str | None) -> bool:
        """Is a snapshot of the volume under `key` stuck (the mark in NEWEST)?"""
        folded = self.inventory.stats_by_volume.get(key) if self.inventory and key else None
        after = timedelta(minutes=self.atlas.settings.stuck_after_minutes)
        return folded is not None and oldest_stuck(
            folded.oldest_in_progress, self.session.client.server_now(), after)

    def action_copy_id(self) -> None:
        """On a stuck volume, y copies the diagnostic of its stuck snapshots; else the id."""
        row = self.selected()
        if row is None or not self._stuck(row.key):
            super().action_copy_id()
            return
        self.run_worker(copy_stuck_diagnostics(self, [row.key]), group="stuck-diagnostic",
                        exclusive=True, exit_on_error=False)

    # -- actions -------------------------------------------------------------------------

    def unavailable(self, action: str) -> str | None:
        reason = super().unavailable(action)
        if reason:
            return reason
        if action == "open_policies":
            row = self.selected()
            if row is None:
                return "no volume selected"
            if row.status is Status.ORPHANED:
                return "the volume was deleted: it has no policies"
        return None

    @on(FastTable.RowSelected, "#protection")
    def _row_selected(self, event: FastTable.RowSelected) -> None:
        self.action_open_policies()

    def action_open_policies(self) -> None:
        if self.refuse_if_unavailable("open_policies") or self.inventory is None:
            return
        row = self.selected()
        volume = self.inventory.volumes.get(row.key) if row else None
        if volume is None:
            return
        from atlas_tui.ui.screens.policies import PoliciesScreen

        self.app.push_screen(PoliciesScreen(self.inventory.vms.get(volume.virtualmachineid),
                                            volume))
