"""VM snapshots: create, revert, delete.

createVMSnapshot's checks run in ``create()`` (they refuse the request with a 530); revert's and
delete's run inside the job.
"""

from __future__ import annotations

from ..errors import CS_CLOUD_RUNTIME, INTERNAL_ERROR, ApiError, RuleError
from ..jobs import JobPlan, Step
from ..model import Job, Vm, VmSnapshot
from ..render import vm as render_vm
from ..render import vmsnapshot as render_vmsnapshot
from ..state import SimState
from .snapshots import snapshot_in_flight
from .world import World

ACTIVE_TASK_STATES = frozenset({"Creating", "Expunging", "Reverting", "Allocated"})


def create_vmsnapshot(
    world: World, vm: Vm, display: str | None, description: str | None, memory: bool
) -> tuple[VmSnapshot, Job]:
    state = world.state
    refusal = _create_refusal(state, vm, display, memory)
    if refusal is not None:
        # CreateVMSnapshotCmd.create() (~95) turns every CloudRuntimeException into this 530.
        raise ApiError(INTERNAL_ERROR, "Failed to create vm snapshot: " + refusal,
                       CS_CLOUD_RUNTIME)
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
    return snap, world.submit("createVMSnapshot", plan, "VmSnapshot", snap.id)


def _create_refusal(state: SimState, vm: Vm, display: str | None, memory: bool) -> str | None:
    """allocVMSnapshot's checks and texts (VMSnapshotManagerImpl.java ~357-421), in order."""
    if vm.state not in ("Running", "Stopped"):
        return (f"Creating vm snapshot failed due to VM:{vm.id} is not in the running or "
                "Stopped state")
    if memory and vm.state != "Running":
        return "Can not snapshot memory when VM is not in Running state"
    if display is not None and any(
        s.displayname == display for s in vm.vmsnapshots if s.state != "Removed"
    ):
        return f"Creating VM snapshot failed due to VM snapshot with name {display} already exists"
    limit = state.setting_int("vmsnapshot.max", 10)
    if len(vm.live_vmsnapshots()) >= limit:
        return (f"Creating vm snapshot failed due to a VM can just have : {limit} VM snapshots. "
                "Please delete old ones")
    for vol in vm.volumes:
        if any(snapshot_in_flight(state, s) for s in state.volume_snapshots(vol.id)):
            return ("There is other active volume snapshot tasks on the instance to which the "
                    "volume is attached, please try again later")
    if any(s.state in ACTIVE_TASK_STATES for s in vm.vmsnapshots):
        return "There is other active vm snapshot tasks on the instance, please try again later"
    root = vm.root()
    if root is None or root.state != "Ready":  # the simulator's own rule and text
        return f"Can't create VM snapshot of {vm.name}: its ROOT volume is not Ready"
    if (
        vm.hypervisor == "KVM"
        and vm.state == "Running"
        and not memory
        and not state.setting_bool("kvm.vmstoragesnapshot.enabled")
        and state.setting_bool("sim.kvm.vmsnapshot.running.disk.refused")
    ):
        return f"No strategy was able to handle requested snapshot for VM [{vm.id}]"
    return None


def _other_task(snap: VmSnapshot) -> bool:
    return any(s is not snap and s.state in ACTIVE_TASK_STATES for s in snap.vm.vmsnapshots)


def revert_vmsnapshot(world: World, snap: VmSnapshot) -> Job:
    state = world.state
    vm = snap.vm

    def check() -> object:
        if vm.state not in ("Running", "Stopped"):
            raise RuleError(
                "VM Snapshot reverting failed due to vm is not in the state of Running or Stopped."
            )
        if _other_task(snap):
            raise RuleError(
                "There is other active vm snapshot tasks on the instance, please try again later"
            )
        if snap.state != "Ready":
            raise RuleError(
                "VM Snapshot reverting failed due to vm snapshot is not in the state of Created."
            )
        if (snap.type == "Disk" and vm.state != "Stopped") or (
            snap.type == "DiskAndMemory" and vm.state != "Running"
        ):
            # VMSnapshotManagerImpl.java ~757: one text for both directions.
            raise RuleError(
                "VM Snapshot revert not allowed. This will result in VM state change. You can "
                "revert running VM to disk and memory type snapshot and stopped VM to disk type "
                "snapshot"
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
        entities=[snap],  # typed VmSnapshot: the VM's row gets no job fields
    )
    return world.submit("revertToVMSnapshot", plan, "VmSnapshot", snap.id)


def delete_vmsnapshot(world: World, snap: VmSnapshot) -> Job:
    state = world.state
    before = snap.state

    def check() -> object:
        if _other_task(snap):
            raise RuleError(
                "There is other active vm snapshot tasks on the instance, please try again later"
            )
        # VMSnapshotManagerImpl.java ~631-632: Allocated is refused too.
        if snap.state not in ("Ready", "Expunging", "Error"):
            raise RuleError(
                f"Can't delete the vm snapshot {snap.id} due to it is not in Created or Error, or "
                "Expunging State"
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
        result=lambda: {"success": True},
        on_fail=on_fail,
        entities=[snap],
    )
    return world.submit("deleteVMSnapshot", plan, "VmSnapshot", snap.id)
