"""JobTracker against the simulator over real HTTP: one timer for every job in flight.

Time on the server only moves when a test says so (`sim.clock.advance`), so a job's life is
driven step by step; the tracker runs with tiny intervals. Nothing asserts a duration: the
tests count calls and look at states. `until()` only bounds a wait so a bug fails, not hangs.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import pytest

from atlas_tui.cloud.api.client import CloudClient
from atlas_tui.cloud.api.errors import CloudError
from atlas_tui.cloud.api.models import JobStarted, JobStatus, Volume
from atlas_tui.cloud.jobs import (
    NO_SERVER_CLOCK,
    JobTracker,
    SnapshotRetry,
    TrackedJob,
    api_name,
)
from atlas_tui.sim import SimServer
from tests.conftest import FAST_RETRY, make_sim, profile_for

POLLING = ("listAsyncJobs", "listSnapshots", "queryAsyncJobResult")
MIN_S, MAX_S = 0.01, 0.08


async def until(predicate: Callable[[], bool], what: str, limit_s: float = 10.0) -> None:
    for _ in range(int(limit_s / 0.005)):
        if predicate():
            return
        await asyncio.sleep(0.005)
    pytest.fail(f"never happened: {what}")


def polls(client: CloudClient) -> int:
    return sum(client.calls[c] for c in POLLING)


@contextlib.asynccontextmanager
async def running(client: CloudClient, **kwargs: Any) -> AsyncIterator[JobTracker]:
    kwargs.setdefault("min_interval_s", MIN_S)
    kwargs.setdefault("max_interval_s", MAX_S)
    tracker = JobTracker(client, **kwargs)
    task = asyncio.create_task(tracker.run())
    try:
        yield tracker
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        assert not task.done() or task.cancelled()  # the loop never ended on its own


async def volume(client: CloudClient, name: str) -> Volume:
    [found] = [v for v in await client.volumes() if v.name == name]
    return found


async def snapshot_of(client: CloudClient, tracker: JobTracker, name: str) -> TrackedJob:
    vol = await volume(client, name)
    started = await client.create_snapshot(vol.id)
    return tracker.track(started, label=f"Snapshot {name}", target=name, resource=vol.id)


async def test_a_snapshot_job_from_allocated_to_backed_up(sim: SimServer,
                                                          client: CloudClient) -> None:
    async with running(client) as tracker:
        finished: list[TrackedJob] = []
        tracker.on_finished(finished.append)
        job = await snapshot_of(client, tracker, "ROOT-42")
        assert job.state == "Allocated" and not job.done  # shown at once, before any poll
        waiter = asyncio.create_task(tracker.wait(job.jobid))
        await until(lambda: tracker.ticks >= 2, "a job tick and a snapshot tick")
        sim.clock.advance(3)
        await until(lambda: job.state == "Creating", "Creating")
        sim.clock.advance(30)
        await until(lambda: job.state == "BackingUp", "BackingUp")
        sim.clock.advance(120)
        result = await asyncio.wait_for(waiter, 10)
    assert result.succeeded and result.jobid == job.jobid
    assert job.done and job.succeeded and job.status is JobStatus.SUCCEEDED
    assert [s.state for s in job.states] == ["Allocated", "Creating", "BackingUp", "BackedUp"]
    assert job.phase == "BackedUp" and job.error == ""
    assert job.created is not None and job.completed is not None
    assert finished == [job]
    assert await tracker.wait(job.jobid) is result  # an ended job answers at once
    assert tracker.jobs == [job] and tracker.in_flight == []


async def test_a_failed_job_carries_the_server_error_text(sim: SimServer,
                                                          client: CloudClient) -> None:
    text = "Failed to create snapshot: secondary storage is full"
    sim.faults.add(f"failjob:createSnapshot@BackingUp!{text}")
    async with running(client) as tracker:
        finished: list[TrackedJob] = []
        tracker.on_finished(finished.append)
        job = await snapshot_of(client, tracker, "ROOT-42")
        sim.clock.advance(200)
        result = await asyncio.wait_for(tracker.wait(job.jobid), 10)
    assert result.status is JobStatus.FAILED and result.resultcode == 530
    assert job.failed and job.error == text and job.phase == "Failed"
    assert finished == [job] and text in job.diagnostic()


async def test_twenty_jobs_cost_one_call_per_tick() -> None:
    server = make_sim(seed="scale:30", speed=0)
    await server.start()
    try:
        async with CloudClient(profile_for(server), retry=FAST_RETRY) as client:
            roots = [v for v in await client.volumes() if v.name.startswith("ROOT-")][:20]
            # One snapshot job per VM is a server rule: 20 different VMs.
            assert len({v.virtualmachineid for v in roots}) == 20
            async with running(client) as tracker:
                for vol in roots:
                    started = await client.create_snapshot(vol.id)
                    tracker.track(started, label=f"Snapshot {vol.name}", target=vol.name,
                                  resource=vol.id)
                await until(lambda: tracker.ticks >= 20, "20 ticks")
                server.clock.advance(600)
                await until(lambda: not tracker.in_flight, "all 20 jobs end")
            jobs = tracker.jobs
            assert len(jobs) == 20 and all(j.succeeded for j in jobs)
            assert all(j.state == "BackedUp" for j in jobs)
            # Exactly one call per tick, whatever the number of jobs (20 pollers: 20).
            assert polls(client) == tracker.ticks == sum(tracker.calls_made.values())
            assert server.state.calls["queryAsyncJobResult"] == 0
            assert server.state.calls["listSnapshots"] > 0  # the Creating/BackingUp steps
    finally:
        await server.stop()


async def test_backoff_grows_while_nothing_changes_and_a_change_brings_it_back(
        sim: SimServer, client: CloudClient) -> None:
    steady = 0.02  # early snapshot steps only: twice that, then a share of the job's age
    async with running(client, steady_interval_s=steady) as tracker:
        job = await snapshot_of(client, tracker, "ROOT-42")
        await until(lambda: list(tracker.intervals)[-2:] == [MAX_S, MAX_S], "backed off")
        grown = list(tracker.intervals)
        assert grown == sorted(grown) and grown[0] < MAX_S  # only ever grew, up to the cap
        mark = len(tracker.intervals)
        sim.clock.advance(3)  # the snapshot goes to Creating: a change
        await until(lambda: job.state == "Creating", "Creating")
        await until(lambda: len(tracker.intervals) > mark + 1, "a tick after the change")
        # Back to the steady cadence (not to the minimum: with many jobs, something changes
        # at almost every tick).
        assert min(list(tracker.intervals)[mark:]) <= 2 * steady < MAX_S
        # A newly tracked job resets the interval to the minimum: a first look soon, then
        # growing again from there.
        await until(lambda: list(tracker.intervals)[-1] == MAX_S, "backed off again")
        mark = len(tracker.intervals)
        await snapshot_of(client, tracker, "ROOT-43")
        await until(lambda: len(tracker.intervals) > mark, "a tick after the new job")
        assert list(tracker.intervals)[mark] <= MIN_S * 1.5


async def test_a_snapshot_in_backing_up_costs_no_snapshot_call(
        sim: SimServer, client: CloudClient) -> None:
    """From BackingUp on only the job list is asked: the job's end carries the final state."""
    async with running(client) as tracker:
        job = await snapshot_of(client, tracker, "ROOT-42")
        sim.clock.advance(3)
        await until(lambda: job.state == "Creating", "Creating")
        sim.clock.advance(30)
        await until(lambda: job.state == "BackingUp", "BackingUp")
        snapshots = sim.state.calls["listSnapshots"]
        lists = sim.state.calls["listAsyncJobs"]
        ticks = tracker.ticks
        await until(lambda: tracker.ticks >= ticks + 4, "ticks while BackingUp")
        assert sim.state.calls["listSnapshots"] == snapshots
        assert sim.state.calls["listAsyncJobs"] >= lists + 4
        sim.clock.advance(300)
        await until(lambda: job.done, "the end")
    assert job.succeeded and [s.state for s in job.states][-1] == "BackedUp"


