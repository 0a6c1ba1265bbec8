"""Leaving is a decision: quitting while a restore runs or jobs are in flight asks first,
and says what will happen to each."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import HorizontalGroup, VerticalGroup
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from atlas_tui.cloud.jobs import TrackedJob
from atlas_tui.cloud.restore import RestoreTask
from atlas_tui.ui.screens.dialogs import DIALOG_CSS


def restore_line(task: RestoreTask) -> str:
    done = task.events[-1].done if task.events else 0
    step = next((e.title for e in reversed(task.events) if e.title), "")
    now = f"; now: {step}" if step else ""
    return (f"A restore of {task.where} is running ({done}/{len(task.plan.steps)} steps "
            f"done{now}). Quitting stops it where it is: the cloud may be left half-way "
            f"(e.g. {task.where} stopped, or without its root disk). Its journal keeps it, "
            "and the next start of atlas-tui offers to resume it or roll it back.")


def quit_text(restores: list[RestoreTask], jobs: list[TrackedJob]) -> str:
    lines = [restore_line(t) for t in restores]
    if jobs:
        names = ", ".join(j.label for j in jobs[:5]) + (" …" if len(jobs) > 5 else "")
        lines.append(f"{len(jobs)} job(s) are still running on the server ({names}). They go "
                     "on without atlas-tui; the next start shows the account's pending jobs "
                     "again.")
    return "\n\n".join(lines)


class QuitDialog(ModalScreen[bool]):
    """True: quit anyway. The safe choice (stay) has the focus."""

    DEFAULT_CSS = DIALOG_CSS.format(name="QuitDialog")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "stay", "Stay", id="quit-stay"),
    ]

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        with VerticalGroup() as box:
            box.border_title = "Quit while work is in flight?"
            box.border_subtitle = "esc stays"
            yield Static(Text(self.text))
            with HorizontalGroup():
                yield Button("Quit anyway", id="quit", variant="error", compact=True)
                yield Button("Stay", id="stay", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#stay", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "quit")

    def action_stay(self) -> None:
        self.dismiss(False)
