"""Long-lived data out of the way of the garbage collector's full passes.

A loaded account is ~250,000 container objects (models, their raw dicts and lists) that live
until the next load and hold no reference cycles. CPython's full collection walks every
tracked object, ~0.3 s of one core for that inventory, and it runs every time the tracked
objects have grown by a quarter: several times during a load, and whenever anything later
allocates enough. That is a freeze of the UI. `settle()` moves the objects alive now into the
collector's permanent generation (`gc.freeze`), where full passes no longer walk them; they
are still freed as usual when the last reference to them goes (a reload drops the old
inventory by reference count).

Only the running app turns it on (`enable`, and `disable` at exit, which hands everything
back to the collector): tests and scripts that load inventories in one process never see
it. Young garbage is collected before each freeze (generations 0 and 1: ~1 ms), so what is
frozen is what lives on; the rare reference cycle that died after reaching the oldest
generation stays until `disable`.

What is frozen is everything alive at that moment, Textual's objects too: a screen that is
popped later is a reference cycle the collector never looks at again. It must not hold the
data it showed past its unmount (ui/screens/base.py `release`), or an old inventory and its
rows live on until exit (tests/ui/test_memory.py).
"""

from __future__ import annotations

import gc

from atlas_tui.cloud import heap

_enabled = False


def enable() -> None:
    global _enabled
    _enabled = True
    heap.steady()  # and freed large blocks back to the system at once (cloud/heap.py)


def disable() -> None:
    global _enabled
    if _enabled:
        _enabled = False
        gc.unfreeze()


def settle() -> None:
    """What is alive now is long-lived (a page of the inventory just built): freeze it."""
    if _enabled:
        gc.collect(1)
        gc.freeze()
