"""Volumes: listVolumes, createVolume, deleteVolume, attachVolume, detachVolume, updateVolume."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ..domain import volumes
from ..errors import param_error, too_long
from ..model import Volume
from ..render import volume as render_volume
from .base import (
    Ctx,
    ListReply,
    Reply,
    cached_list,
    command,
    job_reply,
    keyword_match,
    success,
)

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


@command("createVolume")
def create_volume(ctx: Ctx) -> Reply:
    p, state = ctx.p, ctx.state
    offering = p.entity("diskofferingid", state.disk_offerings)
    snap = p.entity("snapshotid", state.snapshots)
    zone = p.entity("zoneid", state.zones)
    vm = p.entity("virtualmachineid", state.vms)
    size_gib = p.int("size")
    name = p.str("name")
    vol, job = volumes.create_volume(ctx.world, offering, snap, zone, vm, size_gib, name)
    return job_reply(job, create_id=vol.id)


@command("deleteVolume")
def delete_volume(ctx: Ctx) -> Reply:
    volumes.delete_volume(ctx.world, ctx.p.entity_req("id", ctx.state.volumes))
    return success()


@command("attachVolume")
def attach_volume(ctx: Ctx) -> Reply:
    p, state = ctx.p, ctx.state
    vol = p.entity_req("id", state.volumes)
    vm = p.entity_req("virtualmachineid", state.vms)
    deviceid = p.int("deviceid")
    return job_reply(volumes.attach_volume(ctx.world, vol, vm, deviceid))


@command("detachVolume")
def detach_volume(ctx: Ctx) -> Reply:
    """The volume by its id, or by (device id, VM id): one of the two ways, not both."""
    p, state = ctx.p, ctx.state
    vol = p.entity("id", state.volumes)
    vm = p.entity("virtualmachineid", state.vms)
    deviceid = p.int("deviceid")
    has_id = vol is not None
    if (has_id and (deviceid is not None or vm is not None)) or (
        not has_id and (deviceid is None or vm is None)
    ):
        raise param_error("Please provide either a volume id, or a tuple(device id, instance id)")
    if vol is None:
        assert vm is not None
        matches = [v for v in vm.volumes if v.deviceid == deviceid]
        if not matches:
            raise param_error(f"Unable to find volume with ID: {deviceid}")
        vol = matches[0]
    return job_reply(volumes.detach_volume(ctx.world, vol))


@command("updateVolume")
def update_volume(ctx: Ctx) -> Reply:
    """Async (BaseAsyncCustomIdCmd): ``{"jobid"}``, then ``{"volume": {...}}``.

    ``name`` exists on newer servers only (4.19+); older ones ignore it like any unknown
    parameter. The admin-only fields (path, state, storageid, displayvolume, customid) are
    accepted and ignored here.
    """
    p, state = ctx.p, ctx.state
    vol = p.entity_req("id", state.volumes)
    name = p.str("name")  # an empty value counts as absent, as on the server
    if not state.setting_bool("sim.updatevolume.name") or not state.view.since(4, 19):
        name = None  # an older server: not a parameter it knows
    if name is not None and len(name) > NAME_MAX:
        raise too_long(ctx.api, "name", NAME_MAX)
    return job_reply(volumes.update_volume(ctx.world, vol, name))
