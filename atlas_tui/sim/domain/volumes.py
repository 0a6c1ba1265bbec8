"""Volumes: create, delete, attach, detach, rename.

attach/detach checks run inside the job (``execute()`` on the real server): a rule broken there
fails the job with 431 (InvalidParameterValueException) and the server's text. create's checks
are in ``create()``, so they refuse the request.
"""

from __future__ import annotations

from ..errors import JobError, RuleError, param_error
from ..jobs import JobPlan, Step
from ..model import GIB, ROOT_DETACH_HYPERVISORS, DiskOffering, Job, Snapshot, Vm, Volume, Zone
from ..render import volume as render_volume
from ..state import SimState
from ..texts import snapshot_text, vm_text, volume_text
from .policies import remove_policy
from .world import World

NOT_ATTACHED_TEXT = "Please specify a volume that is not attached to any VM."
MAX_DEVICE_ID = 15  # the simulator's limit; the server's depends on the hypervisor
RESERVED_DEVICE_ID = 3  # the CD-ROM, on every hypervisor (VolumeApiServiceImpl.java ~4950)
DELETABLE = ("Ready", "Allocated", "Error", "Uploaded", "UploadError")


def next_device_id(vm: Vm) -> int:
    used = {v.deviceid for v in vm.volumes}
    device = 1
    while device in used or device == RESERVED_DEVICE_ID:
        device += 1
    return device


def set_activity(state: SimState, volume: Volume) -> None:
    """Record when a volume stopped being active (detached, or its VM not running)."""
    active = volume.vm is not None and volume.vm.state == "Running"
    if active:
        volume.inactive_since = None
    elif volume.inactive_since is None:
        volume.inactive_since = state.now()


# create ----------------------------------------------------------------------------------------
def create_volume(
    world: World,
    offering: DiskOffering | None,
    snap: Snapshot | None,
    zone: Zone | None,
    vm: Vm | None,
    size_gib: int | None,
    name: str | None,
) -> tuple[Volume, Job]:
    """createVolume: from a disk offering (Allocated until attached) or from a snapshot (Creating,
    then Ready); attached to ``vm`` at the end when one is given."""
    check_create(offering, snap, size_gib)
    zone, size = _zone_and_size(offering, snap, zone, size_gib)
    state = world.state
    now = state.now()
    vol = Volume(
        id=state.new_uuid(),
        dbid=state.new_dbid("volume", 5000),
        name=name or f"volume-{state.new_dbid('volname', 1)}",
        type="DATADISK",
        state="Allocated",
        size=size,
        zone=zone,
        hypervisor=snap.volume.hypervisor if snap is not None else "None",
        storage=None,
        created=now,
        disk_offering=offering or (snap.volume.disk_offering if snap else None),
        source_snapshot_id=snap.id if snap is not None else None,
        inactive_since=now,
    )
    state.volumes[vol.id] = vol
    job = world.submit("createVolume", _create_plan(state, vol, snap, vm), "Volume", vol.id)
    return vol, job


def check_create(
    offering: DiskOffering | None, snap: Snapshot | None, size_gib: int | None
) -> None:
    if offering is None and snap is None:  # VolumeApiServiceImpl.java ~769
        raise param_error(
            "At least one of disk Offering ID or snapshot ID must be passed whilst creating volume"
        )
    if snap is not None and offering is not None and snap.volume.type != "ROOT":  # ~778
        raise param_error(
            "Disk Offering ID cannot be passed whilst creating volume from snapshot other than "
            "ROOT disk snapshots"
        )
    if offering is not None and not offering.iscustomized and size_gib:  # ~811
        raise param_error("This disk offering does not allow custom size")
    if size_gib is not None and size_gib <= 0:  # ~906
        raise param_error(f"Invalid size for volume creation: {size_gib}")
    if snap is not None and snap.state != "BackedUp":
        raise param_error(  # "Snapshot %s is not in %s state yet..." with the SnapshotVO
            f"Snapshot {snapshot_text(snap)} is not in BackedUp state yet and can't be used for "
            "volume creation"
        )
    if offering is not None and offering.iscustomized and snap is None and not size_gib:
        raise param_error("This disk offering requires a custom size specified")


