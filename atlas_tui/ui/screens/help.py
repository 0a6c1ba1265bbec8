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
    ("j k ↑ ↓", "move in the list"),
    ("pgup pgdn g G", "page, first, last"),
    ("space", "mark a row"),
    ("ctrl+p", "actions valid here (command palette)"),
]


def key_table(screen: Screen) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    seen: set[str] = set()
    # The screen's own bindings first: a focused widget may shadow one (enter on a table
    # opens what the screen says it opens).
    candidates = [(b, True) for bs in screen._bindings.key_to_bindings.values() for b in bs]
    candidates += [(a.binding, a.enabled) for a in screen.active_bindings.values()]
    for binding, enabled in candidates:
        # Only atlas-tui's own bindings (they carry ids, for keymaps), not Textual's
        # scrolling and focus plumbing.
        if not binding.id or not binding.description or binding.action in seen:
            continue
        seen.add(binding.action)
        if enabled and binding.action.isidentifier():
            enabled = screen.check_action(binding.action, ()) is not False
        label = binding.key_display or screen.app.get_key_display(binding) or binding.key
        text = binding.description if enabled else f"{binding.description} (unavailable)"
        table.add_row(label, text)
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
