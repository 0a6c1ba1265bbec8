"""Volumes: listVolumes, createVolume, deleteVolume, attachVolume, detachVolume, updateVolume.

attach/detach checks run inside the job (``execute()`` on the real server): a rule broken there
fails the job with 431 (InvalidParameterValueException) and the server's text. createVolume's
checks are in ``create()``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ..errors import JobError, RuleError, param_error, too_long
from ..jobs import JobPlan, Step
from ..model import GIB, ROOT_DETACH_HYPERVISORS, Vm, Volume
from ..render import volume as render_volume
from ..state import SimState
from ..texts import snapshot_text, vm_text, volume_text
from .base import Ctx, ListReply, Reply, cached_list, command, keyword_match, success

NOT_ATTACHED_TEXT = "Please specify a volume that is not attached to any VM."
NAME_MAX = 255  # the default @Parameter length of a STRING parameter


@command("listVolumes")
def list_volumes(ctx: Ctx) -> ListReply:
    p, state = ctx.p, ctx.state
    one = p.entity("id", state.volumes)
    ids = p.entities("ids", state.volumes)
    vm = p.entity("virtualmachineid", state.vms)
    name = p.str("name")
    keyword = p.str("keyword")
    vtype = (p.str("type") or "").upper()
    vstate = p.str("state")
    zoneid = p.str("zoneid")
    diskoffering = p.str("diskofferingid")

    def build() -> Iterator[Volume]:
        pool: Iterable[Volume]
        if one is not None:
            pool = [one]
        elif ids is not None:
            pool = ids
        elif vm is not None:
            pool = sorted(vm.volumes, key=lambda v: v.deviceid or 0)
        else:
            pool = state.volumes.values()
        for v in pool:
            if name is not None and v.name != name:
                continue
            if not keyword_match(keyword, v.name):
                continue
            if vtype and v.type != vtype:
                continue
            if vstate and v.state.lower() != vstate.lower():
                continue
            if zoneid and v.zone.id != zoneid:
                continue
            if diskoffering and (v.disk_offering is None or v.disk_offering.id != diskoffering):
                continue
            yield v

    return ListReply("volume", cached_list(ctx, build), render_volume)


MAX_DEVICE_ID = 15  # the simulator's limit; the server's depends on the hypervisor
RESERVED_DEVICE_ID = 3  # the CD-ROM, on every hypervisor (VolumeApiServiceImpl.java ~4950)


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


@command("createVolume")
def create_volume(ctx: Ctx) -> Reply:
    p, state = ctx.p, ctx.state
    offering = p.entity("diskofferingid", state.disk_offerings)
    snap = p.entity("snapshotid", state.snapshots)
    zone = p.entity("zoneid", state.zones)
    vm = p.entity("virtualmachineid", state.vms)
    size_gib = p.int("size")
    name = p.str("name")
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
    if snap is not None:
        zone = zone or snap.volume.zone
        size = snap.virtualsize
        if offering is not None:
            wanted = (size_gib or 0) * GIB if offering.iscustomized else offering.disksize * GIB
            if wanted and wanted < size:
                raise param_error(
                    f"Disk offering size {wanted // GIB} GB is smaller than the snapshot's "
                    f"volume size {size // GIB} GB; choose an offering of at least that size"
                )
            size = max(size, wanted)
    else:
        assert offering is not None
        if zone is None:
            raise param_error("Please specify a valid zone.")
        size = (size_gib or 0) * GIB if offering.iscustomized else offering.disksize * GIB
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
    rng = state.rng

    def creating() -> object:
        if snap is not None:
            vol.state = "Creating"
        return None

    def ready() -> object:
        if snap is not None:
            vol.state = "Ready"
            vol.storage = snap.volume.storage or "nfs-primary-01"
        if vm is not None:
            _attach_checks(vol, vm, None)
            _do_attach(state, vol, vm, None)
        return None

    def on_fail() -> None:
        vol.state = "Error" if snap is not None else vol.state

    gib = size / GIB
    plan = JobPlan(
        steps=[
            Step("start", 0, creating),
            Step(
                "end",
                rng.uniform(20.0, 60.0) * (1 + gib / 200) if snap is not None else 1.0,
                ready,
            ),
        ],
        result=lambda: {"volume": render_volume(state, vol)},
        on_fail=on_fail,
        entities=[vol],
    )
    return ctx.submit(plan, "Volume", vol.id, create_id=vol.id)


@command("deleteVolume")
def delete_volume(ctx: Ctx) -> Reply:
    p, state = ctx.p, ctx.state
    vol = p.entity_req("id", state.volumes)
    if vol.vm is not None:
        raise param_error(NOT_ATTACHED_TEXT)
    if vol.state not in ("Ready", "Allocated", "Error", "Uploaded", "UploadError"):
        raise param_error(f"Volume {vol.name} is in {vol.state} state and cannot be deleted")
    delete_volume_now(ctx, vol)
    return success()


def delete_volume_now(ctx: Ctx, vol: Volume) -> None:
    state = ctx.state
    vol.removed = True
    vol.state = "Expunged"
    state.volumes.pop(vol.id, None)
    state.removed_volumes[vol.id] = vol
    for pol in [p for p in state.policies.values() if p.volume is vol]:
        ctx.scheduler.remove(pol)
    state.touch()


def _attach_checks(vol: Volume, vm: Vm, deviceid: int | None) -> None:
    if vol.state not in ("Allocated", "Ready", "Uploaded"):
        raise RuleError("Volume state must be in Allocated, Ready or in Uploaded state")
    if vol.vm is not None:
        raise RuleError(NOT_ATTACHED_TEXT)
    if vm.state not in ("Running", "Stopped"):
        raise RuleError("Please specify a VM that is either running or stopped.")
    if vm.zone is not vol.zone:
        raise RuleError("Please specify a VM that is in the same zone as the volume.")
    if deviceid == 0:
        _root_rules(vm)
        if any(v.deviceid == 0 for v in vm.volumes):
            raise RuleError("Vm already has root volume attached to it")
    elif deviceid is not None:
        # RuntimeExceptions in getDeviceId (VolumeApiServiceImpl.java ~4950-4956): 530.
        if deviceid < 0 or deviceid > MAX_DEVICE_ID or deviceid == RESERVED_DEVICE_ID:
            raise JobError(f"deviceId should be 0,1,2,4-{MAX_DEVICE_ID}")
        used = next((v for v in vm.volumes if v.deviceid == deviceid), None)
        if used is not None:
            raise JobError(f"deviceId {deviceid} is used by vol {volume_text(used)} on vm "
                           f"{vm_text(vm)}")
    if vol.hypervisor not in ("None", vm.hypervisor):
        raise RuleError(
            f"Can't attach a volume created by: {vol.hypervisor} to a {vm.hypervisor} vm"
        )
    if vm.live_vmsnapshots():  # VolumeApiServiceImpl.java ~2757
        raise RuleError(
            f"Unable to attach volume to VM {vm.name}/{vm.id}, please specify a VM that does not "
            "have VM snapshots"
        )


def _root_rules(vm: Vm) -> None:
    if vm.hypervisor not in ROOT_DETACH_HYPERVISORS:
        raise RuleError(f"Root volume detach is not supported for hypervisor type {vm.hypervisor}")
    if vm.state != "Stopped":
        raise RuleError(
            "Root volume detach can happen only when vm is in states: Stopped or Destroyed"
        )


def _do_attach(state: SimState, vol: Volume, vm: Vm, deviceid: int | None) -> None:
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


@command("attachVolume")
def attach_volume(ctx: Ctx) -> Reply:
    p, state = ctx.p, ctx.state
    vol = p.entity_req("id", state.volumes)
    vm = p.entity_req("virtualmachineid", state.vms)
    deviceid = p.int("deviceid")

    def check() -> object:
        _attach_checks(vol, vm, deviceid)
        return None

    def attach() -> object:
        _attach_checks(vol, vm, deviceid)  # the world may have changed while queued
        _do_attach(state, vol, vm, deviceid)
        return None

    plan = JobPlan(
        steps=[Step("start", 0, check), Step("end", state.rng.uniform(3.0, 6.0), attach)],
        result=lambda: {"volume": render_volume(state, vol)},
        entities=[vol],
    )
    return ctx.submit(plan, "Volume", vol.id)


@command("detachVolume")
def detach_volume(ctx: Ctx) -> Reply:
    p, state = ctx.p, ctx.state
    vol = p.entity("id", state.volumes)
    vm_param = p.entity("virtualmachineid", state.vms)
    deviceid = p.int("deviceid")
    has_id = vol is not None
    if (has_id and (deviceid is not None or vm_param is not None)) or (
        not has_id and (deviceid is None or vm_param is None)
    ):
        raise param_error("Please provide either a volume id, or a tuple(device id, instance id)")
    if vol is None:
        assert vm_param is not None
        matches = [v for v in vm_param.volumes if v.deviceid == deviceid]
        if not matches:
            raise param_error(f"Unable to find volume with ID: {deviceid}")
        vol = matches[0]
    target = vol

    def check() -> object:
        vm = target.vm
        if vm is None:
            raise RuleError("The specified volume is not attached to a VM.")
        if vm.state not in ("Running", "Stopped", "Destroyed"):
            raise RuleError("Please specify a VM that is either running or stopped.")
        if target.type == "ROOT":
            _root_rules(vm)
        if vm.live_vmsnapshots():
            raise RuleError(  # VolumeApiServiceImpl.java ~3080
                "Unable to detach volume, please specify a VM that does not have VM snapshots"
            )
        return None

    def detach() -> object:
        check()
        vm = target.vm
        assert vm is not None
        vm.volumes.remove(target)
        target.vm = None
        target.deviceid = None
        target.attached = None
        if target.type == "ROOT":
            target.type = "DATADISK"  # a detached root is a data disk from now on
        set_activity(state, target)
        return None

    plan = JobPlan(
        steps=[Step("start", 0, check), Step("end", state.rng.uniform(3.0, 6.0), detach)],
        result=lambda: {"volume": render_volume(state, target)},
        entities=[target],
    )
    return ctx.submit(plan, "Volume", target.id)


@command("updateVolume")
def update_volume(ctx: Ctx) -> Reply:
    """Async (BaseAsyncCustomIdCmd): ``{"jobid"}``, then ``{"volume": {...}}``.

    ``name`` exists on newer servers only (4.19+); older ones ignore it like any unknown
    parameter. The admin-only fields (path, state, storageid, displayvolume, customid) are
    accepted and ignored here. Attached or detached, any state: the server checks none.
    """
    p, state = ctx.p, ctx.state
    vol = p.entity_req("id", state.volumes)
    name = p.str("name")  # an empty value counts as absent, as on the server
    if not state.setting_bool("sim.updatevolume.name") or not state.view.since(4, 19):
        name = None  # an older server: not a parameter it knows
    if name is not None:
        if len(name) > NAME_MAX:
            raise too_long(ctx.api, "name", NAME_MAX)
        if not name.strip():
            raise param_error("Volume name cannot be blank")  # the simulator's wording
    target = vol

    def update() -> object:
        if name is not None:
            target.name = name
        return None

    plan = JobPlan(
        steps=[Step("end", state.rng.uniform(1.0, 3.0), update)],
        result=lambda: {"volume": render_volume(state, target)},
        entities=[target],
    )
    return ctx.submit(plan, "Volume", target.id)
