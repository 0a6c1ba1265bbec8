"""Modal dialogs for actions: each says what will happen, takes the few choices there are,
and returns them; the screen that opened it runs the action. They fit 80x24 and carry
their own key hints (a modal hides the footer's keys)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import HorizontalGroup, VerticalGroup
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from atlas_tui.ui.widgets.tick import Tick

DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > VerticalGroup {{
    width: 76; max-width: 100%; height: auto; max-height: 100%;
    border: round $primary; background: $surface; padding: 0 1;
}}
{name} .note {{ color: $text-muted; }}
{name} .warn {{ color: $text-warning; }}
{name} .error {{ color: $text-error; }}
{name} Input {{ margin: 0 0 1 0; background: $boost; }}
{name} Checkbox {{ margin: 0; }}
{name} HorizontalGroup {{ height: auto; align-horizontal: right; margin-top: 1; }}
{name} Button {{ margin-left: 1; min-width: 10; }}
"""


@dataclass(frozen=True)
class SnapshotChoice:
    names: tuple[str, ...]
    quiesce: bool
    stop_first: bool


class SnapshotDialog(ModalScreen[SnapshotChoice | None]):
    """Take volume snapshots: names prefilled, quiesce, and for a running VM the guide's
    advice with the choice of stopping it around the snapshot."""

    DEFAULT_CSS = DIALOG_CSS.format(name="SnapshotDialog")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="dialog-cancel"),
    ]

    def __init__(self, title: str, volumes: list[str], names: list[str],
                 running_vms: list[str], can_quiesce: bool = False) -> None:
        super().__init__()
        self.title_text = title
        self.volumes = volumes
        self.names = names
        self.running_vms = running_vms
        self.can_quiesce = can_quiesce  # the volumes' storage says it can (`quiescevm`)

    def compose(self) -> ComposeResult:
        with VerticalGroup() as box:
            box.border_title = Text(self.title_text)
            box.border_subtitle = "enter takes · esc cancels"
            if len(self.names) == 1:
                yield Label("Name")
                yield Input(self.names[0], id="name", compact=True)
            else:
                listed = ", ".join(self.volumes[:6]) + (" …" if len(self.volumes) > 6 else "")
                yield Static(Text(f"{len(self.names)} volumes: {listed}\nNamed like "
                                  f"{self.names[0]}"), classes="note")
            if self.can_quiesce:
                yield Tick("Quiesce the VM while the snapshot is taken", id="quiesce",
                           compact=True)
            if self.running_vms:
                vms = ", ".join(self.running_vms)
                yield Static(Text(
                    f"{vms} {'is' if len(self.running_vms) == 1 else 'are'} running. As the "
                    "Atlas guide says: stop write activity first (flush databases, freeze "
                    "file systems), or the snapshot holds what a power cut would leave."),
                    classes="warn")
                yield Tick("Stop the VM, snapshot, start it again (down meanwhile)",
                               id="stop-first", compact=True)
            with HorizontalGroup():
                yield Button("Cancel", id="cancel", compact=True)
                yield Button("Snapshot", id="ok", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#ok", Button).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        names = list(self.names)
        if len(names) == 1:
            names[0] = self.query_one("#name", Input).value.strip() or names[0]
        stop = self.query("#stop-first")
        self.dismiss(SnapshotChoice(
            tuple(names),
            bool(self.query("#quiesce")) and self.query_one("#quiesce", Tick).value,
            bool(stop) and stop.first(Tick).value,
        ))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class VMSnapshotChoice:
    name: str
    description: str
    memory: bool
    quiesce: bool


class VMSnapshotDialog(ModalScreen[VMSnapshotChoice | None]):
    DEFAULT_CSS = DIALOG_CSS.format(name="VMSnapshotDialog")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="dialog-cancel"),
    ]

    def __init__(self, vm_name: str, default_name: str, memory_note: str | None,
                 memory_default: bool = False, can_quiesce: bool = False) -> None:
        super().__init__()
        self.vm_name = vm_name
        self.can_quiesce = can_quiesce  # see rules.vm_snapshot_can_quiesce
        self.default_name = default_name
        self.memory_note = memory_note  # why memory is not possible, or None
        self.memory_default = memory_default and memory_note is None

    def compose(self) -> ComposeResult:
        with VerticalGroup() as box:
            box.border_title = Text(f"VM snapshot of {self.vm_name} (all disks)")
            box.border_subtitle = "enter takes · esc cancels"
            yield Label("Name")
            yield Input(self.default_name, id="name", compact=True)
            yield Label("Description")
            yield Input(id="description", compact=True)
            memory = Tick("Include memory (the VM pauses while it is saved)", id="memory",
                              value=self.memory_default,
                              disabled=self.memory_note is not None, compact=True)
            yield memory
            if self.memory_note:
                yield Static(Text(f"memory: {self.memory_note}"), classes="note")
            if self.can_quiesce:
                yield Tick("Quiesce the VM", id="quiesce", compact=True)
            yield Static(Text("While any VM snapshot exists, volumes of this VM cannot be "
                              "attached, detached or reverted."), classes="note")
            with HorizontalGroup():
                yield Button("Cancel", id="cancel", compact=True)
                yield Button("Take", id="ok", variant="primary", compact=True)

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        self.dismiss(VMSnapshotChoice(
            self.query_one("#name", Input).value.strip() or self.default_name,
            self.query_one("#description", Input).value.strip(),
            self.query_one("#memory", Tick).value,
            bool(self.query("#quiesce")) and self.query_one("#quiesce", Tick).value,
        ))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class Confirmed:
    option: bool  # the dialog's one checkbox, when it has one


class TypeToConfirm(ModalScreen[Confirmed | None]):
    """A destructive action: the plan in words, and the resource's name (or the count)
    typed to confirm. Nothing else confirms it: not enter, not a default button."""

    DEFAULT_CSS = DIALOG_CSS.format(name="TypeToConfirm")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="dialog-cancel"),
    ]

    def __init__(self, title: str, lines: list[str], expected: str, verb: str = "Delete",
                 option: str | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.lines = lines
        self.expected = expected
        self.verb = verb
        self.option = option

    def compose(self) -> ComposeResult:
        with VerticalGroup() as box:
            box.border_title = Text(self.title_text)
            box.border_subtitle = "esc cancels"
            yield Static(Text("\n".join(self.lines)))
            if self.option:
                yield Tick(Text(self.option), value=True, id="option", compact=True)
            yield Label(Text(f"Type {self.expected!r} to confirm"))
            yield Input(id="confirm", placeholder=self.expected, compact=True)
            yield Static(id="mismatch", classes="error")
            with HorizontalGroup():
                yield Button("Cancel", id="cancel", compact=True)
                yield Button(self.verb, id="ok", variant="error", disabled=True, compact=True)

    def on_mount(self) -> None:
        self.query_one("#confirm", Input).focus()

    @on(Input.Changed, "#confirm")
    def _typed(self, event: Input.Changed) -> None:
        self.query_one("#ok", Button).disabled = event.value.strip() != self.expected

    @on(Input.Submitted, "#confirm")
    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        if self.query_one("#confirm", Input).value.strip() != self.expected:
            self.query_one("#mismatch", Static).update(Text(f"that is not {self.expected!r}"))
            return
        found = self.query("#option")
        self.dismiss(Confirmed(bool(found) and found.first(Tick).value))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
