"""The "app" process of the kill test: runs one restore from a journal, until killed.

    python tests/cloud/restore_child.py JOURNAL_PATH
    env: ATLAS_SIM_ENDPOINT, ATLAS_SIM_API_KEY, ATLAS_SIM_SECRET_KEY
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from atlas_tui.cloud.api.client import CloudClient, RetryPolicy
from atlas_tui.cloud.api.config import Profile
from atlas_tui.cloud.restore.journal import Journal
from atlas_tui.cloud.restore.runner import RestoreRunner


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
