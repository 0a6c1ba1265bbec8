"""A load's heavy pieces are cut small enough that the event loop never waits long for one
(issue 13): a page's raw items shared a chunk per loop pass, the account's policies parsed a
chunk per pass, the snapshot ids in shards, a load's tables dropped a chunk per pass."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from atlas_tui.cloud import inventory as inventory_module
from atlas_tui.cloud.api import client as client_module
from atlas_tui.cloud.api.client import CloudClient, PageMemo
from atlas_tui.cloud.api.errors import CloudError, ErrorKind
from atlas_tui.cloud.seen_ids import SeenIds
from atlas_tui.cloud.session import Session
from atlas_tui.sim import SimServer
from tests.conftest import FAST_RETRY, profile_for


@contextlib.asynccontextmanager
async def loop_passes() -> AsyncIterator[Callable[[], int]]:
    """The number of the loop pass running now: a task that counts, once per pass."""
    passes = 0

    async def count() -> None:
        nonlocal passes
        while True:
            passes += 1
            await asyncio.sleep(0)  # runs again in the next pass

    task = asyncio.ensure_future(count())
    await asyncio.sleep(0)
    try:
        yield lambda: passes
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_a_page_of_items_is_shared_a_chunk_per_loop_pass(
        sim: SimServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inventory_module, "SHARE_CHUNK", 2)
    shared_in_pass: collections.Counter[int] = collections.Counter()
    share = inventory_module._Strings.share
    depth = 0

    async with loop_passes() as now:
        def spy(self: Any, value: Any) -> Any:
            nonlocal depth
            if depth == 0:  # an item of a page, not a nic or a tag inside it
                shared_in_pass[now()] += 1
            depth += 1
            try:
                return share(self, value)
            finally:
                depth -= 1

        monkeypatch.setattr(inventory_module._Strings, "share", spy)
        session = await Session.open(profile_for(sim), read_only=True, page_size=4)
        try:
            inventory = await session.load_inventory()
        finally:
            await session.close()
    with sim.state.lock:
        assert inventory.vms.keys() == sim.state.vms.keys()
        assert inventory.volumes.keys() == sim.state.volumes.keys()
    assert sum(shared_in_pass.values()) == len(inventory.vms) + len(inventory.volumes)
    assert max(shared_in_pass.values()) <= 2, shared_in_pass


async def test_policies_are_parsed_a_chunk_per_loop_pass(
        sim: SimServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client_module, "PARSE_CHUNK", 2)
    parsed_in_pass: collections.Counter[int] = collections.Counter()
    parse_items = client_module.parse_items

    async with loop_passes() as now:
        def spy(model: Any, items: Any, command: str, key: str = "item") -> Any:
            if command == "listSnapshotPolicies":
                parsed_in_pass[now()] += len(items)
            return parse_items(model, items, command, key)

        monkeypatch.setattr(client_module, "parse_items", spy)
        async with CloudClient(profile_for(sim), retry=FAST_RETRY) as client:
            policies = await client.all_snapshot_policies([])
    with sim.state.lock:
        assert sorted(p.id for p in policies) == sorted(sim.state.policies)
    assert len(policies) > 2
    assert max(parsed_in_pass.values()) <= 2, parsed_in_pass


@pytest.mark.parametrize("memo", [None, PageMemo()], ids=["list", "by-page"])
async def test_a_bad_policy_is_named_by_its_place_in_the_whole_list(
        sim: SimServer, monkeypatch: pytest.MonkeyPatch, memo: PageMemo | None) -> None:
    """Parsed a chunk at a time, a bad item is still named as in the answer: the first item
    of page 2 (3 a page) is `snapshotpolicy[3]`, not the second of its chunk."""
    monkeypatch.setattr(client_module, "PARSE_CHUNK", 2)
    sim.faults.parse("malform:listSnapshotPolicies#2@no-id")
    async with CloudClient(profile_for(sim), page_size=3, retry=FAST_RETRY) as client:
        with pytest.raises(CloudError) as caught:
            await client.all_snapshot_policies([], memo)
    e = caught.value
    assert e.kind is ErrorKind.MALFORMED and e.command == "listSnapshotPolicies"
    assert "`snapshotpolicy[3]`" in e.user_message(), e.user_message()
    assert [r["fired"] for r in sim.faults.describe()] == [1]


def test_snapshot_ids_are_seen_once_and_no_one_table_grows_with_them_all() -> None:
    """The ids of a load's snapshots (300,000 at 10,000 instances): a table that grows to
    hold them all re-inserts them all at once when it doubles (~150 ms at 300,000). Spread
    over shards, each doubling is a shard's: a small fraction of them."""
    seen = SeenIds()
    ids = [f"{n:08x}-5a6b-4c7d-8e9f-0a1b2c3d4e5f" for n in range(6400)]
    assert all(seen.fresh(ids[:3200])) and all(seen.fresh(ids[3200:]))
    assert not any(seen.fresh(ids[::7]))  # listed again as the list shifted
    assert len(seen) == len(ids)
    assert max(seen.shard_sizes()) < len(ids) / 8


