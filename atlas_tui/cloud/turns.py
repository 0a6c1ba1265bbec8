"""One heavy piece of work per pass of the event loop.

A pass of asyncio's loop runs every callback that is ready: when three list pages land
together and a repaint slice is due, a key pressed meanwhile waits for all four (~10-20 ms
each at 10,000 instances: a big answer decoded, a page of models built, a slice of rows).
Work that takes its turn (`async with turn():`) runs at most one piece per pass: the next
holder starts in a later pass, after the loop has looked at the keyboard again, and the body
never runs in the same step as the code that came before it in its task.

The body must not await (it would hold every other turn): it is one synchronous piece.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

# A lock per event loop (tests run many loops; an asyncio.Lock is bound to one).
_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary())


@asynccontextmanager
async def turn() -> AsyncIterator[None]:
    loop = asyncio.get_running_loop()
    lock = _locks.get(loop)
    if lock is None:
        lock = _locks[loop] = asyncio.Lock()
    async with lock:
        # Started in a pass of its own: what the task ran before it (a table's rows set after
        # the last slice of a list, the start of the next list) is a piece too, and would
        # otherwise share this step and its pass.
        await asyncio.sleep(0)
        yield
        # Held over one more pass: the next holder, woken on release, runs in the pass after.
        await asyncio.sleep(0)
