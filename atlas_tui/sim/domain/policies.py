"""Snapshot policies: create (an upsert per volume and interval type) and remove. Synchronous."""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import param_error
from ..model import INTERVALS, Policy, Volume
from ..schedule import ScheduleError, next_run, resolve_timezone
from ..state import SimState
from .scheduler import Scheduler


def volume_description(v: Volume) -> str:
    return f'Volume {{"id": {v.dbid}, "name": "{v.name}", "uuid": "{v.id}"}}'


def upsert_policy(
    scheduler: Scheduler,
    volume: Volume,
    interval_text: str,
    schedule: str,
    timezone_text: str,
    maxsnaps: int,
    fordisplay: bool,
) -> Policy:
    """createSnapshotPolicy: the volume's policy of that interval type is replaced, if any.

    A policy not for display (fordisplay=false) is kept but never runs.
    """
    state = scheduler.state
    if fordisplay and volume.state != "Ready":
        raise param_error(
            f"VolumeId: {volume.id} is not in Ready state but {volume.state}. Cannot take snapshot."
        )
    interval_name = interval_text.upper()
    if interval_name not in INTERVALS:
        raise param_error(f"Unsupported interval type {interval_text}")
    interval = INTERVALS.index(interval_name)
    timezone = resolve_timezone(timezone_text)
    desc = volume_description(volume)
    try:
        first = next_run(interval, schedule, timezone, state.now())
    except ScheduleError:
        raise param_error(
            f"{desc} has an invalid schedule [{schedule}] for interval type [{interval_name}]."
        ) from None
    check_maxsnaps(state, desc, interval_name, maxsnaps)
    policy = _save(state, volume, interval, schedule, timezone, maxsnaps)
    scheduler.arm(policy, first if fordisplay else None)
    state.touch()
    return policy


def check_maxsnaps(state: SimState, desc: str, interval_name: str, maxsnaps: int) -> None:
    if maxsnaps <= 0:
        raise param_error(f"maxSnaps [{maxsnaps}] for volume {desc} should be greater than 0.")
    limit = state.setting_int(f"snapshot.max.{interval_name.lower()}", 8)
    if maxsnaps > limit:
        raise param_error(
            f"maxSnaps [{maxsnaps}] for volume {desc} exceeds limit [{limit}] for interval type "
            f"[{interval_name}]."
        )


def _save(
    state: SimState, volume: Volume, interval: int, schedule: str, timezone: str, maxsnaps: int
) -> Policy:
    existing = next(
        (x for x in state.policies.values() if x.volume is volume and x.interval == interval),
        None,
    )
    if existing is not None:
        existing.schedule = schedule
        existing.timezone = timezone
        existing.maxsnaps = maxsnaps
        return existing
    policy = Policy(
        id=state.new_uuid(),
        dbid=state.new_dbid("policy", 1),
        volume=volume,
        interval=interval,
        schedule=schedule,
        timezone=timezone,
        maxsnaps=maxsnaps,
        created=state.now(),
    )
    state.policies[policy.id] = policy
    return policy


def remove_policy(state: SimState, policy: Policy) -> None:
    """Gone from the lists; its armed run sees the new generation and does nothing."""
    policy.generation += 1
    policy.next_run = None
    state.policies.pop(policy.id, None)


def remove_policies(state: SimState, policies: Iterable[Policy]) -> None:
    for policy in policies:
        remove_policy(state, policy)
    state.touch()
