"""Where the event loop stalls: the app in-process (as `load_bench.py` runs it) through the
load and one `r` refresh, with a heartbeat task and a sampling thread that takes the main
thread's stack whenever the heartbeat is late; prints each stall over `--min-ms` with the
code it was spent in, and the full garbage collections (gc.callbacks) with their durations.

    .venv/bin/python bench/stall_trace.py scale:10000 [--min-ms 20] [--rounds 1] [--census]
    .venv/bin/python bench/stall_trace.py scale:10000 --cpu [--profile-steps]

`--census`: the types in the collector's oldest generation at the first full passes.
`--cpu`: instead, the CPU time of this thread per loop pass and per callback (task steps
named by their coroutine, with the GC time inside): what the stalls would be on a quiet
machine, as a pass runs every callback that is ready; the stacks sampled in a step over
`--explain-ms` (30) are shown beside it; `--profile-steps` adds a cProfile of every step
over `--explain-ms` (slow).

A diagnostic, not a figure of issue 13 (`loop_stall_*` come from load_bench.py): the
sampler takes the GIL from the loop thread every few ms, so stalls read a little longer.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import cProfile
import gc
import io
import os
import pstats
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
EXPLAIN_MS = 30.0  # --cpu: the stacks sampled in a callback that took longer (--explain-ms)


class CpuTracer:
    """The CPU time (this thread's, so the machine's other load hardly counts) of each
    callback the loop runs, summed per loop iteration: what a stall would be on a quiet
    machine. Patches asyncio's Handle._run and BaseEventLoop._run_once (Python code)."""

    def __init__(self) -> None:
        self.iterations: list[tuple[float, str, list[tuple[float, str]]]] = []
        self.phase = "load"
        self._current: list[tuple[float, str]] = []
        self.gc_s = 0.0
        self._gc_t = 0.0
        self.since: float | None = None
        self.samples: list[tuple[str, ...]] = []
        self.gcs: list[tuple[int, float]] = []  # (generation, CPU s), load and refresh

    def install(self) -> None:
        import asyncio.base_events as base_events
        import asyncio.events as events

        tracer = self
        run = events.Handle._run
        run_once = base_events.BaseEventLoop._run_once

        profiling = "--profile-steps" in sys.argv
        explain_s = EXPLAIN_MS / 1000

        def handle_run(handle: Any) -> None:
            t = time.thread_time()
            tracer.gc_s = 0.0
            tracer.since = time.monotonic()
            tracer.samples = []
            if profiling and tracer.phase != "after":
                profile = cProfile.Profile()
                profile.enable()
                run(handle)
                profile.disable()
            else:
                run(handle)
            tracer.since = None
            spent = time.thread_time() - t
            if profiling and spent > explain_s and tracer.phase != "after":
                out = io.StringIO()
                pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(12)
                print(f"--- step of {spent * 1000:.0f} ms ({tracer.phase}), gc "
                      f"{tracer.gc_s * 1000:.0f} ms:", _describe(handle))
                print("\n".join(out.getvalue().splitlines()[6:22]))
            what = _describe(handle)
            if spent > explain_s and tracer.samples:
                where = collections.Counter(_own(s) for s in tracer.samples)
                what += " {" + "; ".join(f"{n}x {w}" for w, n in where.most_common(3)) + "}"
            if tracer.gc_s > 0.002:
                what += f" [gc {tracer.gc_s * 1000:.0f}]"
            tracer._current.append((spent, what))

        def on_gc(phase: str, info: dict[str, Any]) -> None:
            if phase == "start":
                tracer._gc_t = time.thread_time()
            else:
                spent = time.thread_time() - tracer._gc_t
                tracer.gc_s += spent
                if tracer.phase != "after":
                    tracer.gcs.append((info["generation"], spent))

        gc.callbacks.append(on_gc)
        main = threading.get_ident()

        def sampler() -> None:
            while True:
                time.sleep(0.003)
                since = tracer.since
                if since is not None and time.monotonic() - since > min(0.015, explain_s / 2):
                    frame = sys._current_frames().get(main)
                    if frame is not None:
                        tracer.samples.append(tuple(
                            f"{Path(f.filename).name}:{f.lineno} {f.name}"
                            for f in traceback.extract_stack(frame)[-40:]))

        threading.Thread(target=sampler, daemon=True).start()

        def loop_run_once(loop: Any) -> None:
            tracer._current = []
            run_once(loop)
            total = sum(ms for ms, _ in tracer._current)
            if total > 0.008:
                tracer.iterations.append((total, tracer.phase, tracer._current))

        events.Handle._run = handle_run  # type: ignore[method-assign]
        base_events.BaseEventLoop._run_once = loop_run_once  # type: ignore[method-assign]

    def report(self, top: int) -> None:
        for gen in (0, 1, 2):
            times = sorted(t for g, t in self.gcs if g == gen)
            if times:
                print(f"gc gen{gen}: {len(times)} passes, {sum(times) * 1000:.0f} ms in all, "
                      f"median {times[len(times) // 2] * 1000:.2f} ms, "
                      f"worst {times[-1] * 1000:.1f} ms")
        for phase in ("load", "refresh"):
            its = sorted((i for i in self.iterations if i[1] == phase), reverse=True)
            print(f"\n=== {phase}: loop iterations by CPU (ms), {len(its)} over 8 ms")
            for total, _, parts in its[:top]:
                parts = sorted(parts, reverse=True)
                text = ", ".join(f"{ms * 1000:.1f} {what}" for ms, what in parts[:4]
                                 if ms > 0.001)
                text = text.replace("InstancesScreen.load.<locals>.", "")
                print(f"  {total * 1000:6.1f}: {text}")
            singles: collections.Counter[str] = collections.Counter()
            worst: dict[str, float] = {}
            for _, _, parts in its:
                for ms, what in parts:
                    if ms > 0.005:
                        what = what.split(" [")[0].split(" {")[0]
                        singles[what] += 1
                        worst[what] = max(worst.get(what, 0), ms)
            print(f"  callbacks over 5 ms ({phase}): count, worst")
            for what, n in singles.most_common(15):
                print(f"    {n:4d} {worst[what] * 1000:6.1f} {what}")


