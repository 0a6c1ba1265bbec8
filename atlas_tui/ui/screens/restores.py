"""`:restore`: where restores live. The one running, every earlier restore of this profile
(from the journals, so also after a restart), and `n` to start a guided restore: pick a VM,
then one of its snapshots (newest BackedUp first)."""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalGroup
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from atlas_tui.cloud.api.errors import CloudError
from atlas_tui.cloud.api.models import Snapshot
from atlas_tui.cloud.restore import Journal, RestoreRecord, RestoreTask, history
from atlas_tui.ui import format as fmt
from atlas_tui.ui.actions import RESTORES, bindings_for
from atlas_tui.ui.screens.acting import ActingScreen
from atlas_tui.ui.screens.dialogs import DIALOG_CSS
from atlas_tui.ui.widgets.table import FastTable
from atlas_tui.ui.widgets.table_model import Column, Row

COLUMNS = [
    Column("when", "WHEN", min_width=16, max_width=16, priority=100),
    Column("vm", "VM", min_width=8, max_width=32, priority=95, cut="middle"),
    Column("mode", "MODE", min_width=6, max_width=10, priority=80),
    Column("outcome", "OUTCOME", min_width=10, max_width=24, priority=90),
    Column("kept", "KEPT", min_width=8, max_width=60, priority=60),
]
OUTCOME_STYLE = {"succeeded": "green", "rolled-back": "yellow", "rollback-failed": "bold red",
                 "running": "bold red", "rolling-back": "bold red"}


def _when(iso: str) -> str:
    return iso[:16].replace("T", " ")


def record_row(record: RestoreRecord) -> Row:
    kept = "; ".join(record.kept) or "—"
    return Row(
        key=record.id,
        cells=(_when(record.when), record.vm, record.mode,
               Text(record.outcome, style=OUTCOME_STYLE.get(record.status, "")), kept),
        values=(record.when, record.vm.lower(), record.mode, record.status, kept),
    )


def task_row(task: RestoreTask) -> Row:
    done = task.events[-1].done if task.events else 0
    state = f"running {done}/{len(task.plan.steps)}"
    return Row(
        key=task.plan.id,
        cells=(_when(task.plan.created), task.where, task.plan.mode.value,
               Text(state, style="bold yellow"), "—"),
        values=("~", task.where.lower(), task.plan.mode.value, "running", ""),
    )