async def test_a_failure_seen_in_the_snapshot_is_confirmed_by_the_job_at_once(
        sim: SimServer, client: CloudClient) -> None:
    text = "Failed to create snapshot: primary storage is gone"
    sim.faults.add(f"failjob:createSnapshot@Creating!{text}")
    tracker = JobTracker(client, min_interval_s=MIN_S, max_interval_s=MAX_S)
    job = await snapshot_of(client, tracker, "ROOT-42")
    sim.clock.advance(120)  # the job fails: its snapshot goes to Error
    tracker.ticks = 1  # ticks alternate: this one asks listSnapshots (driven by hand here)
    await tracker._tick()
    assert sim.state.calls["listAsyncJobs"] == 0 and sim.state.calls["listSnapshots"] == 1
    assert job.state == "Error" and not job.done  # seen in the snapshot, not yet the job
    assert tracker._confirm  # so the loop's next sleep is none, and that tick is a job list
    await tracker._tick()
    assert sim.state.calls["listAsyncJobs"] == 1
    # The outcome and the server's text come from the job itself.
    assert job.failed and job.error == text and job.state == "Error"


async def test_no_jobs_no_calls(sim: SimServer, client: CloudClient) -> None:
    async with running(client) as tracker:
        await asyncio.sleep(0.2)
        assert polls(client) == 0 and tracker.ticks == 0
        job = await snapshot_of(client, tracker, "ROOT-42")
        sim.clock.advance(300)
        await until(lambda: job.done, "the job ends")
        after = polls(client)
        assert after > 0
        await asyncio.sleep(0.2)  # nothing in flight: the loop sleeps on its event
        assert polls(client) == after


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        # aiohttp resends a GET once after a drop: two drops make one failed call.
        ("drop:listAsyncJobs#1+*2", "Cannot reach the API"),
        ("error:listAsyncJobs#1+*3@530", "(530)"),
        ("error:listAsyncJobs#1@429", "throttling"),
    ],
    ids=["dropped-connection", "server-530", "throttled-429"],
)
async def test_errors_pause_polling_and_lose_no_job(
        sim: SimServer, client: CloudClient, fault: str, words: str) -> None:
    async with running(client) as tracker:
        pauses: list[tuple[str | None, int]] = []
        tracker.subscribe_paused(lambda reason: pauses.append((reason, polls(client))))
        job = await snapshot_of(client, tracker, "ROOT-42")
        await until(lambda: job.last is not None, "the job seen once")
        sim.faults.add(fault)
        await until(lambda: tracker.paused_reason is not None, "paused")
        assert words in (tracker.paused_reason or "")
        assert tracker.in_flight == [job]  # paused, not dropped
        if "429" in fault:
            # The 429 asks for 1000 ms: no call at all in the next 300 (a sleep never ends
            # early, so this cannot flake; a tracker ignoring the wait retries in 20 ms).
            calls = polls(client)
            await asyncio.sleep(0.3)
            assert polls(client) == calls and tracker.paused_reason
        await until(lambda: tracker.paused_reason is None, "resumed")
        sim.clock.advance(300)
        await until(lambda: job.done, "the job ends after the pause")
    assert job.succeeded and tracker.jobs == [job]
    assert pauses[0][0] and pauses[-1][0] is None
    if "429" in fault:
        # One pause for the advertised wait, then straight back: no call while it lasted.
        assert len(pauses) == 2 and pauses[1][1] - pauses[0][1] == 1


