"""Virtual machines: listVirtualMachines, stopVirtualMachine, startVirtualMachine,
deployVirtualMachine."""

from __future__ import annotations

from collections.abc import Iterator

from ..errors import JobError, RuleError, param_error
from ..jobs import JobPlan, Step
from ..model import GIB, Vm, Volume
from ..render import vm as render_vm
from ..state import SimState
from .base import Ctx, ListReply, Reply, cached_list, command, keyword_match
from .volumes import set_activity


@command("listVirtualMachines")
def list_vms(ctx: Ctx) -> ListReply:
    p, state = ctx.p, ctx.state
    one = p.entity("id", state.vms)
    ids = p.entities("ids", state.vms)
    name = p.str("name")
    keyword = p.str("keyword")
    vstate = p.str("state")
    zoneid = p.str("zoneid")
    hypervisor = p.str("hypervisor")

    def build() -> Iterator[Vm]:
        pool = [one] if one is not None else ids if ids is not None else state.vms.values()
        for v in pool:
            if name is not None and name.lower() not in v.name.lower():  # substring match
                continue
            if not keyword_match(keyword, v.name, v.displayname):
                continue
            if vstate and vstate.lower() != "present" and v.state.lower() != vstate.lower():
                continue
            if zoneid and v.zone.id != zoneid:
                continue
            if hypervisor and v.hypervisor.lower() != hypervisor.lower():
                continue
            yield v

    return ListReply("virtualmachine", cached_list(ctx, build), render_vm)


def _set_state(state: SimState, vm: Vm, new: str) -> None:
    vm.state = new
    for vol in vm.volumes:
        set_activity(state, vol)


@command("stopVirtualMachine")
def stop_vm(ctx: Ctx) -> Reply:
    p, state = ctx.p, ctx.state
    vm = p.entity_req("id", state.vms)
    p.bool("forced")
    original = vm.state

    def begin() -> object:
        if vm.state == "Stopped":
            return None
        if vm.state != "Running":
            raise JobError(
                f"Unable to stop VM {vm.instancename}: it is in state {vm.state}, please try "
                "again later"
            )
        _set_state(state, vm, "Stopping")
        return None

    def done() -> object:
        if vm.state == "Stopping":
            _set_state(state, vm, "Stopped")
        return None

    def on_fail() -> None:
        if vm.state == "Stopping":
            _set_state(state, vm, original if original == "Running" else "Running")

    plan = JobPlan(
        steps=[Step("start", 0, begin), Step("end", state.rng.uniform(8.0, 12.0), done)],
        result=lambda: {"virtualmachine": render_vm(state, vm)},
        on_fail=on_fail,
        entities=[vm],
    )
    return ctx.submit(plan, "VirtualMachine", vm.id)


def no_root_text(vm: Vm) -> str:
    return (
        f"Unable to start VM {vm.instancename}: it has no ROOT volume; attach a volume with "
        "deviceid=0 to make it the root disk"
    )


@command("startVirtualMachine")
def start_vm(ctx: Ctx) -> Reply:
    p, state = ctx.p, ctx.state
    vm = p.entity_req("id", state.vms)

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
        _set_state(state, vm, "Starting")
        return None

    def done() -> object:
        if vm.state == "Starting":
            _set_state(state, vm, "Running")
        return None

    def on_fail() -> None:
        if vm.state == "Starting":
            _set_state(state, vm, "Stopped")

    plan = JobPlan(
        steps=[Step("start", 0, begin), Step("end", state.rng.uniform(12.0, 18.0), done)],
        result=lambda: {"virtualmachine": render_vm(state, vm)},
        on_fail=on_fail,
        entities=[vm],
    )
    return ctx.submit(plan, "VirtualMachine", vm.id)


@command("deployVirtualMachine")
def deploy_vm(ctx: Ctx) -> Reply:
    p, state = ctx.p, ctx.state
    offering = p.entity_req("serviceofferingid", state.service_offerings)
    zone = p.entity_req("zoneid", state.zones)
    template = p.entity_req("templateid", state.templates)
    networks = p.entities("networkids", state.networks)
    name = p.str("name")
    displayname = p.str("displayname")
    startvm = p.bool("startvm", default=True)
    disk_offering = p.entity("diskofferingid", state.disk_offerings)
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
    now = state.now()
    dbid = state.new_dbid("vm", 100)
    network = networks[0] if networks else None
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
        network=network,
        nic_id=state.new_uuid(),
        host_name=f"{template.hypervisor.lower()}-host-01",
    )
    if not vm.displayname:
        vm.displayname = vm.name
    state.vms[vm.id] = vm
    storage = f"{template.hypervisor.lower()}-primary-01"
    root = Volume(
        id=state.new_uuid(),
        dbid=state.new_dbid("volume", 5000),
        name=f"ROOT-{dbid}",
        type="ROOT",
        state="Allocated",
        size=max(template.size, 8 * GIB),
        zone=zone,
        hypervisor=template.hypervisor,
        storage=None,
        created=now,
        vm=vm,
        deviceid=0,
        template=template,
        offering=offering,
        inactive_since=now,
    )
    vm.volumes.append(root)
    state.volumes[root.id] = root
    if disk_offering is not None:
        data = Volume(
            id=state.new_uuid(),
            dbid=state.new_dbid("volume", 5000),
            name=f"DATA-{dbid}",
            type="DATADISK",
            state="Allocated",
            size=disk_offering.disksize * GIB,
            zone=zone,
            hypervisor=template.hypervisor,
            storage=None,
            created=now,
            vm=vm,
            deviceid=1,
            disk_offering=disk_offering,
            inactive_since=now,
        )
        vm.volumes.append(data)
        state.volumes[data.id] = data

    def done() -> object:
        for vol in vm.volumes:
            vol.state = "Ready"
            vol.storage = storage
            vol.attached = state.now()
        _set_state(state, vm, "Running" if startvm else "Stopped")
        return None

    def on_fail() -> None:
        _set_state(state, vm, "Error")

    plan = JobPlan(
        steps=[Step("end", state.rng.uniform(45.0, 75.0), done)],
        result=lambda: {"virtualmachine": render_vm(state, vm)},
        on_fail=on_fail,
        entities=[vm],
    )
    return ctx.submit(plan, "VirtualMachine", vm.id, create_id=vm.id)
