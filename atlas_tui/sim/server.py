"""SimServer: the simulator on aiohttp, in the running loop or in its own thread."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from datetime import datetime

from aiohttp import web

from .clock import SimClock
from .core import SimCore
from .faults import FaultSet
from .protocol import Protocol
from .seeds import apply_seed
from .state import SimState
from .view import ServerView

# The simulator's own demo credentials (not a user's secret): 86 characters like CloudStack's.
DEMO_API_KEY = (
    "atlas-demo-apikey-Q2xvdWRTdGFjayBzaW11bGF0b3IgZm9yIGF0bGFzLXR1aSBkZW1vcyBvbmx5LWtleQ"
)
DEMO_SECRET_KEY = (
    "atlas-demo-secret-c2VjcmV0IGZvciB0aGUgYXRsYXMtdHVpIHNpbXVsYXRvcjsgbm90IGEgdXNlciBrZXk"
)


class SimServer:
    def __init__(
        self,
        seed: str = "demo",
        api_key: str = DEMO_API_KEY,
        secret_key: str = DEMO_SECRET_KEY,
        speed: float = 30.0,
        faults: str | None = None,
        settings: dict[str, str] | None = None,
        rng_seed: int = 1,
        start: datetime | None = None,
        role: str = "user",
        server_version: str = "4.22",
        date_header: bool = False,
    ) -> None:
        """``role`` user (a regular account, the default) or admin (the full view);
        ``server_version`` one of ``view.VERSIONS``; ``date_header`` adds the HTTP Date a
        proxy in front of the management server would (the server itself sends none)."""
        self.api_key = api_key
        self.view = ServerView.make(role, server_version)
        self.date_header = date_header
        self.secret_key = secret_key
        self.clock = SimClock(speed, start)
        self.faults = FaultSet(rng_seed)
        if faults:
            self.faults.parse(faults)
        self.core = SimCore(self.clock, api_key, secret_key, settings, rng_seed, self.faults,
                            self.view)
        apply_seed(self.core, seed)
        self.endpoint = ""
        self._runner: web.AppRunner | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._thread: threading.Thread | None = None
        self._thread_loop: asyncio.AbstractEventLoop | None = None

    @property
    def state(self) -> SimState:
        return self.core.state

    @property
    def settings(self) -> dict[str, str]:
        return self.core.state.settings

    @property
    def unexpected(self) -> list[tuple[str, BaseException]]:
        """Exceptions from the simulator's own code since it started (its bugs)."""
        return self.core.state.unexpected

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        app = Protocol(self.core, self.date_header).app()
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        assert isinstance(server, asyncio.Server) and server.sockets
        bound = server.sockets[0].getsockname()[1]
        shown = f"[{host}]" if ":" in host else host
        self.endpoint = f"http://{shown}:{bound}/client/api"
        self._ticker = asyncio.get_running_loop().create_task(self._tick())
        return self.endpoint

    async def _tick(self) -> None:
        # Time-driven work (jobs, policy runs) also happens when nobody asks.
        while True:
            await asyncio.sleep(1.0)
            self.core.tick()

    async def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def start_in_thread(self, host: str = "127.0.0.1", port: int = 0) -> str:
        ready = threading.Event()
        failure: list[BaseException] = []
        loop = asyncio.new_event_loop()
        self._thread_loop = loop

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self.start(host, port))
            except BaseException as err:  # report to the caller, then end the thread
                failure.append(err)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self.stop())
            loop.close()

        self._thread = threading.Thread(target=run, name="atlas-sim", daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            raise failure[0]
        return self.endpoint

    def stop_thread(self) -> None:
        loop, thread = self._thread_loop, self._thread
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        self._thread = None
        self._thread_loop = None
