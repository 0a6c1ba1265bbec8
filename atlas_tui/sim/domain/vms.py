"""Virtual machines: deploy, start, stop."""

from __future__ import annotations

from datetime import datetime

from ..errors import JobError, RuleError, param_error
from ..jobs import JobPlan, Step
from ..model import (
    GIB,
    DiskOffering,
    Job,
    Network,
    ServiceOffering,
    Template,
    Vm,
    Volume,
    Zone,
)
from ..render import vm as render_vm
from ..state import SimState
from .volumes import set_activity
from .world import World


def set_vm_state(state: SimState, vm: Vm, new: str) -> None:
    """A VM's state, and with it whether its volumes count as active (for policy runs)."""
    vm.state = new
    for vol in vm.volumes:
        set_activity(state, vol)


def no_root_text(vm: Vm) -> str:
    return (
        f"Unable to start VM {vm.instancename}: it has no ROOT volume; attach a volume with "
        "deviceid=0 to make it the root disk"
    )


def stop_vm(world: World, vm: Vm) -> Job:
    state = world.state
    original = vm.state

    def begin() -> object:
        if vm.state == "Stopped":
            return None
        if vm.state != "Running":
            raise JobError(
                f"Unable to stop VM {vm.instancename}: it is in state {vm.state}, please try "
                "again later"
            )
        set_vm_state(state, vm, "Stopping")
        return None

    def done() -> object:
        if vm.state == "Stopping":
            set_vm_state(state, vm, "Stopped")
        return None

    def on_fail() -> None:
        if vm.state == "Stopping":
            set_vm_state(state, vm, original if original == "Running" else "Running")

    plan = JobPlan(
        steps=[Step("start", 0, begin), Step("end", state.rng.uniform(8.0, 12.0), done)],
        result=lambda: {"virtualmachine": render_vm(state, vm)},
        on_fail=on_fail,
        entities=[vm],
    )
    return world.submit("stopVirtualMachine", plan, "VirtualMachine", vm.id)


def start_vm(world: World, vm: Vm) -> Job:
    state = world.state

    def begin() -> object:
        if vm.state == "Running":  # UserVmManagerImpl.java ~5696
            raise RuleError(f"The virtual machine {vm.name} ({vm.id}) is already running")
        if vm.state != "Stopped":
            raise RuleError(
                f"Unable to start VM {vm.instancename}: it is in state {vm.state}, please try "
                "again later"
            )
        if vm.root() is None:
            raise JobError(no_root_text(vm))  # the orchestrator fails: 530
        set_vm_state(state, vm, "Starting")
        return None

    def done() -> object:
        if vm.state == "Starting":
            set_vm_state(state, vm, "Running")
        return None

    def on_fail() -> None:
        if vm.state == "Starting":
            set_vm_state(state, vm, "Stopped")

    plan = JobPlan(
        steps=[Step("start", 0, begin), Step("end", state.rng.uniform(12.0, 18.0), done)],
        result=lambda: {"virtualmachine": render_vm(state, vm)},
        on_fail=on_fail,
        entities=[vm],
    )
    return world.submit("startVirtualMachine", plan, "VirtualMachine", vm.id)


# deploy ----------------------------------------------------------------------------------------
def deploy_vm(
    world: World,
    offering: ServiceOffering,
    zone: Zone,
    template: Template,
    networks: list[Network] | None,
    name: str | None,
    displayname: str | None,
    startvm: bool,
    disk_offering: DiskOffering | None,
) -> tuple[Vm, Job]:
    """deployVirtualMachine: the VM (Starting, or Stopped without startvm) with a ROOT disk
    from the template and a data disk when a disk offering is given; all Ready at the end."""
    state = world.state
    check_deploy(state, zone, template, networks, name)
    now = state.now()
    vm = _new_vm(state, offering, zone, template, networks, name, displayname, startvm, now)
    root = _new_disk(state, vm, now, "ROOT", max(template.size, 8 * GIB))
    root.template = template
    root.offering = offering
    if disk_offering is not None:
        data = _new_disk(state, vm, now, "DATADISK", disk_offering.disksize * GIB)
        data.disk_offering = disk_offering
    plan = _deploy_plan(state, vm, startvm)
    return vm, world.submit("deployVirtualMachine", plan, "VirtualMachine", vm.id)


def check_deploy(
    state: SimState,
    zone: Zone,
    template: Template,
    networks: list[Network] | None,
    name: str | None,
) -> None:
    if zone.networktype == "Advanced" and not networks:
        raise param_error(
            f"Can't deploy VM in advanced zone {zone.name} without specifying networkids: "
            "there is no default network for the account"
        )
    if not template.ready:
        raise param_error(f"Template {template.id} has not been completely downloaded to zone")
    if template.zone is not None and template.zone is not zone:
        raise param_error(f"Template {template.id} is not available in zone {zone.name}")
    if name is not None and any(v.name == name for v in state.vms.values()):
        raise param_error(f"The vm with hostname {name} already exists in the network domain")


def _new_vm(
    state: SimState,
    offering: ServiceOffering,
    zone: Zone,
    template: Template,
    networks: list[Network] | None,
    name: str | None,
    displayname: str | None,
    startvm: bool,
    now: datetime,
) -> Vm:
    dbid = state.new_dbid("vm", 100)
    vm = Vm(
        id=state.new_uuid(),
        dbid=dbid,
        name=name or f"VM-{state.new_uuid()}",
        displayname=displayname or name or "",
        state="Starting" if startvm else "Stopped",
        zone=zone,
        hypervisor=template.hypervisor,
        template=template,
        offering=offering,
        created=now,
        ipaddress=f"10.1.{dbid // 250 % 250}.{dbid % 250 + 2}",
        network=networks[0] if networks else None,
        nic_id=state.new_uuid(),
        host_name=f"{template.hypervisor.lower()}-host-01",
    )
    if not vm.displayname:
        vm.displayname = vm.name
    state.vms[vm.id] = vm
    return vm


def _new_disk(state: SimState, vm: Vm, now: datetime, kind: str, size: int) -> Volume:
    """ROOT-<dbid> at device 0 or DATA-<dbid> at device 1, Allocated until the job ends."""
    root = kind == "ROOT"
    vol = Volume(
        id=state.new_uuid(),
        dbid=state.new_dbid("volume", 5000),
        name=f"ROOT-{vm.dbid}" if root else f"DATA-{vm.dbid}",
        type=kind,
        state="Allocated",
        size=size,
        zone=vm.zone,
        hypervisor=vm.hypervisor,
        storage=None,
        created=now,
        vm=vm,
        deviceid=0 if root else 1,
        inactive_since=now,
    )
    vm.volumes.append(vol)
    state.volumes[vol.id] = vol
    return vol


def _deploy_plan(state: SimState, vm: Vm, startvm: bool) -> JobPlan:
    storage = f"{vm.hypervisor.lower()}-primary-01"

    def done() -> object:
        for vol in vm.volumes:
            vol.state = "Ready"
            vol.storage = storage
            vol.attached = state.now()
        set_vm_state(state, vm, "Running" if startvm else "Stopped")
        return None

    def on_fail() -> None:
        set_vm_state(state, vm, "Error")

    return JobPlan(
        steps=[Step("end", state.rng.uniform(45.0, 75.0), done)],
        result=lambda: {"virtualmachine": render_vm(state, vm)},
        on_fail=on_fail,
        entities=[vm],
    )
