"""The restore drill: a snapshot proven restorable by restoring it, checked on the server
(the volume made, checked, deleted by its id; nothing else touched) and kept locally."""

from __future__ import annotations

from typing import TYPE_CHECKING

from atlas_tui.cloud.api.client import CloudClient
from atlas_tui.cloud.restore.drill import drill, keep_result, load_results, verified_words
from tests.cloud.test_restore import snapshot_of

if TYPE_CHECKING:
    from atlas_tui.sim import SimServer




def waiter(client: CloudClient):
    async def wait(started):
        return await client.wait(started.jobid, poll_s=0.02)

    return wait


async def test_a_drill_of_a_good_snapshot_creates_checks_and_deletes_its_volume(
    rc: CloudClient, rsim: SimServer,
):
    snap = await snapshot_of(rc, "ROOT-42")
    before, removed = set(rsim.state.volumes), set(rsim.state.removed_volumes)
    result = await drill(rc, snap, await rc.disk_offerings(), waiter(rc))
    assert result.ok and result.deleted, result
    assert result.text.startswith("restored in ") and "Ready" in result.text
    # On the server: one createVolume, one deleteVolume, of that volume only.
    assert rsim.state.calls["createVolume"] == 1 and rsim.state.calls["deleteVolume"] == 1
    assert set(rsim.state.removed_volumes) - removed == {result.drill_volume_id}
    assert set(rsim.state.volumes) == before
    assert rsim.state.removed_volumes[result.drill_volume_id].name.startswith("atlas-drill-")
    keep_result(result)
    kept = load_results()[snap.volumeid]
    assert kept["ok"] and kept["verified_at"] == result.at
    assert verified_words(kept) == (result.at[:10], False)
    assert verified_words(None) == ("never", True)


async def test_a_failing_drill_is_reported_and_deletes_nothing_else(
    rc: CloudClient, rsim: SimServer,
):
    snap = await snapshot_of(rc, "DATA-42")
    keep_result(await drill(rc, snap, await rc.disk_offerings(), waiter(rc)))  # a good one
    before, removed = set(rsim.state.volumes), set(rsim.state.removed_volumes)
    rsim.faults.parse("failjob:createVolume!Insufficient capacity on primary storage")
    result = await drill(rc, snap, await rc.disk_offerings(), waiter(rc))
    assert not result.ok
    assert "Insufficient capacity on primary storage" in result.text
    # Only the drill's own failed volume may go; every other volume is still there.
    assert set(rsim.state.volumes) <= before | {result.drill_volume_id}
    assert before <= set(rsim.state.volumes)
    removed_now = set(rsim.state.removed_volumes) - removed
    assert removed_now <= {result.drill_volume_id}
    keep_result(result)
    kept = load_results()[snap.volumeid]
    assert not kept["ok"] and kept["verified_at"]  # the earlier good drill is remembered
    assert verified_words(kept)[1] is True  # the last one failed: flagged
