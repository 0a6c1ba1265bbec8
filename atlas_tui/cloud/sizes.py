"""Sizes from what the server gives this account, and where each came from.

A regular account's answers vary by server version: 4.18+ snapshots carry `physicalsize` and
`virtualsize`, older ones only `size`, some none at all. An unknown size stays unknown (None):
never 0, never summed as 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from atlas_tui.cloud.api.models import Snapshot, Volume


def _first_size(raw: Mapping[str, Any], *keys: str) -> tuple[int | None, str]:
    for key in keys:
        value = raw.get(key)
        if isinstance(value, bool):
            continue
        if isinstance(value, int | float) and value >= 0:
            return int(value), key
        if isinstance(value, str) and value.isdigit():
            return int(value), key
    return None, ""


def stored_bytes(raw: Mapping[str, Any]) -> int | None:
    """The storage a snapshot takes, as best given: `physicalsize`, else `size` (older
    servers), else `virtualsize` (an upper bound); None when the answer has none."""
    return _first_size(raw, "physicalsize", "size", "virtualsize")[0]


@dataclass(frozen=True)
class SizeFact:
    """A size and where it comes from, for people ("the snapshot's virtualsize")."""

    bytes: int | None
    source: str  # "" when unknown

    @property
    def known(self) -> bool:
        return self.bytes is not None


def restored_volume_size(snap: Snapshot, source_volume: Volume | None) -> SizeFact:
    """How big a volume made from `snap` is: the snapshot's `virtualsize`, else its `size`
    (older servers), else the size of the volume it was taken of. `physicalsize` is not a
    volume size (it is what the snapshot stores), so it is never used here."""
    value, key = _first_size(snap.raw, "virtualsize", "size")
    if value:
        return SizeFact(value, f"the snapshot's {key}")
    if source_volume is not None and source_volume.size:
        return SizeFact(source_volume.size, f"the size of its volume {source_volume.name}")
    return SizeFact(None, "")
