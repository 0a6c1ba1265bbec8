"""The restore wizard driven with Pilot: choose, read the plan, type the name, watch it.

What the restore did is checked on the simulator through a separate client, and the
journal a crash leaves is picked up at the next start.
"""

from __future__ import annotations

import asyncio

from textual.widgets import Checkbox

from atlas_tui.app import AtlasApp, Launch
from atlas_tui.cloud.api.client import CloudClient
from atlas_tui.cloud.restore import Journal, gather_context, plan_root_swap
from atlas_tui.settings import Settings
from atlas_tui.sim import SimServer
from atlas_tui.ui.screens.instances import InstancesScreen
from atlas_tui.ui.screens.restore import (
    RestoreModeDialog,
    RestorePlanScreen,
    RestoreProgressScreen,
    UnfinishedRestoreDialog,
    plan_text,
    progress_text,
)
from atlas_tui.ui.screens.snapshots import SnapshotsScreen
from atlas_tui.ui.screens.volumes import VolumesScreen
from tests.cloud.restore_child import kill_at
from tests.conftest import profile_for
from tests.helpers import present
from tests.ui.helpers import loaded, screen_as, screen_text, until

# Each test runs as a regular account on 4.22, as a root admin and against 4.15.
RUN_ACROSS_VIEWS = True


def app_for(sim: SimServer) -> AtlasApp:
    return AtlasApp(Launch(), profile=profile_for(sim), settings=Settings())


async def to_snapshots(pilot, vm: str, volume_row: int = 0) -> SnapshotsScreen:
    await loaded(pilot, InstancesScreen)
    await pilot.press("slash", *vm, "enter", "enter")
    await loaded(pilot, VolumesScreen)
    await pilot.press(*["down"] * volume_row, "enter")
    return await loaded(pilot, SnapshotsScreen)


async def finish(pilot, sim: SimServer, app: AtlasApp) -> None:
    for _ in range(400):
        if app.restores and app.restores[-1].finished:
            await pilot.pause(0.2)
            return
        sim.clock.advance(5)
        await pilot.pause(0.03)
    raise AssertionError("the restore did not finish")


async def restore_hello_atlas_root(pilot, sim: SimServer, app: AtlasApp) -> None:
    """Replace hello-atlas's root disk through the wizard (the first mode offered), typing
    the VM's name, and wait for the run to end."""
    await to_snapshots(pilot, "hello-atlas")
    await pilot.press("R")
    await until(pilot, lambda: isinstance(app.screen, RestoreModeDialog))
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, RestorePlanScreen))
    await pilot.press(*"hello-atlas", "enter")
    await until(pilot, lambda: isinstance(app.screen, RestoreProgressScreen))
    await finish(pilot, sim, app)


async def roots(sim: SimServer, vm_name: str) -> tuple[str, list[tuple[str, str, int | None]]]:
    async with CloudClient(profile_for(sim)) as c:
        [vm] = await c.virtual_machines(name=vm_name)
        volumes = await c.volumes()
    return vm.state, sorted((v.name, v.type, v.deviceid) for v in volumes
                            if v.virtualmachineid == vm.id)


async def test_replace_the_root_disk_through_the_wizard(sim: SimServer) -> None:
    app = app_for(sim)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await to_snapshots(pilot, "hello-atlas")
        await pilot.press("R")
        await until(pilot, lambda: isinstance(app.screen, RestoreModeDialog))
        await pilot.press("enter")  # the first mode offered: replace the root disk
        await until(pilot, lambda: isinstance(app.screen, RestorePlanScreen))
        plan = screen_as(app, RestorePlanScreen).plan
        commands = [s.call.command for s in plan.steps]
        assert commands[0] == "createVolume" and "attachVolume" in commands
        # The old root is renamed right after its detach (an optional step).
        assert commands[commands.index("detachVolume") + 1] == "updateVolume"
        attach = next(s for s in plan.steps if s.call.command == "attachVolume")
        assert attach.call.params["deviceid"] == 0
        original_root = present(plan.original_root)
        old_id, kept_name = original_root["id"], original_root["renamed_to"]
        assert kept_name.startswith("ROOT-42-replaced-")
        assert kept_name in plan_text(plan).plain  # the plan says what it will be called
        await pilot.press(*"hello", "enter")  # not the name: nothing runs
        assert isinstance(app.screen, RestorePlanScreen) and not app.restores
        await pilot.press(*"-atlas", "enter")
        await until(pilot, lambda: isinstance(app.screen, RestoreProgressScreen))
        await finish(pilot, sim, app)
        outcome = app.restores[-1].outcome
        assert outcome is not None and outcome.succeeded and outcome.verified
        assert "Restore finished" in screen_text(app)
        # Before 4.19 updateVolume has no `name`: the server ignores it, and the app says so.
        renames = sim.view.since(4, 19)
        said = " ".join(progress_text(app.restores[-1]).plain.split())
        # The summary is a final read of the server: the old root under the name it has now.
        if renames:
            assert f"{kept_name} ({old_id}): detached; the original root" in said
        else:
            assert "accepted the rename of ROOT-42 but did not do it" in said
            assert f"ROOT-42 ({old_id}): detached; the original root" in said
        old_root = sim.state.volumes[old_id]
        assert old_root.name == (kept_name if renames else "ROOT-42") and old_root.vm is None
        assert "Back (the restore goes on)" not in screen_text(app)
    state, disks = await roots(sim, "hello-atlas")
    assert state == "Running"
    root = [d for d in disks if d[1] == "ROOT"]
    assert len(root) == 1 and root[0][2] == 0 and root[0][0].startswith("hello-atlas-root-from")
    async with CloudClient(profile_for(sim)) as c:
        [old] = await c.volumes(name=kept_name if renames else "ROOT-42")
        assert await c.volumes(name="ROOT-42" if renames else kept_name) == []
    assert old.id == old_id  # kept, detached (under its new name where the server can)
    assert old.type == "DATADISK" and not old.virtualmachineid


