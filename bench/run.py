"""`make bench`: the real app against the simulator's scale seed; writes `bench/results.json`.

The simulator (`python -m atlas_tui.sim --seed scale:10000 --speed 0`: 10,000 instances,
~30,000 volumes, ~300,000 snapshots, 3,000 policies) runs in its OWN process on a free
loopback port, so every figure below is this process's alone: the real `AtlasApp`
(`Settings()` defaults, a `Profile` on the simulator) run headless at 80x24 with
`App.run_test`. Then, as the reference, the same four lists are fetched the way a script
would. All clocks are `time.monotonic()`, the clock of Textual's events on Linux and macOS.

How each figure is measured:

* `first_rows_s`: from just before `AtlasApp(...)` is built (so Textual's start-up, the
  connection and `listCapabilities` count) to the end of the first frame in which the
  instances table renders with rows. "End of frame": the bench wraps `FastTable.render_lines`
  (class-level, in this process only) and, like the widget's own timings, queues a
  `loop.call_soon` callback from it; the compositor pass that called `render_lines` is
  synchronous up to writing the frame to the (headless) driver, so the callback runs right
  after that frame. `first_rows_stamp_s` is the screen's own `InstancesScreen.first_rows_at`
  (stamped just after the rows are handed to the table, before that frame).
* `full_load_s`: to the end of the first frame after `InstancesScreen.full_load_at`, i.e.
  every instance with its protection, newest-snapshot, storage and volume columns filled (the
  bench checks that all four lists are loaded and no cell still shows "…").
  `full_load_stamp_s` is `full_load_at` itself.
* `loop_stall_max_ms`: the longest the event loop was blocked while the lists loaded (a task
  sleeping 5 ms records the largest gap between wake-ups, minus 5 ms). The UI cannot react to a
  key for that long.
* `filter_ms_p50/p95` (`filter_samples` keystrokes): keystroke to repaint while filtering all
  10,000 rows. `/` opens the filter bar; the bench then types `vm-012` and deletes it again
  with backspace, 3 rounds, one key at a time, each key sent only after the previous one's
  repaint (a person typing; no coalescing of keys into one frame). Per key: the end of the
  first frame in which the table renders with `filter_query` equal to the bar's new value,
  minus the Key event's `.time`. `.time` is stamped when Pilot creates the event, before it is
  queued, so the figure covers the whole path: driver queue -> App -> Screen -> FilterBar
  (an `Input`) -> `Input.Changed` -> `BrowseScreen._filter_changed` -> `FastTable.filter` ->
  the next frame (Textual's frame pacing included). The Key event is taken from
  `run_test(message_hook=...)`. Why not the table's own `timings`: the FilterBar calls
  `table.filter(value)` without `requested_at`, so the table's "filter" samples start at the
  `filter()` call and miss the key's trip through the Input; they are reported separately as
  `filter_call_ms_p95` (`FastTable.filter` call to frame). Pilot's own waiting after each press
  is in neither figure.
* `scroll_ms_p50/p95` (`scroll_samples` presses): pagedown on the focused instances table,
  40 presses, each after the previous repaint. The table's own timings: its pagedown binding
  keeps the Key event's `.time` and records to the end of the frame that shows the new page
  (samples of kind "page").
* `rss_mb`: peak resident set of this process (`getrusage(RUSAGE_SELF).ru_maxrss`) read right
  after the full load: the app with the whole account loaded, Textual and Python included.
* `api_calls`: requests the app's client made, per command (`CloudClient.calls`), for start-up
  and one full load. `sim_calls` is the simulator's own count of the same (`/sim/stats`).
* `cs_full_fetch_s`: the reference. `cs.CloudStack(...).listX(fetch_list=True, listall=True)`
  for listVirtualMachines, listVolumes, listSnapshotPolicies (account-wide) and listSnapshots,
  one after another (cs pages at 500 itself), timed together; in this process, after the app
  has exited. `cs_counts` gives the items each returned.

Targets (issue 3): first_rows_s < 1.0, filter_ms_p95 < 50, rss_mb < 300,
full_load_s < cs_full_fetch_s. The table printed at the end says which are met.
Run: `.venv/bin/python bench/run.py [--seed scale:10000] [--no-write]`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from time import monotonic
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from atlas_tui.sim.process import SimProcess  # noqa: E402

RESULTS = ROOT / "bench" / "results.json"
TYPED = "vm-012"  # matches 100 of vm-00000..vm-09999; every prefix is a real query
FILTER_ROUNDS = 3
PAGES = 40
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


# -- the simulator, in its own process ------------------------------------------------------


# -- the app -----------------------------------------------------------------------------------


class FrameProbe:
    """Wraps `FastTable.render_lines` to note the end of each frame the instances table is in."""

    def __init__(self, table_id: str = "instances") -> None:
        self.table_id = table_id
        self.frames: list[tuple[float, str, int]] = []  # (end, filter query, rows in view)

    @contextlib.contextmanager
    def installed(self) -> Iterator[FrameProbe]:
        from atlas_tui.ui.widgets.table import FastTable

        original = FastTable.render_lines
        probe = self

        def render_lines(table: FastTable, crop: Any) -> Any:
            strips = original(table, crop)
            if table.id == probe.table_id:
                state = (table.filter_query, table.visible_count)
                asyncio.get_running_loop().call_soon(
                    lambda: probe.frames.append((monotonic(), *state)))
            return strips

        FastTable.render_lines = render_lines  # type: ignore[method-assign]
        try:
            yield self
        finally:
            FastTable.render_lines = original  # type: ignore[method-assign]

    def first(self, after: float, test: Callable[[str, int], bool]) -> float | None:
        return next((end for end, q, n in self.frames if end > after and test(q, n)), None)


async def wait_for(test: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = monotonic() + timeout
    while True:
        value = test()
        if value:
            return value
        if monotonic() > deadline:
            raise SystemExit(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(0.002)


async def loop_stalls(stop: asyncio.Event, out: list[float]) -> None:
    tick = 0.005
    last = monotonic()
    while not stop.is_set():
        await asyncio.sleep(tick)
        now = monotonic()
        out.append(max(0.0, now - last - tick))
        last = now


async def run_app(endpoint: str, api_key: str, secret_key: str) -> dict[str, Any]:
    from textual import events

    from atlas_tui.app import AtlasApp
    from atlas_tui.cloud.config import Profile
    from atlas_tui.cloud.settings import Settings
    from atlas_tui.ui.screens.base import FilterBar
    from atlas_tui.ui.screens.instances import InstancesScreen
    from atlas_tui.ui.widgets.table import FastTable

    figures: dict[str, Any] = {}
    keys: list[events.Key] = []

    def hook(message: Any) -> None:
        # A Key is dispatched at the App, then forwarded down: keep each event once.
        if isinstance(message, events.Key) and not any(k is message for k in keys):
            keys.append(message)

    profile = Profile(name="bench", url=endpoint, api_key=api_key, secret_key=secret_key,
                      source="bench", timeout_s=60)
    probe = FrameProbe()
    with probe.installed():
        t0 = monotonic()
        app = AtlasApp(profile=profile, settings=Settings())
        async with app.run_test(size=(80, 24), message_hook=hook) as pilot:
            stalls: list[float] = []
            stop = asyncio.Event()
            stall_task = asyncio.ensure_future(loop_stalls(stop, stalls))
            screen: InstancesScreen = await wait_for(
                lambda: isinstance(app.screen, InstancesScreen) and app.screen, 60,
                "the instances screen")
            table = screen.query_one("#instances", FastTable)
            await wait_for(lambda: probe.first(0, lambda q, n: n > 0), 60, "the first rows")
            first_paint = probe.first(0, lambda q, n: n > 0)
            figures["first_rows_s"] = first_paint - t0
            figures["first_rows_stamp_s"] = (screen.first_rows_at or first_paint) - t0
            figures["first_rows_count"] = next(n for _, _, n in probe.frames if n > 0)

            await wait_for(lambda: screen.full_load_at, 170, "the full load")
            full_at = screen.full_load_at
            assert full_at is not None
            await wait_for(lambda: probe.first(full_at, lambda q, n: n > 0), 10, "a frame")
            figures["full_load_s"] = probe.first(full_at, lambda q, n: n > 0) - t0
            figures["full_load_stamp_s"] = full_at - t0
            stop.set()
            await stall_task
            figures["loop_stall_max_ms"] = max(stalls, default=0.0) * 1000
            figures["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            inv = app.session.inventory
            assert inv.loaded == {"vms", "volumes", "policies", "snapshots"}, inv.loaded
            figures["instances"] = table.row_count
            cells = [table.model.row_at(i).cells for i in range(table.visible_count)]
            assert not any(str(c) == "…" for row in cells for c in row), "a cell still loading"
            figures["api_calls"] = dict(sorted(app.session.client.calls.items()))
            await pilot.pause()

            # -- filter: `/`, then type and delete, one key per repaint ---------------------
            await pilot.press("slash")
            bar = await wait_for(
                lambda: isinstance(app.focused, FilterBar) and app.focused, 5, "the filter bar")
            table.timings.samples.clear()
            filter_ms: list[float] = []
            for _ in range(FILTER_ROUNDS):
                steps = [(ch, TYPED[: i + 1]) for i, ch in enumerate(TYPED)]
                steps += [("backspace", TYPED[:i]) for i in range(len(TYPED) - 1, -1, -1)]
                for key, expect in steps:
                    keys.clear()
                    await pilot.press(key)
                    key_time = keys[0].time  # the Key event Pilot just sent
                    painted = await wait_for(
                        lambda expect=expect, key_time=key_time: probe.first(
                            key_time, lambda q, n: q == expect),
                        5, f"the repaint after {key!r}")
                    assert bar.value == expect
                    filter_ms.append((painted - key_time) * 1000)
            call_ms = [ms for kind, ms in table.timings.samples if kind == "filter"]
            figures["filter_samples"] = len(filter_ms)
            figures["filter_ms_p50"] = pct(filter_ms, 50)
            figures["filter_ms_p95"] = pct(filter_ms, 95)
            figures["filter_ms_max"] = max(filter_ms)
            figures["filter_call_ms_p95"] = pct(call_ms, 95)
            await pilot.press("escape")  # clears the filter and gives focus back to the table
            await wait_for(lambda: app.focused is table and table.visible_count == table.row_count,
                           5, "the table again")
            await pilot.pause()

            # -- scroll: pagedown, one press per repaint --------------------------------------
            samples = table.timings.samples
            samples.clear()
            for _ in range(PAGES):
                before = sum(1 for kind, _ in samples if kind == "page")
                await pilot.press("pagedown")
                await wait_for(lambda before=before: sum(
                    1 for kind, _ in samples if kind == "page") > before, 5, "a page repaint")
            page_ms = [ms for kind, ms in samples if kind == "page"]
            figures["scroll_samples"] = len(page_ms)
            figures["scroll_ms_p50"] = pct(page_ms, 50)
            figures["scroll_ms_p95"] = pct(page_ms, 95)
            await pilot.press("ctrl+q")
    return figures


# -- the reference: a script with cs -------------------------------------------------------


def cs_full_fetch(endpoint: str, api_key: str, secret_key: str) -> tuple[float, dict[str, int]]:
    from cs import CloudStack

    cs = CloudStack(endpoint=endpoint, key=api_key, secret=secret_key, timeout=120)
    counts: dict[str, int] = {}
    start = monotonic()
    for command, _ in LISTS:
        counts[command] = len(getattr(cs, command)(fetch_list=True, listall=True))
    return monotonic() - start, counts


# -- report -------------------------------------------------------------------------------------


def report(r: dict[str, Any]) -> list[str]:
    rows = [
        ("first_rows_s", "start -> first rows painted (s)", "< 1.0", r["first_rows_s"] < 1.0),
        ("full_load_s", "start -> full load painted (s)", f"< cs_full_fetch_s "
         f"({r['cs_full_fetch_s']:.2f})", r["full_load_s"] < r["cs_full_fetch_s"]),
        ("cs_full_fetch_s", "reference: cs fetch_list, 4 lists (s)", "", None),
        ("loop_stall_max_ms", "longest UI freeze while loading (ms)", "", None),
        ("filter_ms_p50", "filter key -> repaint p50 (ms)", "", None),
        ("filter_ms_p95", "filter key -> repaint p95 (ms)", "< 50", r["filter_ms_p95"] < 50),
        ("filter_call_ms_p95", "  filter() call -> repaint p95 (ms)", "", None),
        ("scroll_ms_p50", "pagedown -> repaint p50 (ms)", "", None),
        ("scroll_ms_p95", "pagedown -> repaint p95 (ms)", "", None),
        ("rss_mb", "peak RSS after full load (MB)", "< 300", r["rss_mb"] < 300),
    ]
    lines = [f"{'figure':<20} {'':<38} {'value':>9}  {'target':<26} met"]
    for key, label, target, met in rows:
        mark = "" if met is None else ("yes" if met else "NO")
        lines.append(f"{key:<20} {label:<38} {r[key]:>9.2f}  {target:<26} {mark}")
    lines.append("api_calls: " + ", ".join(f"{k} {v}" for k, v in r["api_calls"].items()))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", default="scale:10000")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()

    started = monotonic()
    with tempfile.TemporaryDirectory() as state, SimProcess(seed=args.seed, speed=0) as sim:
        endpoint, api_key, secret_key = sim.endpoint, sim.api_key, sim.secret_key
        # The app's audit log and state go to a scratch directory, not the user's.
        os.environ["ATLAS_TUI_STATE_DIR"] = state
        sim.control("/sim/stats/reset", "POST")
        figures = asyncio.run(run_app(endpoint, api_key, secret_key))
        figures["sim_calls"] = sim.control("/sim/stats")["calls"]
        figures["cs_full_fetch_s"], figures["cs_counts"] = cs_full_fetch(
            endpoint, api_key, secret_key)
    figures["seed"] = args.seed
    figures["targets_met"] = {
        "first_rows_s": figures["first_rows_s"] < 1.0,
        "filter_ms_p95": figures["filter_ms_p95"] < 50,
        "rss_mb": figures["rss_mb"] < 300,
        "full_load_s": figures["full_load_s"] < figures["cs_full_fetch_s"],
    }
    figures["bench_s"] = monotonic() - started
    for key, value in figures.items():
        if isinstance(value, float):
            figures[key] = round(value, 3)

    print("\n".join(report(figures)))
    print(f"bench took {figures['bench_s']:.0f} s")
    if not args.no_write:
        existing: dict[str, Any] = {}
        if RESULTS.exists():
            with contextlib.suppress(ValueError):
                existing = json.loads(RESULTS.read_text())
        existing.update(figures)
        RESULTS.write_text(json.dumps(existing, indent=2, sort_keys=True) + "\n")
        print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
