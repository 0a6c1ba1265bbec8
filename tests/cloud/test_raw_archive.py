"""The inventory keeps each instance's and volume's server fields compressed (raw_archive):
what a model's `raw` reads back is exactly what the server answers for that item, cleaned."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from atlas_tui.cloud.api.client import CloudClient
from atlas_tui.cloud.api.models import VirtualMachine, Volume
from atlas_tui.cloud.inventory import Inventory
from atlas_tui.cloud.raw_archive import RECENT_PAGES, ArchivedRaw, RawPage, _recent, archive
from atlas_tui.sim import SimServer
from tests.conftest import FAST_RETRY, profile_for, running_sim


async def _load_and_list(sim: SimServer) -> tuple[Inventory, dict[str, dict], dict[str, dict]]:
    inventory, vms, volumes, _policies = await _load_and_list_all(sim)
    return inventory, vms, volumes


async def _load_and_list_all(sim: SimServer) -> tuple[
        Inventory, dict[str, dict], dict[str, dict], dict[str, dict]]:
    inventory = Inventory()
    async with CloudClient(profile_for(sim), page_size=2, retry=FAST_RETRY) as client:
        await inventory.load(client, lambda part: None)
        # The server's own answers, read afresh as plain dicts (the same cleaning).
        vms = await client.list_all("listVirtualMachines", "virtualmachine", listall=True)
        volumes = await client.list_all("listVolumes", "volume", listall=True)
        policies = await client.list_all("listSnapshotPolicies", "snapshotpolicy",
                                         listall=True)
    return (inventory, {d["id"]: d for d in vms}, {d["id"]: d for d in volumes},
            {d["id"]: d for d in policies})


async def test_every_policy_keeps_its_raw_archived_and_reads_as_the_server_answers(
        sim: SimServer) -> None:
    inventory, _vms, _volumes, answers = await _load_and_list_all(sim)
    policies = [p for listed in inventory.policies_by_volume.values() for p in listed]
    assert len(policies) == len(sim.state.policies) == len(answers) > 1
    for policy in policies:
        assert isinstance(policy.raw, ArchivedRaw)
        assert dict(policy.raw) == answers[policy.id]


async def test_every_raw_reads_back_as_the_server_answers_it(sim: SimServer) -> None:
    inventory, vms, volumes = await _load_and_list(sim)
    assert len(inventory.vms) == len(sim.state.vms) > 1
    # More pages (of 2) than are kept decoded.
    assert len(inventory.volumes) == len(sim.state.volumes) > RECENT_PAGES * 2
    for models, answers in ((inventory.vms, vms), (inventory.volumes, volumes)):
        assert models.keys() == answers.keys()
        for item_id, model in models.items():
            assert isinstance(model.raw, ArchivedRaw)
            assert dict(model.raw) == answers[item_id]
            assert model.raw["id"] == item_id == model.id
            assert model.raw.get("no such field") is None
    # Read in any order, only the last few pages stay decoded.
    assert 0 < len(_recent) <= RECENT_PAGES


async def test_hostile_names_read_back_cleaned() -> None:
    async with running_sim(speed=0, seed="hostile") as sim:
        inventory, vms, volumes = await _load_and_list(sim)
    models: list[VirtualMachine | Volume] = [*inventory.vms.values(),
                                             *inventory.volumes.values()]
    texts = [repr(dict(model.raw)) for model in models]
    # The hostile seed's zone and ROOT names carry ESC and BEL: shown in their visible form.
    assert any("␛" in text for text in texts) and any("␇" in text for text in texts)
    assert not any(ch in text for text in texts for ch in "\x1b\x07\x9b\u202e")
    for model in models:
        assert dict(model.raw) == {**vms, **volumes}[model.id]


def test_values_json_decodes_but_msgspec_does_not_come_back_exact() -> None:
    # The standard library's fallback reads NaN, 1e400 and numbers past 64 bits.
    items: list[dict[str, Any]] = [
        {"id": "a", "n": float("nan"), "big": 2 ** 80, "inf": float("inf"),
         "nested": {"l": [1, "x", None, True]}},
        {"id": "b"},
    ]

    class Model:
        raw: Mapping[str, Any] = {}

    models = [Model(), Model()]
    page = archive(models, items)
    assert isinstance(page, RawPage) and page.nbytes > 0
    first = models[0].raw
    assert isinstance(first, ArchivedRaw)
    assert math.isnan(first["n"]) and first["big"] == 2 ** 80 and first["inf"] == math.inf
    assert first["nested"] == {"l": [1, "x", None, True]}
    assert dict(models[1].raw) == {"id": "b"}
