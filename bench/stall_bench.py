"""The loop-stall figures of issue 13 alone (`loop_stall_load_ms`, `loop_stall_refresh_ms`),
as `make bench` measures them (`load_bench.py`, in-process), without the pty part:

    .venv/bin/python bench/stall_bench.py --sizes scale:1000,scale:10000 --rounds 3

One simulator per size; a warm-up fetch, then `--rounds` runs of the app. Prints each run's
figures and the machine's load average before it. Writes nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from aio_ref import aio_fetch
from load_bench import measure_app

from atlas_tui.sim.process import SimProcess


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="scale:1000,scale:10000")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    for seed in args.sizes.split(","):
        with SimProcess(seed=seed, speed=0) as sim:
            creds = (sim.endpoint, sim.api_key, sim.secret_key)
            aio_fetch(*creds)
            for n in range(args.rounds):
                load = os.getloadavg()[0]
                f = measure_app(*creds, filter_rounds=1)
                print(f"{seed} run {n + 1}: load avg {load:.2f}  "
                      f"loop_stall_load_ms {f['loop_stall_load_ms']:.0f}  "
                      f"loop_stall_refresh_ms {f['loop_stall_refresh_ms']:.0f}  "
                      f"full_load_s {f['full_load_s']:.2f}  refresh_s {f['refresh_s']:.2f}",
                      flush=True)


if __name__ == "__main__":
    main()
