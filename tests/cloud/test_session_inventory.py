"""The session's one inventory: loads are shared, and a reload never shows a half account."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from atlas_tui.cloud import inventory as inventory_module
from atlas_tui.cloud.api import client as client_module
from atlas_tui.cloud.inventory import Inventory
from atlas_tui.cloud.session import Session
from atlas_tui.sim import SimServer
from tests.conftest import profile_for


async def test_a_load_under_way_is_joined_not_repeated(sim: SimServer) -> None:
    session = await Session.open(profile_for(sim), read_only=True)
    try:
        first, second = await asyncio.gather(session.load_inventory(),
                                             session.load_inventory())
        assert first is second is session.inventory and first.complete
        assert sim.state.calls["listSnapshots"] == 1  # one walk, on the server's own count
        assert sim.state.calls["listVirtualMachines"] == 1
    finally:
        await session.close()


async def test_a_reload_replaces_the_inventory_only_when_complete(sim: SimServer) -> None:
    session = await Session.open(profile_for(sim), read_only=True)
    try:
        seen_while_loading: list[Inventory] = []
        first = await session.load_inventory(
            lambda inventory, _part: seen_while_loading.append(session.inventory))
        assert seen_while_loading and all(s is first for s in seen_while_loading)
        shared_during_reload: list[tuple[Inventory, Inventory]] = []
        second = await session.load_inventory(
            lambda inventory, _part: shared_during_reload.append((inventory, session.inventory)))
        # While the new one filled, every screen still read the complete first one.
        assert shared_during_reload
        assert all(new is second and shared is first for new, shared in shared_during_reload)
        assert session.inventory is second and second.complete
        assert sim.state.calls["listSnapshots"] == 2
    finally:
        await session.close()


async def test_a_reload_shares_the_models_of_pages_that_read_the_same(sim: SimServer) -> None:
    """A reload parses only the pages that changed: the others' models are the same objects
    (no second copy of an unchanged account in memory), the changed one reads as now."""
    session = await Session.open(profile_for(sim), read_only=True, page_size=2)
    try:
        first = await session.load_inventory()
        with sim.state.lock:
            vm = next(v for v in sim.state.vms.values() if v.name == "db-01")
            vm.displayname = "db-01 renamed"
        second = await session.load_inventory()
        changed = second.vms[vm.id]
        assert changed is not first.vms[vm.id]
        assert changed.displayname == changed.raw["displayname"] == "db-01 renamed"
        assert first.vms[vm.id].displayname == "db-01"  # what screens read until now
        shared = [k for k, v in second.vms.items() if first.vms.get(k) is v]
        assert vm.id not in shared and len(shared) >= len(second.vms) - 2  # one page of two
        assert second.vms.keys() == first.vms.keys()
        assert any(first.volumes.get(k) is v for k, v in second.volumes.items())
    finally:
        await session.close()


async def test_a_reload_of_an_unchanged_account_decodes_no_page_but_snapshots(
        sim: SimServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The pages are asked for again (the server counts them) and answer byte for byte as
    before: known by their digest, the pages of instances, volumes and policies are neither
    cleaned, decoded, shared nor built; the models are the previous ones. A page that
    changed is read in full (test above). Snapshots are folded again (their stats need
    every page)."""
    session = await Session.open(profile_for(sim), read_only=True, page_size=2)
    try:
        first = await session.load_inventory()
        work: list[str] = []
        clean, share = client_module.clean_json_text, inventory_module._Strings.share

        def cleaning(text: str) -> str:
            work.append("clean")
            return clean(text)

        def sharing(self: Any, value: Any) -> Any:
            work.append("share")
            return share(self, value)

        monkeypatch.setattr(client_module, "clean_json_text", cleaning)
        monkeypatch.setattr(inventory_module._Strings, "share", sharing)
        with sim.state.lock:
            calls = dict(sim.state.calls)
            vms, volumes = len(sim.state.vms), len(sim.state.volumes)
        second = await session.load_inventory()
        with sim.state.lock:
            assert sim.state.calls["listVirtualMachines"] - calls["listVirtualMachines"] \
                == -(-vms // 2)
            assert sim.state.calls["listVolumes"] - calls["listVolumes"] == -(-volumes // 2)
        assert "share" not in work
        # only the snapshots' answers were cleaned
        assert sim.state.calls["listSnapshotPolicies"] > calls["listSnapshotPolicies"]
        assert work.count("clean") == sum(
            sim.state.calls[c] - calls.get(c, 0) for c in sim.state.calls
            if c not in ("listVirtualMachines", "listVolumes", "listSnapshotPolicies"))
        assert work.count("clean") >= 1
        assert [p for ps in second.policies_by_volume.values() for p in ps] \
            and all(p is q for v, ps in second.policies_by_volume.items()
                    for p, q in zip(ps, first.policies_by_volume[v], strict=True))
        assert all(first.vms[k] is v for k, v in second.vms.items())
        assert all(first.volumes[k] is v for k, v in second.volumes.items())
        assert second.vms.keys() == first.vms.keys() and len(second.vms) == vms
    finally:
        await session.close()


async def test_a_reload_reads_again_the_page_of_a_policy_that_changed(sim: SimServer) -> None:
    session = await Session.open(profile_for(sim), read_only=True, page_size=2)
    try:
        first = await session.load_inventory()
        with sim.state.lock:
            policy = next(iter(sim.state.policies.values()))
            policy.maxsnaps += 3
            maxsnaps, total = policy.maxsnaps, len(sim.state.policies)
        second = await session.load_inventory()
        old = {p.id: p for ps in first.policies_by_volume.values() for p in ps}
        new = {p.id: p for ps in second.policies_by_volume.values() for p in ps}
        assert new.keys() == old.keys() and len(new) == total > 2
        assert new[policy.id] is not old[policy.id] and new[policy.id].maxsnaps == maxsnaps
        assert old[policy.id].maxsnaps == maxsnaps - 3
        same = [k for k in new if new[k] is old[k]]
        assert len(same) >= total - 2  # the other policy of its page of two is parsed again
    finally:
        await session.close()


async def test_a_reload_shares_the_stats_of_volumes_whose_snapshots_read_the_same(
        sim: SimServer) -> None:
    """Screens hold the inventory they showed until they repaint: an unchanged volume's
    snapshot stats are one object for both inventories; a changed one's are its own."""
    session = await Session.open(profile_for(sim), read_only=True)
    try:
        first = await session.load_inventory()
        with sim.state.lock:
            snap = next(s for s in sim.state.snapshots.values() if s.volume.id in first.volumes
                        and s.state == "BackedUp")
            snap.physicalsize += 2**30  # a snapshot grew, on the server
        second = await session.load_inventory()
        assert second.stats_by_volume.keys() == first.stats_by_volume.keys()
        volume = snap.volume.id
        before, after = first.stats_by_volume[volume], second.stats_by_volume[volume]
        assert after is not before
        assert after.physical_bytes == before.physical_bytes + 2**30
        same = {v for v, s in second.stats_by_volume.items() if s is first.stats_by_volume[v]}
        assert same == second.stats_by_volume.keys() - {volume}
        # Keyed by the volume's own id string; a name kept only where the volume is gone.
        for volume_id, stats in second.stats_by_volume.items():
            present = second.volumes.get(volume_id)
            assert (volume_id is present.id and stats.volume_name == "") if present \
                else stats.volume_name == sim.state.removed_volumes[volume_id].name
        assert set(second.stats_by_volume) - set(second.volumes)  # the demo has orphans
    finally:
        await session.close()


async def test_a_volume_keeps_its_vms_own_id_and_name_and_a_reload_still_reuses_pages(
        sim: SimServer) -> None:
    """VMs and volumes share one string table during a load: an attached volume's
    `virtualmachineid` and `vmname` are its VM's own strings, not second copies. The pages
    archive the same either way: a reload of an unchanged account reuses every model."""
    session = await Session.open(profile_for(sim), read_only=True, page_size=2)
    try:
        first = await session.load_inventory()
        with sim.state.lock:
            attached = {v.id: (v.vm.id, v.vm.name) for v in sim.state.volumes.values()
                        if v.vm is not None}
        assert attached, "the demo has attached volumes"
        for volume_id, (vm_id, vm_name) in attached.items():
            volume = first.volumes[volume_id]
            vm = first.vms[vm_id]
            assert (volume.virtualmachineid, volume.vmname) == (vm_id, vm_name)
            assert volume.virtualmachineid is vm.id and volume.vmname is vm.name
        second = await session.load_inventory()
        assert all(first.vms[k] is v for k, v in second.vms.items())
        assert all(first.volumes[k] is v for k, v in second.volumes.items())
        assert second.vms.keys() == first.vms.keys()
        assert second.volumes.keys() == first.volumes.keys()
    finally:
        await session.close()
