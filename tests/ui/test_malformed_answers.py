"""The app showing lists whose answers are malformed: a message naming the command, on screen;
the app still running; `r` loads the list once the server answers properly again."""

from __future__ import annotations

from atlas_tui.app import AtlasApp, Launch
from atlas_tui.settings import Settings
from atlas_tui.sim import SimServer
from atlas_tui.ui.screens.instances import InstancesScreen
from atlas_tui.ui.screens.volumes import VolumesScreen
from atlas_tui.ui.widgets.chrome import Breadcrumbs
from atlas_tui.ui.widgets.table import FastTable
from tests.cloud.test_malformed import server_state
from tests.conftest import profile_for
from tests.ui.helpers import cells, loaded, press_and_reload, screen_as, screen_text, until


def app_for(sim: SimServer) -> AtlasApp:
    return AtlasApp(Launch(), profile=profile_for(sim), settings=Settings())


def notes(app: AtlasApp) -> str:
    return "\n".join(n.message for n in app._notifications)


async def test_volumes_of_an_instance_with_a_malformed_answer(sim: SimServer) -> None:
    app = app_for(sim)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await loaded(pilot, InstancesScreen)
        before = server_state(sim)
        # The next listVolumes (hello-atlas's volumes) names its first volume with an object.
        sim.faults.parse("malform:listVolumes@name-object")
        await pilot.press("slash", *"hello-atlas", "enter", "enter")
        await until(pilot, lambda: isinstance(app.screen, VolumesScreen), what="volumes screen")
        screen = screen_as(app, VolumesScreen)
        await until(pilot, lambda: "was not understood" in notes(app), what="the message")
        assert ("The answer to listVolumes was not understood: Expected `str | null`, got "
                "`object` - at `volume[0].name`") in notes(app)
        # On screen too (the toast wraps after "was not" at 80 columns).
        await until(pilot, lambda: "The answer to listVolumes was not" in screen_text(app),
                    what="the message on screen")
        assert "load failed: r to retry" in screen.query_one(Breadcrumbs).status
        assert app.is_running and app.screen is screen
        assert cells(screen.query_one("#volumes", FastTable), "name") == []
        # The fault is spent: `r` shows the volumes, and nothing changed on the server.
        await press_and_reload(pilot, screen, "r")
        assert cells(screen.query_one("#volumes", FastTable), "name") == ["ROOT-42", "DATA-42"]
        assert server_state(sim) == before


async def test_home_with_an_absurd_count(sim: SimServer) -> None:
    app = app_for(sim)
    before = server_state(sim)
    sim.faults.parse("malform:listVirtualMachines@count-huge")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await until(pilot, lambda: isinstance(app.screen, InstancesScreen), what="home")
        await until(pilot, lambda: "was not understood" in notes(app), what="the message")
        assert (f"The answer to listVirtualMachines was not understood: `count` is {10**9}, "
                "beyond any real list") in notes(app)
        assert app.is_running
        # One page asked, not 10**9 / 500 of them.
        assert sim.state.calls["listVirtualMachines"] == 1
        screen = screen_as(app, InstancesScreen)
        await press_and_reload(pilot, screen, "r")
        assert "hello-atlas" in cells(screen.query_one(FastTable), "name")
        assert server_state(sim) == before
