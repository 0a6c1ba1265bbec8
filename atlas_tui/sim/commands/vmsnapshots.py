"""VM snapshots: listVMSnapshot (list key ``vmSnapshot``), createVMSnapshot,
revertToVMSnapshot, deleteVMSnapshot."""

from __future__ import annotations

from ..domain import vmsnapshots
from ..model import VmSnapshot
from ..render import vmsnapshot as render_vmsnapshot
from .base import Ctx, ListReply, Reply, cached_list, command, job_reply, keyword_match

LISTED_STATES = frozenset({"Ready", "Creating", "Allocated", "Error", "Expunging", "Reverting"})


@command("listVMSnapshot")
def list_vmsnapshots(ctx: Ctx) -> ListReply:
    p, state = ctx.p, ctx.state
    vm = p.entity("virtualmachineid", state.vms)
    one = p.entity("vmsnapshotid", state.vmsnapshots)
    ids = p.entities("vmsnapshotids", state.vmsnapshots)
    name = p.str("name")
    keyword = p.str("keyword")
    wanted_state = p.str("state")

    def build() -> list[VmSnapshot]:
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
    snap, job = vmsnapshots.create_vmsnapshot(ctx.world, vm, display, description, memory)
    return job_reply(job, create_id=snap.id)


@command("revertToVMSnapshot")
def revert_vmsnapshot(ctx: Ctx) -> Reply:
    snap = ctx.p.entity_req("vmsnapshotid", ctx.state.vmsnapshots)
    return job_reply(vmsnapshots.revert_vmsnapshot(ctx.world, snap))


@command("deleteVMSnapshot")
def delete_vmsnapshot(ctx: Ctx) -> Reply:
    snap = ctx.p.entity_req("vmsnapshotid", ctx.state.vmsnapshots)
    return job_reply(vmsnapshots.delete_vmsnapshot(ctx.world, snap))
