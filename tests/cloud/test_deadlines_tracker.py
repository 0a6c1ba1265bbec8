"""One hung request never stops the job tracker: other jobs are still seen to end, and a
restore waiting on the tracker still completes.

The hang is the simulator's drip fault (the answer's bytes trickle, one every 200 ms: minutes
for a whole answer) on a call only the tracker makes. "While it hangs" is checked on the
server: the simulator counts the answers it is still dripping, and each event of the test
(a job seen finished, the restore finished) records that count when it happens.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

import pytest

from atlas_tui.cloud.api.client import CloudClient
from atlas_tui.cloud.jobs import JobTracker, TrackedJob
from atlas_tui.cloud.restore import gather_context, plan_data_swap
from atlas_tui.cloud.restore.task import RestoreTask
from tests.conftest import FAST_RETRY, profile_for, running_sim

KEYS = {"listAsyncJobs": "list", "queryAsyncJobResult": "job:"}  # tracker.outstanding's names
BOUND_S = 30  # bounds every wait so a hang fails the test; never reached when it works


@contextlib.asynccontextmanager
async def tracking(client: CloudClient) -> AsyncIterator[JobTracker]:
    # The tracker waits 50 ms for a call before going on without it; the call itself keeps
    # the client's deadline (60 s here), far longer than the whole test.
    tracker = JobTracker(client, min_interval_s=0.01, max_interval_s=0.08, tick_wait_s=0.05)
    task = asyncio.create_task(tracker.run())
    try:
        yield tracker
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def until_true(predicate: Callable[[], object], what: str) -> None:
    for _ in range(BOUND_S * 100):
        if predicate():
            return
        await asyncio.sleep(0.01)
    pytest.fail(f"never happened: {what}")


async def snapshot_job(client: CloudClient, tracker: JobTracker, volume_name: str,
                       ) -> TrackedJob:
    [volume] = await client.volumes(name=volume_name)
    started = await client.create_snapshot(volume.id)
    return tracker.track(started, label=f"Snapshot {volume_name}", target=volume_name,
                         resource=volume.id)


@pytest.mark.parametrize("hung", ["listAsyncJobs", "queryAsyncJobResult"])
async def test_one_request_hangs_while_two_jobs_finish_and_a_restore_completes(
        hung: str) -> None:
    async with running_sim(speed=2000) as sim:  # jobs end within milliseconds of real time
        if hung == "queryAsyncJobResult":
            # Finished jobs leave the list at once: every end is learnt by a query.
            sim.settings["job.expire.minutes"] = "0"
        async with CloudClient(profile_for(sim, timeout_s=60), retry=FAST_RETRY) as client, \
                tracking(client) as tracker:
            pauses: list[str | None] = []
            tracker.subscribe_paused(pauses.append)
            seen_finished: dict[str, int] = {}  # job id → answers dripping at that moment
            tracker.on_finished(
                lambda job: seen_finished.setdefault(job.jobid, sim.faults.dripping))

            # A restore starts (its jobs are waited for through the tracker) ...
            [snap] = [s for s in await client.snapshots(volumeid=(
                await client.volumes(name="DATA-42"))[0].id) if s.state == "BackedUp"][:1]
            plan = plan_data_swap(await gather_context(client, snap.id))
            assert plan.runnable, plan.blockers
            restore = RestoreTask(plan)
            restore_done: list[int] = []

            def note_done(task: RestoreTask) -> None:
                if task.finished:
                    restore_done.append(sim.faults.dripping)

            restore.subscribe(note_done)
            running = asyncio.create_task(restore.run(client, tracker))
            await until_true(lambda: tracker.jobs, "the restore's first job tracked")

            # ... then the next such call of the tracker hangs, and two jobs are started.
            sim.faults.parse(f"drip:{hung}=200ms")
            first = await snapshot_job(client, tracker, "ROOT-43")
            second = await snapshot_job(client, tracker, "ROOT-44")
            await until_true(lambda: sim.faults.dripping == 1, "the hung answer begins")
            results = await asyncio.wait_for(asyncio.gather(
                tracker.wait(first.jobid), tracker.wait(second.jobid)), BOUND_S)
            await asyncio.wait_for(running, BOUND_S)

            # Both jobs and the restore were seen to end while the hung answer still dripped.
            assert [r.succeeded for r in results] == [True, True]
            assert seen_finished[first.jobid] == seen_finished[second.jobid] == 1
            assert restore.outcome is not None and restore.outcome.succeeded, restore.failure
            assert restore_done == [1]
            assert [r["fired"] for r in sim.faults.describe()] == [1]  # one hang, the tracker's
            [waiting] = tracker.outstanding  # the hung call, still running in the background
            assert waiting.startswith(KEYS[hung])
            assert all(reason is None for reason in pauses)  # tracking never paused for it
        # Stopping the tracker ended its hung call: the server stops dripping.
        await until_true(lambda: sim.faults.dripping == 0, "the hung call ended")

        # On the server: the two snapshots exist and are BackedUp, and the restore swapped
        # the disk (device 1 of hello-atlas is a new volume, the old one detached).
        async with CloudClient(profile_for(sim), retry=FAST_RETRY) as other:
            for job in (first, second):
                taken = await other.snapshot(job.entity_id or "")
                assert taken is not None and taken.state == "BackedUp"
            [vm] = await other.virtual_machines(name="hello-atlas")
            by_device = {v.deviceid: v for v in await other.volumes_of(vm.id)}
            assert by_device[1].name.startswith("hello-atlas-data-42-from-")
            old = await other.volume(snap.volumeid)
            assert old is not None and not old.attached
