"""Where the event loop stalls: the app in-process (as `load_bench.py` runs it) through the
load and one `r` refresh, with a heartbeat task and a sampling thread that takes the main
thread's stack whenever the heartbeat is late; prints each stall over `--min-ms` with the
code it was spent in, and the full garbage collections (gc.callbacks) with their durations.

    .venv/bin/python bench/stall_trace.py scale:10000 [--min-ms 20] [--rounds 1]

A diagnostic, not a figure of issue 13 (`loop_stall_*` come from load_bench.py): the
sampler takes the GIL from the loop thread every few ms, so stalls read a little longer.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import gc
import os
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from aio_ref import aio_fetch
from load_bench import wait_for

from atlas_tui.sim.process import SimProcess

TICK = 0.005
LATE = 0.010  # the heartbeat this late: sample the stack


class Tracer:
    def __init__(self) -> None:
        self.last = time.monotonic()
        self.gaps: list[tuple[float, float, str]] = []  # (start, ms, phase)
        self.samples: dict[float, list[tuple[str, ...]]] = collections.defaultdict(list)
        self.gcs: list[tuple[float, float, int]] = []  # (start, ms, generation)
        self.phase = "load"
        self.census = 3 if "--census" in sys.argv else 0
        self._gc_start = 0.0
        self._stop = threading.Event()
        self._main = threading.get_ident()

    async def heartbeat(self) -> None:
        self.last = time.monotonic()
        while True:
            await asyncio.sleep(TICK)
            now = time.monotonic()
            gap = now - self.last - TICK
            if gap > 0.010:
                self.gaps.append((self.last, gap * 1000, self.phase))
            self.last = now

    def sampler(self) -> None:
        while not self._stop.wait(0.002):
            last = self.last
            if time.monotonic() - last > LATE:
                frame = sys._current_frames().get(self._main)
                if frame is not None:
                    stack = tuple(
                        f"{Path(f.filename).name}:{f.lineno} {f.name}"
                        for f in traceback.extract_stack(frame)[-40:]
                    )
                    self.samples[last].append(stack)

    def on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if threading.get_ident() != self._main:
            return
        if phase == "start":
            self._gc_start = time.monotonic()
            if info["generation"] == 2 and self.census:
                self.census -= 1
                objs = gc.get_objects(2)
                kinds = collections.Counter(type(o).__name__ for o in objs)
                print(f"gen2 census: {len(objs)} objects, frozen {gc.get_freeze_count()}:",
                      kinds.most_common(12), "phase", self.phase)
                self._gc_start = time.monotonic()
        else:
            ms = (time.monotonic() - self._gc_start) * 1000
            if ms > 2:
                self.gcs.append((self._gc_start, ms, info["generation"]))

    def start(self) -> None:
        gc.callbacks.append(self.on_gc)
        threading.Thread(target=self.sampler, daemon=True).start()

    def stop(self) -> None:
        self._stop.set()
        gc.callbacks.remove(self.on_gc)

    def report(self, min_ms: float) -> None:
        for start, ms, phase in self.gaps:
            if ms < min_ms:
                continue
            gcs = [(g, gen) for s, g, gen in self.gcs if start <= s <= start + ms / 1000 + 0.01]
            gc_text = " ".join(f"gc{gen}={g:.0f}ms" for g, gen in gcs)
            print(f"\n== stall {ms:6.1f} ms  ({phase})  {gc_text}")
            samples = self.samples.get(start, [])
            own = collections.Counter(_own(s) for s in samples)
            for where, n in own.most_common(6):
                print(f"   {n:3d} x {where}")


def _own(stack: tuple[str, ...]) -> str:
    """The innermost atlas_tui frames (and the leaf) of a sample."""
    mine = [f for f in stack if "atlas_tui" in f or f.split(":")[0] in _OWN_FILES]
    leaf = stack[-1] if stack else "?"
    return " > ".join(mine[-3:]) + f"  || leaf {leaf}"


_OWN_FILES = {p.name for p in Path(__file__).resolve().parents[1].joinpath(
    "atlas_tui").rglob("*.py")}


async def run(endpoint: str, key: str, secret: str, tracer: Tracer) -> dict[str, float]:
    from atlas_tui.app import AtlasApp
    from atlas_tui.cloud.api.config import Profile
    from atlas_tui.settings import Settings
    from atlas_tui.ui.screens.instances import InstancesScreen

    profile = Profile(name="bench", url=endpoint, api_key=key, secret_key=secret,
                      source="bench", timeout_s=60)
    app = AtlasApp(profile=profile, settings=Settings())
    out: dict[str, float] = {}
    async with app.run_test(size=(80, 24)) as pilot:
        beat = asyncio.ensure_future(tracer.heartbeat())
        t0 = time.monotonic()
        screen: InstancesScreen = await wait_for(
            lambda: isinstance(app.screen, InstancesScreen) and app.screen, 60, "the screen")
        await wait_for(lambda: screen.full_load_at, 300, "the full load")
        await wait_for(lambda: screen.updated, 30, "the load to end")
        out["load_s"] = time.monotonic() - t0
        await pilot.pause()
        await asyncio.sleep(0.5)
        tracer.phase = "refresh"
        before = screen.updated
        t0 = time.monotonic()
        await pilot.press("r")
        await wait_for(lambda: screen.updated != before, 300, "the refresh")
        out["refresh_s"] = time.monotonic() - t0
        await asyncio.sleep(0.3)
        tracer.phase = "after"
        beat.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await beat
        await pilot.press("ctrl+q")
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("seed", nargs="?", default="scale:10000")
    parser.add_argument("--min-ms", type=float, default=20)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--census", action="store_true", help="types in gen 2 at a full GC")
    args = parser.parse_args()
    with SimProcess(seed=args.seed, speed=0) as sim, tempfile.TemporaryDirectory() as state:
        os.environ["ATLAS_TUI_STATE_DIR"] = state
        creds = (sim.endpoint, sim.api_key, sim.secret_key)
        aio_fetch(*creds)
        for _ in range(args.rounds):
            tracer = Tracer()
            tracer.start()
            out = asyncio.run(run(*creds, tracer))
            tracer.stop()
            tracer.report(args.min_ms)
            worst = {p: max((ms for _, ms, ph in tracer.gaps if ph == p), default=0)
                     for p in ("load", "refresh")}
            print(f"\n{out}  worst stall: {worst}")
            print("full GCs:", [(round(ms), gen) for _, ms, gen in tracer.gcs if gen == 2])


if __name__ == "__main__":
    main()
