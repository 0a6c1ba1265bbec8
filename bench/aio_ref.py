"""The references for the full load: the same four lists fetched by a script with `cs`.

* `aio_fetch`: `cs.AIOCloudStack` on one aiohttp session, at the app's own concurrency: the
  four lists at once, page 1 of each first (for `count`), then every other page, with at most
  6 requests in flight in all (the app's `CloudClient` semaphore), 500 items a page, JSON
  decoded by aiohttp (`response.json()`), the items kept in lists. Nothing else: no models.
* `cs_sync_fetch`: `cs.CloudStack(...).listX(fetch_list=True, listall=True)` for the four
  lists, one after another (one page at a time), as a plain script would.
"""

from __future__ import annotations

import asyncio
from time import monotonic
from typing import Any

from common import LISTS

PAGE_SIZE = 500
CONCURRENCY = 6


async def _aio_fetch(endpoint: str, key: str, secret: str) -> dict[str, int]:
    from cs import AIOCloudStack

    limit = asyncio.Semaphore(CONCURRENCY)
    counts: dict[str, int] = {}
    async with AIOCloudStack(endpoint=endpoint, key=key, secret=secret, timeout=120) as cs:

        async def page(command: str, number: int) -> dict[str, Any]:
            async with limit:
                return await getattr(cs, command)(page=number, pagesize=PAGE_SIZE, listall=True)

        async def whole(command: str, item_key: str) -> None:
            first = await page(command, 1)
            items: list[Any] = list(first.get(item_key, []))
            pages = -(-int(first.get("count", len(items))) // PAGE_SIZE)
            for answer in await asyncio.gather(*(page(command, n) for n in range(2, pages + 1))):
                items.extend(answer.get(item_key, []))
            counts[command] = len(items)

        await asyncio.gather(*(whole(command, item_key) for command, item_key in LISTS))
    return counts


def aio_fetch(endpoint: str, key: str, secret: str) -> tuple[float, dict[str, int]]:
    """Seconds for the four lists with AIOCloudStack, 6 in flight; items per list."""
    start = monotonic()
    counts = asyncio.run(_aio_fetch(endpoint, key, secret))
    return monotonic() - start, counts


def cs_sync_fetch(endpoint: str, key: str, secret: str) -> tuple[float, dict[str, int]]:
    from cs import CloudStack

    cs = CloudStack(endpoint=endpoint, key=key, secret=secret, timeout=120)
    counts: dict[str, int] = {}
    start = monotonic()
    for command, _ in LISTS:
        counts[command] = len(getattr(cs, command)(fetch_list=True, listall=True))
    return monotonic() - start, counts
