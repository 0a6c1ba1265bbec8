"""Shared fixtures: the embedded simulator over real HTTP on loopback, and a client on it.

Nothing here mocks our own client: tests talk to the simulator the way the app talks to
a real Atlas account.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from atlas_tui.cloud.api.client import CloudClient, RetryPolicy
from atlas_tui.cloud.api.config import Profile
from atlas_tui.cloud.session import DEMO_SOURCE
from atlas_tui.screenshots import FROZEN_AT

if TYPE_CHECKING:
    from atlas_tui.sim import SimServer

FAST_RETRY = RetryPolicy(attempts=4, base_delay_s=0.01, max_delay_s=0.2)


def profile_for(sim: SimServer, *, secret: str | None = None, timeout_s: float = 10) -> Profile:
    return Profile(name="demo", url=sim.endpoint, api_key=sim.api_key,
                   secret_key=secret or sim.secret_key, source=DEMO_SOURCE, timeout_s=timeout_s)


def make_sim(**kwargs: Any) -> SimServer:
    # Imported here, not at module level, so a broken simulator fails its own tests
    # rather than the collection of every test.
    from atlas_tui.sim import DEMO_API_KEY, DEMO_SECRET_KEY, SimServer

    kwargs.setdefault("seed", "demo")
    # A fixed start, so the demo's policies run at the same simulated moments in every run
    # (from real "now", an hourly policy would fire inside some tests and not others).
    kwargs.setdefault("start", FROZEN_AT)
    # That instant is weeks in the past, and the app can know the server's clock only from a
    # Date header, which CloudStack itself never sends (a proxy in front may). Tests of the
    # real server's Date-less answers pass date_header=False (and start=None, the real now).
    kwargs.setdefault("date_header", True)
    return SimServer(api_key=DEMO_API_KEY, secret_key=DEMO_SECRET_KEY, **kwargs)


# The server views the matrix runs (issue 10): what Atlas customers have (a regular account on
# 4.22, the default of every test), a root admin's full view, and an older server.
DEFAULT_VIEW = ("user", "4.22")
VIEW_MATRIX = [DEFAULT_VIEW, ("admin", "4.22"), ("user", "4.15")]
VIEW_IDS = ["user-4.22", "admin-4.22", "user-4.15"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A module with ``RUN_ACROSS_VIEWS = True`` runs each of its tests that stands on the
    ``sim``/``fast_sim`` fixtures (or asks for ``sim_view``) once per view of VIEW_MATRIX."""
    if getattr(metafunc.module, "RUN_ACROSS_VIEWS", False) and (
            "sim_view" in metafunc.fixturenames):
        metafunc.parametrize("sim_view", VIEW_MATRIX, ids=VIEW_IDS, indirect=True)


@pytest.fixture
def sim_view(request: pytest.FixtureRequest) -> tuple[str, str]:
    """(role, server version) of the simulator the test runs on; see ACROSS_VIEWS."""
    return getattr(request, "param", DEFAULT_VIEW)


def view_kwargs(view: tuple[str, str]) -> dict[str, str]:
    return {"role": view[0], "server_version": view[1]}


@pytest.fixture(autouse=True)
def _simulator_bugs_fail_the_test(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """An exception inside the simulator (a handler, a job step, an event) is answered as a
    plain 530, which an app test could take for a server refusal. Every in-process simulator
    made during a test is checked at its end: any such exception fails the test."""
    from atlas_tui.sim import server as sim_server

    made: list[SimServer] = []
    original = sim_server.SimServer.__init__

    def init(self: SimServer, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(sim_server.SimServer, "__init__", init)
    yield
    bugs = [f"{command}: {exc!r}" for server in made for command, exc in server.unexpected]
    assert not bugs, "the simulator raised during this test:\n" + "\n".join(bugs)


@asynccontextmanager
async def running_sim(**kwargs: Any) -> AsyncIterator[SimServer]:
    """A simulator serving on loopback for the duration of the block."""
    server = make_sim(**kwargs)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the developer's real config or writes to their state dir."""
    monkeypatch.setenv("ATLAS_TUI_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("ATLAS_TUI_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in ("CLOUDSTACK_ENDPOINT", "CLOUDSTACK_KEY", "CLOUDSTACK_SECRET",
                 "CLOUDSTACK_REGION", "CLOUDSTACK_CONFIG"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
async def sim(sim_view: tuple[str, str]) -> AsyncIterator[SimServer]:
    """The demo account, time frozen (speed 0): tests move time with sim.clock.advance."""
    async with running_sim(speed=0, **view_kwargs(sim_view)) as server:
        yield server


@pytest.fixture
async def fast_sim(sim_view: tuple[str, str]) -> AsyncIterator[SimServer]:
    """The demo account with time running fast, so jobs finish within a second or two."""
    async with running_sim(speed=300, **view_kwargs(sim_view)) as server:
        yield server


@pytest.fixture
async def client(sim: SimServer) -> AsyncIterator[CloudClient]:
    async with CloudClient(profile_for(sim), retry=FAST_RETRY) as c:
        yield c
