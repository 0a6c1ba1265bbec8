"""One connected profile: the client, what the server can do, and the account inventory."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from atlas_tui.cloud import heap
from atlas_tui.cloud.api.client import CloudClient
from atlas_tui.cloud.api.config import Profile
from atlas_tui.cloud.api.models import Capabilities
from atlas_tui.cloud.inventory import Inventory

DEMO_SOURCE = "embedded simulator"  # Profile.source of the --demo profile


@dataclass
class Session:
    profile: Profile
    client: CloudClient
    capabilities: Capabilities
    read_only: bool
    # The one inventory every screen reads. Only `load_inventory` replaces it.
    inventory: Inventory = field(default_factory=Inventory)
    _loading: asyncio.Future[Inventory] | None = field(default=None, repr=False)

    @classmethod
    async def open(cls, profile: Profile, *, read_only: bool, **client_args: object) -> Session:
        """Connect and make the first call; a CloudError here means we cannot work.
        It gives up after one request deadline (retries included), so a server that
        drips its answer sends the user to the retry screen, not an endless wait."""
        client = CloudClient(profile, read_only=read_only, **client_args)  # type: ignore[arg-type]
        await client.__aenter__()
        try:
            capabilities = await client.capabilities(budget_s=client.deadline_s)
        except BaseException:
            await client.close()
            raise
        return cls(profile, client, capabilities, read_only)

    async def load_inventory(
        self, on_update: Callable[[Inventory, str], None] | None = None
    ) -> Inventory:
        """Load the account's inventory afresh; it becomes the session's one inventory.

        The first load is shown as it fills. A reload replaces a complete inventory only once
        it is complete itself, so no screen ever reads a half-loaded account in its place.
        A load already under way is joined, not repeated: a second walk of 300,000 snapshots
        would cost as much as the first. (The joiner gets no `on_update`, only the result.)
        """
        running = self._loading
        if running is not None and not running.done():
            try:
                return await asyncio.shield(running)
            except asyncio.CancelledError:
                if not running.cancelled():
                    raise  # this caller was cancelled, not the load it joined
        inventory = Inventory()
        previous = self.inventory if self.inventory.complete else None
        if previous is None:
            self.inventory = inventory
        done: asyncio.Future[Inventory] = asyncio.get_running_loop().create_future()
        self._loading = done


        def update(part: str) -> None:
            if on_update is not None:
                on_update(inventory, part)

        try:
            await inventory.load(self.client, update, previous)
        except asyncio.CancelledError:
            done.cancel()
            raise
        except BaseException as e:
            done.set_exception(e)
            done.exception()  # retrieved: no "never retrieved" warning when none joined
            raise
        self.inventory = inventory
        done.set_result(inventory)
        # What the walk held (the ids seen, a second copy of stats) back to the system
        # (cloud/heap.py), in a thread, not awaited: malloc_trim walks the whole heap (a
        # piece of ~0.1 s at 10,000 instances), and ctypes lets the loop run meanwhile.
        asyncio.get_running_loop().run_in_executor(None, heap.trim)
        return inventory

    async def close(self) -> None:
        await self.client.close()
