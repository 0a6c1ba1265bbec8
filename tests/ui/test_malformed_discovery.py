"""The app's start with a malformed entry among the account's pending jobs (issue 9): one
message naming listAsyncJobs, the app running, and the other pending job adopted."""

from __future__ import annotations

from atlas_tui.cloud.api.client import CloudClient
from atlas_tui.sim import SimServer
from atlas_tui.ui.screens.instances import InstancesScreen
from tests.cloud.test_jobs import volume
from tests.conftest import FAST_RETRY, profile_for
from tests.ui.helpers import until
from tests.ui.test_malformed_answers import app_for, notes


async def test_a_null_pending_job_is_named_and_the_others_are_adopted(sim: SimServer) -> None:
    async with CloudClient(profile_for(sim), retry=FAST_RETRY) as other:
        started = {(await other.create_snapshot((await volume(other, name)).id)).jobid
                   for name in ("ROOT-42", "ROOT-43")}
    sim.faults.parse("malform:listAsyncJobs@null-item")  # the first entry is `null`
    app = app_for(sim)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await until(pilot, lambda: isinstance(app.screen, InstancesScreen), what="home")
        await until(pilot, lambda: "was not understood" in notes(app), what="the message")
        assert ("The answer to listAsyncJobs was not understood: 1 pending job(s) could not "
                "be read and are not shown") in notes(app)
        assert app.is_running
        assert app.tracker is not None
        tracker = app.tracker
        # The readable job is adopted (the tracker's later polls, the fault spent, may find
        # the other one too: both are the account's, nothing else is).
        await until(pilot, lambda: bool(tracker.jobs), what="the other job adopted")
        assert {j.jobid for j in tracker.jobs} <= started
        assert all(j.adopted for j in tracker.jobs)
    assert [r["fired"] for r in sim.faults.describe()] == [1]
    with sim.state.lock:  # nothing was done to the jobs on the server
        assert all(sim.state.jobs[j].status == 0 for j in started)
