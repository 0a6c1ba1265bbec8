"""What one page of each list costs the event loop, piece by piece (CPU time of this thread,
best of 5): the answer's text cleaned, decoded, the raw dicts' strings shared, models
built, snapshots folded; and what a repaint of the instances screen costs at that size.

    .venv/bin/python bench/page_cost.py scale:10000

The pages are real answers of the simulator (the first page of each list, 500 items).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from atlas_tui.sim.process import SimProcess


def best(fn: Callable[[], Any], n: int = 5) -> float:
    times = []
    for _ in range(n):
        t = time.thread_time()
        fn()
        times.append(time.thread_time() - t)
    return min(times) * 1000


async def capture(endpoint: str, key: str, secret: str) -> tuple[dict[str, str], Any, Any]:
    """The raw text of page 1 of each list, and a loaded inventory and client."""
    from atlas_tui.cloud.api import client as client_module
    from atlas_tui.cloud.api.client import CloudClient
    from atlas_tui.cloud.api.config import Profile
    from atlas_tui.cloud.inventory import Inventory

    texts: dict[str, str] = {}
    original = client_module.clean_json_text

    def spy(text: str) -> str:
        for key in ("listvirtualmachinesresponse", "listvolumesresponse",
                    "listsnapshotsresponse"):
            if key in text[:200] and key not in texts:
                texts[key] = text
        return original(text)

    client_module.clean_json_text = spy  # type: ignore[assignment]
    profile = Profile(name="b", url=endpoint, api_key=key, secret_key=secret, source="b",
                      timeout_s=60)
    client = CloudClient(profile)
    await client.__aenter__()
    inv = Inventory()
    await inv.load(client, lambda part: None)
    client_module.clean_json_text = original  # type: ignore[assignment]
    return texts, inv, client


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("seed", nargs="?", default="scale:10000")
    args = parser.parse_args()
    from atlas_tui.cloud.api.client import _loads, _page_decoder, _typed_page
    from atlas_tui.cloud.api.models import SnapshotTally, VirtualMachine, Volume, parse_items
    from atlas_tui.cloud.api.text import clean_json_text
    from atlas_tui.cloud.inventory import SnapshotStats, _Strings
    from atlas_tui.cloud.raw_archive import RawPage, archive

    with SimProcess(seed=args.seed, speed=0) as sim:
        loop = asyncio.new_event_loop()
        texts, inv, client = loop.run_until_complete(
            capture(sim.endpoint, sim.api_key, sim.secret_key))
    for key, model, item_key in (("listvirtualmachinesresponse", VirtualMachine,
                                  "virtualmachine"),
                                 ("listvolumesresponse", Volume, "volume")):
        text = texts[key]
        print(f"{key}: {len(text) / 1e6:.2f} MB")
        print(f"  clean_json_text {best(lambda text=text: clean_json_text(text)):6.1f} ms")
        print(f"  decode (_loads) {best(lambda text=text: _loads(text)):6.1f} ms")
        items = _loads(text)[key][item_key]

        def share(items: list[Any] = items) -> None:
            strings = _Strings()
            for raw in items:
                strings.share(raw)
        print(f"  _Strings.share  {best(share):6.1f} ms")
        print(f"  parse_items     "
              f"{best(lambda m=model, i=items, k=item_key: parse_items(m, i, 'c', k)):6.1f} ms")
        print(f"  RawPage         {best(lambda i=items: RawPage(i)):6.1f} ms")
        models = parse_items(model, items, "c", item_key)
        print(f"  archive         {best(lambda m=models, i=items: archive(m, i)):6.1f} ms")
    text = texts["listsnapshotsresponse"]
    print(f"listsnapshotsresponse: {len(text) / 1e6:.2f} MB")
    print(f"  clean_json_text {best(lambda: clean_json_text(text)):6.1f} ms")
    decoder = _page_decoder("snapshot", SnapshotTally)
    print(f"  typed decode    {best(lambda: _typed_page(decoder, text)):6.1f} ms")
    page = _typed_page(decoder, text)["snapshot"]

    def fold() -> None:
        stats: dict[str, SnapshotStats] = {}
        seen: set[str] = set()
        for snap in page:
            if snap.id in seen:
                continue
            seen.add(snap.id)
            stats.setdefault(snap.volumeid or "", SnapshotStats()).add(snap)
    print(f"  fold            {best(fold):6.1f} ms")

    # -- the instances screen's pieces, at the whole inventory --------------------------
    print(f"inventory: {len(inv.vms)} vms, {len(inv.volumes)} volumes, "
          f"{len(inv.stats_by_volume)} volume stats")
    print(f"  row_maker()     {best(inv.row_maker):6.1f} ms")
    row_of = inv.row_maker()
    vms = list(inv.vms.values())
    print(f"  rows            {best(lambda: [row_of(v) for v in vms]):6.1f} ms")
    print(f"  orphan_stats    {best(inv.orphan_stats):6.1f} ms")
    volumes = list(inv.volumes.values())
    print(f"  with_disk_0     "
          f"{best(lambda: {v.virtualmachineid for v in volumes if v.deviceid == 0}):6.1f} ms")
    rows = [row_of(v) for v in vms]
    from datetime import timedelta

    from atlas_tui.ui.screens.instances import instance_row
    from atlas_tui.ui.widgets.table_model import TableModel
    now = client.server_now()
    after = timedelta(minutes=60)
    loaded = inv.loaded
    print(f"  instance_row    "
          f"{best(lambda: [instance_row(r, loaded, now, False, '', after) for r in rows]):6.1f} ms")
    table_rows = [instance_row(r, inv.loaded, now, False, "", after) for r in rows]
    from atlas_tui.ui.screens.instances import COLUMNS
    model = TableModel(columns=COLUMNS)
    print(f"  model.set_rows  {best(lambda: model.set_rows(table_rows)):6.1f} ms")
    print(f"  search_text     "
          f"{best(lambda: [model.search_text(r) for r in table_rows]):6.1f} ms")
    search = [model.search_text(r) for r in table_rows]
    print(f"  set_rows(search){best(lambda: model.set_rows(table_rows, search)):6.1f} ms")
    model.sort_by("newest")
    print(f"  set_rows sorted {best(lambda: model.set_rows(table_rows)):6.1f} ms")

    def widths() -> None:
        model._natural = None
        model.natural_widths()
    print(f"  natural_widths  {best(widths):6.1f} ms")


if __name__ == "__main__":
    main()
