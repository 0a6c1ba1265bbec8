"""T on a snapshot runs a restore drill; the protection view shows when each volume's
backups were last verified, and flags the never verified."""

from __future__ import annotations

from atlas_tui.cloud.drill import load_results
from atlas_tui.sim import SimServer
from atlas_tui.ui.screens.protection import ProtectionScreen
from atlas_tui.ui.widgets.table import FastTable
from tests.ui.helpers import cells, loaded, until
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
