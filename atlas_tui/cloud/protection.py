"""Account-wide protection: which volumes recurring snapshots cover, which policies have
stopped producing snapshots, what is left of deleted volumes, and what the storage costs.

Everything comes from the session's one inventory (cloud/inventory.py: account-wide lists,
one paged walk of listSnapshots), never one call per volume and never a second walk. Its
per-volume `SnapshotStats` keep the newest *good* (BackedUp) snapshot per interval type,
which is what tells a policy that runs from one that does not.

A policy is **stale** when its newest snapshot of its own interval type is older than the
interval plus some slack. The server skips runs for volumes that have been inactive since
their last snapshot (detached, or the VM not running), refuses runs when another snapshot
is in flight, and prunes to its limits, so a policy that exists is no proof of protection.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from atlas_tui.cloud import turns
from atlas_tui.cloud.api.models import (
    INTERVAL_NAMES,
    SnapshotPolicy,
    VirtualMachine,
    Volume,
)
from atlas_tui.cloud.inventory import SnapshotStats

__all__ = [
    "DEFAULT_MAXSNAPS_LIMIT",
    "GIB",
    "PERIODS",
    "SLACK",
    "PolicyHealth",
    "ProtectionSummary",
    "Status",
    "VolumeProtection",
    "assess",
    "assess_sliced",
    "by_instance",
    "limit_from_error",
    "monthly_cost",
    "summarize",
]

GIB = 1024**3

# How often each interval runs. A month is taken as 31 days so that no month looks late.
PERIODS: Mapping[str, timedelta] = {
    "HOURLY": timedelta(hours=1),
    "DAILY": timedelta(days=1),
    "WEEKLY": timedelta(days=7),
    "MONTHLY": timedelta(days=31),
}
# Grace on top of the period: the server polls every 5 minutes (snapshot.poll.interval),
# a run takes a while to be BackedUp, and a DST change makes one day 25 hours long.
SLACK: Mapping[str, timedelta] = {
    "HOURLY": timedelta(minutes=20),
    "DAILY": timedelta(hours=2),
    "WEEKLY": timedelta(hours=12),
    "MONTHLY": timedelta(days=1),
}

# `snapshot.max.<interval>` defaults to 8; a normal user cannot read the setting.
DEFAULT_MAXSNAPS_LIMIT = 8
_LIMIT = re.compile(r"exceeds limit \[(\d+)\]")

# Volumes assessed in one turn of the event loop (~5 µs each: ~10 ms a chunk).
ASSESS_CHUNK = 2_000
_NO_STATS = SnapshotStats()  # a volume without snapshots: read, never changed


def limit_from_error(text: str) -> int | None:
    """The server's `snapshot.max.<interval>` as its refusal states it ("exceeds limit [N]")."""
    match = _LIMIT.search(text)
    return int(match.group(1)) if match else None


class Status(enum.Enum):
    """A row's verdict; `rank` orders problems first, the silent failure before the rest."""

    STALE = "stale"
    UNPROTECTED = "unprotected"
    NO_RUNS = "no runs yet"
    ORPHANED = "orphaned"  # snapshots of a deleted volume
    OK = "ok"

    @property
    def rank(self) -> int:
        return list(Status).index(self)

    @property
    def problem(self) -> bool:
        return self is not Status.OK


# slots: 30,000 rows at scale:10000 (and a PolicyHealth each), kept while the view is open.
@dataclass(frozen=True, slots=True)
class PolicyHealth:
    """One policy and its newest BackedUp snapshot of the same interval type."""

    policy: SnapshotPolicy
    newest: datetime | None
    stale: bool  # a snapshot exists, but it is older than the interval plus slack

    @property
    def never_ran(self) -> bool:
        return self.newest is None