def _zone_and_size(
    offering: DiskOffering | None, snap: Snapshot | None, zone: Zone | None, size_gib: int | None
) -> tuple[Zone, int]:
    """Where the new volume lives and its size in bytes (at least the snapshot's)."""
    if snap is None:
        assert offering is not None
        if zone is None:
            raise param_error("Please specify a valid zone.")
        return zone, (size_gib or 0) * GIB if offering.iscustomized else offering.disksize * GIB
    size = snap.virtualsize
    if offering is not None:
        wanted = (size_gib or 0) * GIB if offering.iscustomized else offering.disksize * GIB
        if wanted and wanted < size:
            raise param_error(
                f"Disk offering size {wanted // GIB} GB is smaller than the snapshot's "
                f"volume size {size // GIB} GB; choose an offering of at least that size"
            )
        size = max(size, wanted)
    return zone or snap.volume.zone, size


def _create_plan(state: SimState, vol: Volume, snap: Snapshot | None, vm: Vm | None) -> JobPlan:
    def creating() -> object:
        if snap is not None:
            vol.state = "Creating"
        return None

    def ready() -> object:
        if snap is not None:
            vol.state = "Ready"
            vol.storage = snap.volume.storage or "nfs-primary-01"
        if vm is not None:
            check_attach(vol, vm, None)
            do_attach(state, vol, vm, None)
        return None

    def on_fail() -> None:
        vol.state = "Error" if snap is not None else vol.state

    gib = vol.size / GIB
    copy = state.rng.uniform(20.0, 60.0) * (1 + gib / 200) if snap is not None else 1.0
    return JobPlan(
        steps=[Step("start", 0, creating), Step("end", copy, ready)],
        result=lambda: {"volume": render_volume(state, vol)},
        on_fail=on_fail,
        entities=[vol],
    )


# delete ----------------------------------------------------------------------------------------
def delete_volume(world: World, vol: Volume) -> None:
    """deleteVolume (synchronous): only a detached volume; its policies go with it."""
    if vol.vm is not None:
        raise param_error(NOT_ATTACHED_TEXT)
    if vol.state not in DELETABLE:
        raise param_error(f"Volume {vol.name} is in {vol.state} state and cannot be deleted")
    state = world.state
    vol.removed = True
    vol.state = "Expunged"
    state.volumes.pop(vol.id, None)
    state.removed_volumes[vol.id] = vol
    for policy in [p for p in state.policies.values() if p.volume is vol]:
        remove_policy(state, policy)
    state.touch()


# attach ----------------------------------------------------------------------------------------
def check_attach(vol: Volume, vm: Vm, deviceid: int | None) -> None:
    if vol.state not in ("Allocated", "Ready", "Uploaded"):
        raise RuleError("Volume state must be in Allocated, Ready or in Uploaded state")
    if vol.vm is not None:
        raise RuleError(NOT_ATTACHED_TEXT)
    if vm.state not in ("Running", "Stopped"):
        raise RuleError("Please specify a VM that is either running or stopped.")
    if vm.zone is not vol.zone:
        raise RuleError("Please specify a VM that is in the same zone as the volume.")
    if deviceid == 0:
        check_root_detach(vm)
        if any(v.deviceid == 0 for v in vm.volumes):
            raise RuleError("Vm already has root volume attached to it")
    elif deviceid is not None:
        _check_device(vm, deviceid)
    if vol.hypervisor not in ("None", vm.hypervisor):
        raise RuleError(
            f"Can't attach a volume created by: {vol.hypervisor} to a {vm.hypervisor} vm"
        )
    if vm.live_vmsnapshots():  # VolumeApiServiceImpl.java ~2757
        raise RuleError(
            f"Unable to attach volume to VM {vm.name}/{vm.id}, please specify a VM that does not "
            "have VM snapshots"
        )


