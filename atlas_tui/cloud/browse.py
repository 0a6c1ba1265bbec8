"""What the drill-down screens show, gathered with a few list calls each.

The instances list comes from `Inventory`; these are the views one level down, fetched
fresh when a screen opens so that what the user acts on is current.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from atlas_tui.cloud.api.client import CloudClient
from atlas_tui.cloud.api.models import Snapshot, SnapshotPolicy, VirtualMachine, VMSnapshot, Volume
from atlas_tui.cloud.inventory import SnapshotStats


@dataclass(frozen=True)
class VolumeRow:
    volume: Volume
    stats: SnapshotStats
    policies: tuple[SnapshotPolicy, ...]


@dataclass(frozen=True)
class InstanceDetail:
    vm: VirtualMachine
    volumes: tuple[VolumeRow, ...]
    vm_snapshots: tuple[VMSnapshot, ...]


def stats_of(snapshots: list[Snapshot]) -> SnapshotStats:
    stats = SnapshotStats()
    for snap in snapshots:
        stats.add_raw(snap.raw)
    return stats


async def instance_detail(client: CloudClient, vm: VirtualMachine) -> InstanceDetail:
    """The instance's volumes (with snapshot statistics and policies) and VM snapshots:
    2 + 2 × volumes calls, all but the first two concurrent."""
    volumes, vm_snapshots = await asyncio.gather(
        client.volumes_of(vm.id), client.vm_snapshots_of(vm.id)
    )

    async def row(volume: Volume) -> VolumeRow:
        snaps, policies = await asyncio.gather(
            client.snapshots_of(volume.id), client.snapshot_policies(volume.id)
        )
        return VolumeRow(volume, stats_of(snaps), tuple(policies))

    rows = await asyncio.gather(*(row(v) for v in volumes))
    return InstanceDetail(vm, tuple(rows), tuple(vm_snapshots))
