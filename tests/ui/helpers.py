"""Driving the real app in tests: wait for screens and loads without fixed sleeps."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from rich.text import Text
from textual.app import App
from textual.pilot import Pilot
from textual.screen import Screen

from atlas_tui.app import AtlasApp
from atlas_tui.cloud.session import Session
from atlas_tui.ui.screens.base import BrowseScreen
from atlas_tui.ui.widgets.table import FastTable
from tests.helpers import present

__all__ = ["atlas_of", "cells", "loaded", "present", "press_and_reload", "screen_as",
           "screen_text", "session_of", "until"]

S = TypeVar("S", bound=Screen[Any])
B = TypeVar("B", bound=BrowseScreen)


async def until(pilot: Pilot, condition: Callable[[], object], timeout: float = 15.0,
                what: str = "condition") -> None:
    """Wait for a condition without fixed sleeps."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)


async def loaded(pilot: Pilot, screen_type: type[B], timeout: float = 15.0) -> B:
    """Wait until the current screen is a `screen_type` that has finished loading."""
    app = pilot.app

    def ready() -> bool:
        screen = app.screen
        return isinstance(screen, screen_type) and screen.updated is not None

    await until(pilot, ready, timeout, f"{screen_type.__name__} to load")
    await pilot.pause()
    return screen_as(app, screen_type)


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
