"""T on a snapshot runs a restore drill; the protection view shows when each volume's
backups were last verified, and flags the never verified."""

from __future__ import annotations

from atlas_tui.cloud.restore.drill import load_results
from atlas_tui.sim import SimServer
from atlas_tui.ui.screens.drills import DrillsScreen
from atlas_tui.ui.screens.instances import InstancesScreen
from atlas_tui.ui.screens.protection import ProtectionScreen
from atlas_tui.ui.widgets.table import FastTable
from tests.ui.helpers import cells, loaded, screen_text, session_of, until
from tests.ui.test_restore_wizard import app_for, to_snapshots


async def test_t_drills_a_snapshot_and_protection_shows_it_verified(sim: SimServer) -> None:
    volumes_before = set(sim.state.volumes)
    app = app_for(sim)
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        screen = await to_snapshots(pilot, "hello-atlas", volume_row=1)
        assert screen.volume.name == "DATA-42"
        await pilot.press("T")
        for _ in range(300):
            if screen.volume.id in load_results():
                break
            sim.clock.advance(5)
            await pilot.pause(0.03)
        result = load_results()[screen.volume.id]
        assert result["ok"] and result["deleted"], result
        await pilot.press("colon", *"protection", "enter")
        prot = await loaded(pilot, ProtectionScreen)
        table = prot.query_one(FastTable)
        await until(pilot, lambda: table.row_count > 0)
        verified = dict(zip(cells(table, "volume"), cells(table, "verified"), strict=True))
        assert verified["DATA-42"] == result["verified_at"][:10]
        assert verified["ROOT-42"] == "⚠ never"
    # On the server: the drill volume came and went; nothing else changed.
    assert set(sim.state.volumes) == volumes_before
    assert sim.state.calls["deleteVolume"] == 1
    assert result["drill_volume_id"] in sim.state.removed_volumes


async def _drill_hello_atlas(pilot, app) -> DrillsScreen:
    home = await loaded(pilot, InstancesScreen)
    await until(pilot, lambda: "volumes" in session_of(app).inventory.loaded)
    vm_id = next(r.vm.id for r in home._rows if r.vm.name == "hello-atlas")
    home.query_one("#instances", FastTable).move_cursor_to_key(vm_id)
    await pilot.pause()
    await pilot.press("T")
    await until(pilot, lambda: isinstance(app.screen, DrillsScreen), what="the drill view")
    return app.screen


async def test_t_on_a_vm_drills_each_disk_live_and_leaves_its_volumes_alone(
    sim: SimServer,
) -> None:
    before = {vid: (v.vm.id if v.vm else None, v.deviceid) for vid, v in sim.state.volumes.items()}
    app = app_for(sim)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await _drill_hello_atlas(pilot, app)
        table = screen.query_one(FastTable)
        await until(pilot, lambda: table.row_count == 2)
        assert sorted(cells(table, "volume")) == ["DATA-42", "ROOT-42"]
        for _ in range(300):
            if screen.progress.finished:
                break
            sim.clock.advance(5)
            await pilot.pause(0.03)
        assert screen.progress.finished
        await until(pilot, lambda: cells(table, "state") == ["verified", "verified"],
                    what="the view to show both drills verified")
        assert "2 of 2 drilled: 2 verified, 0 failed" in screen_text(app)
    # On the server: a drill volume per disk, created and deleted again; the VM's own
    # volumes where they were.
    assert sim.state.calls["createVolume"] == 2 and sim.state.calls["deleteVolume"] == 2
    drilled = {r.drill_volume_id for r in screen.progress.results.values()}
    assert len(drilled) == 2 and drilled <= set(sim.state.removed_volumes)
    assert {vid: (v.vm.id if v.vm else None, v.deviceid)
            for vid, v in sim.state.volumes.items()} == before


async def test_x_stops_the_drill_and_leaves_no_drill_volume(sim: SimServer) -> None:
    before = set(sim.state.volumes)
    app = app_for(sim)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await _drill_hello_atlas(pilot, app)
        table = screen.query_one(FastTable)
        await until(pilot, lambda: sim.state.calls["createVolume"] >= 1)
        await pilot.press("x")  # the clock is frozen: the drills' jobs have not ended
        await until(pilot, lambda: screen.progress.finished, what="the stop")
        assert not screen.progress.results and screen.progress.stopped
        for _ in range(300):  # the created drill volumes' jobs end; then they are deleted
            if set(sim.state.volumes) == before:
                break
            sim.clock.advance(5)
            await pilot.pause(0.03)
        await until(pilot, lambda: "stopped" in cells(table, "state"), what="the stopped rows")
    # On the server: every drill volume made was deleted; nothing else was.
    made = sim.state.calls["createVolume"]
    assert made >= 1 and sim.state.calls["deleteVolume"] == made
    assert set(sim.state.volumes) == before
