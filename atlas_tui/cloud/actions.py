"""The actions a user starts with one key, as workflows over the client and the tracker.

Each call is made through the client's write gate (read-only mode, audit log) and each job
is registered with the App's `JobTracker`, so it stays visible whatever screen is open, and
workflows wait on the tracker instead of polling on their own. Failures never raise out of
a workflow: every target gets an `Outcome` with the server's own text.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

from atlas_tui.cloud import rules
from atlas_tui.cloud.api.client import CloudClient
from atlas_tui.cloud.api.errors import CloudError, ErrorKind
from atlas_tui.cloud.api.models import (
    AsyncJob,
    JobStarted,
    Snapshot,
    SnapshotPolicy,
    VirtualMachine,
    VMSnapshot,
    Volume,
)
from atlas_tui.cloud.jobs import JobTracker
from atlas_tui.cloud.rules import snapshot_name, vm_state_for_revert

# What CloudStack tells a non-admin for an unexpected server error (BaseCmd.USER_ERROR_MESSAGE).
GENERIC_SERVER_TEXT = "Internal error executing command"


@dataclass(frozen=True)
class Outcome:
    target: str  # what it was about, for people
    ok: bool
    detail: str  # the new id, or the server's error text
    jobid: str | None = None


@dataclass(frozen=True)
class SnapshotTarget:
    volume: Volume
    vm: VirtualMachine | None
    name: str


def utc_stamp(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y%m%d-%H%MZ")


def default_targets(volumes: Sequence[Volume], vms: dict[str, VirtualMachine],
                    now: datetime) -> list[SnapshotTarget]:
    stamp = utc_stamp(now)
    targets = []
    for volume in volumes:
        vm = vms.get(volume.virtualmachineid)
        name = snapshot_name(vm.name if vm else volume.vmname or None, volume.name, stamp)
        targets.append(SnapshotTarget(volume, vm, name))
    return targets


class Actions:
    def __init__(self, client: CloudClient, tracker: JobTracker) -> None:
        self.client = client
        self.tracker = tracker

    async def _job(self, start: Callable[[], Awaitable[JobStarted]], *, label: str, target: str,
                   resource: str | None = None, snapshot_id: str | None = None) -> AsyncJob:
        """Start a job, register it with the tracker, wait for its end; a failed job
        raises a CloudError with the server's text."""
        started = await start()
        self.tracker.track(started, label=label, target=target, resource=resource,
                           snapshot_id=snapshot_id)
        job = await self.tracker.wait(started.jobid)
        if not job.succeeded:
            raise CloudError(started.command, job.error_text or "the job failed",
                             kind=ErrorKind.JOB_FAILED, code=job.resultcode or None,
                             jobid=job.jobid)
        return job

    # -- volume snapshots ------------------------------------------------------------------

    async def snapshot_volumes(self, targets: Sequence[SnapshotTarget], *, quiesce: bool = False,
                               stop_first: bool = False) -> list[Outcome]:
        """Snapshot each target. The server takes one snapshot per VM at a time, so the
        volumes of one VM go one after another; different VMs go in parallel. With
        `stop_first`, each running VM is stopped before its volumes and started again
        after them, whatever happened to the snapshots."""
        by_vm: dict[str, list[SnapshotTarget]] = {}
        for t in targets:
            by_vm.setdefault(t.vm.id if t.vm else f"detached:{t.volume.id}", []).append(t)
        groups = await asyncio.gather(
            *(self._snapshot_group(group, quiesce, stop_first) for group in by_vm.values())
        )
        return [outcome for group in groups for outcome in group]

    async def _snapshot_group(self, group: list[SnapshotTarget], quiesce: bool,
                              stop_first: bool) -> list[Outcome]:
        vm = group[0].vm
        restart = stop_first and vm is not None and vm.running
        outcomes: list[Outcome] = []
        if restart and vm is not None:
            try:
                await self._job(lambda: self.client.stop_vm(vm.id), label=f"Stop {vm.name}",
                                target=vm.name, resource=vm.id)
            except CloudError as e:
                return [Outcome(t.volume.name, False, f"not taken: stopping {vm.name} failed: "
                                f"{e.text}") for t in group]
        for t in group:
            try:
                job = await self._job(
                    partial(self.client.create_snapshot, t.volume.id, name=t.name,
                            quiesce=quiesce),
                    label=f"Snapshot {t.volume.name}", target=t.volume.name,
                    resource=t.volume.id,
                )
                snap = (job.result or {}).get("snapshot", {})
                outcomes.append(Outcome(t.volume.name, True, str(snap.get("id", "")), job.jobid))
            except CloudError as e:
                outcomes.append(Outcome(t.volume.name, False, await self._explain(t, e),
                                        e.jobid))
        if restart and vm is not None:
            try:
                await self._job(lambda: self.client.start_vm(vm.id), label=f"Start {vm.name}",
                                target=vm.name, resource=vm.id)
            except CloudError as e:
                outcomes.append(Outcome(vm.name, False, f"starting it again failed: {e.text}",
                                        e.jobid))
        return outcomes

    async def _explain(self, target: SnapshotTarget, error: CloudError) -> str:
        """A regular account reads only the generic text for several createSnapshot refusals
        (SnapshotManagerImpl's CloudRuntimeExceptions): say why from our own rules, read
        afresh, when they know it."""
        if not error.text.startswith(GENERIC_SERVER_TEXT):
            return error.text
        try:
            vm = (await self.client.virtual_machine(target.vm.id)) if target.vm else None
            vm_snapshots = await self.client.vm_snapshots_of(vm.id) if vm else []
            caps = await self.client.capabilities()
        except CloudError:
            return error.text
        reason = rules.snapshot_volume(target.volume, vm, caps, vm_snapshots=vm_snapshots)
        return f"{error.text} (likely: {reason})" if reason else error.text

    async def retry_snapshot(self, volume_id: str, volume_name: str, now: datetime) -> Outcome:
        name = snapshot_name(None, volume_name, utc_stamp(now)) + "-retry"
        try:
            job = await self._job(lambda: self.client.create_snapshot(volume_id, name=name),
                                  label=f"Snapshot {volume_name} (retry)", target=volume_name,
                                  resource=volume_id)
        except CloudError as e:
            return Outcome(volume_name, False, e.text, e.jobid)
        return Outcome(volume_name, True, str((job.result or {}).get("snapshot", {}).get("id")),
                       job.jobid)

    async def delete_snapshots(self, snapshots: Sequence[Snapshot]) -> list[Outcome]:
        async def one(s: Snapshot) -> Outcome:
            try:
                job = await self._job(lambda: self.client.delete_snapshot(s.id),
                                      label=f"Delete {s.name}", target=s.volumename,
                                      resource=s.volumeid, snapshot_id=s.id)
            except CloudError as e:
                return Outcome(s.name, False, e.text, e.jobid)
            return Outcome(s.name, True, "deleted", job.jobid)

        return list(await asyncio.gather(*(one(s) for s in snapshots)))

    # -- VM snapshots ----------------------------------------------------------------------

    async def vm_snapshot(self, vm: VirtualMachine, *, name: str, description: str = "",
                          memory: bool = False, quiesce: bool = False) -> Outcome:
        try:
            job = await self._job(
                lambda: self.client.create_vm_snapshot(vm.id, name=name,
                                                       description=description or None,
                                                       memory=memory, quiesce=quiesce),
                label=f"VM snapshot {vm.name}", target=vm.name, resource=vm.id,
            )
        except CloudError as e:
            return Outcome(name, False, e.text, e.jobid)
        return Outcome(name, True, str((job.result or {}).get("vmsnapshot", {}).get("id")),
                       job.jobid)

    async def revert_vm_snapshot(self, vm: VirtualMachine, snapshot: VMSnapshot, *,
                                 start_after: bool) -> list[Outcome]:
        """Bring the VM to the state the server needs (stop for a disk-only snapshot, start
        for one with memory), revert, and start it again after a disk revert if asked."""
        outcomes: list[Outcome] = []
        needed = vm_state_for_revert(snapshot)
        try:
            if needed == "Stopped" and vm.state != "Stopped":
                await self._job(lambda: self.client.stop_vm(vm.id), label=f"Stop {vm.name}",
                                target=vm.name, resource=vm.id)
                outcomes.append(Outcome(vm.name, True, "stopped"))
            elif needed == "Running" and vm.state != "Running":
                await self._job(lambda: self.client.start_vm(vm.id), label=f"Start {vm.name}",
                                target=vm.name, resource=vm.id)
                outcomes.append(Outcome(vm.name, True, "started"))
            job = await self._job(lambda: self.client.revert_vm_snapshot(snapshot.id),
                                  label=f"Revert {vm.name} to {snapshot.displayname}",
                                  target=vm.name, resource=vm.id)
            outcomes.append(Outcome(snapshot.displayname, True, "reverted", job.jobid))
        except CloudError as e:
            outcomes.append(Outcome(snapshot.displayname, False, e.text, e.jobid))
            return outcomes
        if needed == "Stopped" and start_after:
            try:
                await self._job(lambda: self.client.start_vm(vm.id), label=f"Start {vm.name}",
                                target=vm.name, resource=vm.id)
                outcomes.append(Outcome(vm.name, True, "started again"))
            except CloudError as e:
                outcomes.append(Outcome(vm.name, False, f"starting it again failed: {e.text}",
                                        e.jobid))
        return outcomes

    async def delete_vm_snapshots(self, snapshots: Sequence[VMSnapshot]) -> list[Outcome]:
        # One VM snapshot task per VM at a time: one after another.
        outcomes = []
        for s in snapshots:
            try:
                job = await self._job(partial(self.client.delete_vm_snapshot, s.id),
                                      label=f"Delete VM snapshot {s.displayname}",
                                      target=s.virtualmachinename, resource=s.virtualmachineid)
                outcomes.append(Outcome(s.displayname, True, "deleted", job.jobid))
            except CloudError as e:
                outcomes.append(Outcome(s.displayname, False, e.text, e.jobid))
        return outcomes

    # -- snapshot policies (the server answers at once: no job to track) --------------------

    async def save_policy(self, volume_id: str, *, interval: str, schedule: str,
                          timezone: str, maxsnaps: int) -> SnapshotPolicy:
        """createSnapshotPolicy: adds, or replaces the volume's policy of that interval (the
        server's upsert). Raises CloudError with the server's text (the form shows it)."""
        return await self.client.create_snapshot_policy(
            volume_id, interval=interval, schedule=schedule, timezone=timezone,
            maxsnaps=maxsnaps)

    async def delete_policies(self, policy_ids: Sequence[str]) -> None:
        """deleteSnapshotPolicies. Raises CloudError with the server's text."""
        await self.client.delete_snapshot_policies(list(policy_ids))


def summarize(outcomes: Sequence[Outcome]) -> tuple[str, bool]:
    """One toast for many targets: ('2 of 3 done; ROOT-42: <error>', all ok?)."""
    failed = [o for o in outcomes if not o.ok]
    done = len(outcomes) - len(failed)
    if not failed:
        if len(outcomes) == 1:
            return f"{outcomes[0].target}: {outcomes[0].detail}", True
        return (f"{done} done" if outcomes else "nothing to do"), True
    lines = [f"{done} of {len(outcomes)} done"] + [f"{o.target}: {o.detail}" for o in failed]
    return "\n".join(lines), False
