"""The simulator, as `python -m atlas_tui.sim`, that also notes WHEN each async job ends.

Used by `bench/poll_bench.py` to measure detection latency (job done on the server -> the
poller seeing it). `JobEngine._finish` is wrapped so that every job end appends
`<jobid> <time.monotonic()>` to the file named by $ATLAS_BENCH_JOB_ENDS. On Linux
`time.monotonic()` is CLOCK_MONOTONIC, one clock for every process on the machine, so the
bench can subtract it from its own monotonic stamps. The API the app sees is unchanged.

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
        stamp = time.monotonic()
        if ENDS:
            with open(ENDS, "a", encoding="ascii") as out:
                out.write(f"{job.id} {stamp:.6f}\n")

    jobs.JobEngine._finish = _finish  # type: ignore[method-assign]


if __name__ == "__main__":
    _install()
    raise SystemExit(main(sys.argv[1:]))
