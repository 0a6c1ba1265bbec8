"""Leaving is a decision: ctrl+q with a restore in flight asks, says what will happen, and
the journal it leaves is offered at the next start."""

from __future__ import annotations

from atlas_tui.cloud.api.client import CloudClient
from atlas_tui.cloud.restore.journal import Journal
from atlas_tui.cloud.restore.plan import gather_context, plan_root_swap
from atlas_tui.sim import SimServer
from atlas_tui.ui.screens.instances import InstancesScreen
from atlas_tui.ui.screens.quit import QuitDialog
from atlas_tui.ui.screens.restore import RestoreProgressScreen
from tests.conftest import profile_for
from tests.ui.helpers import loaded, screen_text, until
from tests.ui.test_restore_wizard import app_for


async def test_quit_with_a_restore_in_flight_asks_first(sim: SimServer) -> None:
    async with CloudClient(profile_for(sim)) as c:
        [root] = await c.volumes(name="ROOT-42")
        snap = next(s for s in await c.snapshots_of(root.id) if s.backed_up)
        plan = plan_root_swap(await gather_context(c, snap.id))
    app = app_for(sim)  # the clock stands still: the restore's first job never ends
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await loaded(pilot, InstancesScreen)
        app.start_restore(plan)
        await until(pilot, lambda: isinstance(app.screen, RestoreProgressScreen))
        await until(pilot, lambda: sim.state.calls["createVolume"] == 1)
        await pilot.press("ctrl+q")
        await until(pilot, lambda: isinstance(app.screen, QuitDialog))
        text = screen_text(app)
        assert "A restore of hello-atlas is running" in text
        assert "resume it or roll it back" in text
        assert app.screen.focused is not None and app.screen.focused.id == "stay"
        await pilot.press("enter")  # the focused choice: stay
        await until(pilot, lambda: isinstance(app.screen, RestoreProgressScreen))
        assert app.is_running and not app.restores[-1].finished
        await pilot.press("ctrl+q")
        await until(pilot, lambda: isinstance(app.screen, QuitDialog))
        await pilot.click("#quit")
        await until(pilot, lambda: not app.is_running)
    # What quitting left: the journal, open, and on the server the volume being created.
    [left] = Journal.unfinished()
    assert left.id == plan.id and left.step("create-volume")["status"] == "running"
    new_id = left.created_resources["new_volume"]
    assert new_id in sim.state.volumes


async def test_quit_with_nothing_in_flight_does_not_ask(sim: SimServer) -> None:
    app = app_for(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, InstancesScreen)
        await pilot.press("ctrl+q")
        await until(pilot, lambda: not app.is_running)
