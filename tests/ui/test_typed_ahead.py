"""Keys that arrive together (typed fast, pasted, or coalesced by a slow SSH link) are read in
order: the text typed right after `/` goes to the filter, not to the list's own keys."""

from __future__ import annotations

from textual import events

from atlas_tui.app import AtlasApp, Launch
from atlas_tui.settings import Settings
from atlas_tui.sim import SimServer
from atlas_tui.ui.screens.base import FilterBar
from atlas_tui.ui.screens.instances import InstancesScreen
from atlas_tui.ui.widgets.table import FastTable
from tests.conftest import profile_for
from tests.ui.helpers import loaded


async def test_text_typed_with_the_slash_in_one_read_reaches_the_filter(sim: SimServer) -> None:
    app = AtlasApp(Launch(), profile=profile_for(sim), settings=Settings())
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot, InstancesScreen)
        # As the driver hands over one read of the terminal: every key queued at once.
        for key, char in [("slash", "/"), ("w", "w"), ("e", "e"), ("b", "b")]:
            app.post_message(events.Key(key, char))
        await pilot.pause(0.3)
        bar = screen.query_one(FilterBar)
        assert bar.value == "web"
        assert screen.query_one(FastTable).filter_query == "web"
        # In the bar, `/` is text (a path in a name), not the key that opens it.
        app.post_message(events.Key("slash", "/"))
        await pilot.pause(0.1)
        assert bar.value == "web/" and screen.focused is bar
        # esc still clears the filter, closes the bar and gives the list the focus back.
        await pilot.press("escape")
        await pilot.pause(0.1)
        table = screen.query_one(FastTable)
        assert not bar.display and table.has_focus and table.filter_query == ""
