"""Volume snapshots: take, delete, revert.

Taking a snapshot checks in ``create()`` on the real server, so its refusals fail the request;
the checks of delete and revert run in ``execute()``, so they fail the job.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import JobError, RuleError, param_error, runtime_error
from ..jobs import HALT, JobPlan, Step
from ..model import GIB, Job, Snapshot, Volume
from ..render import snapshot as render_snapshot
from ..state import SimState
from ..texts import volume_text
from .world import World

KVM_DISABLED_TEXT = (
    "KVM Snapshot is not supported for Running VMs. It is disabled by default due to a possible "
    "volume corruption in certain cases. To enable it set global settings kvm.snapshot.enabled "
    "to True. See the documentation for more details."
)
ACTIVE_SNAPSHOT_TEXT = (
    "There is other active snapshot tasks on the instance to which the volume is attached, "
    "please try again later"
)
ACTIVE_VMSNAPSHOT_TEXT = (
    "There is other active vm snapshot tasks on the instance to which the volume is attached, "
    "please try again later"
)
IN_FLIGHT = frozenset({"Creating", "CreatedOnPrimary", "BackingUp"})


def snapshot_in_flight(state: SimState, snap: Snapshot) -> bool:
    # Allocated counts while its job is pending: the real server leaves Allocated in milliseconds.
    return snap.state in IN_FLIGHT or (snap.state == "Allocated" and snap.job_id is not None)


def check_can_snapshot(state: SimState, volume: Volume) -> None:
    """allocSnapshot's synchronous checks, in the server's order."""
    if volume.state != "Ready":
        raise param_error(  # "Volume: %s is not in %s state but %s..." with the VolumeVO
            f"Volume: {volume_text(volume)} is not in Ready state but {volume.state}. Cannot take "
            "snapshot."
        )
    if volume.storage is None:
        raise param_error(
            f"Volume: {volume.id} please attach this volume to a VM before create snapshot for it"
        )
    vm = volume.vm
    if vm is None:
        return
    if vm.state in ("Destroyed", "Expunging"):  # CloudRuntimeException, ~1587
        raise runtime_error(
            f"Creating snapshot failed due to volume:{volume.id} is associated with "
            f"vm:{vm.name} is in {vm.state} state"
        )
    if (
        vm.hypervisor == "KVM"
        and vm.state not in ("Stopped", "Destroyed")
        and not state.setting_bool("kvm.snapshot.enabled")
    ):
        raise runtime_error(KVM_DISABLED_TEXT)  # ~1598
    if vm.hypervisor in ("KVM", "VMware"):
        for vol in vm.volumes:
            for snap in state.volume_snapshots(vol.id):
                if snapshot_in_flight(state, snap):
                    raise param_error(ACTIVE_SNAPSHOT_TEXT)  # the only 431 here, ~1605
        for vms in vm.vmsnapshots:
            if vms.state in ("Creating", "Reverting", "Expunging"):
                raise runtime_error(ACTIVE_VMSNAPSHOT_TEXT)  # ~1612


def default_name(volume: Volume, at_text: str) -> str:
    prefix = volume.vm.name if volume.vm is not None else "detached"
    return f"{prefix}_{volume.name}_{at_text}"


def take_snapshot(
    world: World, volume: Volume, kind: str, name: str | None
) -> tuple[Snapshot, Job]:
    """createSnapshot: the checks (they refuse the request), then the snapshot and its job."""
    check_can_snapshot(world.state, volume)
    return start_snapshot(world, volume, kind, name)


def start_snapshot(
    world: World,
    volume: Volume,
    kind: str,
    name: str | None,
    on_success: Callable[[Snapshot], None] | None = None,
) -> tuple[Snapshot, Job]:
    """Allocate the snapshot row (visible at once as Allocated) and submit its job."""
    state = world.state
    now = state.now()
    snap = Snapshot(
        id=state.new_uuid(),
        dbid=state.new_dbid("snapshot", 1000),
        name=name or default_name(volume, now.strftime("%Y%m%d%H%M%S")),
        volume=volume,
        type=kind,
        state="Allocated",
        created=now,
        virtualsize=volume.size,
        physicalsize=0,
        ostype=volume.template.ostype if volume.type == "ROOT" and volume.template else None,
    )
    state.add_snapshot(snap)
    creation = SnapshotCreation(snap, world.faults.stuck_state("snapshot"), state.rng, on_success)
    job = world.submit("createSnapshot", creation.plan(state), "Snapshot", snap.id)
    return snap, job


@dataclass(slots=True)
class SnapshotCreation:
    """The job's steps: Allocated -> Creating -> CreatedOnPrimary -> BackingUp -> BackedUp.

    A stuck fault (``stuck:snapshot=STATE``) halts the job for ever in that state.
    """

    snap: Snapshot
    stuck: str | None
    rng: random.Random
    on_success: Callable[[Snapshot], None] | None

    def plan(self, state: SimState) -> JobPlan:
        size_gib = self.snap.volume.size / GIB
        rng = self.rng
        creating = min(40.0, 10.0 + size_gib * 0.3) * rng.uniform(0.8, 1.2)
        backing = min(90.0, 20.0 + size_gib * 0.7) * rng.uniform(0.8, 1.2)
        snap = self.snap
        return JobPlan(
            steps=[
                Step("Creating", rng.uniform(1.0, 2.0), self.to_creating),
                Step("CreatedOnPrimary", creating, self.to_created_on_primary),
                Step("BackingUp", rng.uniform(1.0, 3.0), self.to_backing_up),
                Step("BackedUp", backing, self.to_backed_up),
            ],
            result=lambda: {"snapshot": render_snapshot(state, snap)},
            on_fail=self.on_fail,
            entities=[snap],
        )

    def to_creating(self) -> object:
        snap = self.snap
        if snap.state == "Destroyed":  # deleted while Allocated: the job has nothing to do
            raise JobError(f"Failed to create snapshot: {snap.id} was removed")
        if self.stuck == "Allocated":
            return HALT
        snap.state = "Creating"
        snap.volume.state = "Snapshotting"
        return HALT if self.stuck == "Creating" else None

    def to_created_on_primary(self) -> object:
        snap, volume = self.snap, self.snap.volume
        snap.state = "CreatedOnPrimary"
        if volume.state == "Snapshotting":
            volume.state = "Ready"
        snap.physicalsize = int(volume.size * self.rng.uniform(0.12, 0.65))
        return HALT if self.stuck == "CreatedOnPrimary" else None

    def to_backing_up(self) -> object:
        self.snap.state = "BackingUp"
        return None

    def to_backed_up(self) -> object:
        self.snap.state = "BackedUp"
        if self.on_success is not None:
            self.on_success(self.snap)
        return None

    def on_fail(self) -> None:
        if self.snap.state != "Destroyed":  # not when it was deleted while Allocated
            self.snap.state = "Error"
        if self.snap.volume.state == "Snapshotting":
            self.snap.volume.state = "Ready"


def delete_snapshot(world: World, snap: Snapshot) -> Job:
    state = world.state

    def check() -> object:
        if snap.state == "Destroyed":
            raise RuleError(f"Snapshot with id: {snap.id} is already destroyed")
        if snap.state in ("Allocated", "CreatedOnPrimary"):
            # DefaultSnapshotStrategy.java ~296-298: an Allocated snapshot is simply removed.
            state.remove_snapshot(snap)
            return None
        if snap.state not in ("BackedUp", "Error", "Destroying"):
            raise RuleError(
                f"Can't delete snapshot {snap.dbid} due to it is in {snap.state} Status"
            )
        snap.state = "Destroying"
        return None

    def done() -> object:
        if snap.state == "Destroying":
            state.remove_snapshot(snap)
        return None

    def on_fail() -> None:
        if snap.state == "Destroying":
            snap.state = "BackedUp"

    plan = JobPlan(
        steps=[Step("start", 0, check), Step("end", state.rng.uniform(2.0, 4.0), done)],
        result=lambda: {"success": True},
        on_fail=on_fail,
        entities=[snap],
    )
    return world.submit("deleteSnapshot", plan, "Snapshot", snap.id)


def check_can_revert(snap: Snapshot) -> None:
    """revertSnapshot's checks, inside its job (so each fails the job, not the request)."""
    volume = snap.volume
    if snap.state != "BackedUp":
        raise RuleError(f"Snapshot {snap.id} is not in BackedUp state")
    if volume.removed:
        raise RuleError(f"Unable to find volume with ID: {volume.dbid}")
    if volume.state != "Ready":
        raise RuleError("The volume is not in Ready state.")
    vm = volume.vm
    if vm is not None and vm.state not in ("Stopped", "Shutdown"):
        raise RuleError("The VM the specified disk is attached to is not in the shutdown state.")
    if vm is not None and vm.live_vmsnapshots():
        raise RuleError(
            "Unable to revert snapshot for VM, please remove VM snapshots before reverting "
            "VM from snapshot"
        )
    if not snap.revertable:
        raise JobError(
            f"Revert snapshot command failed for snapshot with id {snap.dbid}, because this "
            "command is supported only for KVM hypervisor"
        )


def revert_snapshot(world: World, snap: Snapshot) -> Job:
    state = world.state
    volume = snap.volume

    def check() -> object:
        check_can_revert(snap)
        volume.state = "RevertSnapshotting"
        return None

    def done() -> object:
        volume.state = "Ready"
        volume.size = snap.virtualsize
        return None

    def on_fail() -> None:
        if volume.state == "RevertSnapshotting":
            volume.state = "Ready"

    plan = JobPlan(
        steps=[Step("start", 0, check), Step("end", state.rng.uniform(20.0, 40.0), done)],
        result=lambda: {"snapshot": render_snapshot(state, snap)},
        on_fail=on_fail,
        entities=[snap],  # typed Snapshot: the volume's row gets no job fields
    )
    return world.submit("revertSnapshot", plan, "Snapshot", snap.id)
