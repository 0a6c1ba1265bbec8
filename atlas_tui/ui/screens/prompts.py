"""Small modal prompts: `:` jump."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalGroup
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Input, Static

JUMP_WORDS = ["vm ", "vol ", "snap ", "jobs", "protection", "restore"]


class JumpPrompt(ModalScreen[str | None]):
    """`:vm web`, `:vol ROOT-42`, `:snap nightly`, `:jobs`."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="jump-cancel"),
    ]
    DEFAULT_CSS = """
    JumpPrompt { align: center bottom; }
    JumpPrompt > VerticalGroup { width: 100%; height: auto; background: $surface; }
    JumpPrompt Static { color: $text-muted; padding: 0 1; }
    """

    def __init__(self, names: list[str]) -> None:
        super().__init__()
        self.names = names

    def compose(self) -> ComposeResult:
        with VerticalGroup():
            yield Static("jump: vm NAME · vol NAME · snap NAME · jobs · protection · restore")
            suggestions = JUMP_WORDS + [f"vm {n}" for n in self.names]
            yield Input(placeholder=":", id="jump-input",
                        suggester=SuggestFromList(suggestions, case_sensitive=False))

    @on(Input.Submitted, "#jump-input")
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
