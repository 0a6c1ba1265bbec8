"""`?`: the keys of the screen underneath, and whether each is available right now."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

GLOBAL_KEYS = [
    ("ctrl+p", "actions valid here (command palette)"),
    ("ctrl+q", "quit"),
    ("j k ↑ ↓ pgup pgdn g G", "move in the list"),
    ("space", "mark a row"),
]


def key_table(screen: Screen) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    seen: set[str] = set()
    for key, active in screen.active_bindings.items():
        binding = active.binding
        if not binding.description or binding.action in seen:
            continue
        seen.add(binding.action)
        label = binding.key_display or screen.app.get_key_display(binding)
        text = binding.description if active.enabled else f"{binding.description} (unavailable)"
        table.add_row(label or key, text)
    for key, text in GLOBAL_KEYS:
        table.add_row(key, text)
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "dismiss", "Close", id="help-close"),
    ]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 64; max-width: 100%; height: auto; max-height: 90%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    """

    def __init__(self, target: Screen) -> None:
        super().__init__()
        self.target = target

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = "Keys on this screen"
            scroll.border_subtitle = "esc closes"
            yield Static(key_table(self.target))

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