@dataclass(frozen=True, slots=True)
class VolumeProtection:
    """One row of the protection view: a volume, or the remains of a deleted one."""

    key: str  # the volume id
    volume_name: str
    volume_type: str  # ROOT / DATADISK; "" for a deleted volume
    vm_id: str  # "" when detached or deleted
    vm_name: str
    vm_state: str
    status: Status
    policies: tuple[PolicyHealth, ...]  # HOURLY..MONTHLY order
    newest: datetime | None  # newest snapshot of any kind
    snapshots: int
    bytes: int  # the sizes known
    unsized: int = 0  # snapshots without a size: unknown, never counted as 0

    @property
    def stale(self) -> tuple[PolicyHealth, ...]:
        return tuple(h for h in self.policies if h.stale)

    @property
    def never_ran(self) -> tuple[PolicyHealth, ...]:
        return tuple(h for h in self.policies if h.never_ran)

    @property
    def inactive(self) -> bool:
        """The server skips scheduled runs of a volume that is detached or whose VM is not
        running (once it has a snapshot since it became inactive): a likely reason for stale."""
        return not self.vm_id or self.vm_state != "Running"


def _interval_order(policy: SnapshotPolicy) -> int:
    return INTERVAL_NAMES.index(policy.interval) if policy.interval in INTERVAL_NAMES else 9


def policy_health(
    policy: SnapshotPolicy, newest_good: Mapping[str, datetime], now: datetime
) -> PolicyHealth:
    """`newest_good`: the policy's volume's newest BackedUp snapshot per interval type."""
    newest = newest_good.get(policy.interval)
    period = PERIODS.get(policy.interval)
    stale = (newest is not None and period is not None
             and now - newest > period + SLACK[policy.interval])
    return PolicyHealth(policy, newest, stale)


def _status(policies: tuple[PolicyHealth, ...]) -> Status:
    if not policies:
        return Status.UNPROTECTED
    if any(h.stale for h in policies):
        return Status.STALE
    if any(h.never_ran for h in policies):
        return Status.NO_RUNS
    return Status.OK


def assess(
    volumes: Mapping[str, Volume],
    vms: Mapping[str, VirtualMachine],
    policies_by_volume: Mapping[str, list[SnapshotPolicy]],
    stats_by_volume: Mapping[str, SnapshotStats],
    now: datetime,
) -> list[VolumeProtection]:
    """Every volume with its verdict, then one row per deleted volume that left snapshots;
    problems first (stale, unprotected, no runs yet, orphaned), then by instance and name."""
    rows = [_volume_row(volume, vms, policies_by_volume, stats_by_volume, now)
            for volume in volumes.values()]
    rows += _orphan_rows(volumes, stats_by_volume)
    _order(rows)
    return rows


async def assess_sliced(
    volumes: Mapping[str, Volume],
    vms: Mapping[str, VirtualMachine],
    policies_by_volume: Mapping[str, list[SnapshotPolicy]],
    stats_by_volume: Mapping[str, SnapshotStats],
    now: datetime,
) -> list[VolumeProtection]:
    """`assess`, a turn of the event loop per chunk of volumes (cloud/turns.py): 30,000
    volumes in one piece are ~0.2 s in which no key is answered."""
    rows: list[VolumeProtection] = []
    listed = list(volumes.values())
    for at in range(0, len(listed), ASSESS_CHUNK):
        async with turns.turn():
            rows += [_volume_row(volume, vms, policies_by_volume, stats_by_volume, now)
                     for volume in listed[at:at + ASSESS_CHUNK]]
    del listed
    async with turns.turn():
        rows += _orphan_rows(volumes, stats_by_volume)
    async with turns.turn():
        _order(rows)
    return rows


def _volume_row(
    volume: Volume,
    vms: Mapping[str, VirtualMachine],
    policies_by_volume: Mapping[str, list[SnapshotPolicy]],
    stats_by_volume: Mapping[str, SnapshotStats],
    now: datetime,
) -> VolumeProtection:
    vm = vms.get(volume.virtualmachineid) if volume.virtualmachineid else None
    policies = sorted(policies_by_volume.get(volume.id, []), key=_interval_order)
    stats = stats_by_volume.get(volume.id, _NO_STATS)
    health = tuple(policy_health(p, stats.newest_good, now) for p in policies)
    return VolumeProtection(
        key=volume.id,
        volume_name=volume.name,
        volume_type=volume.type,
        vm_id=vm.id if vm else (volume.virtualmachineid or ""),
        vm_name=vm.name if vm else (volume.vmname or ""),
        vm_state=vm.state if vm else volume.vmstate,
        status=_status(health),
        policies=health,
        newest=stats.newest,
        snapshots=stats.count,
        bytes=stats.physical_bytes,
        unsized=stats.unsized,
    )


