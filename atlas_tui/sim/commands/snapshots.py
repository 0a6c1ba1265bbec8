"""Volume snapshots: listSnapshots, createSnapshot, deleteSnapshot, revertSnapshot.

createSnapshot's checks run in ``create()`` on the real server, so they fail the request; the
checks of deleteSnapshot and revertSnapshot run in ``execute()``, so they fail the job.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from ..errors import JobError, RuleError, param_error, runtime_error
from ..jobs import HALT, JobEngine, JobPlan, Step
from ..model import GIB, INTERVALS, Job, Snapshot, Volume
from ..render import snapshot as render_snapshot
from ..state import SimState
from ..texts import volume_text
from .base import Ctx, ListReply, Reply, cached_list, command, keyword_match

if TYPE_CHECKING:
    from ..faults import FaultSet

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


def start_snapshot(
    state: SimState,
    jobs: JobEngine,
    faults: FaultSet,
    volume: Volume,
    kind: str,
    name: str | None,
    on_success: Callable[[Snapshot], None] | None = None,
) -> tuple[Snapshot, Job]:
    """Allocate the snapshot row (visible at once as Allocated) and submit its job."""
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
    stuck = faults.stuck_state("snapshot")
    size_gib = volume.size / GIB
    rng = state.rng
    creating = min(40.0, 10.0 + size_gib * 0.3) * rng.uniform(0.8, 1.2)
    backing = min(90.0, 20.0 + size_gib * 0.7) * rng.uniform(0.8, 1.2)

    def still_there() -> None:
        if snap.state == "Destroyed":  # deleted while Allocated: the job has nothing to do
            raise JobError(f"Failed to create snapshot: {snap.id} was removed")

    def to_creating() -> object:
        still_there()
        if stuck == "Allocated":
            return HALT
        snap.state = "Creating"
        volume.state = "Snapshotting"
        return HALT if stuck == "Creating" else None

    def to_created_on_primary() -> object:
        # Snapshot.State: Creating -> CreatedOnPrimary -> BackingUp -> BackedUp.
        snap.state = "CreatedOnPrimary"
        if volume.state == "Snapshotting":
            volume.state = "Ready"
        snap.physicalsize = int(volume.size * rng.uniform(0.12, 0.65))
        return HALT if stuck == "CreatedOnPrimary" else None

    def to_backing_up() -> object:
        snap.state = "BackingUp"
        return None

    def to_backed_up() -> object:
        snap.state = "BackedUp"
        if on_success is not None:
            on_success(snap)
        return None

    def on_fail() -> None:
        if snap.state != "Destroyed":  # not when it was deleted while Allocated
            snap.state = "Error"
        if volume.state == "Snapshotting":
            volume.state = "Ready"

    plan = JobPlan(
        steps=[
            Step("Creating", rng.uniform(1.0, 2.0), to_creating),
            Step("CreatedOnPrimary", creating, to_created_on_primary),
            Step("BackingUp", rng.uniform(1.0, 3.0), to_backing_up),
            Step("BackedUp", backing, to_backed_up),
        ],
        result=lambda: {"snapshot": render_snapshot(state, snap)},
        on_fail=on_fail,
        entities=[snap],
    )
    job = jobs.submit("createSnapshot", plan, "Snapshot", snap.id)
    state.touch()
    return snap, job


@command("createSnapshot")
def create_snapshot(ctx: Ctx) -> Reply:
    p, state = ctx.p, ctx.state
    volume = p.entity_req("volumeid", state.volumes)
    policy = p.entity("policyid", state.policies)
    name = p.str("name")
    p.bool("quiescevm")
    p.bool("asyncbackup")
    check_can_snapshot(state, volume)
    kind = "MANUAL"
    if policy is not None:
        kind = INTERVALS[policy.interval]
    snap, job = start_snapshot(state, ctx.jobs, ctx.faults, volume, kind, name)
    return Reply({"id": snap.id, "jobid": job.id})


@command("listSnapshots")
def list_snapshots(ctx: Ctx) -> ListReply:
    p, state = ctx.p, ctx.state
    known = ChainMap(state.snapshots, state.destroyed_snapshots)  # Destroyed: known, not listed
    ids = p.entities("ids", known)
    one = p.entity("id", known)
    volume = p.entity("volumeid", ChainMap(state.volumes, state.removed_volumes))
    name = p.str("name")
    keyword = p.str("keyword")
    zoneid = p.str("zoneid")
    snapshottype = (p.str("snapshottype") or "").upper()
    intervaltype = (p.str("intervaltype") or "").upper()

    def build() -> Iterator[Snapshot]:
        pool: Iterable[Snapshot]
        if one is not None:
            pool = [one]
        elif ids is not None:
            pool = sorted(ids, key=lambda s: s.created, reverse=True)
        elif volume is not None:
            pool = list(reversed(state.volume_snapshots(volume.id)))
        else:
            pool = reversed(state.snapshots.values())
        for s in pool:
            if s.state == "Destroyed":
                continue
            if name is not None and s.name != name:
                continue
            if not keyword_match(keyword, s.name):
                continue
            if zoneid and s.volume.zone.id != zoneid:
                continue
            if snapshottype == "MANUAL" and s.type != "MANUAL":
                continue
            if snapshottype == "RECURRING" and s.type == "MANUAL":
                continue
            # intervaltype only filters together with volumeid, as in SnapshotManagerImpl.
            if intervaltype and volume is not None and s.type != intervaltype:
                continue
            yield s

    return ListReply("snapshot", cached_list(ctx, build), render_snapshot)


@command("deleteSnapshot")
def delete_snapshot(ctx: Ctx) -> Reply:
    p, state = ctx.p, ctx.state
    snap = p.entity_req("id", ChainMap(state.snapshots, state.destroyed_snapshots))

    def check() -> object:
        if snap.state == "Destroyed":
            raise RuleError(f"Snapshot with id: {snap.id} is already destroyed")
        if snap.state in ("Allocated", "CreatedOnPrimary"):
            # DefaultSnapshotStrategy.java ~296-298: an Allocated snapshot is simply removed.
            _destroy(state, snap)
            return None
        if snap.state not in ("BackedUp", "Error", "Destroying"):
            raise RuleError(
                f"Can't delete snapshot {snap.dbid} due to it is in {snap.state} Status"
            )
        snap.state = "Destroying"
        return None

    def done() -> object:
        if snap.state == "Destroying":
            _destroy(state, snap)
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
    return ctx.submit(plan, "Snapshot", snap.id)


def _destroy(state: SimState, snap: Snapshot) -> None:
    state.remove_snapshot(snap)


@command("revertSnapshot")
def revert_snapshot(ctx: Ctx) -> Reply:
    p, state = ctx.p, ctx.state
    snap = p.entity_req("id", state.snapshots)
    volume = snap.volume

    def check() -> object:
        if snap.state != "BackedUp":
            raise RuleError(f"Snapshot {snap.id} is not in BackedUp state")
        if volume.removed:
            raise RuleError(f"Unable to find volume with ID: {volume.dbid}")
        if volume.state != "Ready":
            raise RuleError("The volume is not in Ready state.")
        vm = volume.vm
        if vm is not None and vm.state not in ("Stopped", "Shutdown"):
            raise RuleError(
                "The VM the specified disk is attached to is not in the shutdown state."
            )
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
    return ctx.submit(plan, "Snapshot", snap.id)
