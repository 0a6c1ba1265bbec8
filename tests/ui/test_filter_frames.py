"""A filter key is answered in one frame that shows the bar's text and its rows together.

Textual paints a frame when the screen goes idle. The table used to be filtered on the bar's
Changed message, which bubbles up after the key is handled: the first frame showed the new
text over the old rows, and the rows came one frame (17-35 ms) later. Each key also laid the
whole screen out again (the bar's text width is a layout reactive), which repainted the
table's scrollbar in yet another frame, and rebuilt the footer when the filter went from
empty to set. These tests watch every frame the app hands to its driver.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.screen import Screen

from atlas_tui.app import AtlasApp, Launch
from atlas_tui.settings import Settings
from atlas_tui.sim import SimServer
from atlas_tui.ui.screens.base import FilterBar
from atlas_tui.ui.screens.instances import InstancesScreen
from atlas_tui.ui.widgets.table import FastTable
from tests.conftest import profile_for
from tests.ui.helpers import cells, loaded, screen_text, session_of, until

WEB = [*"web-0", "backspace", "backspace"]
# At 80x9 the table shows two rows and scrolls; every query here leaves three or more: its
# scrollbar stays and must keep up with the rows in their frame. (A key that shows or hides
# the scrollbar needs a layout pass, and a second frame, by design.)
SCROLLING = [*"-0", "backspace", "backspace"]


@pytest.mark.parametrize(("size", "keys"), [((80, 24), WEB), ((80, 9), SCROLLING)])
async def test_each_filter_key_paints_one_frame_with_its_rows(
        sim: SimServer, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int],
        keys: list[str]) -> None:
    app = AtlasApp(Launch(), profile=profile_for(sim), settings=Settings())
    async with app.run_test(size=size) as pilot:
        screen = await loaded(pilot, InstancesScreen)
        await until(pilot, lambda: session_of(app).inventory.complete)
        table = screen.query_one(FastTable)
        bar = screen.query_one(FilterBar)
        await pilot.press("slash")
        await pilot.pause(0.2)

        frames: list[tuple[str, str, int]] = []  # (bar text, table query, rows shown)
        display = app._display

        def spy(on: Screen[Any], update: Any) -> None:
            if update is not None:
                frames.append((bar.value, table.filter_query, table.visible_count))
            display(on, update)

        monkeypatch.setattr(app, "_display", spy)
        typed = ""
        for key in keys:
            typed = typed[:-1] if key == "backspace" else typed + key
            frames.clear()
            await pilot.press(key)
            await pilot.pause(0.15)
            assert table.show_vertical_scrollbar == (keys is SCROLLING)
            assert frames, f"{typed!r}: no frame"
            # Never the bar ahead of the table, and nothing after: one frame per key.
            assert [(text, query) for text, query, _ in frames] == [(typed, typed)], typed
        if keys is SCROLLING:
            return
        assert sorted(cells(table, "name")) == ["basic-web", "web-01"]
        assert frames[0][2] == 2
        # The count is on the bar's bottom border, which the footer (docked at the bottom
        # too) used to cover.
        assert f"2/{table.row_count}" in screen_text(app)

        # The footer was not rebuilt while typing; it is once the focus is back on the table,
        # where esc now clears the filter (on home, with no filter, esc does nothing).
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert table.has_focus and table.filter_query == "web"
        assert "esc" in screen_text(app).splitlines()[-1]
        await pilot.press("escape")
        await pilot.pause(0.3)
        assert table.filter_query == ""
        assert "esc" not in screen_text(app).splitlines()[-1]
