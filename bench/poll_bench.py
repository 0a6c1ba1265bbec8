"""Job polling benchmark: API calls per minute with 20 snapshot jobs in flight, and how long
after a job ends on the server the poller sees it.

Run: `.venv/bin/python bench/poll_bench.py [--speed 1.5] [--naive] [--no-write]` (~1.5 min).

Setup: the simulator runs in its OWN process on a free loopback port, seed `scale:30`, as
`bench/sim_timed.py`: the real simulator plus one wrapper that appends to a file, for each
async job, the `time.monotonic()` at which it ended on the simulator's clock (the simulator
runs a due job step lazily, inside the next request: a stamp taken then would credit the
poller's own request with the end). On Linux `time.monotonic()` is one clock for every
process, so `seen - ended` is the detection latency. At the default speed 1.5 a snapshot of
a 20 GiB ROOT volume (the simulator's ~1.5 + ~16 + ~2 + ~34 simulated seconds for Allocated
-> Creating -> CreatedOnPrimary -> BackingUp -> BackedUp, each x0.8-1.2) takes about 36 s of
real time, the 20 ends spread over ~10 s. One snapshot job per VM is a server rule, so the 20
jobs go to the ROOT volumes of 20 different VMs.

Runs, one after the other, each on a fresh `CloudClient`, with the same 20 volumes:

* `poll_calls_per_min_20_jobs`, `poll_detect_ms_p50/p95`: the app's way. `createSnapshot`
  x 20, each handed to one `JobTracker` with the app's defaults (a first look after 0.5 s,
  then x1.5 up to the steady 1.75 s, 3.5 s while every job is before BackingUp; snapshot
  states on). The window runs from the first
  `createSnapshot` answer to the moment the tracker has seen all 20 jobs end. Calls = the
  polling calls the client made in that window (`listAsyncJobs` + `listSnapshots` +
  `queryAsyncJobResult`, from `CloudClient.calls`); the 20 `createSnapshot` calls are not
  counted. Figure = calls / window x 60. Seen = `TrackedJob.finished_at` (the tracker's
  monotonic stamp when its answer showed the end; in the app the jobs panel and the toast
  are updated from that same callback, in the same loop turn, before the next frame).
* `poll_baseline_calls_per_min` / `poll_baseline_detect_ms_p50/p95`: the reference, one
  `listAsyncJobs` (listall, since the first job's start) every 2 s covering every job; seen =
  the answer of the first call that shows the job ended. Same window rule and formula.
* with `--naive`, `poll_calls_per_min_20_jobs_naive`: what `cs` does with `poll_interval=2`,
  20 independent pollers each calling `queryAsyncJobResult` for its own job every 2 s.

The simulator's own count of the same commands (`/sim/stats`, reset before each run) is
printed beside the client's as a cross-check. Noise: detection latency is bounded below by
the interval in use when the job ends, so it moves with the simulator's speed (longer jobs
let the tracker back off further); the call rate moves with the window (+-5 %).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import pct  # noqa: E402  (bench/ is on the path: scripts run as bench/x.py)

from atlas_tui.cloud.api.client import CloudClient  # noqa: E402
from atlas_tui.cloud.api.config import Profile  # noqa: E402
from atlas_tui.cloud.api.models import Volume  # noqa: E402
from atlas_tui.cloud.jobs import JobTracker  # noqa: E402
from atlas_tui.sim.process import SimProcess  # noqa: E402

RESULTS = ROOT / "bench" / "results.json"
JOBS = 20
BASELINE_INTERVAL_S = 2.0
POLLING = ("listAsyncJobs", "listSnapshots", "queryAsyncJobResult")
TARGET_CALLS_PER_MIN = 36
TARGET_DETECT_P95_MS = 2000


class TimedSim(SimProcess):
    """`SimProcess`, running `bench/sim_timed.py` so that job ends are stamped to a file."""

    def __init__(self, ends: Path, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ends = ends
        self._args[1:3] = [str(ROOT / "bench" / "sim_timed.py")]  # instead of -m atlas_tui.sim

    def start(self) -> TimedSim:
        os.environ["ATLAS_BENCH_JOB_ENDS"] = str(self.ends)
        try:
            super().start()
        finally:
            os.environ.pop("ATLAS_BENCH_JOB_ENDS", None)
        return self

    def job_ends(self) -> dict[str, float]:
        ends: dict[str, float] = {}
        if self.ends.exists():
            for line in self.ends.read_text().splitlines():
                jobid, ended, *_ = line.split()
                ends.setdefault(jobid, float(ended))
        return ends


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


def latencies(seen: dict[str, float], sim: TimedSim) -> list[float]:
    ends = sim.job_ends()
    missing = [j for j in seen if j not in ends]
    if missing:
        raise SystemExit(f"the simulator noted no end for jobs {missing}")
    return [(seen[j] - ends[j]) * 1000 for j in seen]


def summary(calls: int, sim_calls: int, window: float, seen: dict[str, float], sim: TimedSim,
            failed: list[str]) -> dict[str, Any]:
    detect = latencies(seen, sim)
    return {"calls": calls, "sim_calls": sim_calls, "window_s": window,
            "per_min": calls / window * 60, "failed": failed,
            "detect_ms_p50": pct(detect, 50), "detect_ms_p95": pct(detect, 95),
            "detect_ms_max": max(detect)}


async def tracker_run(profile: Profile, sim: TimedSim) -> dict[str, Any]:
    async with CloudClient(profile) as client:
        volumes = await roots(client)
        tracker = JobTracker(client)
        worker = asyncio.create_task(tracker.run())
        sim.control("/sim/stats/reset", "POST")
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
        sim_calls = polling_calls(sim.control("/sim/stats")["calls"])
        seen = {j.jobid: j.finished_at for j in tracker.jobs if j.finished_at is not None}
        failed = [j.label for j in tracker.jobs if not j.succeeded]
        out = summary(polling_calls(client.calls), sim_calls, window, seen, sim, failed)
        out.update(ticks=tracker.ticks,
                   by_command={c: client.calls[c] for c in POLLING if client.calls[c]},
                   longest_interval_s=max(tracker.intervals, default=0.0))
        return out


async def baseline_run(profile: Profile, sim: TimedSim) -> dict[str, Any]:
    """One listAsyncJobs every 2 s for all 20 jobs."""
    async with CloudClient(profile) as client:
        volumes = await roots(client)
        sim.control("/sim/stats/reset", "POST")
        since = client.server_now() - timedelta(seconds=5)
        jobids: set[str] = set()
        start = None
        for v in volumes:
            started = await client.create_snapshot(v.id)
            start = start or time.monotonic()
            jobids.add(started.jobid)
        assert start is not None
        seen: dict[str, float] = {}
        failed: list[str] = []
        deadline = start + 300
        while len(seen) < len(jobids):
            if time.monotonic() > deadline:
                raise SystemExit("baseline: the jobs did not end in 300 s")
            answer = await client.jobs(since=since)
            now = time.monotonic()
            for job in answer:
                if job.jobid in jobids and job.done and job.jobid not in seen:
                    seen[job.jobid] = now
                    if not job.succeeded:
                        failed.append(job.jobid)
            if len(seen) < len(jobids):
                await asyncio.sleep(BASELINE_INTERVAL_S)
        window = max(seen.values()) - start
        sim_calls = polling_calls(sim.control("/sim/stats")["calls"])
        return summary(polling_calls(client.calls), sim_calls, window, seen, sim, failed)


async def naive_run(profile: Profile, sim: TimedSim) -> dict[str, Any]:
    """20 x queryAsyncJobResult every 2 s, one poller per job (cs's poll_interval=2)."""
    async with CloudClient(profile) as client:
        volumes = await roots(client)
        sim.control("/sim/stats/reset", "POST")
        seen: dict[str, float] = {}
        failed: list[str] = []

        async def poller(jobid: str, name: str) -> None:
            while True:
                job = await client.job(jobid)
                if job.done:
                    seen[jobid] = time.monotonic()
                    if not job.succeeded:
                        failed.append(name)
                    return
                await asyncio.sleep(BASELINE_INTERVAL_S)

        start = None
        tasks = []
        for v in volumes:
            started = await client.create_snapshot(v.id)
            start = start or time.monotonic()
            tasks.append(asyncio.create_task(poller(started.jobid, v.name)))
        assert start is not None
        await asyncio.wait_for(asyncio.gather(*tasks), 300)
        window = max(seen.values()) - start
        sim_calls = polling_calls(sim.control("/sim/stats")["calls"])
        return summary(polling_calls(client.calls), sim_calls, window, seen, sim, failed)


Runner = Callable[[Profile, TimedSim], Any]


def measure(speed: float, naive: bool) -> dict[str, dict[str, Any]]:
    runs: dict[str, Runner] = {"tracker": tracker_run, "baseline": baseline_run}
    if naive:
        runs["naive"] = naive_run
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as scratch, \
            TimedSim(Path(scratch) / "job-ends", seed="scale:30", speed=speed) as sim:
        profile = Profile(name="bench", url=sim.endpoint, api_key=sim.api_key,
                          secret_key=sim.secret_key, source="bench", timeout_s=30)
        for name, run in runs.items():
            results[name] = asyncio.run(run(profile, sim))
            if results[name]["failed"]:
                raise SystemExit(f"{name}: jobs failed: {results[name]['failed']}")
    return results


def figures(results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    tracked, base = results["tracker"], results["baseline"]
    out: dict[str, Any] = {
        "poll_calls_per_min_20_jobs": round(tracked["per_min"], 1),
        "poll_detect_ms_p50": round(tracked["detect_ms_p50"], 1),
        "poll_detect_ms_p95": round(tracked["detect_ms_p95"], 1),
        "poll_baseline_calls_per_min": round(base["per_min"], 1),
        "poll_baseline_detect_ms_p50": round(base["detect_ms_p50"], 1),
        "poll_baseline_detect_ms_p95": round(base["detect_ms_p95"], 1),
    }
    if "naive" in results:
        out["poll_calls_per_min_20_jobs_naive"] = round(results["naive"]["per_min"], 1)
    return out


def report(results: dict[str, dict[str, Any]], speed: float) -> list[str]:
    labels = {"tracker": "JobTracker (the app)",
              "baseline": f"1 listAsyncJobs / {BASELINE_INTERVAL_S:g} s",
              "naive": f"20 x queryAsyncJobResult / {BASELINE_INTERVAL_S:g} s"}
    lines = [f"polling: {JOBS} snapshot jobs in flight, simulator speed {speed:g}",
             f"  {'':<34} {'calls/min':>9} {'detect p50':>11} {'detect p95':>11}  "
             f"{'calls (sim)':>12} {'window':>7}"]
    for name, r in results.items():
        lines.append(f"  {labels[name]:<34} {r['per_min']:>9.1f} {r['detect_ms_p50']:>9.0f}ms "
                     f"{r['detect_ms_p95']:>9.0f}ms  {r['calls']:>5} ({r['sim_calls']:>4}) "
                     f"{r['window_s']:>6.1f}s")
    t = results["tracker"]
    met = t["per_min"] <= TARGET_CALLS_PER_MIN and t["detect_ms_p95"] <= TARGET_DETECT_P95_MS
    lines.append(f"  target: <= {TARGET_CALLS_PER_MIN} calls/min with detect p95 <= "
                 f"{TARGET_DETECT_P95_MS} ms: {'met' if met else 'NOT met'}"
                 f"  (tracker {t['ticks']} ticks, longest interval "
                 f"{t['longest_interval_s']:.2f} s, {t['by_command']})")
    return lines


def write(update: dict[str, Any]) -> None:
    existing: dict[str, Any] = {}
    if RESULTS.exists():
        with contextlib.suppress(ValueError):
            existing = json.loads(RESULTS.read_text())
    existing.update(update)
    RESULTS.write_text(json.dumps(existing, indent=2, sort_keys=True) + "\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speed", type=float, default=1.5, help="simulated s per real s")
    parser.add_argument("--naive", action="store_true",
                        help="also 20 queryAsyncJobResult pollers (cs's way)")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)

    began = time.monotonic()
    results = measure(args.speed, args.naive)
    print("\n".join(report(results, args.speed)))
    print(f"poll bench took {time.monotonic() - began:.0f} s")
    if not args.no_write:
        update = figures(results)
        update["poll_speed"] = args.speed
        write(update)
        print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
