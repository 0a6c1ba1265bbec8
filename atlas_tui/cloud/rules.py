"""May I? The server's rules, checked before a call, so the UI can say why an action is
not possible now instead of hiding it or letting the server refuse it.

Each check returns None when the action may go ahead, else the reason in words. They are
advisory: the server stays the judge, and its own error text is shown when it refuses.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Literal

from atlas_tui.cloud.api.models import (
    IN_PROGRESS_SNAPSHOT_STATES,
    Capabilities,
    Snapshot,
    VirtualMachine,
    VMSnapshot,
    Volume,
)

# Allocated too: DefaultSnapshotStrategy removes an Allocated snapshot (fidelity.md row 16).
DELETABLE_SNAPSHOT_STATES = frozenset(
    {"Allocated", "BackedUp", "Error", "CreatedOnPrimary", "Destroying"}
)
DELETABLE_VM_SNAPSHOT_STATES = frozenset({"Ready", "Expunging", "Error"})
BUSY_VM_SNAPSHOT_STATES = frozenset({"Allocated", "Creating", "Reverting", "Expunging"})
VM_SNAPSHOT_MAX = 10  # vmsnapshot.max default; a user cannot read the setting


def volume_snapshot_can_quiesce(volumes: Iterable[Volume]) -> bool:
    """Only where the server says so: a volume's `quiescevm` (never sent to a regular
    account, and false from the only storage driver that reports it)."""
    return any(v.raw.get("quiescevm") is True for v in volumes)


def vm_snapshot_can_quiesce(vm: VirtualMachine) -> bool:
    """createVMSnapshot's quiescevm is for VMware VMs only (VMware tools quiesce the guest);
    the VM's hypervisor is in what a regular account is given."""
    return vm.hypervisor == "VMware"


def snapshot_volume(
    volume: Volume,
    vm: VirtualMachine | None,
    caps: Capabilities,
    *,
    vm_snapshots: Iterable[VMSnapshot] = (),
    snapshot_job_on_vm: bool = False,
) -> str | None:
    """createSnapshot on a volume (cloudstack-api.md §5.1)."""
    if volume.state != "Ready":
        return f"{volume.name} is {volume.state}: only a Ready volume can be snapshotted."
    if vm is not None:
        if vm.state in ("Destroyed", "Expunging"):
            return f"{vm.name} is {vm.state}."
        if vm.hypervisor == "KVM" and vm.state != "Stopped" and not caps.kvmsnapshotenabled:
            return (f"{vm.name} is {vm.state} on KVM and this cloud has kvm.snapshot.enabled "
                    "off: stop the VM first, or ask the operators to enable it.")
        busy = [s.displayname for s in vm_snapshots if s.state in BUSY_VM_SNAPSHOT_STATES]
        if busy:
            return f"a VM snapshot of {vm.name} is in progress ({', '.join(busy)})."
        if snapshot_job_on_vm:
            return (f"another snapshot of {vm.name} is in progress: the server takes one "
                    "snapshot per VM at a time.")
    return None


def vm_snapshot(vm: VirtualMachine, existing: Iterable[VMSnapshot], *,
                memory: bool = False) -> str | None:
    """createVMSnapshot (cloudstack-api.md §7.1)."""
    existing = list(existing)
    if vm.state not in ("Running", "Stopped"):
        return f"{vm.name} is {vm.state}: VM snapshots need it Running or Stopped."
    if memory and vm.state != "Running":
        return "a snapshot with memory needs the VM Running."
    busy = [s.displayname for s in existing if s.state in BUSY_VM_SNAPSHOT_STATES]
    if busy:
        return f"another VM snapshot task is in progress ({', '.join(busy)})."
    if len(existing) >= VM_SNAPSHOT_MAX:
        return (f"{vm.name} already has {len(existing)} VM snapshots (the usual limit is "
                f"{VM_SNAPSHOT_MAX}): delete old ones first.")
    return None


def delete_snapshot(snapshot: Snapshot) -> str | None:
    """deleteSnapshot (cloudstack-api.md §5.5)."""
    if snapshot.state in IN_PROGRESS_SNAPSHOT_STATES:
        return (f"{snapshot.name} is {snapshot.state}: the server refuses to delete a snapshot "
                "in progress. If it is stuck, see :jobs.")
    if snapshot.state not in DELETABLE_SNAPSHOT_STATES:
        return f"{snapshot.name} is {snapshot.state} and cannot be deleted."
    return None


def delete_vm_snapshot(snapshot: VMSnapshot) -> str | None:
    if snapshot.state not in DELETABLE_VM_SNAPSHOT_STATES:
        return f"{snapshot.displayname} is {snapshot.state}: wait until it is Ready or Error."
    return None


def revert_vm_snapshot(snapshot: VMSnapshot, vm: VirtualMachine) -> str | None:
    """revertToVMSnapshot, apart from the VM state (the wizard offers the stop/start)."""
    if snapshot.state != "Ready":
        return f"{snapshot.displayname} is {snapshot.state}: only a Ready VM snapshot reverts."
    if vm.state not in ("Running", "Stopped"):
        return f"{vm.name} is {vm.state}: wait until it is Running or Stopped."
    return None


def vm_state_for_revert(snapshot: VMSnapshot) -> str:
    """The VM state the server wants: Disk snapshots revert a Stopped VM, memory ones a
    Running VM (cloudstack-api.md §7.4)."""
    return "Running" if snapshot.with_memory else "Stopped"


def revert_first(snapshot: VMSnapshot, vm: VirtualMachine) -> Literal["stop", "start"] | None:
    """What the revert must do to the VM before it can run: stop it (a disk-only snapshot
    of a VM that is not Stopped) or start it (a memory snapshot of a VM not Running)."""
    needed = vm_state_for_revert(snapshot)
    if needed == "Stopped" and vm.state != "Stopped":
        return "stop"
    if needed == "Running" and vm.state != "Running":
        return "start"
    return None


def vm_snapshot_memory_first(vm: VirtualMachine) -> bool:
    """Offer the memory snapshot first? On KVM a disk-only snapshot of a running VM needs
    kvm.vmstoragesnapshot.enabled, which is off by default (cloudstack-api.md §7.1)."""
    return vm.running and vm.hypervisor == "KVM"


def vm_snapshot_name(vm_name: str, server_now: datetime) -> str:
    """`hello-atlas-20261129-0730Z`: the VM and the server's time in UTC (the same clock
    as every other time the app shows, not this machine's)."""
    return f"{vm_name}-{server_now.astimezone(UTC):%Y%m%d-%H%MZ}"


def snapshot_name(vm_name: str | None, volume_name: str, at_utc: str) -> str:
    """`hello-atlas-ROOT-42-20261129-0730Z`: instance, volume, UTC time; sorts by time."""
    parts = [p for p in (vm_name, volume_name) if p] or ["detached"]
    return "-".join([*parts, at_utc])
