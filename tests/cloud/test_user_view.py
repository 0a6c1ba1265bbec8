"""The app from a regular account's view (issue 10): what the server does not give a user is
never needed, an unknown size stays unknown, and the job tracker copes with what a real
server does (no Date header, no listAsyncJobs for the role, an answer without jobstatus)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from atlas_tui.cloud.api.client import CloudClient
from atlas_tui.cloud.api.errors import CloudError
from atlas_tui.cloud.api.models import Snapshot
from atlas_tui.cloud.durations import compact, duration
from atlas_tui.cloud.inventory import SnapshotStats
from atlas_tui.cloud.jobs import JobTracker
from atlas_tui.cloud.protection import summarize
from atlas_tui.cloud.restore import (
    PlanBlocked,
    RestoreRunner,
    gather_context,
    plan_attach,
    plan_root_swap,
)
from atlas_tui.cloud.sizes import restored_volume_size, stored_bytes
from atlas_tui.sim import SimServer
from atlas_tui.ui import format as fmt
from tests.conftest import FAST_RETRY, profile_for, running_sim


@contextlib.asynccontextmanager
async def connected(**kwargs: Any) -> AsyncIterator[tuple[SimServer, CloudClient]]:
    async with running_sim(**kwargs) as sim, \
            CloudClient(profile_for(sim), retry=FAST_RETRY) as client:
        yield sim, client


async def newest_backed_up(client: CloudClient, volume_name: str) -> Snapshot:
    [vol] = [v for v in await client.volumes() if v.name == volume_name]
    snaps = [s for s in await client.snapshots_of(vol.id) if s.backed_up]
    return max(snaps, key=lambda s: s.created or 0)


# -- hypervisor and sizes in the restore plan ----------------------------------------------


async def test_cross_hypervisor_attach_is_blocked_from_the_vms_hypervisor() -> None:
    """A user's volume carries no `hypervisor`: the check reads the source VM's, and the plan
    stops before any volume is created (not inside the attach job, after it)."""
    async with connected(speed=2000) as (sim, client):
        snap = await newest_backed_up(client, "DATA-42")  # hello-atlas, KVM
        ctx = await gather_context(client, snap.id)
        assert ctx.source_volume is not None and ctx.source_volume.hypervisor == ""
        [xen] = [v for v in await client.virtual_machines() if v.name == "win-fileserver"]
        plan = plan_attach(ctx, target=xen, target_vm_snapshots=[])
        assert [b.code for b in plan.blockers] == ["hypervisor"]
        assert "KVM" in plan.blockers[0].reason and "XenServer" in plan.blockers[0].reason
        with pytest.raises(PlanBlocked):
            await RestoreRunner(client, plan, poll_s=0.05, settle_s=1.0).run()
        assert sim.state.calls["createVolume"] == 0


@pytest.mark.parametrize(("version", "source"), [("4.22", "the snapshot's virtualsize"),
                                                 ("4.15", "the snapshot's size")])
async def test_the_plan_says_where_the_volume_size_comes_from(version: str, source: str) -> None:
    async with connected(speed=2000, server_version=version) as (_, client):
        snap = await newest_backed_up(client, "ROOT-42")
        plan = plan_root_swap(await gather_context(client, snap.id))
        assert plan.runnable, plan.blockers
        title = plan.step("create-volume").title
        assert "(20 GiB: disk offering " in title and title.endswith(f", as {source})")
        offering = plan.step("create-volume").call.params["diskofferingid"]
        sizes = {o.id: o.disksize_gib for o in await client.disk_offerings()}
        assert sizes[offering] == 20  # the smallest that fits 20 GiB, not a guess


async def test_an_unknown_size_is_never_guessed() -> None:
    """A snapshot answer with no size and no volume left (an orphan): the plan asks instead of
    sending createVolume with size=1 or an offering picked for 0 bytes."""
    async with connected(speed=2000) as (_, client):
        snap = await newest_backed_up(client, "ROOT-42")
        ctx = await gather_context(client, snap.id)
    raw = {k: v for k, v in snap.raw.items() if k not in ("virtualsize", "physicalsize", "size")}
    ctx.snapshot = Snapshot.parse(raw)
    ctx.source_volume = None
    assert not restored_volume_size(ctx.snapshot, None).known
    for plan in (plan_root_swap(ctx), plan_attach(ctx)):
        assert "size-unknown" in [b.code for b in plan.blockers]
        create = plan.step("create-volume")
        assert "size unknown" in create.title and "0 GiB" not in create.title
        assert "size" not in create.call.params and "diskofferingid" not in create.call.params


def test_sizes_from_what_the_server_gives() -> None:
    assert stored_bytes({"physicalsize": 5, "size": 7, "virtualsize": 9}) == 5
    assert stored_bytes({"size": 7}) == 7  # older servers
    assert stored_bytes({"virtualsize": 9}) == 9
    assert stored_bytes({"state": "BackedUp"}) is None


def test_unknown_sizes_are_never_summed_as_zero() -> None:
    stats = SnapshotStats()
    stats.add_raw({"physicalsize": 2 * 1024**3, "state": "BackedUp"})
    stats.add_raw({"state": "BackedUp"})
    assert (stats.physical_bytes, stats.unsized) == (2 * 1024**3, 1)
    assert fmt.size_sum(stats.physical_bytes, stats.unsized) == "≥ 2.0 GiB"
    only_unknown = SnapshotStats()
    only_unknown.add_raw({"state": "BackedUp"})
    assert fmt.size_sum(only_unknown.physical_bytes, only_unknown.unsized) == "—"
    assert fmt.size_sum(0, 0) == "0 Bytes"  # a known zero is still zero


def test_protection_totals_count_the_unsized() -> None:
    from atlas_tui.cloud.protection import Status, VolumeProtection

    def row(size: int, unsized: int) -> VolumeProtection:
        return VolumeProtection(key=str(size), volume_name="v", volume_type="ROOT", vm_id="vm",
                                vm_name="vm", vm_state="Running", status=Status.OK,
                                policies=(), newest=None, snapshots=2, bytes=size,
                                unsized=unsized)

    summary = summarize([row(10, 0), row(0, 2)])
    assert (summary.total_bytes, summary.unsized) == (10, 2)


def test_durations_read_in_days_hours_and_minutes() -> None:
    assert duration(163_052) == "1d 21h 17m"
    assert duration(45_292 * 3600) == "1887d 4h 0m"
    assert duration(3 * 3600 + 7 * 60) == "3h 07m"
    assert duration(65) == "1m 05s" and duration(9) == "9s"
    assert compact(245) == "4:05" and compact(3 * 3600 + 420) == "3h07m"
    assert compact(163_052) == "1d21h"


# -- the job tracker ---------------------------------------------------------------------------


async def _run(tracker: JobTracker) -> asyncio.Task[None]:
    return asyncio.create_task(tracker.run())


async def _stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_432_on_list_async_jobs_switches_to_per_job_polling() -> None:
    """A role without listAsyncJobs gets 432 (DynamicRoleBasedAPIAccessChecker): the tracker
    asks job by job, it does not pause as if the keys were wrong."""
    async with connected(speed=300, settings={"sim.role.denied.apis": "listAsyncJobs"}) as (
            sim, client):
        [vol] = [v for v in await client.volumes() if v.name == "ROOT-44"]
        tracker = JobTracker(client, min_interval_s=0.01, max_interval_s=0.05)
        pauses: list[str | None] = []
        tracker.subscribe_paused(pauses.append)
        task = await _run(tracker)
        try:
            job = tracker.track(await client.create_snapshot(vol.id), label="Snapshot",
                                target="ROOT-44", resource=vol.id)
            result = await asyncio.wait_for(tracker.wait(job.jobid), 20)
        finally:
            await _stop(task)
    assert result.succeeded and job.state == "BackedUp"
    assert not any(pauses), pauses
    assert sim.state.calls["listAsyncJobs"] == 1  # refused once, never asked again
    assert sim.state.calls["queryAsyncJobResult"] >= 1


async def test_a_job_answer_without_jobstatus_is_an_error(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """As answers recorded from a real cloud showed: left "Pending", such a job would be
    polled on every tick for ever."""
    from atlas_tui.sim import render

    original = render.job

    def without_status(state: Any, job: Any) -> dict[str, Any]:
        out = original(state, job)
        out.pop("jobstatus", None)
        return out

    monkeypatch.setattr(render, "job", without_status)
    async with connected(speed=300) as (sim, client):
        [vol] = [v for v in await client.volumes() if v.name == "ROOT-44"]
        tracker = JobTracker(client, min_interval_s=0.01, max_interval_s=0.05,
                             snapshot_states=False)
        task = await _run(tracker)
        try:
            job = tracker.track(await client.create_snapshot(vol.id), label="Snapshot",
                                target="ROOT-44", resource=vol.id)
            with pytest.raises(CloudError):
                await asyncio.wait_for(tracker.wait(job.jobid), 20)
            polls = sim.state.calls["listAsyncJobs"] + sim.state.calls["queryAsyncJobResult"]
            await asyncio.sleep(0.2)
            after = sim.state.calls["listAsyncJobs"] + sim.state.calls["queryAsyncJobResult"]
        finally:
            await _stop(task)
    assert job.done and job.failed and job.phase == "Failed"
    assert "no jobstatus" in job.error
    assert after == polls  # no longer polled


async def test_created_on_primary_shows_as_progress() -> None:
    async with connected(speed=0) as (sim, client):
        [vol] = [v for v in await client.volumes() if v.name == "ROOT-44"]
        tracker = JobTracker(client, min_interval_s=0.01, max_interval_s=0.05)
        task = await _run(tracker)
        try:
            job = tracker.track(await client.create_snapshot(vol.id), label="Snapshot",
                                target="ROOT-44", resource=vol.id)
            on_server = sim.state.snapshots[job.entity_id or ""]
            for _ in range(400):  # time stands still once the server is there
                if on_server.state == "CreatedOnPrimary":
                    break
                sim.clock.advance(0.25)
            for _ in range(500):
                if job.state == "CreatedOnPrimary":
                    break
                await asyncio.sleep(0.01)
            assert job.state == "CreatedOnPrimary" and not job.done
            assert job.phase == "CreatedOnPrimary"
            assert fmt.state(job.phase).plain == "CreatedOnPrimary…"
            sim.clock.advance(600)
            result = await asyncio.wait_for(tracker.wait(job.jobid), 20)
        finally:
            await _stop(task)
    assert result.succeeded
    seen = [s.state for s in job.states]
    assert seen[-1] == "BackedUp" and seen.index("CreatedOnPrimary") < seen.index("BackedUp")


async def test_a_generic_refusal_is_explained_from_the_apps_own_rules() -> None:
    """createSnapshot on a running KVM VM with kvm.snapshot.enabled off: a regular account
    reads only "Internal error executing command..." (SnapshotManagerImpl.java ~1598 is a
    CloudRuntimeException); the app says what its own rules see."""
    from atlas_tui.cloud.actions import Actions, SnapshotTarget

    async with connected(speed=0, settings={"kvm.snapshot.enabled": "false"}) as (sim, client):
        [vm] = [v for v in await client.virtual_machines() if v.name == "hello-atlas"]
        [vol] = [v for v in await client.volumes_of(vm.id) if v.is_root]
        actions = Actions(client, JobTracker(client))
        [outcome] = await actions.snapshot_volumes([SnapshotTarget(vol, vm, "refused")])
    assert not outcome.ok
    assert outcome.detail.startswith("Internal error executing command")
    assert "kvm.snapshot.enabled off" in outcome.detail
    assert sim.state.calls["createSnapshot"] == 1
