"""What `?` and the palette list for a screen: its registered actions (ui/actions.py) with
the key bound now (a keymap may have moved it) and the reason beside any that is not
possible now; then, in the palette, Textual's own commands behind "More…".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.screen import Screen

from atlas_tui.ui.actions import APP, READ_ONLY, UserAction, for_screen

MORE = "More: Textual's commands (theme, keys, screenshot…)"


@dataclass(frozen=True)
class Listed:
    """One action as a screen offers it now."""

    action: UserAction
    verb: str
    key: str  # as displayed, after the keymap
    reason: str | None  # why not now, or None
    run: Callable[[], Any]


def _bound(screen: Screen[Any]) -> dict[str, Binding]:
    """Binding id -> the binding as it is bound now on this screen (keymap applied)."""
    found: dict[str, Binding] = {}
    for _node, bindings in screen._modal_binding_chain:
        for _key, binding in bindings:
            if binding.id and binding.id not in found:
                found[binding.id] = binding
    return found


def _reason(screen: Screen[Any], action: UserAction, namespace: Any) -> str | None:
    why = getattr(screen, "why_not", None)
    if why is not None and namespace is screen:
        reason: str | None = why(action.name)
    else:
        read_only = getattr(screen.app, "session", None)
        reason = READ_ONLY if action.writes and (read_only is None or read_only.read_only) \
            else None
    if reason is None and namespace.check_action(action.name, ()) is not True:
        reason = ""  # not now, for no reason worth words (esc at home, a finished drill)
    return reason


def screen_actions(screen: Screen[Any]) -> list[Listed]:
    """This screen's actions, its own first, with their keys and reasons now."""
    bound = _bound(screen)
    listed: list[Listed] = []
    seen: set[str] = set()
    for action, scope in for_screen(screen):
        if action.name in seen:
            continue  # a second key for the same thing (enter and p; q and ctrl+q)
        seen.add(action.name)
        namespace = screen.app if scope == APP else screen
        binding = bound.get(action.id)
        key = screen.app.get_key_display(binding) if binding is not None \
            else action.keys.split(",")[0]
        listed.append(Listed(action, action.verb_on(scope), key,
                             _reason(screen, action, namespace),
                             partial(screen.app.run_action, action.name, namespace)))
    return listed


@dataclass(frozen=True)
class PaletteEntry:
    text: str  # what the search matches
    help: str
    run: Callable[[], Any]
    ours: bool = True
    reason: str | None = None

    def display(self) -> Text:
        text = Text(self.text)
        if self.reason is not None:
            text.append(f"  — {not_now(self.reason)}", style="dim")
        return text


def not_now(reason: str) -> str:
    return f"not now: {reason}" if reason else "not now"


def palette_entries(screen: Screen[Any], *, with_textual: bool = False) -> list[PaletteEntry]:
    """The palette: this screen's actions by their verbs, then "More…" (and, when searching,
    Textual's own commands themselves)."""
    entries = [PaletteEntry(a.verb, f"key: {a.key}" + (f" · {not_now(a.reason)}"
                                                       if a.reason is not None else ""),
                            a.run, reason=a.reason)
               for a in screen_actions(screen)]
    entries.append(PaletteEntry(MORE, "the commands every Textual app has",
                                partial(open_textual_commands, screen.app), ours=False))
    if with_textual:
        entries += [PaletteEntry(c.title, c.help, c.callback, ours=False)
                    for c in screen.app.get_system_commands(screen)]
    return entries


def open_textual_commands(app: Any) -> None:
    from textual.command import CommandPalette
    from textual.system_commands import SystemCommandsProvider

    app.push_screen(CommandPalette(providers=[SystemCommandsProvider],
                                   placeholder="Textual's commands…"))
