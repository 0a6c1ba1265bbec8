"""A drill of a VM's disks (the newest BackedUp snapshot of each), checked on the server:
every drill volume created, checked and deleted; stopped mid-way, nothing is left behind."""

from __future__ import annotations

import asyncio

from atlas_tui.cloud.api.client import CloudClient
from atlas_tui.cloud.restore.drill import _cleanups, drain_cleanups, drill_many
from tests.cloud.test_restore import snapshot_of
from tests.cloud.test_restore_drill import waiter
from tests.conftest import FAST_RETRY, profile_for, running_sim


async def test_both_disks_of_a_vm_are_drilled_and_their_drill_volumes_deleted() -> None:
    async with running_sim(speed=2000) as sim, \
            CloudClient(profile_for(sim), retry=FAST_RETRY) as c:
        snaps = [await snapshot_of(c, "ROOT-42"), await snapshot_of(c, "DATA-42")]
        before = {vid: (v.vm.id if v.vm else None, v.deviceid)
                  for vid, v in sim.state.volumes.items()}
        results = await drill_many(c, snaps, waiter(c))
        assert [r.ok and r.deleted for r in results] == [True, True], results
        # On the server: two drill volumes made from those snapshots, both gone again; the
        # VM's own volumes where they were.
        assert sim.state.calls["createVolume"] == 2 and sim.state.calls["deleteVolume"] == 2
        drilled = {r.drill_volume_id for r in results}
        assert len(drilled) == 2 and drilled <= set(sim.state.removed_volumes)
        assert {vid: (v.vm.id if v.vm else None, v.deviceid)
                for vid, v in sim.state.volumes.items()} == before


async def test_a_stopped_drill_leaves_no_drill_volume_and_starts_no_more() -> None:
    async with running_sim(speed=0) as sim, \
            CloudClient(profile_for(sim), retry=FAST_RETRY) as c:
        snaps = [await snapshot_of(c, "ROOT-42"), await snapshot_of(c, "DATA-42")]
        before = set(sim.state.volumes)
        task = asyncio.create_task(drill_many(c, snaps, waiter(c), parallel=1))
        while sim.state.calls["createVolume"] < 1:  # the clock is frozen: the job waits
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.1)
        task.cancel()  # the stop
        await asyncio.gather(task, return_exceptions=True)
        assert _cleanups  # the first drill's volume is being cleaned up
        drained = asyncio.create_task(drain_cleanups())
        while not drained.done():
            sim.clock.advance(5)
            await asyncio.sleep(0.02)
        # On the server: the second drill never started; the first one's volume is gone.
        assert sim.state.calls["createVolume"] == 1 and sim.state.calls["deleteVolume"] == 1
        assert set(sim.state.volumes) == before
