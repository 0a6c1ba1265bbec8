"""The recurring snapshot policies of one volume, in words, with the raw schedule."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult

from atlas_tui.cloud.models import INTERVAL_NAMES, SnapshotPolicy, VirtualMachine, Volume
from atlas_tui.ui.policy_text import policy_warning, policy_words
from atlas_tui.ui.screens.base import BrowseScreen
from atlas_tui.ui.widgets.table import FastTable
from atlas_tui.ui.widgets.table_model import Column, Row

COLUMNS = [
    Column("interval", "INTERVAL", min_width=8, max_width=8, priority=100),
    Column("words", "RUNS", min_width=16, max_width=44, priority=95),
    Column("schedule", "RAW", min_width=7, max_width=10, priority=80),
    Column("warning", "CHECK", min_width=6, max_width=50, priority=90),
]


class PoliciesScreen(BrowseScreen):
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
                cells=(p.interval.lower(), policy_words(p), p.schedule,
                       Text(warning or "ok", style="bold yellow" if warning else "green")),
                values=(order, policy_words(p), p.schedule, warning),
            ))
        self.query_one(FastTable).set_rows(rows)

    def detail_of(self, table: FastTable, key: str) -> tuple[str, dict[str, Any]] | None:
        policy = next((p for p in self.policies if p.id == key), None)
        return (f"{policy.interval.lower()} policy", policy.raw) if policy else None
