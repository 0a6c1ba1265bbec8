"""Lists refresh on their own, and a reload slower than the refresh timer still finishes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from textual.screen import Screen

from atlas_tui.app import AtlasApp, Launch
from atlas_tui.settings import Settings
from atlas_tui.sim import SimServer
from atlas_tui.ui.screens import base
from atlas_tui.ui.screens.instances import InstancesScreen
from atlas_tui.ui.screens.jobs import JobsScreen
from tests.conftest import profile_for
from tests.ui.helpers import loaded, screen_text, session_of, until


async def test_a_slow_auto_refresh_finishes_instead_of_restarting_every_second(
    sim: SimServer,
) -> None:
    # The timer ticks every second; each listVirtualMachines now takes 1.5 s. Before the fix
    # every tick cancelled the running reload and started another: it never finished, and
    # the server saw a new listVirtualMachines per second.
    app = AtlasApp(Launch(), profile=profile_for(sim),
                   settings=Settings(refresh_seconds=1))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot, InstancesScreen)
        first = screen.updated
        sim.faults.parse("latency:listVirtualMachines=1500ms")
        before = sim.state.calls["listVirtualMachines"]
        await until(pilot, lambda: screen.updated != first, 12, "an auto-refresh to finish")
        # One reload, one request for the list (a page of the demo account).
        assert sim.state.calls["listVirtualMachines"] - before == 1


async def test_an_auto_refresh_of_the_same_data_writes_nothing_to_the_terminal(
    sim: SimServer, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Over a slow SSH link an idle screen must stay quiet. The simulator's clock is stopped:
    # the refresh brings the same lists, and the age still reads "updated just now" after
    # it. Before, the end of every refresh repainted the breadcrumb line (and the age
    # stepped through 15 s, 30 s, 45 s in between): four to six lines a minute.
    app = AtlasApp(Launch(), profile=profile_for(sim), settings=Settings(refresh_seconds=2))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot, InstancesScreen)
        await until(pilot, lambda: session_of(app).inventory.complete)
        await pilot.pause(0.5)
        frames: list[str] = []
        display = app._display

        def spy(on: Screen[Any], update: Any) -> None:
            if update is not None:
                frames.append(screen_text(app).splitlines()[1])
            display(on, update)

        monkeypatch.setattr(app, "_display", spy)
        for _ in range(2):
            first = screen.updated

            def refreshed(first: datetime | None = first) -> bool:
                return screen.updated != first

            before = sim.state.calls["listVirtualMachines"]
            await until(pilot, refreshed, 12, "an auto-refresh to finish")
            assert sim.state.calls["listVirtualMachines"] - before == 1  # it did reload
        await pilot.pause(0.3)
        assert frames == []
        assert "updated just now" in screen_text(app).splitlines()[1]


async def test_a_list_passed_through_on_the_way_back_starts_no_reload(
    sim: SimServer, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # esc through a stack of screens: each list it uncovers is stale, and used to start a
    # reload at its next tick (a walk of the whole account), cancelled as soon as esc popped
    # it. A list reloads once it has stayed on top CATCH_UP_AFTER_S.
    app = AtlasApp(Launch(), profile=profile_for(sim), settings=Settings(refresh_seconds=1))
    async with app.run_test(size=(80, 24)) as pilot:
        home = await loaded(pilot, InstancesScreen)
        app.push_screen(JobsScreen())
        await loaded(pilot, JobsScreen)
        monkeypatch.setattr(base, "CATCH_UP_AFTER_S", 3600.0)
        await pilot.pause(1.5)  # the instances list, under it, is now older than 1 s
        shown_at, reloads = home.updated, sim.state.calls["listVirtualMachines"]
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is home)
        await pilot.pause(2.5)  # two ticks or more, on top
        assert sim.state.calls["listVirtualMachines"] == reloads and home.updated == shown_at
        monkeypatch.setattr(base, "CATCH_UP_AFTER_S", 0.0)
        await until(pilot, lambda: home.updated != shown_at, 12, "the catch-up reload")
        assert sim.state.calls["listVirtualMachines"] == reloads + 1
