"""Answer validation benchmark: how long `parse_items` takes to turn list answers into models.

Run: `.venv/bin/python bench/parse_bench.py [--items 300000]` (about 30 s). Prints only.

Items are shaped like the simulator's (`atlas_tui/sim/render.py`: every field a 4.22 server
writes for a regular account); ids and names differ per item, repeated values (zone, account,
state) are shared as they are after the inventory's string sharing. Each figure is the best of
5 runs of CPU time (`time.process_time()`), the previous run's models freed first, with the
garbage collector on as in the app. The figure that matters most is snapshots: an account at
scale lists ~300,000.
"""

from __future__ import annotations

import argparse
import gc
import time
import uuid
from typing import Any

from atlas_tui.cloud.api.models import Snapshot, VirtualMachine, Volume, parse_items

ZONE = str(uuid.UUID(int=3))


def snapshot(i: int) -> dict[str, Any]:
    return {
        "id": str(uuid.UUID(int=i)), "name": f"ROOT-{i // 30}_20260504101532",
        "account": "acme", "domainid": ZONE, "domain": "ROOT",
        "volumeid": str(uuid.UUID(int=i // 30 + 10**9)), "volumename": f"ROOT-{i // 30}",
        "volumetype": "ROOT", "volumestate": "Ready", "snapshottype": "DAILY",
        "intervaltype": "DAILY", "state": "BackedUp", "created": "2026-05-04T10:15:32+0000",
        "physicalsize": 1610612736, "virtualsize": 21474836480, "zoneid": ZONE,
        "zonename": "zone-1", "revertable": True, "tags": [], "hasannotations": False,
        "ostypeid": ZONE, "osdisplayname": "Ubuntu 22.04",
    }


def volume(i: int) -> dict[str, Any]:
    return {
        "id": str(uuid.UUID(int=i)), "name": f"DATA-{i}", "zoneid": ZONE, "zonename": "zone-1",
        "type": "DATADISK", "deviceid": 1, "virtualmachineid": str(uuid.UUID(int=i // 3)),
        "vmname": f"vm-{i // 3}", "vmstate": "Running", "size": 21474836480,
        "created": "2026-05-04T10:15:32+0000", "state": "Ready", "account": "acme",
        "domainid": ZONE, "domain": "ROOT", "storagetype": "shared", "hypervisor": "KVM",
        "diskofferingid": ZONE, "diskofferingname": "Small", "destroyed": False,
        "isextractable": True, "tags": [], "hasannotations": False,
    }


def vm(i: int) -> dict[str, Any]:
    return {
        "id": str(uuid.UUID(int=i)), "name": f"vm-{i}", "displayname": f"vm-{i}",
        "account": "acme", "domainid": ZONE, "domain": "ROOT", "created":
        "2026-05-04T10:15:32+0000", "state": "Running", "haenable": False, "zoneid": ZONE,
        "zonename": "zone-1", "templateid": ZONE, "templatename": "Ubuntu",
        "serviceofferingid": ZONE, "serviceofferingname": "Medium", "cpunumber": 2,
        "cpuspeed": 2000, "memory": 4096, "guestosid": ZONE, "rootdeviceid": 0,
        "rootdevicetype": "ROOT", "hypervisor": "KVM", "nic": [], "tags": [],
        "affinitygroup": [], "securitygroup": [], "hasannotations": False,
    }


def best_of(runs: int, work: Any) -> float:
    best = float("inf")
    for _ in range(runs):
        gc.collect()
        started = time.process_time()
        result = work()
        best = min(best, time.process_time() - started)
        del result
    return best


def measure(command: str, model: Any, key: str, make: Any, count: int) -> float:
    raws = [make(i) for i in range(count)]
    return best_of(5, lambda: parse_items(model, raws, command, key))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=300_000)
    args = parser.parse_args()
    n = args.items
    cases = [("listSnapshots", Snapshot, "snapshot", snapshot, n),
             ("listVolumes", Volume, "volume", volume, n // 10),
             ("listVirtualMachines", VirtualMachine, "virtualmachine", vm, n // 30)]
    print(f"{'command':22s} {'items':>8s} {'best s':>8s} {'µs/item':>8s}")
    for command, model, key, make, count in cases:
        seconds = measure(command, model, key, make, count)
        print(f"{command:22s} {count:8d} {seconds:8.2f} {seconds / count * 1e6:8.2f}")


if __name__ == "__main__":
    main()