def _describe(handle: Any) -> str:
    callback = getattr(handle, "_callback", None)
    owner = getattr(callback, "__self__", None)
    if isinstance(owner, asyncio.Task):
        coro = owner.get_coro()
        return getattr(coro, "__qualname__", repr(coro))
    return getattr(callback, "__qualname__", repr(callback))


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


async def run(endpoint: str, key: str, secret: str, tracer: Tracer,
              cpu: CpuTracer | None = None) -> dict[str, float]:
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
        if cpu is not None:
            cpu.phase = "refresh"
        before = screen.updated
        t0 = time.monotonic()
        await pilot.press("r")
        await wait_for(lambda: screen.updated != before, 300, "the refresh")
        out["refresh_s"] = time.monotonic() - t0
        await asyncio.sleep(0.3)
        tracer.phase = "after"
        if cpu is not None:
            cpu.phase = "after"
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
    parser.add_argument("--profile-steps", action="store_true",
                        help="with --cpu: cProfile each step over 50 ms (slow)")
    parser.add_argument("--cpu", action="store_true",
                        help="CPU time per loop iteration, not wall-clock stalls")
    parser.add_argument("--census", action="store_true", help="types in gen 2 at a full GC")
    parser.add_argument("--explain-ms", type=float, default=EXPLAIN_MS,
                        help="with --cpu: show where callbacks over this long were sampled")
    args = parser.parse_args()
    globals()["EXPLAIN_MS"] = args.explain_ms
    with SimProcess(seed=args.seed, speed=0) as sim, tempfile.TemporaryDirectory() as state:
        os.environ["ATLAS_TUI_STATE_DIR"] = state
        creds = (sim.endpoint, sim.api_key, sim.secret_key)
        aio_fetch(*creds)
        if args.cpu:
            cpu = CpuTracer()
            cpu.install()
            tracer = Tracer()
            out = asyncio.run(run(*creds, tracer, cpu))
            print(out)
            cpu.report(25)
            return
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
