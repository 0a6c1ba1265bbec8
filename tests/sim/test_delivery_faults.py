"""The drip and cut faults on the wire, read with a plain aiohttp client (not ours): what a
stalled or broken proxy does to an answer's bytes."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from .conftest import Api
from .signer import signed_query


async def stats(api: Api) -> dict[str, object]:
    base = api.sim.endpoint.replace("/client/api", "/sim")
    async with api.session.get(f"{base}/stats") as resp:
        return await resp.json()


async def test_a_drip_sends_the_whole_length_then_a_byte_at_a_time(api: Api) -> None:
    api.sim.faults.parse("drip:listZones=3ms")
    url = f"{api.sim.endpoint}?{signed_query('listZones', api.sim.api_key, api.sim.secret_key)}"
    async with api.session.get(url) as resp:
        assert resp.status == 200 and resp.content_length is not None
        first = await asyncio.wait_for(resp.content.read(1), 5)
        assert first == b"{"
        assert (await stats(api))["dripping"] == 1  # the rest is still on its way
        body = await asyncio.wait_for(resp.read(), 60)  # ~1 KB at 3 ms a byte
    whole = json.loads(first + body)
    assert len(first + body) == resp.content_length and "zone" in whole["listzonesresponse"]
    assert (await stats(api))["dripping"] == 0
    assert (await api.call("listZones")).status == 200  # fired once: the next one is whole


async def test_a_drip_stops_when_the_client_goes_away(api: Api) -> None:
    api.sim.faults.parse("drip:listZones=50ms")
    url = f"{api.sim.endpoint}?{signed_query('listZones', api.sim.api_key, api.sim.secret_key)}"
    async with aiohttp.ClientSession() as other:
        resp = await other.get(url)
        await asyncio.wait_for(resp.content.read(1), 5)
        assert api.sim.faults.dripping == 1
        resp.close()  # hang up mid-answer
    for _ in range(500):
        if api.sim.faults.dripping == 0:
            break
        await asyncio.sleep(0.01)
    assert api.sim.faults.dripping == 0


@pytest.mark.parametrize("mode", ["length", "chunked"])
async def test_a_cut_answer_ends_early_after_the_command_ran(api: Api, mode: str) -> None:
    vm = await api.vm("web-01")
    api.sim.faults.parse(f"cut:stopVirtualMachine@{mode}")
    with pytest.raises(aiohttp.ClientPayloadError):
        await api.post("stopVirtualMachine", id=vm["id"])
    assert (await api.vm("web-01"))["state"] == "Stopping"  # it ran; its answer was cut