@pytest.mark.parametrize("date_header", [True, False], ids=["server-clock", "no-date-header"])
async def test_a_snapshot_stuck_in_creating_is_called_stuck(date_header: bool) -> None:
    """With a Date header (a proxy adds one) the job's age is the server's clock since its
    `created`; CloudStack itself sends none, and then the age is this computer's clock since
    the tracker first saw the job, never the two clocks mixed (the sim's clock is weeks
    behind the real one here: mixing them would call the job stuck at once)."""
    server = make_sim(speed=0, date_header=date_header, faults="stuck:snapshot=Creating")
    local = [1000.0]  # the tracker's own (monotonic) clock, moved by the test

    def advance(seconds: float) -> None:
        server.clock.advance(seconds)
        if not date_header:  # only the server's clock tells a tracker behind a proxy
            local[0] += seconds

    await server.start()
    try:
        async with CloudClient(profile_for(server), retry=FAST_RETRY) as client, \
                running(client, stuck_after=timedelta(minutes=10),
                        clock=lambda: local[0]) as tracker:
            job = await snapshot_of(client, tracker, "ROOT-42")
            advance(9 * 60)
            await until(lambda: job.state == "Creating", "Creating")
            ticks = tracker.ticks
            await until(lambda: tracker.ticks >= ticks + 3, "more ticks")
            assert not job.stuck and not job.advice  # 9 minutes: not yet
            advance(2 * 60)
            await until(lambda: job.stuck, "stuck")
            assert not job.done and job.phase == "Stuck in Creating"
            assert [a.split(":")[0] for a in job.advice] == ["Wait", "Retry", "Contact support"]
            assert job.timing_note == ("" if date_header else NO_SERVER_CLOCK)
            vol = await volume(client, "ROOT-42")
            assert tracker.retry_args(job) == SnapshotRetry(vol.id, "ROOT-42")
            text = job.diagnostic()
            for needle in (job.jobid, job.entity_id, vol.id, "Allocated", "Creating"):
                assert needle and needle in text
            assert ("no Date header" in text) is not date_header
    finally:
        await server.stop()


