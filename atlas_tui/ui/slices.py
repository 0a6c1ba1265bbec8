"""Work over many items in slices, so the event loop never waits long for it.

A key is answered between two slices: at 10,000 instances a repaint is ~0.5 s of work, which
must never run in one piece (issue 13: no stall of the UI over 50 ms). Each slice works at
most `SLICE_S` before `await asyncio.sleep(0)` lets the loop run its other callbacks.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

SLICE_S = 0.01  # a slice works this long at most before the loop runs again

_T = TypeVar("_T")
_R = TypeVar("_R")


async def sliced(make: Callable[[_T], _R], items: Sequence[_T]) -> list[_R]:
    """`[make(i) for i in items]`, yielding to the event loop every `SLICE_S`."""
    out: list[_R] = []
    append = out.append
    clock = time.monotonic
    until = clock() + SLICE_S
    for item in items:
        append(make(item))
        if clock() >= until:
            await asyncio.sleep(0)
            until = clock() + SLICE_S
    return out
