"""The server's own fields of every instance and volume, kept small until someone reads them.

The detail pane shows every field of the selected instance or volume as the server sent it
(cleaned once, atlas_tui.cloud.api.text), and a few rules read a field no model names
(`quiescevm`, `jobid`). Kept as dicts, the 40,000 items of a 10,000-VM account cost ~65 MB
(a dict of 35 entries is ~830 bytes before its values); a reload briefly holds two
inventories. So the inventory keeps each page's items serialised (`marshal`: exact for every
JSON value, NaN and big numbers included, and each string shared between items written once)
and compressed (zlib level 1, ~3 ms a page): ~40 KB a page of 500 instead of ~1.5 MB.

Each model's `raw` is then an `ArchivedRaw`, a read-only mapping that reads its page back
when asked (~3 ms: a page, decoded whole) and keeps the last few pages read, so moving the
cursor down the list reads each page once. The bytes are ours, written in this process from
decoded JSON: nothing from the server is ever unmarshalled.
"""

from __future__ import annotations

import marshal
import zlib
from collections.abc import Iterator, Mapping
from typing import Any

Raw = dict[str, Any]

RECENT_PAGES = 4  # pages kept decoded: a cursor move, a VM's volumes on two pages


class RawPage:
    """One page of raw items, serialised and compressed."""

    __slots__ = ("_blob",)

    def __init__(self, items: list[Raw]) -> None:
        self._blob = zlib.compress(marshal.dumps(items), 1)

    def items(self) -> list[Raw]:
        """The page's items, decoded (from the recent pages when it was read lately)."""
        for i, (page, items) in enumerate(_recent):
            if page is self:
                if i:
                    _recent.insert(0, _recent.pop(i))
                return items
        items = marshal.loads(zlib.decompress(self._blob))
        _recent.insert(0, (self, items))
        del _recent[RECENT_PAGES:]
        return items

    @property
    def blob(self) -> bytes:
        """The page as kept: equal blobs, equal items."""
        return self._blob

    @property
    def nbytes(self) -> int:
        return len(self._blob)


# The pages read last, newest first. Module-wide: one detail pane is open at a time.
_recent: list[tuple[RawPage, list[Raw]]] = []


class ArchivedRaw(Mapping[str, Any]):
    """The raw dict of item `index` of an archived page, as a read-only mapping."""

    __slots__ = ("_index", "_page")

    def __init__(self, page: RawPage, index: int) -> None:
        self._page = page
        self._index = index

    def _dict(self) -> Raw:
        return self._page.items()[self._index]

    def __getitem__(self, key: str) -> Any:
        return self._dict()[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self._dict().get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self._dict()

    def __iter__(self) -> Iterator[str]:
        return iter(self._dict())

    def __len__(self) -> int:
        return len(self._dict())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ArchivedRaw):
            other = other._dict()
        return self._dict() == other

    __hash__ = None  # type: ignore[assignment]  # as a dict: unhashable

    def __repr__(self) -> str:
        return f"ArchivedRaw({self._dict()!r})"


def archive(models: list[Any], items: list[Raw] | RawPage) -> RawPage:
    """Replace each model's `raw` (its item of `items`, same order) by an `ArchivedRaw` of one
    shared `RawPage`. The models are frozen dataclasses: `raw` is set as `_build` sets the
    fields (it is excluded from their comparison and repr)."""
    page = items if isinstance(items, RawPage) else RawPage(items)
    for i, model in enumerate(models):
        object.__setattr__(model, "raw", ArchivedRaw(page, i))
    return page