async def test_jobs_started_elsewhere_are_adopted(sim: SimServer, client: CloudClient) -> None:
    async with CloudClient(profile_for(sim), retry=FAST_RETRY) as other:
        foreign_vol = await volume(other, "ROOT-43")
        before = await other.create_snapshot(foreign_vol.id)
        tracker = JobTracker(client, min_interval_s=MIN_S, max_interval_s=MAX_S)
        [found] = await tracker.discover()  # at the App's start: the account's pending jobs
        assert found.jobid == before.jobid and found.adopted
        assert found.command == "createSnapshot" and found.entity_id == before.entity_id
        sim.clock.advance(300)  # let it end, so the next one can be found while polling
        async with running(client) as tracker:
            mine = await snapshot_of(client, tracker, "ROOT-42")
            await until(lambda: tracker.ticks >= 1, "a tick")
            later = await other.create_snapshot(foreign_vol.id)
            await until(lambda: tracker.get(later.jobid) is not None, "adopted from the list")
            adopted = tracker.get(later.jobid)
            assert adopted is not None and adopted.adopted
            await until(lambda: adopted.target == "ROOT-43", "its volume learned")
            assert adopted.label == "Snapshot ROOT-43"
            assert tracker.retry_args(adopted) == SnapshotRetry(foreign_vol.id, "ROOT-43")
            sim.clock.advance(300)
            await until(lambda: not tracker.in_flight, "both end")
            assert mine.succeeded and adopted.succeeded
            assert {j.jobid for j in tracker.jobs} == {mine.jobid, later.jobid}


async def test_a_job_gone_from_the_list_is_asked_for_directly(
        sim: SimServer, client: CloudClient) -> None:
    sim.settings["job.expire.minutes"] = "0"  # finished jobs leave the list
    async with running(client) as tracker:
        job = await snapshot_of(client, tracker, "ROOT-42")
        await until(lambda: job.last is not None, "seen in the list")
        assert sim.state.calls["queryAsyncJobResult"] == 0
        sim.clock.advance(300)
        result = await asyncio.wait_for(tracker.wait(job.jobid), 10)
    assert result.succeeded and sim.state.calls["queryAsyncJobResult"] >= 1


async def test_a_job_the_server_does_not_know_is_lost_not_dropped(
        sim: SimServer, client: CloudClient) -> None:
    async with running(client) as tracker:
        bogus = JobStarted("stopVirtualMachine", "00000000-0000-4000-8000-000000000000")
        job = tracker.track(bogus, label="Stop web-01", target="web-01")
        with pytest.raises(CloudError):
            await asyncio.wait_for(tracker.wait(job.jobid), 10)
    assert job.done and job.lost and job.phase == "Lost" and tracker.jobs == [job]
    with pytest.raises(KeyError):
        await tracker.wait("not-tracked")


