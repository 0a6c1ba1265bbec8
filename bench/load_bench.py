"""The real app, in this process (headless, 80x24, `App.run_test`), against a simulator in its
own process: the full load, the event loop's longest stalls, keystroke latency in-app.

Figures (all clocks `time.monotonic()`, the clock of Textual's events on Linux):

* `first_rows_s`: from just before `AtlasApp(...)` is built (Textual's start-up, the connection
  and `listCapabilities` count) to the end of the first frame in which the instances table
  renders rows. "End of frame": `FastTable.render_lines` is wrapped (class-level, in this
  process only) to queue a `loop.call_soon` callback; the compositor pass that called it runs
  synchronously up to writing the frame to the headless driver, so the callback runs right
  after that frame.
* `full_load_s`: to the end of the first frame after `InstancesScreen.full_load_at` (every
  instance with protection, newest snapshot, storage and volume count filled; the bench checks
  that the four lists are loaded and no visible cell still shows "…").
* `loop_stall_load_ms`: the longest the event loop was blocked while the lists loaded: a task
  sleeping 5 ms notes the largest gap between wake-ups, minus 5 ms. A key pressed then waits
  that long. `loop_stall_refresh_ms`: the same during a refresh (`r` on the loaded instances
  screen, until the screen's `updated` stamp changes). `loop_stall_max_ms` is the larger.
* `filter_inapp_ms_p50/p95`: Key event `.time` (Pilot creates the event) to the end of the
  frame showing the filter, one key per repaint; kept as an in-app cross-check of the pty
  figure (the headless driver writes nothing, so this leaves out the terminal's side).
* `scroll_ms_p50/p95`: pagedown Key event to the frame with the new page (the table's timings).
* `api_calls`: the app's requests per command (`CloudClient.calls`) for start-up and one load.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import tempfile
from collections.abc import Callable, Iterator
from time import monotonic
from typing import Any

from common import filter_query, pct

FILTER_ROUNDS = 2
PAGES = 20


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


class StallProbe:
    """The longest gap between wake-ups of a task sleeping `tick`, minus the tick."""

    tick = 0.005

    def __init__(self) -> None:
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        last = monotonic()
        while True:
            await asyncio.sleep(self.tick)
            now = monotonic()
            self.worst = max(self.worst, now - last - self.tick)
            last = now

    def start(self) -> None:
        self.worst = 0.0
        self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> float:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        return self.worst * 1000


async def run_app(endpoint: str, api_key: str, secret_key: str, *,
                  filter_rounds: int = FILTER_ROUNDS) -> dict[str, Any]:
    from textual import events

    from atlas_tui.app import AtlasApp
    from atlas_tui.cloud.api.config import Profile
    from atlas_tui.settings import Settings
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
    stalls = StallProbe()
    with probe.installed():
        t0 = monotonic()
        app = AtlasApp(profile=profile, settings=Settings())
        async with app.run_test(size=(80, 24), message_hook=hook) as pilot:
            stalls.start()
            screen: InstancesScreen = await wait_for(
                lambda: isinstance(app.screen, InstancesScreen) and app.screen, 60,
                "the instances screen")
            table = screen.query_one("#instances", FastTable)
            await wait_for(lambda: probe.first(0, lambda q, n: n > 0), 60, "the first rows")
            first_paint = probe.first(0, lambda q, n: n > 0)
            figures["first_rows_s"] = first_paint - t0
            await wait_for(lambda: screen.full_load_at, 300, "the full load")
            full_at = screen.full_load_at
            assert full_at is not None
            # The first frame after the load ended; none within 2 s when the frame that showed
            # the last rows came before `full_load_at` was stamped (the screen was complete
            # by then): the stamp itself, an upper bound.
            with contextlib.suppress(SystemExit):
                await wait_for(lambda: probe.first(full_at, lambda q, n: n > 0), 2, "a frame")
            shown = probe.first(full_at, lambda q, n: n > 0)
            figures["full_load_s"] = (full_at if shown is None else shown) - t0
            figures["loop_stall_load_ms"] = await stalls.stop()
            inv = app.session.inventory
            assert inv.loaded == {"vms", "volumes", "policies", "snapshots"}, inv.loaded
            figures["instances"] = table.row_count
            cells = [table.model.row_at(i).cells for i in range(table.visible_count)]
            assert not any(str(c) == "…" for row in cells for c in row), "a cell still loading"
            figures["api_calls"] = dict(sorted(app.session.client.calls.items()))
            await wait_for(lambda: screen.updated, 30, "the load to end")
            await pilot.pause()

            # -- a refresh of the loaded screen: `r`, until `updated` moves ---------------
            before = screen.updated
            stalls.start()
            started = monotonic()
            await pilot.press("r")
            await wait_for(lambda: screen.updated != before, 300, "the refresh")
            figures["refresh_s"] = monotonic() - started
            figures["loop_stall_refresh_ms"] = await stalls.stop()
            figures["loop_stall_max_ms"] = max(figures["loop_stall_load_ms"],
                                               figures["loop_stall_refresh_ms"])
            await pilot.pause()

            # -- filter in-app: `/`, then type and delete, one key per repaint --------------
            typed = filter_query(table.row_count)
            await pilot.press("slash")
            bar = await wait_for(
                lambda: isinstance(app.focused, FilterBar) and app.focused, 5, "the filter bar")
            filter_ms: list[float] = []
            for _ in range(filter_rounds):
                steps = [(ch, typed[: i + 1]) for i, ch in enumerate(typed)]
                steps += [("backspace", typed[:i]) for i in range(len(typed) - 1, -1, -1)]
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
            figures["filter_inapp_ms_p50"] = pct(filter_ms, 50)
            figures["filter_inapp_ms_p95"] = pct(filter_ms, 95)
            await pilot.press("escape")  # clears the filter and gives focus back to the table
            await wait_for(lambda: app.focused is table and table.visible_count == table.row_count,
                           5, "the table again")
            await pilot.pause()

            # -- scroll: pagedown, one press per repaint --------------------------------------
            samples = table.timings.samples
            samples.clear()
            pages = min(PAGES, table.row_count // 40)  # never past the end (no repaint)
            for _ in range(pages):
                count = sum(1 for kind, _ in samples if kind == "page")
                await pilot.press("pagedown")
                await wait_for(lambda count=count: sum(
                    1 for kind, _ in samples if kind == "page") > count, 5, "a page repaint")
            page_ms = [ms for kind, ms in samples if kind == "page"]
            figures["scroll_ms_p50"] = pct(page_ms, 50) if page_ms else None
            figures["scroll_ms_p95"] = pct(page_ms, 95) if page_ms else None
            await pilot.press("ctrl+q")
    return figures


def measure_app(endpoint: str, api_key: str, secret_key: str, **kwargs: Any) -> dict[str, Any]:
    """One run of the app; its audit log and state go to a scratch directory.

    An earlier run in this process left its objects to the collector (the app hands what it
    froze back at exit, cloud/long_lived.py): collected first, as a fresh process has none,
    or the first full pass of this run walks them all (a 250-330 ms stall measured at
    scale:10000 in the second of two runs back to back)."""
    gc.collect()
    saved = os.environ.get("ATLAS_TUI_STATE_DIR")
    with tempfile.TemporaryDirectory() as state:
        os.environ["ATLAS_TUI_STATE_DIR"] = state
        try:
            return asyncio.run(run_app(endpoint, api_key, secret_key, **kwargs))
        finally:
            if saved is None:
                os.environ.pop("ATLAS_TUI_STATE_DIR", None)
            else:
                os.environ["ATLAS_TUI_STATE_DIR"] = saved
