"""Stuck is about the snapshot, not who started it: a snapshot taken outside the app that
stays in Creating past the threshold is flagged on every screen that shows it, with the
guide's advice naming the support address, and its diagnostic one key away."""

from __future__ import annotations

from atlas_tui.app import AtlasApp, Launch
from atlas_tui.cloud.api.client import CloudClient
from atlas_tui.settings import Settings
from atlas_tui.sim import SimServer
from atlas_tui.ui.screens.instances import InstancesScreen
from atlas_tui.ui.screens.jobs import JobsScreen
from atlas_tui.ui.screens.protection import ProtectionScreen
from atlas_tui.ui.screens.snapshots import SnapshotsScreen
from atlas_tui.ui.screens.volumes import VolumesScreen
from atlas_tui.ui.widgets.table import FastTable
from tests.conftest import profile_for
from tests.helpers import present
from tests.ui.helpers import cells, loaded, screen_text, session_of, until


async def test_a_stuck_snapshot_started_elsewhere_is_flagged_everywhere(sim: SimServer) -> None:
    sim.faults.parse("stuck:snapshot=Creating")
    async with CloudClient(profile_for(sim)) as other:  # another tool, not this app
        [data] = await other.volumes(name="DATA-42")
        started = await other.create_snapshot(data.id, name="nightly-by-cron")
    snap_id = present(started.entity_id)
    sim.clock.advance(20 * 60)  # twice the default threshold
    assert sim.state.snapshots[snap_id].state == "Creating"

    settings = Settings(support_address="ops@example.org")
    app = AtlasApp(Launch(), profile=profile_for(sim), settings=settings)
    async with app.run_test(size=(100, 30)) as pilot:
        home = await loaded(pilot, InstancesScreen)
        table = home.query_one("#instances", FastTable)
        await until(pilot, lambda: "snapshots" in session_of(app).inventory.loaded)
        await pilot.pause(0.3)
        flagged = {name for name, n in zip(cells(table, "name"), cells(table, "newest"),
                                           strict=True) if n.startswith("⚠ stuck")}
        # Ours, and the demo's own snapshot stuck in Creating since 04:30 on win-fileserver.
        assert flagged == {"hello-atlas", "win-fileserver"}

        await pilot.press("slash", *"hello-atlas", "enter", "enter")
        volumes = await loaded(pilot, VolumesScreen)
        vtable = volumes.query_one("#volumes", FastTable)
        rows = dict(zip(cells(vtable, "name"), cells(vtable, "newest"), strict=True))
        assert rows["DATA-42"].startswith("⚠ stuck") and "stuck" not in rows["ROOT-42"]

        index = cells(vtable, "name").index("DATA-42")
        await pilot.press(*["down"] * index, "enter")
        snaps = await loaded(pilot, SnapshotsScreen)
        stable = snaps.query_one("#snapshots", FastTable)
        stable.move_cursor_to_key(snap_id)
        await pilot.pause()
        states = dict(zip(cells(stable, "name"), cells(stable, "state"), strict=True))
        assert states["nightly-by-cron"] == "⚠ stuck"
        text = screen_text(app)
        assert "nightly-by-cron is stuck in Creating" in text
        assert "Contact support at ops@example.org" in text
        await pilot.press("y")
        assert app.clipboard.startswith("atlas-tui: stuck snapshot")
        assert snap_id in app.clipboard and "ops@example.org" in app.clipboard

        await pilot.press("colon", *"protection", "enter")
        prot = await loaded(pilot, ProtectionScreen)
        ptable = prot.query_one(FastTable)
        await until(pilot, lambda: ptable.row_count > 0)
        stuck_vols = {v for v, n in zip(cells(ptable, "volume"), cells(ptable, "newest"),
                                        strict=True) if "stuck" in n}
        assert stuck_vols == {"DATA-42", "DATA-46"}

        await pilot.press("colon", *"jobs", "enter")
        jobs = await loaded(pilot, JobsScreen)
        jtable = jobs.query_one("#jobs", FastTable)
        def stuck_labels() -> list[str]:
            return [label for label, p in zip(cells(jtable, "label"), cells(jtable, "phase"),
                                              strict=True) if "stuck" in p.lower()]

        await until(pilot, lambda: len(stuck_labels()) == 2)
        assert any("DATA-42" in label for label in stuck_labels()), stuck_labels()
        assert any("DATA-46" in label for label in stuck_labels()), stuck_labels()


async def test_row_screens_give_the_advice_and_y_copies_the_diagnostic(sim: SimServer) -> None:
    """Instances, volumes and protection show more than the mark: the guide's advice with the
    configured support address, and y copies the diagnostic of the server's stuck snapshots."""
    stuck = [s for s in sim.state.snapshots.values()
             if s.state == "Creating" and s.volume.name == "DATA-46"]
    assert stuck  # the demo's snapshot stuck in Creating on win-fileserver
    settings = Settings(support_address="ops@example.org")
    app = AtlasApp(Launch(), profile=profile_for(sim), settings=settings)
    async with app.run_test(size=(120, 40)) as pilot:
        home = await loaded(pilot, InstancesScreen)
        table = home.query_one("#instances", FastTable)
        await until(pilot, lambda: "snapshots" in session_of(app).inventory.loaded)
        await pilot.pause(0.3)
        vm_id = next(r.vm.id for r in home._rows if r.vm.name == "win-fileserver")
        table.move_cursor_to_key(vm_id)
        await pilot.pause()
        _title, fields = present(home.detail_of(table, vm_id))
        advice = fields["atlas-tui: stuck"]["advice"]
        assert any("Contact support at ops@example.org" in line for line in advice)
        await pilot.press("i")
        await pilot.pause(0.2)
        assert "atlas-tui: stuck" in screen_text(app)
        await pilot.press("i", "y")
        await until(pilot, lambda: app.clipboard.startswith("atlas-tui: stuck snapshot"))
        assert all(s.id in app.clipboard for s in stuck) and "ops@example.org" in app.clipboard

        # A row with nothing stuck: y is still the id.
        other = next(r.vm.id for r in home._rows if r.vm.name == "web-01")
        table.move_cursor_to_key(other)
        await pilot.press("y")
        await until(pilot, lambda: app.clipboard == other)

        table.move_cursor_to_key(vm_id)
        await pilot.press("enter")
        volumes = await loaded(pilot, VolumesScreen)
        vtable = volumes.query_one("#volumes", FastTable)
        data = next(r.volume.id for r in present(volumes.detail).volumes
                    if r.volume.name == "DATA-46")
        vtable.move_cursor_to_key(data)
        await pilot.pause()
        _title, fields = present(volumes.detail_of(vtable, data))
        assert "atlas-tui: stuck" in fields and fields["id"] == data
        app.copy_to_clipboard("")
        await pilot.press("y")
        await until(pilot, lambda: app.clipboard.startswith("atlas-tui: stuck snapshot"))
        assert all(s.id in app.clipboard for s in stuck)

        await pilot.press("colon", *"protection", "enter")
        prot = await loaded(pilot, ProtectionScreen)
        ptable = prot.query_one(FastTable)
        await until(pilot, lambda: ptable.row_count > 0)
        ptable.move_cursor_to_key(data)
        await pilot.pause(0.2)
        text = screen_text(app)
        assert "A snapshot of DATA-46 is stuck" in text
        assert "Contact support at ops@example.org" in text
        app.copy_to_clipboard("")
        await pilot.press("y")
        await until(pilot, lambda: app.clipboard.startswith("atlas-tui: stuck snapshot"))
        assert all(s.id in app.clipboard for s in stuck)
