"""Restore step latency: from a step's job ending on the server to the next step's call.

Run: `.venv/bin/python bench/restore_latency_bench.py [--runs 2] [--no-write]` (about a
minute a run).

Setup: the demo account in an in-process simulator at real-time speed (1 simulated second
per second), so its job durations are real durations; a root swap of hello-atlas (with the
policy copy) run as the App runs it: `RestoreTask.waiter` hands each job to one `JobTracker`
(default intervals) and awaits it there.

Measure, on the server's clock (the simulator's, microseconds): for every step whose call
started a job, `completed` of that job (the simulator's own record) to the moment the
runner's next mutating call reaches the client's write gate (`CloudClient._write`, the
next step's call, after the runner's fresh precondition reads). The simulator shares the
event loop with the client, which the loop keeps mostly idle; the figure includes the
precondition reads, as the user waits for them too.

Figures: `restore_step_latency_ms_p95` (and `_p50`, `_max`, `_samples`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from atlas_tui.cloud.api.client import CloudClient  # noqa: E402
from atlas_tui.cloud.api.config import Profile  # noqa: E402
from atlas_tui.cloud.jobs import JobTracker  # noqa: E402
from atlas_tui.cloud.restore.journal import Journal  # noqa: E402
from atlas_tui.cloud.restore.plan import gather_context, plan_root_swap  # noqa: E402
from atlas_tui.cloud.restore.runner import RestoreRunner  # noqa: E402
from atlas_tui.cloud.restore.task import RestoreTask  # noqa: E402
from atlas_tui.sim import DEMO_API_KEY, DEMO_SECRET_KEY, SimServer  # noqa: E402

RESULTS = ROOT / "bench" / "results.json"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[index]


async def one_run(tmp: Path) -> list[float]:
    sim = SimServer(seed="demo", api_key=DEMO_API_KEY, secret_key=DEMO_SECRET_KEY, speed=1.0)
    await sim.start()
    profile = Profile(name="bench", url=sim.endpoint, api_key=DEMO_API_KEY,
                      secret_key=DEMO_SECRET_KEY, source="bench")
    latencies: list[float] = []
    try:
        async with CloudClient(profile) as client:
            [root] = await client.volumes(name="ROOT-42")
            snap = next(s for s in await client.snapshots_of(root.id) if s.backed_up)
            plan = plan_root_swap(await gather_context(client, snap.id), move_policies=True)
            tracker = JobTracker(client)
            poller = asyncio.create_task(tracker.run())
            last_job: list[str] = []  # the job id of the step that ran last
            write = client._write

            async def timed_write(command: str, **params: Any) -> Any:
                if last_job:  # the next step's call: how long after that job ended
                    job = sim.state.jobs.get(last_job.pop())
                    if job is not None and job.completed is not None:
                        latencies.append((sim.state.now() - job.completed).total_seconds()
                                         * 1000)
                answer = await write(command, **params)
                if isinstance(answer, dict) and answer.get("jobid"):
                    last_job[:] = [str(answer["jobid"])]
                return answer

            client._write = timed_write  # type: ignore[method-assign]
            task = RestoreTask(plan)
            runner = RestoreRunner(client, plan, await_job=task.waiter(tracker),
                                   journal=Journal.create(plan, tmp, endpoint=sim.endpoint))
            outcome = await runner.run()
            poller.cancel()
            if not outcome.succeeded:
                raise SystemExit(f"the restore did not succeed: {outcome.status} {outcome.error}")
    finally:
        await sim.stop()
    return latencies


async def main(runs: int, tmp: Path) -> dict[str, float]:
    samples: list[float] = []
    for i in range(runs):
        got = await one_run(tmp / str(i))
        print(f"run {i + 1}: " + ", ".join(f"{v:.0f}" for v in got) + " ms")
        samples += got
    return {
        "restore_step_latency_ms_p95": round(percentile(samples, 0.95), 1),
        "restore_step_latency_ms_p50": round(statistics.median(samples), 1),
        "restore_step_latency_ms_max": round(max(samples), 1),
        "restore_step_latency_samples": len(samples),
    }


if __name__ == "__main__":
    import tempfile

    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        figures = asyncio.run(main(args.runs, Path(tmp)))
    for key, value in figures.items():
        print(f"{key}: {value}")
    if not args.no_write:
        existing: dict[str, Any] = {}
        if RESULTS.exists():
            try:
                existing = json.loads(RESULTS.read_text())
            except ValueError:
                existing = {}
        existing.update(figures)
        RESULTS.write_text(json.dumps(existing, indent=2, sort_keys=True) + "\n")
        print(f"wrote {RESULTS.relative_to(ROOT)}")
