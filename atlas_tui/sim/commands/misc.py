"""Zones, networks, offerings, OS types, capabilities and async job queries, plus the empty
network lists that libcloud's ``list_nodes`` reads (public IPs, forwarding rules)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import timedelta
from typing import Any

from .. import render
from ..model import Job
from ..state import SimState
from .base import Ctx, Handler, ListReply, Obj, Reply, cached_list, command, keyword_match


def _simple(
    ctx: Ctx,
    key: str,
    table: Mapping[str, Any],
    renderer: Callable[[SimState, Any], Obj],
    name_of: Callable[[Any], str] = lambda o: o.name,
) -> ListReply:
    p = ctx.p
    one = p.entity("id", table)
    ids = p.entities("ids", table)
    name = p.str("name")
    keyword = p.str("keyword")

    def build() -> Iterator[Any]:
        pool = [one] if one is not None else ids if ids is not None else table.values()
        for o in pool:
            if name is not None and name_of(o) != name:
                continue
            if keyword_match(keyword, name_of(o)):
                yield o

    return ListReply(key, cached_list(ctx, build), renderer)


@command("listZones")
def list_zones(ctx: Ctx) -> ListReply:
    ctx.p.bool("available")
    return _simple(ctx, "zone", ctx.state.zones, render.zone)


@command("listNetworks")
def list_networks(ctx: Ctx) -> ListReply:
    reply = _simple(ctx, "network", ctx.state.networks, render.network)
    zoneid = ctx.p.str("zoneid")
    if zoneid:
        reply.items = [n for n in reply.items if n.zone.id == zoneid]
    return reply


@command("listServiceOfferings")
def list_service_offerings(ctx: Ctx) -> ListReply:
    return _simple(ctx, "serviceoffering", ctx.state.service_offerings, render.service_offering)


@command("listDiskOfferings")
def list_disk_offerings(ctx: Ctx) -> ListReply:
    return _simple(ctx, "diskoffering", ctx.state.disk_offerings, render.disk_offering)


@command("listOsTypes")
def list_os_types(ctx: Ctx) -> ListReply:
    reply = _simple(
        ctx, "ostype", ctx.state.ostypes, render.ostype, name_of=lambda o: o.description
    )
    description = ctx.p.str("description")
    category = ctx.p.str("oscategoryid")
    if description or category:
        reply.items = [
            o
            for o in reply.items
            if (not description or description.lower() in o.description.lower())
            and (not category or o.category_id == category)
        ]
    return reply


@command("listCapabilities")
def list_capabilities(ctx: Ctx) -> Reply:
    state = ctx.state
    cap: dict[str, object] = {
        "securitygroupsenabled": any(z.networktype == "Basic" for z in state.zones.values()),
        "dynamicrolesenabled": True,
        "cloudstackversion": state.view.version_text,
        "userpublictemplateenabled": True,
        "supportELB": "false",
        "projectinviterequired": False,
        "allowusercreateprojects": True,
        "customdiskofferingminsize": 1,
        "customdiskofferingmaxsize": 1024,
        "regionsecondaryenabled": False,
        "kvmsnapshotenabled": state.setting_bool("kvm.snapshot.enabled"),
        "snapshotshowchainsize": False,
        "allowuserviewdestroyedvm": False,
        "allowuserexpungerecovervm": False,
        "allowuserexpungerecovervolume": False,
        "allowuserviewalldomainaccounts": False,
        "kubernetesserviceenabled": False,
        "kubernetesclusterexperimentalfeaturesenabled": False,
        "defaultuipagesize": 20,
        "instancesstatsretentiontime": 720,
        "instancesstatsuseronly": False,
        "instancesdisksstatsretentionenabled": False,
        "instancesdisksstatsretentiontime": 720,
        "sharedfsvmmincpucount": 2,
        "sharedfsvmminramsize": 1024,
        "extensionspath": "/usr/share/cloudstack-management/extensions",
    }
    if state.setting_bool("api.throttling.enabled"):
        cap["apilimitinterval"] = state.setting_int("api.throttling.interval", 1)
        cap["apilimitmax"] = state.setting_int("api.throttling.max", 25)
    return Reply({"capability": cap})


@command("queryAsyncJobResult")
def query_async_job_result(ctx: Ctx) -> Reply:
    job = ctx.p.entity_req("jobid", ctx.state.jobs)
    return Reply(render.job(ctx.state, job))


@command("listAsyncJobs")
def list_async_jobs(ctx: Ctx) -> ListReply:
    """Every job until ``job.expire.minutes`` after it finished, ascending by id
    (QueryManagerImpl.java ~3137; AsyncJobManagerImpl.java ~980-1000 removes expired ones)."""
    p, state = ctx.p, ctx.state
    startdate = p.date("startdate")
    keyword = p.str("keyword")
    keep = timedelta(minutes=state.setting_int("job.expire.minutes", 1440))
    now = state.now()

    def build() -> Iterator[Job]:
        for job in sorted(state.jobs.values(), key=lambda j: j.dbid):
            if job.completed is not None and now - job.completed > keep:
                continue
            if startdate is not None and job.created < startdate:
                continue
            if not keyword_match(keyword, job.cmd_class):
                continue
            yield job

    return ListReply("asyncjobs", cached_list(ctx, build), render.job)


def _empty(key: str) -> Handler:
    def handler(ctx: Ctx) -> ListReply:
        return ListReply(key, [], render.zone)

    return handler


for _name, _key in (
    ("listPublicIpAddresses", "publicipaddress"),
    ("listPortForwardingRules", "portforwardingrule"),
    ("listIpForwardingRules", "ipforwardingrule"),
):
    command(_name)(_empty(_key))

