"""Virtual machines: listVirtualMachines, stopVirtualMachine, startVirtualMachine,
deployVirtualMachine."""

from __future__ import annotations

from collections.abc import Iterator

from ..domain import vms
from ..model import Vm
from ..render import vm as render_vm
from .base import Ctx, ListReply, Reply, cached_list, command, job_reply, keyword_match


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


@command("stopVirtualMachine")
def stop_vm(ctx: Ctx) -> Reply:
    vm = ctx.p.entity_req("id", ctx.state.vms)
    ctx.p.bool("forced")
    return job_reply(vms.stop_vm(ctx.world, vm))


@command("startVirtualMachine")
def start_vm(ctx: Ctx) -> Reply:
    return job_reply(vms.start_vm(ctx.world, ctx.p.entity_req("id", ctx.state.vms)))


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
    vm, job = vms.deploy_vm(
        ctx.world, offering, zone, template, networks, name, displayname, startvm, disk_offering
    )
    return job_reply(job, create_id=vm.id)