def _orphan_rows(volumes: Mapping[str, Volume],
                 stats_by_volume: Mapping[str, SnapshotStats]) -> list[VolumeProtection]:
    """A row per deleted volume that left snapshots (its stats outlive it)."""
    return [VolumeProtection(
        key=volume_id,
        volume_name=stats.volume_name or volume_id,
        volume_type="",
        vm_id="",
        vm_name="",
        vm_state="",
        status=Status.ORPHANED,
        policies=(),
        newest=stats.newest,
        snapshots=stats.count,
        bytes=stats.physical_bytes,
        unsized=stats.unsized,
    ) for volume_id, stats in stats_by_volume.items()
        if volume_id not in volumes and stats.count]


def _order(rows: list[VolumeProtection]) -> None:
    """By verdict, then instance (none last), then volume name, case-insensitive. Stable
    sorts from the last key to the first: one lowered name a row at a time, not a tuple of
    two per row (30,000 rows: ~6 MB of keys at once)."""
    rows.sort(key=lambda r: r.volume_name.lower())
    rows.sort(key=lambda r: r.vm_name.lower() or "\uffff")
    rows.sort(key=_rank)


def _rank(row: VolumeProtection) -> int:
    return row.status.rank


def monthly_cost(size_bytes: int, rate_per_gib_month: float) -> float:
    """Storage × rate: what the snapshots cost per month at `rate` per GiB-month."""
    return size_bytes / GIB * rate_per_gib_month


@dataclass(frozen=True)
class ProtectionSummary:
    volumes: int  # existing volumes (orphan rows not counted)
    unprotected: int
    stale: int
    no_runs: int
    orphan_volumes: int
    orphan_snapshots: int
    orphan_bytes: int
    total_bytes: int  # every snapshot whose size is known, orphans included
    monthly_cost: float | None  # None without a rate
    unsized: int = 0  # snapshots without a size (the totals are then "at least")
    orphan_unsized: int = 0

    @property
    def problems(self) -> int:
        return self.unprotected + self.stale + self.no_runs + self.orphan_volumes


def summarize(
    rows: Iterable[VolumeProtection], rate_per_gib_month: float | None = None
) -> ProtectionSummary:
    rows = list(rows)
    orphans = [r for r in rows if r.status is Status.ORPHANED]
    total = sum(r.bytes for r in rows)
    return ProtectionSummary(
        volumes=len(rows) - len(orphans),
        unprotected=sum(1 for r in rows if r.status is Status.UNPROTECTED),
        stale=sum(1 for r in rows if r.status is Status.STALE),
        no_runs=sum(1 for r in rows if r.status is Status.NO_RUNS),
        orphan_volumes=len(orphans),
        orphan_snapshots=sum(r.snapshots for r in orphans),
        orphan_bytes=sum(r.bytes for r in orphans),
        total_bytes=total,
        monthly_cost=(None if rate_per_gib_month is None
                      else monthly_cost(total, rate_per_gib_month)),
        unsized=sum(r.unsized for r in rows),
        orphan_unsized=sum(r.unsized for r in orphans),
    )


@dataclass(frozen=True)
class InstanceStorage:
    vm_id: str
    vm_name: str
    volumes: int
    bytes: int
    unsized: int = 0


def by_instance(rows: Iterable[VolumeProtection]) -> dict[str, InstanceStorage]:
    """Snapshot storage per instance (the sum over its volumes), keyed by VM id."""
    out: dict[str, InstanceStorage] = {}
    for r in rows:
        if not r.vm_id:
            continue
        prev = out.get(r.vm_id)
        out[r.vm_id] = InstanceStorage(
            r.vm_id, r.vm_name,
            (prev.volumes if prev else 0) + 1,
            (prev.bytes if prev else 0) + r.bytes,
            (prev.unsized if prev else 0) + r.unsized,
        )
    return out
