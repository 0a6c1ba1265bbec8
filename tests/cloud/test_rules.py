"""cloud/rules.py: the rules screens ask instead of encoding them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from atlas_tui.cloud import rules
from atlas_tui.cloud.api.models import VirtualMachine, VMSnapshot


def vm(state: str = "Running", hypervisor: str = "KVM") -> VirtualMachine:
    return VirtualMachine.parse({"id": "i-1", "name": "web", "state": state,
                                 "hypervisor": hypervisor})


def vm_snapshot(kind: str) -> VMSnapshot:
    return VMSnapshot.parse({"id": "m-1", "displayname": "before", "state": "Ready",
                             "type": kind})


@pytest.mark.parametrize(("kind", "state", "first"), [
    ("Disk", "Running", "stop"),
    ("Disk", "Stopped", None),
    ("DiskAndMemory", "Stopped", "start"),
    ("DiskAndMemory", "Running", None),
])
def test_what_a_revert_does_to_the_vm_first(kind: str, state: str, first: str | None) -> None:
    assert rules.revert_first(vm_snapshot(kind), vm(state)) == first


def test_memory_is_offered_first_only_for_a_running_kvm_vm() -> None:
    assert rules.vm_snapshot_memory_first(vm("Running", "KVM"))
    assert not rules.vm_snapshot_memory_first(vm("Stopped", "KVM"))
    assert not rules.vm_snapshot_memory_first(vm("Running", "VMware"))


def test_a_vm_snapshot_is_named_by_the_servers_clock_in_utc() -> None:
    # The server's time, whatever zone it comes in: this machine's clock plays no part.
    oslo = timezone(timedelta(hours=1))
    at = datetime(2026, 11, 29, 8, 30, tzinfo=oslo)
    assert rules.vm_snapshot_name("web", at) == "web-20261129-0730Z"
