"""VM snapshots: listVMSnapshot (list key ``vmSnapshot``), createVMSnapshot,
revertToVMSnapshot, deleteVMSnapshot."""

from __future__ import annotations

from ..errors import JobError, param_error
from ..jobs import JobPlan, Step
from ..model import VmSnapshot
from ..render import vm as render_vm
from ..render import vmsnapshot as render_vmsnapshot
from .base import Ctx, ListReply, Reply, cached_list, command, keyword_match, success
from .snapshots import snapshot_in_flight

LISTED_STATES = frozenset({"Ready", "Creating", "Allocated", "Error", "Expunging", "Reverting"})
ACTIVE_TASK_STATES = frozenset({"Creating", "Expunging", "Reverting", "Allocated"})


@command("listVMSnapshot")
def list_vmsnapshots(ctx: Ctx) -> ListReply:
    p, state = ctx.p, ctx.state
    vm = p.entity("virtualmachineid", state.vms)
    one = p.entity("vmsnapshotid", state.vmsnapshots)
    ids = p.entities("vmsnapshotids", state.vmsnapshots)
    name = p.str("name")
    keyword = p.str("keyword")
    wanted_state = p.str("state")

    def build():
        if one is not None:
            pool = [one]
        elif ids is not None:
            pool = ids
        elif vm is not None:
            pool = vm.vmsnapshots
        else:
            pool = list(state.vmsnapshots.values())
        rows = []
        for s in pool:
            if wanted_state:
                if s.state.lower() != wanted_state.lower():
                    continue
            elif s.state not in LISTED_STATES:
                continue
            if name is not None and s.displayname != name:
                continue
            if not keyword_match(keyword, s.name, s.displayname, s.description):
                continue
            rows.append(s)
        rows.sort(key=lambda s: (s.created, s.dbid), reverse=True)  # newest first
        return rows

    return ListReply("vmSnapshot", cached_list(ctx, build), render_vmsnapshot)


@command("createVMSnapshot")
def create_vmsnapshot(ctx: Ctx) -> Reply:
    p, state = ctx.p, ctx.state
    vm = p.entity_req("virtualmachineid", state.vms)
    display = p.str("name")
    description = p.str("description")
    memory = p.bool("snapshotmemory")
    p.bool("quiescevm")
    if display is not None and len(display) > 255:
        raise param_error("Instance Snapshot name cannot be longer than 255 characters")
    if display is not None and any(
        s.displayname == display for s in vm.vmsnapshots if s.state != "Removed"
    ):
        raise param_error(
            f"Creating Instance Snapshot failed due to Instance Snapshot with name {display} "
            "already exists"
        )
    if vm.state not in ("Running", "Stopped"):
        raise param_error(
            f"Creating vm snapshot failed due to VM:{vm.dbid} is not in the running or Stopped "
            "state"
        )
    if memory and vm.state != "Running":
        raise param_error("Can not Snapshot memory when the Instance is not in Running state")
    if (
        vm.hypervisor == "KVM"
        and vm.state == "Running"
        and not memory
        and not state.setting_bool("kvm.vmstoragesnapshot.enabled")
    ):
        raise param_error(
            "Creating a snapshot of a running KVM Instance without memory is not supported"
        )
    limit = state.setting_int("vmsnapshot.max", 10)
    if len(vm.live_vmsnapshots()) >= limit:
        raise param_error(
            f"Creating Instance Snapshot failed due to a Instance can just have : {limit} "
            "Instance Snapshots. Please delete old ones"
        )
    root = vm.root()
    if root is None or root.state != "Ready":
        raise param_error(
            f"Can't create Instance Snapshot of {vm.name}: its ROOT volume is not Ready"
        )
    for vol in vm.volumes:
        if any(snapshot_in_flight(state, s) for s in state.volume_snapshots(vol.id)):
            raise param_error(
                "There are other active volume Snapshot tasks on the Instance to which the volume "
                "is attached, please try again later."
            )
    if any(s.state in ACTIVE_TASK_STATES for s in vm.vmsnapshots):
        raise param_error(
            "There are other active Instance Snapshot tasks on the Instance, please try again later"
        )
    now = state.now()
    internal = f"{vm.instancename}_VS_{now.strftime('%Y%m%d%H%M%S')}"
    parent = next((s for s in vm.vmsnapshots if s.current), None)
    snap = VmSnapshot(
        id=state.new_uuid(),
        dbid=state.new_dbid("vmsnapshot", 1),
        name=internal,
        displayname=display or internal,
        description=description,
        state="Allocated",
        type="DiskAndMemory" if memory else "Disk",
        vm=vm,
        created=now,
        parent=parent,
    )
    vm.vmsnapshots.append(snap)
    state.vmsnapshots[snap.id] = snap

    def creating() -> object:
        snap.state = "Creating"
        return None

    def ready() -> object:
        snap.state = "Ready"
        for other in vm.vmsnapshots:
            other.current = False
        snap.current = True
        return None

    def on_fail() -> None:
        snap.state = "Error"

    duration = state.rng.uniform(50.0, 70.0) if memory else state.rng.uniform(15.0, 25.0)
    plan = JobPlan(
        steps=[Step("Creating", 0.5, creating), Step("end", duration, ready)],
        result=lambda: {"vmsnapshot": render_vmsnapshot(state, snap)},
        on_fail=on_fail,
        entities=[snap],
    )
    return ctx.submit(plan, "VmSnapshot", snap.id, create_id=snap.id)