class PickDialog(ModalScreen[str | None]):
    """Choose one of a list (a VM, a snapshot); disabled entries say why."""

    DEFAULT_CSS = DIALOG_CSS.format(name="PickDialog") + """
    PickDialog OptionList { height: auto; max-height: 16; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="pick-cancel"),
    ]

    def __init__(self, title: str, options: list[tuple[str, str, str]]) -> None:
        """`options`: (label, id, reason it cannot be chosen or "")."""
        super().__init__()
        self.title_text = title
        self.options = options

    def compose(self) -> ComposeResult:
        with VerticalGroup() as box:
            box.border_title = Text(self.title_text)
            box.border_subtitle = "↑↓ choose · enter picks · esc cancels"
            items = []
            for label, ident, reason in self.options:
                prompt = Text(label)
                if reason:
                    prompt.append(f"  ({reason})", style="dim")
                items.append(Option(prompt, id=ident, disabled=bool(reason)))
            yield OptionList(*items, id="pick")

    def on_mount(self) -> None:
        picks = self.query_one("#pick", OptionList)
        picks.focus()
        first = next((i for i, o in enumerate(picks.options) if not o.disabled), None)
        if first is not None:
            picks.highlighted = first

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


def snapshot_choices(snapshots: list[Snapshot]) -> list[Snapshot]:
    """Newest BackedUp first, then the others (shown, not choosable)."""
    def key(s: Snapshot) -> tuple[bool, float]:
        return (not s.backed_up, -(s.created.timestamp() if s.created else 0.0))

    return sorted(snapshots, key=key)


class RestoresScreen(ActingScreen):
    BINDINGS: ClassVar[list[BindingType]] = bindings_for(RESTORES)
    ACTION_SCOPE = RESTORES
    DEFAULT_CSS = """
    RestoresScreen #restore-note { height: auto; max-height: 8; padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.records: list[RestoreRecord] = []

    def crumbs(self) -> tuple[str, ...]:
        return (self.session.profile.name, "restores")

    def compose_body(self) -> ComposeResult:
        yield FastTable(COLUMNS, id="restores",
                        empty_message="no restores yet: n starts a guided restore")
        yield Static(id="restore-note")

    def on_mount(self) -> None:
        self.set_interval(1.0, self.rerender)  # a running restore's step count moves
        self.query_one(FastTable).focus()

    async def load(self) -> None:
        profile = self.session.profile
        self.records = await asyncio.to_thread(history, (profile.url, profile.display_url))
        self.rerender()

    def _running_restores(self) -> list[RestoreTask]:
        return [t for t in self.atlas.restores if not t.finished]

    def rerender(self) -> None:
        if not self.is_mounted:
            return
        running = self._running_restores()
        ids = {t.plan.id for t in running}
        rows = [task_row(t) for t in running]
        rows += [record_row(r) for r in self.records if r.id not in ids]
        self.query_one(FastTable).set_rows(rows)
        self._note()

    def _selected(self) -> tuple[RestoreTask | None, RestoreRecord | None]:
        key = self.query_one(FastTable).cursor_key
        task = next((t for t in reversed(self.atlas.restores) if t.plan.id == key), None)
        record = next((r for r in self.records if r.id == key), None)
        return task, record

    def _note(self) -> None:
        task, record = self._selected()
        note = Text()
        if task is not None and not task.finished:
            note.append(f"Restore of {task.where} running: enter shows its progress.\n",
                        style="bold")
        elif record is not None:
            note.append(f"{record.mode} of {record.vm} from {record.snapshot}: "
                        f"{record.outcome}.\n", style="bold")
            if record.error:
                note.append(f"The server said: {record.error}\n", style="red")
            if record.vm_line:
                note.append(f"At the end: {record.vm_line}\n")
            for step in record.next_steps:
                note.append(f"→ {step}\n")
            if record.unfinished:
                note.append("Unfinished: enter offers to resume it or roll it back.\n",
                            style="bold red")
        self.query_one("#restore-note", Static).update(note)

    @on(FastTable.CursorMoved)
    def _moved(self) -> None:
        self._note()

    def detail_of(self, table: FastTable, key: str) -> tuple[str, dict[str, Any]] | None:
        _task, record = self._selected()
        if record is None or record.path is None:
            return None
        return f"restore {record.id}", {"journal": str(record.path), "kept": record.kept}

    def action_open(self) -> None:
        from atlas_tui.ui.screens.restore import RestoreProgressScreen

        task, record = self._selected()
        if task is not None and (not task.finished or record is None):
            self.app.push_screen(RestoreProgressScreen(task))
        elif record is not None and record.unfinished and record.path is not None:
            self.atlas.offer_unfinished(Journal.load(record.path))
        elif record is not None:
            self.notify(f"{record.outcome}; details below", timeout=3)

    @work(group="action", exit_on_error=False)
    async def action_new_restore(self) -> None:
        """Guided: a VM, then one of its snapshots, then the usual restore dialog."""
        if self.refuse_if_unavailable("new_restore"):
            return
        vms = sorted(self.session.inventory.vms.values(), key=lambda v: v.name.lower())
        if not vms:
            self.notify("no instances loaded yet", severity="warning")
            return
        vm_id = await self.app.push_screen_wait(PickDialog(
            "Restore which instance?", [(f"{v.name}  {v.state}", v.id, "") for v in vms]))
        if vm_id is None:
            return
        client = self.session.client
        try:
            volumes = await client.volumes_of(vm_id)
            found = await asyncio.gather(*(client.snapshots_of(v.id) for v in volumes))
        except CloudError as e:
            self.atlas.report(e)
            return
        snaps = snapshot_choices([s for group in found for s in group])
        if not snaps:
            self.notify("this instance's volumes have no snapshots", severity="warning")
            return
        now = client.server_now()
        options = [(f"{s.volumename or '?'} · {fmt.age(s.created, now)} · "
                    f"{s.created.strftime('%Y-%m-%d %H:%M') if s.created else '?'} · {s.state}",
                    s.id, "" if s.backed_up else "not BackedUp yet") for s in snaps]
        snap_id = await self.app.push_screen_wait(PickDialog("Restore from which snapshot?",
                                                             options))
        snap = next((s for s in snaps if s.id == snap_id), None)
        if snap is not None:
            await self.restore_flow(snap)
