"""Recurring snapshots: each policy fires at its next run on the simulated clock.

A run is skipped when the volume has been inactive (detached, or its VM not running) since its
last snapshot, and when the server's own createSnapshot checks refuse it (another snapshot in
flight on the VM, KVM snapshots disabled...). After a recurring snapshot is BackedUp, the oldest
snapshots of the same interval type on that volume are deleted down to
min(maxsnaps, snapshot.max.<interval>); manual snapshots are never counted or pruned.
Runs fire exactly at the scheduled minute (the real server polls every 300 s).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from ..errors import ApiError
from ..model import INTERVALS, Policy, Snapshot, Volume
from ..schedule import ScheduleError, next_run
from .snapshots import check_can_snapshot, start_snapshot
from .world import World


class Scheduler:
    def __init__(self, world: World) -> None:
        self.world = world
        self.state = world.state
        self.counts: Counter[str] = Counter()  # fired / skipped_inactive / refused / pruned

    def arm(self, policy: Policy, first: datetime | None) -> None:
        policy.generation += 1
        policy.next_run = first
        if first is not None:
            generation = policy.generation
            self.state.schedule(first, lambda: self._fire(policy, generation))

    def _fire(self, policy: Policy, generation: int) -> None:
        state = self.state
        if generation != policy.generation or policy.id not in state.policies:
            return  # replaced by an upsert, or deleted
        at = state.now()
        self._run(policy)
        try:
            upcoming = next_run(policy.interval, policy.schedule, policy.timezone, at)
        except ScheduleError:
            upcoming = None
        self.arm(policy, upcoming)

    def _run(self, policy: Policy) -> None:
        state = self.state
        volume = policy.volume
        if volume.removed:
            return
        if volume.inactive_since is not None and any(
            s.created >= volume.inactive_since for s in state.volume_snapshots(volume.id)
        ):
            self.counts["skipped_inactive"] += 1
            return
        try:
            check_can_snapshot(state, volume)
        except ApiError:
            self.counts["refused"] += 1
            return
        kind = INTERVALS[policy.interval]
        self.counts["fired"] += 1
        start_snapshot(
            self.world, volume, kind, None, on_success=lambda snap: self.prune(policy, volume, snap)
        )

    def prune(self, policy: Policy, volume: Volume, newest: Snapshot) -> None:
        state = self.state
        limit = state.setting_int(f"snapshot.max.{INTERVALS[policy.interval].lower()}", 8)
        keep = max(1, min(policy.maxsnaps, limit))
        same = [s for s in state.volume_snapshots(volume.id) if s.type == newest.type]
        same.sort(key=lambda s: (s.created, s.dbid))
        for old in same[: max(0, len(same) - keep)]:
            if old is newest or old.job_id is not None:
                continue
            state.remove_snapshot(old)
            self.counts["pruned"] += 1
