"""Driving the real app in tests: wait for screens and loads without fixed sleeps."""

from __future__ import annotations

from typing import Any, TypeVar

from rich.text import Text
from textual.app import App
from textual.pilot import Pilot
from textual.screen import Screen

from atlas_tui.app import AtlasApp
from atlas_tui.cloud.session import Session
from atlas_tui.screenshots import loaded, until
from atlas_tui.ui.screens.base import BrowseScreen
from atlas_tui.ui.widgets.table import FastTable
from tests.helpers import present

__all__ = ["atlas_of", "cells", "loaded", "present", "press_and_reload", "screen_as",
           "screen_text", "session_of", "until"]

S = TypeVar("S", bound=Screen[Any])


async def press_and_reload(pilot: Pilot, screen: BrowseScreen, *keys: str,
                           timeout: float = 15.0) -> None:
    """Press keys and wait for the screen to finish a load that started after them."""
    before = screen.updated
    await pilot.press(*keys)
    await until(pilot, lambda: screen.updated is not None and screen.updated != before,
                timeout, "a reload")
    await pilot.pause()


def cells(table: FastTable, column: str) -> list[str]:
    """The text of one column, in view order (what the user sees, top to bottom)."""
    index = table.model.column_index(column)
    out = []
    for position in range(table.visible_count):
        cell = table.model.row_at(position).cells[index]
        out.append(cell.plain if isinstance(cell, Text) else str(cell if not isinstance(cell, tuple)
                                                                 else cell[0]))
    return out


def screen_text(app: AtlasApp) -> str:
    """Everything on screen as plain text (SVG export, with its non-breaking spaces undone)."""
    import html
    import re

    svg = app.export_screenshot()
    text = " ".join(re.findall(r">([^<>]*)</text>", svg))
    return html.unescape(text).replace("\xa0", " ")


def atlas_of(pilot: Pilot[Any]) -> AtlasApp:
    """The app a pilot drives, as the AtlasApp it is."""
    app = pilot.app
    assert isinstance(app, AtlasApp)
    return app


def session_of(app: AtlasApp) -> Session:
    """The app's session, which exists once the app has connected."""
    assert app.session is not None
    return app.session


def screen_as(app: App[Any], screen_type: type[S]) -> S:
    """The current screen, which the test expects to be a `screen_type`."""
    screen = app.screen
    assert isinstance(screen, screen_type)
    return screen