async def test_a_loads_tables_are_dropped_a_chunk_per_loop_pass(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """What a load kept only while it ran (every distinct string of its pages, the snapshot
    ids) is freed a chunk per pass, not in one piece as the load ends."""
    monkeypatch.setattr(inventory_module, "DROP_CHUNK", 3)
    strings = inventory_module._Strings()
    for n in range(20):
        strings.share({"id": f"id-{n}", "zonename": "zone-1"})
    seen = SeenIds()
    seen.fresh([f"snap-{n}" for n in range(200)])
    sizes: list[tuple[int, int, int]] = []  # (pass, strings left, ids left)
    async with loop_passes() as now:
        async def watch() -> None:
            while True:
                sizes.append((now(), len(strings.table), len(seen)))
                await asyncio.sleep(0)

        watcher = asyncio.ensure_future(watch())
        await inventory_module._drop(strings.table)
        for part in seen.parts():
            await inventory_module._drop(part)
        watcher.cancel()
    assert not strings.table and len(seen) == 0
    drops = [(a[1] - b[1]) + (a[2] - b[2]) for a, b in itertools.pairwise(sizes)]
    assert max(drops) <= 3, drops


async def test_a_reloads_stats_are_settled_a_chunk_per_loop_pass(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Settling a reload's stats against the previous ones (30,000 volumes at 10,000
    instances: 106 ms in one piece) runs a chunk per pass; unchanged stats are the previous
    objects, changed ones the new."""
    monkeypatch.setattr(inventory_module, "SHARE_STATS_CHUNK", 3)
    inv = inventory_module.Inventory()
    previous = {f"vol-{n}": inventory_module.SnapshotStats(count=n) for n in range(12)}
    inv.stats_by_volume = {f"vol-{n}": inventory_module.SnapshotStats(count=n if n else 99)
                           for n in range(12)}
    async with loop_passes() as now:
        start = now()
        await inv._share_stats(previous)
        passes = now() - start
    assert passes >= 4, passes  # 12 volumes, 3 a pass
    assert inv.stats_by_volume["vol-0"] is not previous["vol-0"]  # changed: the new stats
    assert inv.stats_by_volume["vol-0"].count == 99
    assert all(inv.stats_by_volume[f"vol-{n}"] is previous[f"vol-{n}"] for n in range(1, 12))


def test_a_loads_table_shares_equal_strings_and_ints_but_keeps_bools_and_floats() -> None:
    strings = inventory_module._Strings()
    size = 10 * 2**30
    first, second = (strings.share({"size": int(str(size)), "zonename": "zone-1",
                                    "isready": True, "ratio": 1.0, "tags": [int("7" * 20)]})
                     for _ in range(2))
    assert first == second
    assert first["size"] is second["size"] and first["size"] == size
    assert first["tags"][0] is second["tags"][0]
    assert first["zonename"] is second["zonename"]
    # A bool equals 1 and a float may equal an int: never taken for the int in the table.
    one = strings.share({"n": 1, "flag": True, "x": 2, "y": 2.0})
    assert one["flag"] is True and one["y"].__class__ is float and one["x"] == 2
