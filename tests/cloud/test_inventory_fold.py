"""The account-wide snapshot fold (Inventory.load): pages decoded straight into compact
items (`SnapshotTally`), checked on the server's state, and still refused as a whole when an
answer does not fit. Both server answer shapes: 4.22 (physicalsize) and 4.15 (size only)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import pytest

from atlas_tui.cloud.api.client import CloudClient
from atlas_tui.cloud.api.errors import CloudError, ErrorKind
from atlas_tui.cloud.inventory import Inventory
from atlas_tui.sim import SimServer
from tests.conftest import FAST_RETRY, profile_for

RUN_ACROSS_VIEWS = True


async def load(sim: SimServer, page_size: int = 3) -> Inventory:
    inventory = Inventory()
    # Small pages: the fold sees many of them, concurrently, as on a big account.
    async with CloudClient(profile_for(sim), page_size=page_size, retry=FAST_RETRY) as client:
        await inventory.load(client, lambda part: None)
    return inventory


async def test_fold_matches_the_server(sim: SimServer, sim_view: tuple[str, str]) -> None:
    inventory = await load(sim)
    state = sim.state
    with state.lock:
        snaps = list(state.snapshots.values())
        counts = Counter(s.volume.id for s in snaps)
        newest = {v: max(s.created for s in snaps if s.volume.id == v) for v in counts}
        # physicalsize where the server writes it (4.18+), else size (= virtualsize).
        stored: Counter[str] = Counter()
        good: dict[tuple[str, str], datetime] = {}  # (volume, interval) -> newest BackedUp
        for s in snaps:
            stored[s.volume.id] += s.physicalsize if sim_view[1] >= "4.18" else s.virtualsize
            key = (s.volume.id, s.type)
            if s.state == "BackedUp" and s.type != "MANUAL":
                good[key] = max(good.get(key, s.created), s.created)
        # A volume's name is kept only where the volume is gone (all that is left of it).
        names = {s.volume.id: "" if s.volume.id in state.volumes else s.volume.name
                 for s in snaps}
    assert counts and good, "the demo seed has snapshots, some of policies"
    folded = inventory.stats_by_volume
    assert {v: st.count for v, st in folded.items()} == dict(counts)
    assert {v: st.physical_bytes for v, st in folded.items()} == dict(stored)
    assert all(st.unsized == 0 for st in folded.values())
    assert {v: st.volume_name for v, st in folded.items()} == names
    whole = lambda d: d.replace(microsecond=0)  # noqa: E731
    assert {(v, kind): whole(d) for v, st in folded.items() for kind, d in st.newest_good.items()
            } == {key: whole(d) for key, d in good.items()}
    # The server's dates are whole seconds; the fold reads them back exactly.
    assert {v: st.newest.replace(microsecond=0) for v, st in folded.items()  # type: ignore[union-attr]
            } == {v: d.replace(microsecond=0) for v, d in newest.items()}


@pytest.mark.parametrize("how", ["count-text", "count-huge", "no-list", "not-list",
                                 "null-item", "no-id"])
async def test_a_malformed_snapshot_page_fails_the_load(sim: SimServer, how: str) -> None:
    """Never a fold with a hole in it. (A field the fold does not read, such as a name that
    is an object, is not looked at here: the snapshots screen, which shows it, refuses it.)"""
    page = "#2" if how != "no-list" else "#1"
    sim.faults.parse(f"malform:listSnapshots{page}@{how}")
    with pytest.raises(CloudError) as caught:
        await load(sim)
    assert [r["fired"] for r in sim.faults.describe()] == [1]
    e = caught.value
    assert e.command == "listSnapshots" and e.kind is ErrorKind.MALFORMED, e.user_message()
