"""Malformed answers outside the client's typed reads (issue 9): the job tracker's own paging
of listAsyncJobs, its discovery of the account's pending jobs, the restore plan's
listNetworks and the inventory's pages. Each is one CloudError naming the command, against
the simulator with a `malform` fault (atlas_tui/sim/faults.py); nothing crashes.
"""

from __future__ import annotations

import pytest

from atlas_tui.cloud.api.client import CloudClient
from atlas_tui.cloud.api.errors import CloudError, ErrorKind
from atlas_tui.cloud.inventory import Inventory
from atlas_tui.cloud.jobs import JobTracker
from atlas_tui.cloud.restore.plan import gather_context, networks_of
from atlas_tui.sim import SimServer
from atlas_tui.sim.seeds import ZONE_ADVANCED_ID
from tests.cloud.test_jobs import MAX_S, MIN_S, running, snapshot_of, until, volume
from tests.conftest import FAST_RETRY, profile_for


@pytest.mark.parametrize("how", ["count-text", "null-item", "not-list", "count-huge"])
async def test_tracker_pauses_on_a_malformed_job_list_and_goes_on(
        sim: SimServer, client: CloudClient, how: str) -> None:
    async with running(client) as tracker:
        reasons: list[str | None] = []
        tracker.subscribe_paused(reasons.append)
        job = await snapshot_of(client, tracker, "ROOT-42")
        await until(lambda: job.last is not None, "the job seen once")
        sim.faults.parse(f"malform:listAsyncJobs#1+*2@{how}")
        await until(lambda: tracker.paused_reason is not None, "paused on the bad answer")
        reason = tracker.paused_reason or ""
        assert reason.startswith("The answer to listAsyncJobs was not understood: "), reason
        assert tracker.in_flight == [job]  # paused, not dropped, not failed
        await until(lambda: tracker.paused_reason is None, "resumed once the fault is spent")
        sim.clock.advance(300)
        await until(lambda: job.done, "the job seen finished")
    assert [r["fired"] for r in sim.faults.describe()] == [2]
    assert job.succeeded and reasons[-1] is None
    with sim.state.lock:  # the job did end on the server, as the tracker says
        assert sim.state.jobs[job.jobid].status == 1


async def test_tracker_names_the_snapshot_that_does_not_fit(
        sim: SimServer, client: CloudClient) -> None:
    async with running(client) as tracker:
        job = await snapshot_of(client, tracker, "ROOT-42")
        await until(lambda: job.last is not None, "the job seen once")
        sim.faults.parse("malform:listSnapshots#1+*2@name-object")
        await until(lambda: tracker.paused_reason is not None, "paused on the bad answer")
        reason = tracker.paused_reason or ""
        assert reason.startswith("The answer to listSnapshots was not understood: "), reason
        assert "snapshot[0].name" in reason
        await until(lambda: tracker.paused_reason is None, "resumed once the fault is spent")
        sim.clock.advance(300)
        await until(lambda: job.done, "the job seen finished")
    assert job.succeeded
    with sim.state.lock:
        assert sim.state.jobs[job.jobid].status == 1


async def test_discovery_adopts_the_readable_jobs_and_names_the_bad_entry(
        sim: SimServer, client: CloudClient) -> None:
    async with CloudClient(profile_for(sim), retry=FAST_RETRY) as other:
        started = {(await other.create_snapshot((await volume(other, name)).id)).jobid
                   for name in ("ROOT-42", "ROOT-43")}
    sim.faults.parse("malform:listAsyncJobs@null-item")  # the first entry is `null`
    tracker = JobTracker(client, min_interval_s=MIN_S, max_interval_s=MAX_S)
    with pytest.raises(CloudError) as caught:
        await tracker.discover()
    assert [r["fired"] for r in sim.faults.describe()] == [1]
    e = caught.value
    assert e.command == "listAsyncJobs" and e.kind is ErrorKind.MALFORMED
    assert "1 pending job(s) could not be read" in e.user_message()
    # The other pending job is adopted all the same.
    [adopted] = tracker.jobs
    assert adopted.adopted and adopted.jobid in started
    with sim.state.lock:
        assert all(sim.state.jobs[j].status == 0 for j in started)


async def test_malformed_network_list_is_one_error_naming_list_networks(
        sim: SimServer, client: CloudClient) -> None:
    assert [n["id"] for n in await networks_of(client, ZONE_ADVANCED_ID)]  # the seeds have one
    sim.faults.parse("malform:listNetworks@no-id")
    with pytest.raises(CloudError) as caught:
        await networks_of(client, ZONE_ADVANCED_ID)
    e = caught.value
    assert e.command == "listNetworks" and e.kind is ErrorKind.MALFORMED
    assert "network[0]" in e.text
    # Through the restore plan's reading (template launch reads the networks too).
    sim.faults.parse("malform:listNetworks@null-item")
    snap = (await client.snapshots())[0]
    with pytest.raises(CloudError) as caught:
        await gather_context(client, snap.id, for_template=True)
    assert caught.value.command == "listNetworks"
    assert caught.value.user_message().startswith("The answer to listNetworks was not understood")


@pytest.mark.parametrize(("command", "key"), [("listVirtualMachines", "virtualmachine"),
                                              ("listVolumes", "volume")])
async def test_inventory_names_the_item_that_does_not_fit(
        sim: SimServer, client: CloudClient, command: str, key: str) -> None:
    sim.faults.parse(f"malform:{command}@name-object")
    with pytest.raises(CloudError) as caught:
        await Inventory().load(client, lambda _part: None)
    e = caught.value
    assert e.command == command and e.kind is ErrorKind.MALFORMED
    assert f"{key}[0].name" in e.text, e.text
