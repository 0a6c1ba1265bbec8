"""Lists refresh on their own, and a reload slower than the refresh timer still finishes."""

from __future__ import annotations

from typing import Any

import pytest
from textual.screen import Screen

from atlas_tui.app import AtlasApp, Launch
from atlas_tui.settings import Settings
from atlas_tui.sim import SimServer
from atlas_tui.ui.screens.instances import InstancesScreen
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
            before = sim.state.calls["listVirtualMachines"]
            await until(pilot, lambda first=first: screen.updated != first, 12,
                        "an auto-refresh to finish")
            assert sim.state.calls["listVirtualMachines"] - before == 1  # it did reload
        await pilot.pause(0.3)
        assert frames == []
        assert "updated just now" in screen_text(app).splitlines()[1]
