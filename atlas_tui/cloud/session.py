"""One connected profile: the client, what the server can do, and the account inventory."""

from __future__ import annotations

from dataclasses import dataclass, field

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
    inventory: Inventory = field(default_factory=Inventory)

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

    async def close(self) -> None:
        await self.client.close()
