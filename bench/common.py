"""What the bench scripts share: paths, percentiles, results.json, the filter query."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results.json"

# The four lists behind the instances screen (protection, newest snapshot, storage, volumes).
LISTS = (
    ("listVirtualMachines", "virtualmachine"),
    ("listVolumes", "volume"),
    ("listSnapshotPolicies", "snapshotpolicy"),
    ("listSnapshots", "snapshot"),
)


def pct(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def seed_size(seed: str) -> int:
    return int(seed.split(":", 1)[1]) if seed.startswith("scale:") else 0


def filter_query(vms: int) -> str:
    """A name prefix the scale seed's `vm-00000`.. names match about 1 in 100 times, so every
    prefix typed is a real query: `vm-012` at 10,000 VMs (vm-01200..vm-01299)."""
    free = len(str(max(1, vms // 100))) - 1  # digits left free: 10**free matches
    index = vms * 12 // 100
    return f"vm-{index:05d}"[: 8 - free]


def rounded(figures: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in figures.items():
        if isinstance(value, float):
            out[key] = round(value, 3)
        elif isinstance(value, dict):
            out[key] = rounded(value)
        else:
            out[key] = value
    return out


def write_results(update: dict[str, Any], *, replace: bool = False,
                  path: Path = RESULTS) -> None:
    """Merge `update` into bench/results.json (or replace the file's content)."""
    existing: dict[str, Any] = {}
    if path.exists() and not replace:
        with contextlib.suppress(ValueError):
            existing = json.loads(path.read_text())
    existing.update(update)
    path.write_text(json.dumps(existing, indent=2, sort_keys=True) + "\n")
