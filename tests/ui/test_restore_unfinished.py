"""An interrupted restore is visible: the start dialog says, from a fresh read, what the VM
is like now and what each choice does; the VM's rows say a restore is unfinished and that
the VM has no root disk, whatever caused it."""

from __future__ import annotations

from atlas_tui.cloud.api.client import CloudClient
from atlas_tui.cloud.restore import Journal, gather_context, plan_root_swap
from atlas_tui.sim import SimServer
from atlas_tui.ui.screens.instances import InstancesScreen
from atlas_tui.ui.screens.restore import UnfinishedRestoreDialog
from atlas_tui.ui.screens.volumes import VolumesScreen
from atlas_tui.ui.widgets.table import FastTable
from tests.cloud.restore_child import kill_at
from tests.conftest import profile_for
from tests.ui.helpers import cells, loaded, screen_as, screen_text, until
from tests.ui.test_restore_wizard import app_for


async def cut_off_after_the_detach(sim: SimServer) -> Journal:
    """A root swap killed (SIGKILL: the SIGKILL harness, in another process) right after it
    detached the old root: the rename that comes next was in flight, and never reached the
    server."""
    async with CloudClient(profile_for(sim)) as c:
        [root] = await c.volumes(name="ROOT-42")
        snap = next(s for s in await c.snapshots_of(root.id) if s.backed_up)
        plan = plan_root_swap(await gather_context(c, snap.id))
    journal = Journal.create(plan, endpoint=sim.endpoint)
    sim.clock.speed = 500
    sim.faults.parse("drop:updateVolume@before")
    await kill_at(journal.path, "rename-old", endpoint=sim.endpoint, api_key=sim.api_key,
                  secret_key=sim.secret_key)
    sim.faults.clear()
    sim.clock.speed = 0
    return Journal.load(journal.path)


async def test_after_a_cut_off_restore_the_dialog_and_the_rows_say_no_root_disk(
    sim: SimServer,
) -> None:
    journal = await cut_off_after_the_detach(sim)
    vm = next(v for v in sim.state.vms.values() if v.name == "hello-atlas")
    assert vm.state == "Stopped" and not any(v.deviceid == 0 for v in vm.volumes)  # server
    app = app_for(sim)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await until(pilot, lambda: isinstance(app.screen, UnfinishedRestoreDialog))
        dialog = screen_as(app, UnfinishedRestoreDialog)
        body = dialog.body().plain
        assert "hello-atlas is Stopped and has no disk at device 0: it cannot boot." in body
        assert "Resume: checks the step in flight, then: Rename ROOT-42" in body
        assert "Roll back: undoes, newest first: Re-attach ROOT-42 to hello-atlas at " \
               "device 0" in body
        assert "Later: changes nothing now" in body
        assert "detached; the original root" in body
        assert dialog.focused is not None and dialog.focused.id == "resume"
        assert "cannot boot" in screen_text(app)
        await pilot.press("escape")  # later
        screen = await loaded(pilot, InstancesScreen)
        table = screen.query_one("#instances", FastTable)
        await until(pilot, lambda: any("no root disk" in c for c in cells(table, "name")))
        [row] = [c for c in cells(table, "name") if c.startswith("hello-atlas")]
        assert row == "hello-atlas ⚠ no root disk, restore unfinished"
        assert "⚠ hello-atlas: no disk at device 0: cannot boot; restore unfinished" in \
            screen_text(app)
        await pilot.press("slash", *"hello-atlas", "enter", "enter")
        await loaded(pilot, VolumesScreen)
        assert "⚠ hello-atlas: no disk at device 0: cannot boot; restore unfinished" in \
            screen_text(app)
    assert Journal.load(journal.path).status == "running"  # Later changed nothing


async def test_a_vm_whose_root_was_detached_by_hand_is_flagged(sim: SimServer) -> None:
    sim.clock.speed = 500
    async with CloudClient(profile_for(sim)) as c:
        [vm] = await c.virtual_machines(name="db-01")
        [root] = [v for v in await c.volumes_of(vm.id) if v.deviceid == 0]
        if vm.running:
            await c.wait((await c.stop_vm(vm.id)).jobid, poll_s=0.02)
        await c.wait((await c.detach_volume(root.id)).jobid, poll_s=0.02)
    sim.clock.speed = 0
    app = app_for(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot, InstancesScreen)
        table = screen.query_one("#instances", FastTable)
        await until(pilot, lambda: any("no root disk" in c for c in cells(table, "name")))
        assert [c for c in cells(table, "name") if "⚠" in c] == ["db-01 ⚠ no root disk"]
