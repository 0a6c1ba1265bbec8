from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
import pytest

from atlas_tui.sim import DEMO_API_KEY, DEMO_SECRET_KEY, SimServer

from .signer import signed_query

FIXED_START = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)  # a Monday, half past the hour


@dataclass
class Answer:
    status: int
    body: dict[str, Any]
    headers: Any

    @property
    def inner(self) -> dict[str, Any]:
        [value] = self.body.values()
        return value


class Api:
    """Signed raw calls to a running simulator, with lookup helpers for the demo seed."""

    def __init__(self, sim: SimServer, session: aiohttp.ClientSession) -> None:
        self.sim = sim
        self.session = session

    async def raw(self, query: str, method: str = "GET", data: Any = None) -> Answer:
        url = f"{self.sim.endpoint}?{query}" if query else self.sim.endpoint
        async with self.session.request(method, url, data=data) as resp:
            body = await resp.json(content_type=None)
            return Answer(resp.status, body, resp.headers)

    async def call(self, command: str, **params: Any) -> Answer:
        return await self.raw(
            signed_query(command, self.sim.api_key, self.sim.secret_key, **params)
        )

    async def post(self, command: str, **params: Any) -> Answer:
        """A signed POST: aiohttp never retries it, so a dropped connection stays visible."""
        query = signed_query(command, self.sim.api_key, self.sim.secret_key, **params)
        return await self.raw("", method="POST", data=dict(parse_qsl(query)))

    async def ok(self, command: str, **params: Any) -> dict[str, Any]:
        ans = await self.call(command, **params)
        assert ans.status == 200, ans.body
        return ans.inner

    async def vm(self, name: str) -> dict[str, Any]:
        found = await self.ok("listVirtualMachines", name=name)
        [vm] = [v for v in found["virtualmachine"] if v["name"] == name]
        return vm

    async def volume(self, name: str) -> dict[str, Any]:
        found = await self.ok("listVolumes", name=name)
        [vol] = found["volume"]
        return vol

    async def snapshots(self, **params: Any) -> list[dict[str, Any]]:
        return (await self.ok("listSnapshots", **params)).get("snapshot", [])

    async def job(self, jobid: str) -> dict[str, Any]:
        return await self.ok("queryAsyncJobResult", jobid=jobid)

    async def finish(self, jobid: str, seconds: float = 600) -> dict[str, Any]:
        """Advance the clock until the job is done; return the finished job."""
        self.sim.clock.advance(seconds)
        job = await self.job(jobid)
        assert job["jobstatus"] != 0, job
        return job

    async def run(self, command: str, **params: Any) -> dict[str, Any]:
        reply = await self.ok(command, **params)
        return await self.finish(reply["jobid"])


@pytest.fixture
async def sim() -> AsyncIterator[SimServer]:
    # A fixed start: the demo's policies fire at the same simulated moments in every run.
    server = SimServer(seed="demo", speed=0, api_key=DEMO_API_KEY, secret_key=DEMO_SECRET_KEY,
                       start=FIXED_START)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def api(sim: SimServer) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as session:
        yield Api(sim, session)
