"""Fixtures shared by the restore, drill and identity tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from atlas_tui.cloud.api.client import CloudClient
from atlas_tui.sim import SimServer
from tests.conftest import FAST_RETRY, profile_for, running_sim


@pytest.fixture
async def rsim() -> AsyncIterator[SimServer]:
    # Fast enough that every job ends within milliseconds of real time.
    async with running_sim(speed=2000) as server:
        yield server


@pytest.fixture
async def rc(rsim: SimServer) -> AsyncIterator[CloudClient]:
    async with CloudClient(profile_for(rsim), retry=FAST_RETRY) as c:
        yield c
