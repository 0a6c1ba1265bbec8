"""Snapshot policies: createSnapshotPolicy, listSnapshotPolicies, deleteSnapshotPolicies.
All synchronous."""

from __future__ import annotations

from collections.abc import Iterator

from ..domain import policies
from ..errors import ApiError
from ..model import Policy
from ..render import policy as render_policy
from .base import Ctx, ListReply, Reply, cached_list, command, keyword_match, success


@command("createSnapshotPolicy")
def create_policy(ctx: Ctx) -> Reply:
    p, state = ctx.p, ctx.state
    volume = p.entity_req("volumeid", state.volumes)
    interval = p.req("intervaltype")
    schedule = p.req("schedule")
    timezone = p.req("timezone")
    maxsnaps = p.int("maxsnaps", required=True)
    assert maxsnaps is not None
    fordisplay = p.bool("fordisplay", default=True)
    policy = policies.upsert_policy(
        ctx.scheduler, volume, interval, schedule, timezone, maxsnaps, fordisplay
    )
    return Reply({"snapshotpolicy": render_policy(state, policy)})


@command("listSnapshotPolicies")
def list_policies(ctx: Ctx) -> ListReply:
    p, state = ctx.p, ctx.state
    one = p.entity("id", state.policies)
    if one is None and not state.view.since(4, 20):
        # Before 4.20 ListSnapshotPoliciesCmd's volumeid is required=true.
        p.req("volumeid")
    volume = p.entity("volumeid", state.volumes)
    keyword = p.str("keyword")

    def build() -> Iterator[Policy]:
        if one is not None:
            pool = [one]
        else:
            pool = [x for x in state.policies.values() if volume is None or x.volume is volume]
        for x in pool:
            if keyword_match(keyword, x.volume.name):
                yield x

    return ListReply("snapshotpolicy", cached_list(ctx, build), render_policy)


@command("deleteSnapshotPolicies")
def delete_policies(ctx: Ctx) -> Reply:
    p, state = ctx.p, ctx.state
    one = p.entity("id", state.policies)
    many = p.entities("ids", state.policies)
    if one is None and not many:
        raise ApiError(431, "No policy id (or list of ids) specified.", 4350)
    policies.remove_policies(state, ([one] if one is not None else []) + (many or []))
    return success()
