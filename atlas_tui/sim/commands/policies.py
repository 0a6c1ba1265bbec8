"""Snapshot policies: createSnapshotPolicy (an upsert per volume and interval type),
listSnapshotPolicies, deleteSnapshotPolicies. All synchronous."""

from __future__ import annotations

from collections.abc import Iterator

from ..errors import ApiError, param_error
from ..model import INTERVALS, Policy, Volume
from ..render import policy as render_policy
from ..schedule import ScheduleError, next_run, resolve_timezone
from .base import Ctx, ListReply, Reply, cached_list, command, keyword_match, success


def volume_description(v: Volume) -> str:
    return f'Volume {{"id": {v.dbid}, "name": "{v.name}", "uuid": "{v.id}"}}'


@command("createSnapshotPolicy")
def create_policy(ctx: Ctx) -> Reply:
    p, state = ctx.p, ctx.state
    volume = p.entity_req("volumeid", state.volumes)
    interval_raw = p.req("intervaltype")
    schedule = p.req("schedule")
    tz_raw = p.req("timezone")
    maxsnaps = p.int("maxsnaps", required=True)
    assert maxsnaps is not None
    fordisplay = p.bool("fordisplay", default=True)
    if fordisplay and volume.state != "Ready":
        raise param_error(
            f"VolumeId: {volume.id} is not in Ready state but {volume.state}. Cannot take snapshot."
        )
    interval_name = interval_raw.upper()
    if interval_name not in INTERVALS:
        raise param_error(f"Unsupported interval type {interval_raw}")
    interval = INTERVALS.index(interval_name)
    timezone = resolve_timezone(tz_raw)
    desc = volume_description(volume)
    try:
        first = next_run(interval, schedule, timezone, state.now())
    except ScheduleError:
        raise param_error(
            f"{desc} has an invalid schedule [{schedule}] for interval type [{interval_name}]."
        ) from None
    if maxsnaps <= 0:
        raise param_error(f"maxSnaps [{maxsnaps}] for volume {desc} should be greater than 0.")
    limit = state.setting_int(f"snapshot.max.{interval_name.lower()}", 8)
    if maxsnaps > limit:
        raise param_error(
            f"maxSnaps [{maxsnaps}] for volume {desc} exceeds limit [{limit}] for interval type "
            f"[{interval_name}]."
        )
    existing = next(
        (x for x in state.policies.values() if x.volume is volume and x.interval == interval),
        None,
    )
    if existing is None:
        existing = Policy(
            id=state.new_uuid(),
            dbid=state.new_dbid("policy", 1),
            volume=volume,
            interval=interval,
            schedule=schedule,
            timezone=timezone,
            maxsnaps=maxsnaps,
            created=state.now(),
        )
        state.policies[existing.id] = existing
    else:
        existing.schedule = schedule
        existing.timezone = timezone
        existing.maxsnaps = maxsnaps
    ctx.scheduler.arm(existing, first if fordisplay else None)
    state.touch()
    return Reply({"snapshotpolicy": render_policy(state, existing)})


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
    for pol in ([one] if one is not None else []) + (many or []):
        ctx.scheduler.remove(pol)
    state.touch()
    return success()
