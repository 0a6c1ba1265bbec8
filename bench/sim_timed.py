"""The simulator, as `python -m atlas_tui.sim`, that also notes WHEN each async job ends.

Used by `bench/poll_bench.py` to measure detection latency (job done on the server -> the
poller seeing it). `JobEngine._finish` is wrapped so that every job end appends
`<jobid> <ended> <processed>` to the file named by $ATLAS_BENCH_JOB_ENDS, both on
`time.monotonic()`. On Linux that is CLOCK_MONOTONIC, one clock for every process on the
machine, so the bench can subtract it from its own monotonic stamps. The API the app sees is
unchanged.

`ended` is when the job ended on the simulator's clock (its `completed`), not when the
simulator ran the step: the simulator runs due events lazily, at the next request or its 1 s
ticker, so the step of a job that ended meanwhile runs inside the poller's own request, and a
stamp taken then would measure only that request's round trip (a real server ends jobs
whether anybody asks or not). `processed` (that moment) is kept for reference.

    python bench/sim_timed.py --seed scale:30 --speed 1.5 ...   (the simulator's own options)
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from atlas_tui.sim import jobs
from atlas_tui.sim.cli import main

ENDS = os.environ.get("ATLAS_BENCH_JOB_ENDS", "")


def _install() -> None:
    original = jobs.JobEngine._finish

    def _finish(self: Any, job: Any, *args: Any, **kwargs: Any) -> None:
        original(self, job, *args, **kwargs)
        processed = time.monotonic()
        clock = self.state.clock
        late_s = (clock.now() - job.completed).total_seconds() / clock.speed if clock.speed else 0
        if ENDS:
            with open(ENDS, "a", encoding="ascii") as out:
                out.write(f"{job.id} {processed - max(0.0, late_s):.6f} {processed:.6f}\n")

    jobs.JobEngine._finish = _finish  # type: ignore[method-assign]


if __name__ == "__main__":
    _install()
    raise SystemExit(main(sys.argv[1:]))
