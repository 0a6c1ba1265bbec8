"""The first connection against a server that drips its answer: the connect screen gives up
after the profile's deadline with a message, and `r` tries again (Textual Pilot, real app,
simulator over loopback HTTP)."""

from __future__ import annotations

from atlas_tui.app import AtlasApp, Launch
from atlas_tui.settings import Settings
from atlas_tui.sim import SimServer
from atlas_tui.ui.screens.instances import InstancesScreen
from atlas_tui.ui.screens.start import ConnectErrorScreen
from tests.conftest import profile_for
from tests.ui.helpers import loaded, screen_text, until


async def test_a_dripping_server_makes_the_connect_screen_give_up_and_r_retries(
        sim: SimServer) -> None:
    # The first listCapabilities answer trickles (one byte every 200 ms: a minute and more);
    # the profile's deadline is 2 s.
    sim.faults.parse("drip:listCapabilities=200ms")
    app = AtlasApp(Launch(), profile=profile_for(sim, timeout_s=2), settings=Settings())
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ConnectErrorScreen), 30,
                    "the connect screen to give up")
        await pilot.pause(0.1)
        text = screen_text(app)
        assert "The API did not answer in time" in text and "within 2 s" in text
        assert "r retries" in text and "Traceback" not in text
        # One request, not retried past the deadline: the server was asked once.
        assert sim.state.calls["listCapabilities"] == 1
        await pilot.press("r")
        await loaded(pilot, InstancesScreen, timeout=30)
        assert app.session is not None
    # The retry asked again, and this answer came whole (the drip fault fired once).
    assert sim.state.calls["listCapabilities"] == 2
    assert [rule["fired"] for rule in sim.faults.describe()] == [1]