async def test_a_failing_subscriber_does_not_stop_polling(
        sim: SimServer, client: CloudClient) -> None:
    def broken(_: object) -> None:
        raise RuntimeError("a broken panel")

    async with running(client) as tracker:
        tracker.subscribe(broken)
        tracker.on_finished(broken)
        tracker.subscribe_paused(broken)
        seen: list[str] = []
        unsubscribe = tracker.subscribe(lambda j: seen.append(j.phase))
        job = await snapshot_of(client, tracker, "ROOT-42")
        sim.clock.advance(300)
        await asyncio.wait_for(tracker.wait(job.jobid), 10)
        assert seen[0] == "Allocated" and seen[-1] == "BackedUp"
        unsubscribe()
        count = len(seen)
        await snapshot_of(client, tracker, "ROOT-43")
        assert len(seen) == count


def test_command_names_from_java_classes() -> None:
    base = "org.apache.cloudstack.api.command."
    assert api_name(base + "user.snapshot.CreateSnapshotCmd") == "createSnapshot"
    assert api_name(base + "admin.vm.StopVMCmdByAdmin") == "stopVirtualMachine"
    assert api_name(base + "user.volume.ResizeVolumeCmd") == "resizeVolume"


async def test_tracking_a_job_already_adopted_keeps_one_row(
        sim: SimServer, client: CloudClient) -> None:
    # A poll may see the app's own job in listAsyncJobs before track() is called.
    tracker = JobTracker(client, min_interval_s=MIN_S, max_interval_s=MAX_S)
    vol = await volume(client, "ROOT-42")
    started = await client.create_snapshot(vol.id)
    adopted = tracker.adopt(await client.job(started.jobid))
    assert adopted.adopted and adopted.label != "Snapshot ROOT-42"
    mine = tracker.track(started, label="Snapshot ROOT-42", target="ROOT-42", resource=vol.id)
    assert mine is adopted and not mine.adopted and mine.label == "Snapshot ROOT-42"
    assert tracker.jobs == [mine] and tracker.retry_args(mine) == SnapshotRetry(vol.id, "ROOT-42")


# -- slow and hung calls (see also test_deadlines_tracker.py) --------------------------------

TRACKER_CALLS = ("listAsyncJobs", "queryAsyncJobResult", "listSnapshots")


async def test_a_slow_server_is_still_tracked_from_late_answers(sim: SimServer) -> None:
    # Every poll answer takes 300 ms and the tracker waits 20 ms per tick: each answer
    # lands after its tick has moved on, and is still used.
    async with CloudClient(profile_for(sim), retry=FAST_RETRY) as client, \
            running(client, tick_wait_s=0.02) as tracker:
        job = await snapshot_of(client, tracker, "ROOT-42")
        sim.faults.parse(";".join(f"latency:{c}=300ms" for c in TRACKER_CALLS))
        sim.clock.advance(300)
        result = await asyncio.wait_for(tracker.wait(job.jobid), 10)
    assert result.succeeded and job.state == "BackedUp"


async def test_hung_calls_are_capped_then_polling_pauses_and_resumes(sim: SimServer) -> None:
    async with CloudClient(profile_for(sim, timeout_s=3), retry=FAST_RETRY) as client, \
            running(client, tick_wait_s=0.02, max_outstanding=3) as tracker:
        job = await snapshot_of(client, tracker, "ROOT-42")
        await until(lambda: job.last is not None, "the job seen once")
        # From now on every answer the tracker asks for drips (minutes each).
        sim.faults.parse(";".join(f"drip:{c}=200ms#1+" for c in TRACKER_CALLS))
        await until(lambda: tracker.paused_reason is not None, "paused at the cap")
        assert "3 calls are still waiting for an answer" in (tracker.paused_reason or "")
        # On the server: exactly the cap of answers hang, no pile of calls behind them.
        assert sim.faults.dripping == 3 and len(tracker.outstanding) == 3
        assert tracker.in_flight == [job]  # paused, not dropped
        sim.faults.clear()
        # The hung calls end at their 3 s deadline; polling resumes and sees the end.
        sim.clock.advance(300)
        result = await asyncio.wait_for(tracker.wait(job.jobid), 20)
    assert result.succeeded and tracker.paused_reason is None
