"""Restores done twice, rolled back, or cut off: what they create is known by id, and what
they report is what the server shows. Checked on the simulator's own state and call counts."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from atlas_tui.cloud.api.client import CloudClient
from atlas_tui.cloud.restore import (
    RestoreRunner,
    gather_context,
    plan_attach,
    plan_root_swap,
)
from atlas_tui.cloud.restore.journal import Journal
from atlas_tui.cloud.restore.report import read_server
from atlas_tui.sim import DEMO_API_KEY, DEMO_SECRET_KEY
from tests.cloud.restore_child import kill_at
from tests.cloud.test_restore import snapshot_of, vm_named
from tests.cloud.test_restore_faults import KillSim
from tests.conftest import FAST_RETRY, profile_for, running_sim
from tests.helpers import present

if TYPE_CHECKING:
    from atlas_tui.sim import SimServer

GIB = 1024**3




def run(client: CloudClient, plan, journal: Journal | None = None) -> RestoreRunner:
    return RestoreRunner(client, plan, journal=journal, poll_s=0.05, settle_s=1.0)


async def test_the_same_snapshot_attached_to_two_vms_makes_two_volumes(
    rc: CloudClient, rsim: SimServer,
):
    """The issue's case, made harder: the second run is even given the first run's volume
    name. It must create and attach its own volume and say so truthfully."""
    hello, web = await vm_named(rc, "hello-atlas"), await vm_named(rc, "web-01")
    snap = await snapshot_of(rc, "DATA-42")
    first_plan = plan_attach(await gather_context(rc, snap.id))
    default = plan_attach(await gather_context(rc, snap.id), target=web)
    assert default.options["volume_name"] != first_plan.options["volume_name"]  # per run
    first = await run(rc, first_plan).run()
    assert first.succeeded and first.verified, first
    name = first_plan.options["volume_name"]
    second_plan = plan_attach(await gather_context(rc, snap.id), target=web, volume_name=name,
                              target_vm_snapshots=await rc.vm_snapshots_of(web.id))
    second = await run(rc, second_plan).run()
    assert second.succeeded and second.verified, second

    # On the server: two createVolume and two attachVolume calls, two volumes of that name.
    assert rsim.state.calls["createVolume"] == 2 and rsim.state.calls["attachVolume"] == 2
    same = [v for v in rsim.state.volumes.values() if v.name == name]
    assert len(same) == 2
    on_hello = next(v for v in await rc.volumes_of(hello.id) if v.name == name)
    on_web = next(v for v in await rc.volumes_of(web.id) if v.name == name)
    # Each report names its own volume, where it really is.
    [k1], [k2] = first.kept, second.kept
    assert (k1.id, k1.where) == (on_hello.id, f"attached to hello-atlas at device "
                                              f"{on_hello.deviceid}")
    assert (k2.id, k2.where) == (on_web.id, f"attached to web-01 at device {on_web.deviceid}")
    # The second run says it found the first run's volume and left it alone.
    assert any(on_hello.id in n and "left alone" in n for n in second.notes), second.notes
    assert Journal.load(Path(second.journal_path)).created_resources["new_volume"] == on_web.id


async def test_a_rollback_reports_what_a_fresh_read_shows(rc: CloudClient, rsim: SimServer):
    vm = await vm_named(rc, "hello-atlas")
    snap = await snapshot_of(rc, "ROOT-42")
    plan = plan_root_swap(await gather_context(rc, snap.id))
    rsim.faults.parse("failjob:startVirtualMachine!Unable to start hello-atlas: no capacity")
    outcome = await run(rc, plan).run()
    assert outcome.status == "rolled-back" and outcome.verified, outcome
    assert outcome.error == "Unable to start hello-atlas: no capacity"

    async with CloudClient(profile_for(rsim), retry=FAST_RETRY) as other:
        fresh = await other.virtual_machine(vm.id)
        [root] = [v for v in await other.volumes_of(vm.id) if v.deviceid == 0]
        new = await other.volume(Journal.load(Path(outcome.journal_path))
                                 .created_resources["new_volume"])
    assert fresh is not None and new is not None
    assert outcome.vm_line == f"hello-atlas is {fresh.state}."
    assert (root.id, root.name) == (snap.volumeid, "ROOT-42")
    assert any(line.startswith(f"device 0 of hello-atlas: ROOT-42 ({root.id}, ROOT,")
               and line.endswith("the original root") for line in outcome.disks)
    assert f"{new.name} ({new.id}): detached; created by this restore" in outcome.disks
    [kept] = outcome.kept
    assert (kept.id, kept.where, kept.state) == (new.id, "detached", new.state)
    # Nothing about a renamed old root, which the rollback put back.
    text = " ".join([*outcome.notes, *outcome.disks, *outcome.next_steps])
    assert "replaced" not in text and "renamed" not in text
    assert any(new.id in s and "unused" in s for s in outcome.next_steps)
    assert all(c.ok for c in outcome.checks) and len(outcome.checks) == 3


async def test_the_planned_size_is_the_created_size(rc: CloudClient, rsim: SimServer):
    snap = await snapshot_of(rc, "ROOT-42")
    ctx = await gather_context(rc, snap.id)
    plan = plan_root_swap(ctx)
    offering = next(o for o in ctx.disk_offerings if o.id == plan.options["diskofferingid"])
    size = plan.options["volume_size"]
    title = plan.step("create-volume").title
    assert f"({size // GIB} GiB: disk offering {offering.name}" in title
    if size != snap.virtualsize:
        assert f"the snapshot's disk is {(snap.virtualsize or 0) // GIB} GiB" in title
    outcome = await run(rc, plan).run()
    assert outcome.succeeded, outcome
    new_id = Journal.load(Path(outcome.journal_path)).created_resources["new_volume"]
    assert rsim.state.volumes[new_id].size == size


async def test_a_failed_rollback_says_the_vm_cannot_boot(rsim: SimServer, rc: CloudClient):
    snap = await snapshot_of(rc, "ROOT-42")
    plan = plan_root_swap(await gather_context(rc, snap.id))
    rsim.faults.parse("failjob:attachVolume#1+")
    outcome = await RestoreRunner(rc, plan, poll_s=0.05, settle_s=0.5, undo_attempts=2).run()
    assert outcome.status == "rollback-failed" and not outcome.verified
    view = await read_server(rc, Journal.load(Path(outcome.journal_path)))
    assert not view.bootable
    assert outcome.vm_line == "hello-atlas is Stopped and has no disk at device 0: it cannot boot."
    assert any("cannot boot" in s and f"attachVolume id={snap.volumeid}" in s
               for s in outcome.next_steps), outcome.next_steps
    assert not all(c.ok for c in outcome.checks)


@pytest.mark.slow
async def test_a_crash_during_create_volume_resumes_to_its_own_volume(tmp_path: Path):
    """The app is killed after createVolume was sent, before its answer; a volume of the
    same name was there already. Resume takes the one its call made, not the other."""
    sim = KillSim()
    try:
        async with CloudClient(sim.profile(), retry=FAST_RETRY) as client:
            vm = await vm_named(client, "hello-atlas")
            snap = await snapshot_of(client, "ROOT-42")
            plan = plan_root_swap(await gather_context(client, snap.id))
            name = plan.options["volume_name"]
            started = await client.create_volume_from_snapshot(
                snap.id, name=name, disk_offering_id=plan.options["diskofferingid"])
            await client.wait(started.jobid, poll_s=0.05)
            decoy = present(started.entity_id)
            journal = Journal.create(plan, tmp_path, endpoint=sim.endpoint)
            await sim.faults("latency:createVolume=1500ms")
            # Killed once the call has reached the server, which holds it.
            await kill_at(journal.path, "create-volume", endpoint=sim.endpoint,
                          api_key=DEMO_API_KEY, secret_key=DEMO_SECRET_KEY, wait_s=0.5)
            await sim.faults(None)
            [left] = Journal.unfinished(tmp_path)
            assert left.step("create-volume")["known"] == [decoy]
            assert not left.step("create-volume").get("jobid")  # the answer never came
            outcome = await RestoreRunner.resume(client, left, poll_s=0.05, settle_s=2.5)
            assert outcome.succeeded and outcome.verified, outcome
            [root] = [v for v in await client.volumes_of(vm.id) if v.deviceid == 0]
            assert root.name == name and root.id != decoy
            assert Journal.load(journal.path).created_resources["new_volume"] == root.id
            found_by = Journal.load(journal.path).step("create-volume").get("found_by", "")
            assert found_by.startswith("job "), found_by
            other = await client.volume(decoy)
            assert other is not None and not other.attached and other.state == "Ready"
            assert [k.id for k in outcome.kept] == [root.id]
    finally:
        sim.stop()


async def test_the_plan_reads_a_copied_schedule_as_the_policies_screen_does(
    rc: CloudClient, rsim: SimServer,
):
    from atlas_tui.ui.policy_text import policy_warning, policy_words

    snap = await snapshot_of(rc, "ROOT-42")
    ctx = await gather_context(rc, snap.id)
    [policy] = ctx.policies
    assert (policy.interval, policy.schedule) == ("DAILY", "03:00")  # the guide's way
    plan = plan_root_swap(ctx, move_policies=True)
    copy = plan.step("copy-policy-daily")
    assert f"({policy_words(policy)})" in copy.title and "00:03" in policy_words(policy)
    assert policy_warning(policy) in copy.title and "did you mean 03:00" in copy.title
    assert any("Tick 'Copy the schedule as meant'" in n for n in plan.notes)
    assert copy.call.params["schedule"] == "03:00"  # copied as it is unless asked

    fixed = plan_root_swap(ctx, move_policies=True, fix_schedules=True)
    step = fixed.step("copy-policy-daily")
    assert step.call.params["schedule"] == "00:03" and "fixed from '03:00'" in step.title
    assert "daily at 03:00" in step.title
    outcome = await run(rc, fixed).run()
    assert outcome.succeeded, outcome
    new_id = Journal.load(Path(outcome.journal_path)).created_resources["new_volume"]
    [copied] = await rc.snapshot_policies(new_id)
    assert copied.schedule == "00:03" and policy_words(copied).startswith("daily at 03:00")


async def test_the_tracker_polls_at_a_fixed_cadence_while_a_restore_waits(sim_frozen):
    """While someone awaits a job, the tracker's chosen sleeps stay at the urgent cadence;
    with nobody waiting it backs off as before. (Chosen intervals, not timings.)"""
    from atlas_tui.cloud.jobs import JobTracker

    sim, client = sim_frozen
    [data] = await client.volumes(name="DATA-42")
    started = await client.create_snapshot(data.id)  # the clock stands still: never ends
    tracker = JobTracker(client, min_interval_s=0.01, max_interval_s=0.4,
                         urgent_interval_s=0.02)
    poller = asyncio.create_task(tracker.run())
    try:
        tracker.track(started, label="Snapshot DATA-42", target="DATA-42")
        while tracker.ticks < 12:
            await asyncio.sleep(0.01)
        assert max(tracker.intervals) > 0.02  # backed off: nobody waits
        waiter = asyncio.create_task(tracker.wait(started.jobid))
        await asyncio.sleep(0)
        ticks = tracker.ticks
        while tracker.ticks < ticks + 6:
            await asyncio.sleep(0.01)
        assert list(tracker.intervals)[-5:] == [0.02] * 5
        sim.clock.advance(600)  # the job ends: the waiter gets it
        assert (await asyncio.wait_for(waiter, 10)).jobid == started.jobid
    finally:
        poller.cancel()


@pytest.fixture
async def sim_frozen():
    async with running_sim(speed=0) as server, \
            CloudClient(profile_for(server), retry=FAST_RETRY) as c:
        yield server, c