def _other_task(snap: VmSnapshot) -> bool:
    return any(s is not snap and s.state in ACTIVE_TASK_STATES for s in snap.vm.vmsnapshots)


@command("revertToVMSnapshot")
def revert_vmsnapshot(ctx: Ctx) -> Reply:
    p, state = ctx.p, ctx.state
    snap = p.entity_req("vmsnapshotid", state.vmsnapshots)
    vm = snap.vm

    def check() -> object:
        if vm.state not in ("Running", "Stopped"):
            raise JobError(
                "Instance Snapshot reverting failed because the Instance is not in Running or "
                "Stopped state."
            )
        if _other_task(snap):
            raise JobError(
                "There are other active Instance Snapshot tasks on the Instance, please try again "
                "later"
            )
        if snap.state != "Ready":
            raise JobError(
                "Instance Snapshot reverting failed because the Instance Snapshot is not in "
                "Created state."
            )
        if snap.type == "Disk" and vm.state != "Stopped":
            raise JobError(
                "Reverting to the Instance Snapshot is not allowed for running Instances as this "
                "would result in an Instance state change. For running Instances only Snapshots "
                "with memory can be reverted. In order to revert to a Snapshot without memory you "
                "need to first stop the Instance."
            )
        if snap.type == "DiskAndMemory" and vm.state != "Running":
            raise JobError(
                "Reverting to the Instance Snapshot is not allowed for stopped Instances when the "
                "Snapshot contains memory as this would result in an Instance state change. In "
                "order to revert to a Snapshot with memory you need to first start the Instance."
            )
        snap.state = "Reverting"
        return None

    def done() -> object:
        snap.state = "Ready"  # Reverting -> Ready on success and on failure
        for other in vm.vmsnapshots:
            other.current = False
        snap.current = True
        return None

    def on_fail() -> None:
        if snap.state == "Reverting":
            snap.state = "Ready"

    plan = JobPlan(
        steps=[Step("start", 0, check), Step("end", state.rng.uniform(25.0, 35.0), done)],
        result=lambda: {"virtualmachine": render_vm(state, vm)},
        on_fail=on_fail,
        entities=[snap, vm],
    )
    return ctx.submit(plan, "VmSnapshot", snap.id)


@command("deleteVMSnapshot")
def delete_vmsnapshot(ctx: Ctx) -> Reply:
    p, state = ctx.p, ctx.state
    snap = p.entity_req("vmsnapshotid", state.vmsnapshots)
    before = snap.state

    def check() -> object:
        if _other_task(snap):
            raise JobError(
                "There are other active Instance Snapshot tasks on the Instance, please try again "
                "later"
            )
        if snap.state not in ("Ready", "Expunging", "Error", "Allocated"):
            raise JobError(
                f"Can't delete the Instance Snapshotshot {snap.id} due to it is not in Created or "
                "Error, or Expunging State"
            )
        snap.state = "Expunging"
        return None

    def done() -> object:
        snap.state = "Removed"
        if snap.current and snap.parent is not None and snap.parent.state == "Ready":
            snap.parent.current = True
        snap.current = False
        for child in snap.vm.vmsnapshots:
            if child.parent is snap:
                child.parent = snap.parent
        state.vmsnapshots.pop(snap.id, None)
        return None

    def on_fail() -> None:
        if snap.state == "Expunging":
            snap.state = before if before != "Expunging" else "Error"

    plan = JobPlan(
        steps=[Step("start", 0, check), Step("end", state.rng.uniform(2.0, 5.0), done)],
        result=lambda: success().body,
        on_fail=on_fail,
        entities=[snap],
    )
    return ctx.submit(plan, "VmSnapshot", snap.id)
