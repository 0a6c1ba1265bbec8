"""`?`: the keys of the screen underneath, and whether each is available right now."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from atlas_tui.ui.palette import not_now, screen_actions

GLOBAL_KEYS = [
    ("j k ↑ ↓", "move in the list"),
    ("pgup pgdn g G", "page, first, last"),
    ("space", "mark a row"),
    ("ctrl+p", "this screen's actions (command palette)"),
]


def key_rows(screen: Screen) -> list[tuple[str, str]]:
    """(key, what it does) for the screen's registered actions (ui/actions.py), its own
    first; one not possible now says why."""
    rows = [(a.key, a.verb + (f" — {not_now(a.reason)}" if a.reason is not None else ""))
            for a in screen_actions(screen)]
    return rows + GLOBAL_KEYS


def key_table(rows: list[tuple[str, str]]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    for key, text in rows:
        # Text, not str: a reason may quote a name, and a str cell is parsed as markup.
        table.add_row(Text(key), Text(text))
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
        self.rows = key_rows(target)

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = "Keys on this screen"
            scroll.border_subtitle = "esc closes"
            yield Static(key_table(self.rows))

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
