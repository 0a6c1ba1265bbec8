"""The SIGKILL harness: the "app" process of the crash tests, and `kill_at` that runs it.

    python tests/cloud/restore_child.py JOURNAL_PATH
    env: ATLAS_SIM_ENDPOINT, ATLAS_SIM_API_KEY, ATLAS_SIM_SECRET_KEY

runs one restore from a journal, until killed. `kill_at` starts it and kills it (SIGKILL: no
cleanup, no last journal write) once the journal shows a given step running: a real crash,
with the journal exactly as the runner left it, for the next start to resume or roll back.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from atlas_tui.cloud.api.client import CloudClient, RetryPolicy
from atlas_tui.cloud.api.config import Profile
from atlas_tui.cloud.restore.journal import Journal
from atlas_tui.cloud.restore.runner import RestoreRunner

# How long the child may take to reach the step. Generous: on a loaded machine several
# simulators and children run side by side; it is a harness limit, not a measure.
REACH_S = 90.0


async def kill_at(journal_path: Path, step_id: str, *, endpoint: str, api_key: str,
                  secret_key: str, wait_s: float = 0.0) -> None:
    """Run the restore of the journal at `journal_path` in a child process and SIGKILL it as
    soon as the journal shows `step_id` running, `wait_s` later (so that a call the server
    holds has reached it). AssertionError, with the child's output, if the child ends or
    does not reach the step in time."""
    env = dict(os.environ, ATLAS_SIM_ENDPOINT=endpoint, ATLAS_SIM_API_KEY=api_key,
               ATLAS_SIM_SECRET_KEY=secret_key)
    child = subprocess.Popen([sys.executable, __file__, str(journal_path)], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + REACH_S
        while Journal.load(journal_path).step(step_id).get("status") != "running":
            if child.poll() is not None or time.monotonic() > deadline:
                child.kill()
                out = child.communicate()[0]
                raise AssertionError(f"the child never reached {step_id}: {out[-2000:]}")
            await asyncio.sleep(0.01)
        await asyncio.sleep(wait_s)
        child.send_signal(signal.SIGKILL)
        child.wait()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        if child.stdout is not None:
            child.stdout.close()


async def main(path: Path) -> int:
    profile = Profile(name="kill-test", url=os.environ["ATLAS_SIM_ENDPOINT"],
                      api_key=os.environ["ATLAS_SIM_API_KEY"],
                      secret_key=os.environ["ATLAS_SIM_SECRET_KEY"], source="test",
                      timeout_s=30)
    journal = Journal.load(path)
    async with CloudClient(profile, retry=RetryPolicy(attempts=3, base_delay_s=0.05)) as client:
        outcome = await RestoreRunner(client, journal.plan, journal=journal, poll_s=0.05).run()
    print(outcome.status, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main(Path(sys.argv[1]))))
