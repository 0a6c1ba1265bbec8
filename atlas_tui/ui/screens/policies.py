"""The recurring snapshot policies of one volume: in words, the raw schedule, the next
runs, and a warning where the stored string does not mean what it seems to."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import Static

from atlas_tui.cloud.models import INTERVAL_NAMES, SnapshotPolicy, VirtualMachine, Volume
from atlas_tui.ui.policy_text import next_runs_text, policy_warning, policy_words
from atlas_tui.ui.screens.base import BrowseScreen
from atlas_tui.ui.widgets.table import FastTable
from atlas_tui.ui.widgets.table_model import Column, Row

COLUMNS = [
    Column("words", "RUNS", min_width=20, max_width=44, priority=100),
    Column("schedule", "RAW", min_width=7, max_width=10, priority=80),
    Column("check", "CHECK", min_width=5, max_width=30, priority=90),
]


class PoliciesScreen(BrowseScreen):
    DEFAULT_CSS = """
    PoliciesScreen #policy-note { height: auto; max-height: 6; padding: 0 1; }
    """

    def __init__(self, vm: VirtualMachine | None, volume: Volume) -> None:
        super().__init__()
        self.vm = vm
        self.volume = volume
        self.policies: list[SnapshotPolicy] = []

    def crumbs(self) -> tuple[str, ...]:
        owner = self.vm.name if self.vm else (self.volume.vmname or "detached")
        return (self.session.profile.name, owner, self.volume.name, "policies")

    def compose_body(self) -> ComposeResult:
        yield FastTable(COLUMNS, id="policies",
                        empty_message="no recurring snapshots: this volume is not protected")
        yield Static(id="policy-note")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(FastTable).focus()

    async def load(self) -> None:
        self.policies = await self.session.client.snapshot_policies(self.volume.id)
        self.rerender()

    def rerender(self) -> None:
        rows = []
        for p in self.policies:
            order = INTERVAL_NAMES.index(p.interval) if p.interval in INTERVAL_NAMES else 9
            warning = policy_warning(p)
            rows.append(Row(
                key=p.id,
                cells=(policy_words(p), p.schedule,
                       Text("check ⚠" if warning else "ok",
                            style="bold yellow" if warning else "green")),
                values=(order, p.schedule, bool(warning)),
            ))
        self.query_one(FastTable).set_rows(rows)
        self._note()

    @on(FastTable.CursorMoved)
    def _moved(self) -> None:
        self._note()

    def _note(self) -> None:
        note = Text()
        key = self.query_one(FastTable).cursor_key
        policy = next((p for p in self.policies if p.id == key), None)
        if policy is not None:
            warning = policy_warning(policy)
            if warning:
                note.append(f"⚠ {warning}\n", style="bold yellow")
            note.append(next_runs_text(policy, self.session.client.server_now()), style="dim")
        self.query_one("#policy-note", Static).update(note)

    def detail_of(self, table: FastTable, key: str) -> tuple[str, dict[str, Any]] | None:
        policy = next((p for p in self.policies if p.id == key), None)
        return (f"{policy.interval.lower()} policy", policy.raw) if policy else None