def _check_device(vm: Vm, deviceid: int) -> None:
    # RuntimeExceptions in getDeviceId (VolumeApiServiceImpl.java ~4950-4956): 530.
    if deviceid < 0 or deviceid > MAX_DEVICE_ID or deviceid == RESERVED_DEVICE_ID:
        raise JobError(f"deviceId should be 0,1,2,4-{MAX_DEVICE_ID}")
    used = next((v for v in vm.volumes if v.deviceid == deviceid), None)
    if used is not None:
        raise JobError(f"deviceId {deviceid} is used by vol {volume_text(used)} on vm "
                       f"{vm_text(vm)}")


def check_root_detach(vm: Vm) -> None:
    """The rules for a root disk leaving (or joining, as device 0) a VM."""
    if vm.hypervisor not in ROOT_DETACH_HYPERVISORS:
        raise RuleError(f"Root volume detach is not supported for hypervisor type {vm.hypervisor}")
    if vm.state != "Stopped":
        raise RuleError(
            "Root volume detach can happen only when vm is in states: Stopped or Destroyed"
        )


def do_attach(state: SimState, vol: Volume, vm: Vm, deviceid: int | None) -> None:
    device = deviceid if deviceid is not None else next_device_id(vm)
    vol.vm = vm
    vol.deviceid = device
    vol.attached = state.now()
    if device == 0:
        vol.type = "ROOT"
    if vol.storage is None:
        root = vm.root()
        vol.storage = root.storage if root is not None and root.storage else "nfs-primary-01"
        vol.state = "Ready"
    if vol.hypervisor == "None":
        vol.hypervisor = vm.hypervisor
    vm.volumes.append(vol)
    set_activity(state, vol)


def attach_volume(world: World, vol: Volume, vm: Vm, deviceid: int | None) -> Job:
    state = world.state

    def check() -> object:
        check_attach(vol, vm, deviceid)
        return None

    def attach() -> object:
        check_attach(vol, vm, deviceid)  # the world may have changed while queued
        do_attach(state, vol, vm, deviceid)
        return None

    plan = JobPlan(
        steps=[Step("start", 0, check), Step("end", state.rng.uniform(3.0, 6.0), attach)],
        result=lambda: {"volume": render_volume(state, vol)},
        entities=[vol],
    )
    return world.submit("attachVolume", plan, "Volume", vol.id)


# detach ----------------------------------------------------------------------------------------
def check_detach(vol: Volume) -> Vm:
    """The rules, inside the job; the VM the volume leaves."""
    vm = vol.vm
    if vm is None:
        raise RuleError("The specified volume is not attached to a VM.")
    if vm.state not in ("Running", "Stopped", "Destroyed"):
        raise RuleError("Please specify a VM that is either running or stopped.")
    if vol.type == "ROOT":
        check_root_detach(vm)
    if vm.live_vmsnapshots():
        raise RuleError(  # VolumeApiServiceImpl.java ~3080
            "Unable to detach volume, please specify a VM that does not have VM snapshots"
        )
    return vm


def detach_volume(world: World, vol: Volume) -> Job:
    state = world.state

    def check() -> object:
        check_detach(vol)
        return None

    def detach() -> object:
        vm = check_detach(vol)
        vm.volumes.remove(vol)
        vol.vm = None
        vol.deviceid = None
        vol.attached = None
        if vol.type == "ROOT":
            vol.type = "DATADISK"  # a detached root is a data disk from now on
        set_activity(state, vol)
        return None

    plan = JobPlan(
        steps=[Step("start", 0, check), Step("end", state.rng.uniform(3.0, 6.0), detach)],
        result=lambda: {"volume": render_volume(state, vol)},
        entities=[vol],
    )
    return world.submit("detachVolume", plan, "Volume", vol.id)


# rename ----------------------------------------------------------------------------------------
def update_volume(world: World, vol: Volume, name: str | None) -> Job:
    """updateVolume: renames when ``name`` is given. Attached or detached, any state: the
    server checks none."""
    if name is not None and not name.strip():
        raise param_error("Volume name cannot be blank")  # the simulator's wording
    state = world.state

    def update() -> object:
        if name is not None:
            vol.name = name
        return None

    plan = JobPlan(
        steps=[Step("end", state.rng.uniform(1.0, 3.0), update)],
        result=lambda: {"volume": render_volume(state, vol)},
        entities=[vol],
    )
    return world.submit("updateVolume", plan, "Volume", vol.id)