async def test_a_failing_step_rolls_back_and_says_why(sim: SimServer) -> None:
    sim.faults.parse("failjob:attachVolume!Failed to attach volume: device busy")
    app = app_for(sim)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await restore_hello_atlas_root(pilot, sim, app)
        outcome = app.restores[-1].outcome
        assert outcome is not None and outcome.status == "rolled-back"
        assert outcome.error == "Failed to attach volume: device busy"
        text = screen_text(app)
        assert "Rolled back" in text and "device busy" in text
    state, disks = await roots(sim, "hello-atlas")
    assert state == "Running"
    assert ("ROOT-42", "ROOT", 0) in disks and [d for d in disks if d[1] == "ROOT"] == [
        ("ROOT-42", "ROOT", 0)]


async def test_a_failing_rename_is_shown_and_the_restore_finishes(sim: SimServer) -> None:
    sim.faults.parse("failjob:updateVolume")
    app = app_for(sim)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await restore_hello_atlas_root(pilot, sim, app)
        outcome = app.restores[-1].outcome
        assert outcome is not None and outcome.succeeded and outcome.verified
        text = progress_text(app.restores[-1]).plain
        assert "! 5. Rename ROOT-42 to ROOT-42-replaced-" in text
        assert "not done (optional, going on): Failed to update volume" in text
        assert "Could not rename ROOT-42: Failed to update volume" in text
        assert "Rolling back" not in text and "Restore finished" in screen_text(app)
    state, disks = await roots(sim, "hello-atlas")
    assert state == "Running" and [d[1] for d in disks].count("ROOT") == 1
    async with CloudClient(profile_for(sim)) as c:
        [old] = await c.volumes(name="ROOT-42")
    assert old.type == "DATADISK" and not old.virtualmachineid  # kept, detached, old name


async def test_vm_snapshots_block_the_plan_until_opted_in(sim: SimServer) -> None:
    app = app_for(sim)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await to_snapshots(pilot, "app-01")
        await pilot.press("R")
        await until(pilot, lambda: isinstance(app.screen, RestoreModeDialog))
        await pilot.pause(0.1)
        offer = app.screen.query_one("#delete_vm_snapshots", Checkbox)
        assert "before-upgrade" in str(offer.label) and offer.value is False
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, RestorePlanScreen))
        plan = screen_as(app, RestorePlanScreen).plan
        assert not plan.runnable
        assert "Cannot run yet" in screen_text(app)
        assert not app.screen.query("#confirm")  # nothing to type: it cannot run
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, SnapshotsScreen))
        await pilot.press("R")
        await until(pilot, lambda: isinstance(app.screen, RestoreModeDialog))
        app.screen.query_one("#delete_vm_snapshots", Checkbox).value = True
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, RestorePlanScreen))
        plan = screen_as(app, RestorePlanScreen).plan
        assert plan.runnable
        assert [s.call.command for s in plan.steps].count("deleteVMSnapshot") == 2


async def test_an_unfinished_restore_is_offered_at_start_and_rolled_back(
    sim: SimServer,
) -> None:
    # A restore killed (SIGKILL, in another process) with the detach of the root in flight:
    # the server runs it after the kill. The VM is stopped with no root.
    async with CloudClient(profile_for(sim)) as c:
        [root] = await c.volumes(name="ROOT-42")
        [snap] = [s for s in await c.snapshots_of(root.id) if s.backed_up][:1]
        plan = plan_root_swap(await gather_context(c, snap.id))
    journal = Journal.create(plan, endpoint=sim.endpoint)
    sim.clock.speed = 500
    sim.faults.parse("latency:detachVolume=1500ms")
    await kill_at(journal.path, "detach-old", endpoint=sim.endpoint, api_key=sim.api_key,
                  secret_key=sim.secret_key, wait_s=0.5)
    sim.faults.clear()
    for _ in range(200):  # the server runs the call it held
        if sim.state.volumes[root.id].vm is None:
            break
        await asyncio.sleep(0.05)
    sim.clock.speed = 0
    journal = Journal.load(journal.path)
    assert journal.status == "running" and journal.step("detach-old")["status"] == "running"
    state, disks = await roots(sim, "hello-atlas")
    assert state == "Stopped" and not [d for d in disks if d[1] == "ROOT"]

    app = app_for(sim)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await until(pilot, lambda: isinstance(app.screen, UnfinishedRestoreDialog))
        assert "hello-atlas" in screen_text(app)
        await pilot.click("#rollback")
        await until(pilot, lambda: isinstance(app.screen, RestoreProgressScreen))
        await finish(pilot, sim, app)
        outcome = app.restores[-1].outcome
        assert outcome is not None and outcome.status == "rolled-back" and outcome.verified
    state, disks = await roots(sim, "hello-atlas")
    assert state == "Running"
    assert [d for d in disks if d[1] == "ROOT"] == [("ROOT-42", "ROOT", 0)]
    assert Journal.unfinished() == [] or all(j.id != journal.id for j in Journal.unfinished())
