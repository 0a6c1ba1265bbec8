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

GLOBAL_KEYS = [
    ("j k ↑ ↓", "move in the list"),
    ("pgup pgdn g G", "page, first, last"),
    ("space", "mark a row"),
    ("ctrl+p", "actions valid here (command palette)"),
]


def key_rows(screen: Screen) -> list[tuple[str, str]]:
    """(key, what it does) for the screen's bindings; unavailable ones say why."""
    rows: list[tuple[str, str]] = []
    seen: set[str] = set()
    # The screen's own bindings first: a focused widget may shadow one (enter on a table
    # opens what the screen says it opens).
    candidates = [(b, True) for bs in screen._bindings.key_to_bindings.values() for b in bs]
    candidates += [(a.binding, a.enabled) for a in screen.active_bindings.values()]
    # This screen's own verbs first, then what every screen has.
    own = {b.id for b in getattr(type(screen), "BINDINGS", []) if isinstance(b, Binding)}
    candidates.sort(key=lambda c: c[0].id not in own)
    for binding, enabled in candidates:
        # Only atlas-tui's own bindings (they carry ids, for keymaps), not Textual's
        # scrolling and focus plumbing.
        if not binding.id or not binding.description or binding.action in seen:
            continue
        seen.add(binding.action)
        reason = getattr(screen, "unavailable", lambda _action: None)(binding.action)
        if enabled and not reason:
            enabled = screen.check_action(binding.action, ()) is True
        label = binding.key_display or screen.app.get_key_display(binding) or binding.key
        text = binding.description
        if reason or not enabled:
            text += f" — not now: {reason}" if reason else " — not now"
        rows.append((label, text))
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
