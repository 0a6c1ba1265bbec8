"""Lists refresh on their own, and a reload slower than the refresh timer still finishes."""

from __future__ import annotations

from atlas_tui.app import AtlasApp, Launch
from atlas_tui.settings import Settings
from atlas_tui.sim import SimServer
from atlas_tui.ui.screens.instances import InstancesScreen
from tests.conftest import profile_for
from tests.ui.helpers import loaded, until


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
