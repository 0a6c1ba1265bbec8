"""Volume snapshots: listSnapshots, createSnapshot, deleteSnapshot, revertSnapshot."""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Iterable, Iterator

from ..domain import snapshots
from ..model import INTERVALS, Snapshot
from ..render import snapshot as render_snapshot
from .base import Ctx, ListReply, Reply, cached_list, command, job_reply, keyword_match


@command("createSnapshot")
def create_snapshot(ctx: Ctx) -> Reply:
    p, state = ctx.p, ctx.state
    volume = p.entity_req("volumeid", state.volumes)
    policy = p.entity("policyid", state.policies)
    name = p.str("name")
    p.bool("quiescevm")
    p.bool("asyncbackup")
    kind = "MANUAL" if policy is None else INTERVALS[policy.interval]
    snap, job = snapshots.take_snapshot(ctx.world, volume, kind, name)
    return job_reply(job, create_id=snap.id)


@command("listSnapshots")
def list_snapshots(ctx: Ctx) -> ListReply:
    p, state = ctx.p, ctx.state
    known = ChainMap(state.snapshots, state.destroyed_snapshots)  # Destroyed: known, not listed
    ids = p.entities("ids", known)
    one = p.entity("id", known)
    volume = p.entity("volumeid", ChainMap(state.volumes, state.removed_volumes))
    name = p.str("name")
    keyword = p.str("keyword")
    zoneid = p.str("zoneid")
    snapshottype = (p.str("snapshottype") or "").upper()
    intervaltype = (p.str("intervaltype") or "").upper()

    def build() -> Iterator[Snapshot]:
        pool: Iterable[Snapshot]
        if one is not None:
            pool = [one]
        elif ids is not None:
            pool = sorted(ids, key=lambda s: s.created, reverse=True)
        elif volume is not None:
            pool = list(reversed(state.volume_snapshots(volume.id)))
        else:
            pool = reversed(state.snapshots.values())
        for s in pool:
            if s.state == "Destroyed":
                continue
            if name is not None and s.name != name:
                continue
            if not keyword_match(keyword, s.name):
                continue
            if zoneid and s.volume.zone.id != zoneid:
                continue
            if snapshottype == "MANUAL" and s.type != "MANUAL":
                continue
            if snapshottype == "RECURRING" and s.type == "MANUAL":
                continue
            # intervaltype only filters together with volumeid, as in SnapshotManagerImpl.
            if intervaltype and volume is not None and s.type != intervaltype:
                continue
            yield s

    return ListReply("snapshot", cached_list(ctx, build), render_snapshot)


@command("deleteSnapshot")
def delete_snapshot(ctx: Ctx) -> Reply:
    state = ctx.state
    snap = ctx.p.entity_req("id", ChainMap(state.snapshots, state.destroyed_snapshots))
    return job_reply(snapshots.delete_snapshot(ctx.world, snap))


@command("revertSnapshot")
def revert_snapshot(ctx: Ctx) -> Reply:
    snap = ctx.p.entity_req("id", ctx.state.snapshots)
    return job_reply(snapshots.revert_snapshot(ctx.world, snap))
