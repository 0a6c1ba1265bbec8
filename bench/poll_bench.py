"""Job polling benchmark: API calls per minute with 20 snapshot jobs in flight.

Run: `.venv/bin/python bench/poll_bench.py [--speed 1.5] [--no-write]` (about 1.5 minutes).

Setup: the simulator runs in its OWN process (`python -m atlas_tui.sim --seed scale:30
--speed S` on a free loopback port). At the default speed 1.5 a snapshot of a 20 GiB ROOT
volume (the simulator's ~1.5 + ~16 + ~34 simulated seconds for Allocated → Creating →
BackingUp → BackedUp) takes about 35 s of real time. One snapshot job per VM is a server
rule, so the 20 jobs go to the ROOT volumes of 20 different VMs.

Two runs, one after the other, each on a fresh `CloudClient`, with the same 20 volumes:

* `poll_calls_per_min_20_jobs`: the app's way. `createSnapshot` x 20, each handed to one
  `JobTracker` (default intervals: 0.5 s, x1.5 while nothing changes, at most 10 s; snapshot
  states on). The window runs from the first `createSnapshot` answer to the moment the tracker
  has seen all 20 jobs end. Calls = the polling calls the client made in that window
  (`listAsyncJobs` + `listSnapshots` + `queryAsyncJobResult`, from `CloudClient.calls`);
  the 20 `createSnapshot` calls are not counted. Figure = calls / window x 60.
* `poll_calls_per_min_20_jobs_naive`: the reference, what `cs` does with `poll_interval=2`:
  20 independent pollers, each calling `queryAsyncJobResult` for its own job, then sleeping
  2 s, until its job ends. Same window rule (first start to last end), same formula.

The simulator's own count of the same commands (`/sim/stats`, reset before each run) is
printed beside the client's as a cross-check. Clock: `time.monotonic()`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from atlas_tui.cloud.client import CloudClient  # noqa: E402
from atlas_tui.cloud.config import Profile  # noqa: E402
from atlas_tui.cloud.jobs import JobTracker  # noqa: E402
from atlas_tui.cloud.models import Volume  # noqa: E402
from atlas_tui.sim.process import SimProcess  # noqa: E402

RESULTS = ROOT / "bench" / "results.json"
JOBS = 20
NAIVE_INTERVAL_S = 2.0
POLLING = ("listAsyncJobs", "listSnapshots", "queryAsyncJobResult")


def control(base: str, path: str, method: str = "GET") -> dict[str, Any]:
    return SimProcess.call(base, path, method)


def polling_calls(calls: dict[str, int]) -> int:
    return sum(calls.get(c, 0) for c in POLLING)


async def roots(client: CloudClient) -> list[Volume]:
    """ROOT volumes of JOBS different VMs (one snapshot job per VM)."""
    by_vm: dict[str, Volume] = {}
    for v in await client.volumes():
        if v.name.startswith("ROOT-") and v.virtualmachineid:
            by_vm.setdefault(v.virtualmachineid, v)
    chosen = sorted(by_vm.values(), key=lambda v: v.name)[:JOBS]
    if len(chosen) < JOBS:
        raise SystemExit(f"only {len(chosen)} VMs in the seed, need {JOBS}")
    return chosen


async def tracker_run(profile: Profile, base: str) -> dict[str, Any]:
    async with CloudClient(profile) as client:
        volumes = await roots(client)
        tracker = JobTracker(client)
        worker = asyncio.create_task(tracker.run())
        control(base, "/sim/stats/reset", "POST")
        start = None
        for v in volumes:
            started = await client.create_snapshot(v.id)
            start = start or time.monotonic()
            tracker.track(started, label=f"Snapshot {v.name}", target=v.name, resource=v.id)
        assert start is not None
        finished = asyncio.Event()
        tracker.on_finished(lambda _: tracker.in_flight or finished.set())
        await asyncio.wait_for(finished.wait(), 300)
        window = time.monotonic() - start
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker
        sim_calls = polling_calls(control(base, "/sim/stats")["calls"])
        calls = polling_calls(client.calls)
        failed = [j.label for j in tracker.jobs if not j.succeeded]
        return {
            "calls": calls, "sim_calls": sim_calls, "window_s": window,
            "per_min": calls / window * 60, "ticks": tracker.ticks,
            "by_command": {c: client.calls[c] for c in POLLING if client.calls[c]},
            "longest_interval_s": max(tracker.intervals, default=0.0), "failed": failed,
        }


async def naive_run(profile: Profile, base: str) -> dict[str, Any]:
    async with CloudClient(profile) as client:
        volumes = await roots(client)
        control(base, "/sim/stats/reset", "POST")
        ends: list[float] = []
        failed: list[str] = []

        async def poller(jobid: str, name: str) -> None:
            while True:
                job = await client.job(jobid)
                if job.done:
                    ends.append(time.monotonic())
                    if not job.succeeded:
                        failed.append(name)
                    return
                await asyncio.sleep(NAIVE_INTERVAL_S)

        start = None
        tasks = []
        for v in volumes:
            started = await client.create_snapshot(v.id)
            start = start or time.monotonic()
            tasks.append(asyncio.create_task(poller(started.jobid, v.name)))
        assert start is not None
        await asyncio.wait_for(asyncio.gather(*tasks), 300)
        window = max(ends) - start
        calls = polling_calls(client.calls)
        sim_calls = polling_calls(control(base, "/sim/stats")["calls"])
        return {"calls": calls, "sim_calls": sim_calls, "window_s": window,
                "per_min": calls / window * 60, "failed": failed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speed", type=float, default=1.5, help="simulated s per real s")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()

    began = time.monotonic()
    with SimProcess(seed="scale:30", speed=args.speed) as sim:
        endpoint, base, api_key, secret_key = sim.endpoint, sim.base, sim.api_key, sim.secret_key
        profile = Profile(name="bench", url=endpoint, api_key=api_key, secret_key=secret_key,
                          source="bench", timeout_s=30)
        tracked = asyncio.run(tracker_run(profile, base))
        naive = asyncio.run(naive_run(profile, base))
    for name, run in (("tracker", tracked), ("naive", naive)):
        if run["failed"]:
            raise SystemExit(f"{name}: jobs failed: {run['failed']}")

    print(f"{JOBS} snapshot jobs in flight, simulator speed {args.speed:g}")
    print(f"  JobTracker:          {tracked['per_min']:7.1f} calls/min  "
          f"({tracked['calls']} calls, sim counted {tracked['sim_calls']}, "
          f"{tracked['window_s']:.1f} s, {tracked['ticks']} ticks, "
          f"longest interval {tracked['longest_interval_s']:.2f} s; {tracked['by_command']})")
    print(f"  20 x queryAsyncJobResult every {NAIVE_INTERVAL_S:g} s: {naive['per_min']:7.1f} "
          f"calls/min  ({naive['calls']} calls, sim counted {naive['sim_calls']}, "
          f"{naive['window_s']:.1f} s)")
    print(f"  ratio: {naive['per_min'] / tracked['per_min']:.1f}x fewer calls")
    print(f"bench took {time.monotonic() - began:.0f} s")

    if not args.no_write:
        existing: dict[str, Any] = {}
        if RESULTS.exists():
            with contextlib.suppress(ValueError):
                existing = json.loads(RESULTS.read_text())
        existing["poll_calls_per_min_20_jobs"] = round(tracked["per_min"], 1)
        existing["poll_calls_per_min_20_jobs_naive"] = round(naive["per_min"], 1)
        RESULTS.write_text(json.dumps(existing, indent=2, sort_keys=True) + "\n")
        print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
