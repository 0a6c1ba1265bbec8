"""Work over many items in slices, so the event loop never waits long for it.

A key is answered between two slices: at 10,000 instances a repaint is ~0.5 s of work, which
must never run in one piece (issue 13: no stall of the UI over 50 ms). Each slice works at
most `SLICE_S` before `await asyncio.sleep(0)` lets the loop run its other callbacks.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from atlas_tui.cloud import long_lived, turns

SLICE_S = 0.01  # a slice works this long at most before the loop runs again
RELEASE_CHUNK = 100  # items dropped at a time by `release` (a VM with its raw dict: ~50 objects)

_T = TypeVar("_T")
_R = TypeVar("_R")


async def sliced(make: Callable[[_T], _R], items: Sequence[_T], *,
                 keep: bool = False) -> list[_R]:
    """`[make(i) for i in items]`, yielding to the event loop every `SLICE_S`.

    `keep`: what is made lives on (a screen's rows, until its next repaint): after each slice
    it goes where the garbage collector's full passes do not walk it (`long_lived.settle`).
    Built in one go, 10,000 rows (~150,000 objects) would make the full passes that come
    with so many allocations walk them all: 0.1-0.2 s each, in one piece."""
    out: list[_R] = []
    append = out.append
    clock = time.monotonic
    at, end = 0, len(items)
    while at < end:
        async with turns.turn():  # one heavy piece per loop pass (cloud/turns.py)
            until = clock() + SLICE_S
            while at < end:
                append(make(items[at]))
                at += 1
                if clock() >= until:
                    break
            if keep:
                long_lived.settle()
    return out

async def release(items: list[Any]) -> None:
    """Drop `items` (emptying the list) a slice at a time.

    Freeing is work too: the last reference to 10,000 table rows, or to a whole inventory
    replaced by a reload (~400,000 objects), frees them all in one go, 0.1-0.3 s. Handed
    here instead (while nothing else needs them), they go a chunk at a time."""
    clock = time.monotonic
    while items:
        async with turns.turn():
            until = clock() + SLICE_S
            while items and clock() < until:
                del items[-RELEASE_CHUNK:]
