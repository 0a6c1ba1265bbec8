"""Malformed answers, one test per kind: through the real client against the simulator with
the fault set (atlas_tui/sim/faults.py, `malform` and `html`). Each one is one CloudError that
names the command, nothing crashes, and the server's state is what it was.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from atlas_tui.cloud.api.client import MAX_COUNT, CloudClient
from atlas_tui.cloud.api.config import Profile
from atlas_tui.cloud.api.errors import CloudError, ErrorKind
from atlas_tui.cloud.session import DEMO_SOURCE
from atlas_tui.sim import SimServer
from tests.conftest import FAST_RETRY, profile_for
from tests.helpers import bound_port


def server_state(sim: SimServer) -> dict[str, Any]:
    """What a read must leave as it was: every resource and its state, on the server."""
    s = sim.state
    with s.lock:
        return {
            "vms": {k: v.state for k, v in s.vms.items()},
            "volumes": {k: (v.state, v.name) for k, v in s.volumes.items()},
            "snapshots": {k: v.state for k, v in s.snapshots.items()},
            "policies": sorted(s.policies),
            "jobs": len(s.jobs),
        }


async def malformed_read(sim: SimServer, client: CloudClient, spec: str) -> CloudError:
    """Read the volumes with `spec` installed; the error it raises, after checking that the
    server is untouched and the fault did fire."""
    before = server_state(sim)
    sim.faults.parse(spec)
    with pytest.raises(CloudError) as caught:
        await client.volumes()
    assert [r["fired"] for r in sim.faults.describe()] == [1]
    assert server_state(sim) == before
    # The client goes on: the next read (the fault spent) is whole.
    assert len(await client.volumes()) == len(before["volumes"])
    e = caught.value
    assert e.command == "listVolumes"
    return e


def assert_not_understood(e: CloudError, *details: str) -> None:
    message = e.user_message()
    assert e.kind is ErrorKind.MALFORMED
    assert message.startswith("The answer to listVolumes was not understood: "), message
    for detail in details:
        assert detail in message, message


async def test_count_not_a_number(sim: SimServer, client: CloudClient) -> None:
    e = await malformed_read(sim, client, "malform:listVolumes@count-text")
    assert_not_understood(e, "`count` is a string, not a number")


async def test_absurd_count_is_an_error_not_a_walk(sim: SimServer, client: CloudClient) -> None:
    sim.state.calls.clear()
    e = await malformed_read(sim, client, "malform:listVolumes@count-huge")
    assert_not_understood(e, f"`count` is {10**9}, beyond any real list (0 to {MAX_COUNT:,})")
    # One call for the bad answer, one for the good read after it: no paging through 10**9.
    assert sim.state.calls["listVolumes"] == 2


async def test_list_key_missing_while_count_says_items(sim: SimServer,
                                                       client: CloudClient) -> None:
    e = await malformed_read(sim, client, "malform:listVolumes@no-list")
    assert_not_understood(e, "and there is no `volume` list")


async def test_list_that_is_not_a_list(sim: SimServer, client: CloudClient) -> None:
    e = await malformed_read(sim, client, "malform:listVolumes@not-list")
    assert_not_understood(e, "`volume` is an object, not a list")


async def test_null_item(sim: SimServer, client: CloudClient) -> None:
    e = await malformed_read(sim, client, "malform:listVolumes@null-item")
    assert_not_understood(e, "`volume[0]` is null, not an object")


async def test_item_without_id(sim: SimServer, client: CloudClient) -> None:
    e = await malformed_read(sim, client, "malform:listVolumes@no-id")
    assert_not_understood(e, "missing required field `id`", "volume[0]")


async def test_name_as_a_number(sim: SimServer, client: CloudClient) -> None:
    e = await malformed_read(sim, client, "malform:listVolumes@name-number")
    assert_not_understood(e, "got `int`", "`volume[0].name`")


async def test_name_as_an_object(sim: SimServer, client: CloudClient) -> None:
    e = await malformed_read(sim, client, "malform:listVolumes@name-object")
    assert_not_understood(e, "got `object`", "`volume[0].name`")


async def test_cut_off_json(sim: SimServer, client: CloudClient) -> None:
    e = await malformed_read(sim, client, "malform:listVolumes@truncate")
    assert_not_understood(e, "the JSON ends early or does not read")


async def test_html_error_page_with_502(sim: SimServer) -> None:
    # Every attempt gets the proxy's page: the read gives up with an error about the command,
    # not a traceback. (How a 502 reads is the status handling's: here, that it says 502.)
    async with CloudClient(profile_for(sim), retry=FAST_RETRY) as client:
        before = server_state(sim)
        sim.faults.parse("html:listVolumes#1+@502")
        with pytest.raises(CloudError) as caught:
            await client.volumes()
        assert server_state(sim) == before
        e = caught.value
        assert e.command == "listVolumes" and "502" in e.user_message()
        assert "<html>" not in e.user_message()
        sim.faults.clear()
        assert len(await client.volumes()) == len(before["volumes"])


async def test_malformed_later_page(sim: SimServer) -> None:
    """A bad item on page 2 fails the whole list: never a list with a hole in it."""
    async with CloudClient(profile_for(sim), page_size=3, retry=FAST_RETRY) as client:
        sim.faults.parse("malform:listSnapshots#2@null-item")
        with pytest.raises(CloudError) as caught:
            await client.snapshots()
        assert caught.value.command == "listSnapshots"
        assert_kind_and_text(caught.value, "`snapshot[0]` is null")


def assert_kind_and_text(e: CloudError, text: str) -> None:
    assert e.kind is ErrorKind.MALFORMED and text in e.user_message(), e.user_message()


# -- paging bounds, against a server that lies about its count ------------------------------


class LyingLists:
    """A tiny list server: every page full (`per_page` items) up to `short_from`, and a
    `count` that grows on every page. It records the pages asked for."""

    def __init__(self, per_page: int, counts: list[int], short_from: int | None = None) -> None:
        self.per_page = per_page
        self.counts = counts
        self.short_from = short_from
        self.pages: list[int] = []

    async def handle(self, request: web.Request) -> web.Response:
        page = int(request.query.get("page", "1"))
        self.pages.append(page)
        size = self.per_page
        if self.short_from is not None and page >= self.short_from:
            size = 1
        items = [{"id": f"vol-{page}-{i}", "name": f"v{page}-{i}"} for i in range(size)]
        count = self.counts[min(page, len(self.counts)) - 1]
        return web.json_response({"listvolumesresponse": {"count": count, "volume": items}})


@pytest.fixture
async def lying() -> AsyncIterator[tuple[LyingLists, Profile]]:
    server = LyingLists(per_page=10, counts=[30, 1000])
    app = web.Application()
    app.router.add_get("/client/api", server.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = bound_port(site)
    profile = Profile(name="fake", url=f"http://127.0.0.1:{port}/client/api", api_key="k",
                      secret_key="s", source=DEMO_SOURCE, timeout_s=5)
    try:
        yield server, profile
    finally:
        await runner.cleanup()


async def test_paging_never_follows_a_growing_count_far(lying: tuple[LyingLists, Profile]
                                                       ) -> None:
    server, profile = lying  # count 30 on page 1 (3 pages), then 1000 (100 pages)
    async with CloudClient(profile, page_size=10, retry=FAST_RETRY) as client:
        volumes = await client.volumes()
    assert sorted(server.pages) == [1, 2, 3, 4, 5]  # what count 30 needs, plus 2
    assert len(volumes) == 50


async def test_paging_stops_on_a_short_page(lying: tuple[LyingLists, Profile]) -> None:
    server, profile = lying
    server.counts, server.short_from = [1000], 2
    async with CloudClient(profile, page_size=10, concurrency=2, retry=FAST_RETRY) as client:
        volumes = await client.volumes()
    # Page 2 is short: no page is started after it (pages 2 and 3 were asked together).
    assert sorted(server.pages) == [1, 2, 3]
    assert len(volumes) == 12
