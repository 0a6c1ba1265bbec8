"""The restore drills of this session, live: each snapshot's drill and where it is; `x`
stops the rest (a drill volume already created is still deleted)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import Static

from atlas_tui.ui.actions import DRILLS, bindings_for
from atlas_tui.ui.screens.base import BrowseScreen
from atlas_tui.ui.widgets.table import FastTable
from atlas_tui.ui.widgets.table_model import Column, Row

if TYPE_CHECKING:
    from atlas_tui.cloud.restore import DrillProgress

COLUMNS = [
    Column("volume", "VOLUME", min_width=10, max_width=24, cut="middle"),
    Column("snapshot", "SNAPSHOT", min_width=12, max_width=26, cut="middle"),
    Column("state", "STATE", min_width=8, max_width=14),
    Column("result", "RESULT", min_width=10, max_width=80),
]
STATE_STYLE = {"verified": "green", "failed": "bold red", "restoring": "yellow"}


def drill_rows(progress: DrillProgress) -> list[Row]:
    rows = []
    for snap in progress.snaps:
        state = progress.states.get(snap.id, "")
        result = progress.results.get(snap.id)
        rows.append(Row(key=snap.id, cells=(
            snap.volumename, snap.name,
            Text(state.split(" ")[0], style=STATE_STYLE.get(state, "dim")),
            result.text if result is not None else state if " " in state else "")))
    return rows


class DrillsScreen(BrowseScreen):
    BINDINGS: ClassVar[list[BindingType]] = bindings_for(DRILLS)
    ACTION_SCOPE = DRILLS
    DEFAULT_CSS = """
    DrillsScreen #drill-note { height: auto; padding: 0 1; }
    """

    def __init__(self, progress: DrillProgress) -> None:
        super().__init__()
        self.progress = progress
        self._was_finished = False

    def crumbs(self) -> tuple[str, ...]:
        return (self.session.profile.name, "restore drill")

    def compose_body(self) -> ComposeResult:
        yield FastTable(COLUMNS, id="drills", empty_message="nothing to drill")
        yield Static(id="drill-note")

    def on_mount(self) -> None:
        self.set_interval(0.5, self.rerender)  # the drills move on their own
        self.query_one(FastTable).focus()

    async def load(self) -> None:
        self.rerender()

    def rerender(self) -> None:
        if not self.is_mounted:
            return
        self.query_one(FastTable).set_rows(drill_rows(self.progress))
        p = self.progress
        done = len(p.results)
        ok = sum(r.ok for r in p.results.values())
        words = (f"{done} of {len(p.snaps)} drilled: {ok} verified, {done - ok} failed")
        if p.finished != self._was_finished:  # x goes from the footer
            self._was_finished = p.finished
            self.refresh_bindings()
        if p.stopped:
            words += " · stopped"
        elif not p.finished:
            words += " · x stops the rest"
        self.query_one("#drill-note", Static).update(Text(words))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop":
            return not self.progress.finished
        return super().check_action(action, parameters)

    def action_stop(self) -> None:
        self.atlas.stop_drills()
        self.rerender()

    def detail_of(self, table: FastTable, key: str) -> tuple[str, dict[str, Any]] | None:
        result = self.progress.results.get(key)
        return (f"drill of {result.snapshot_name}", vars(result)) if result else None
