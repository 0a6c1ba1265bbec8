"""The fault matrix of the root swap, and the kill test.

For each step of the root swap (with the policy move opted in), each fault the simulator can
inject: the job fails, a synchronous 530, a timeout (latency beyond the client's timeout), a
connection dropped before or after the server ran the command. Then the "app" process killed
(SIGKILL) while each step is in flight, with the simulator in its own process, and the restore
resumed or rolled back from the journal. After every case:

- the VM has exactly one ROOT disk, at device 0;
- no volume is gone (the account's volumes are those before, plus at most the new one);
- the VM runs as before (rolled back) or as planned (completed); here both are "Running";
- the old root is named as the outcome says: renamed when completed (unless a note says the
  rename failed), its own name again when rolled back.

The rename of the old root is an optional step: a fault there never rolls the restore back,
it completes with a note instead.

Run with ``-s`` to see the matrices; they are also in the assertion messages.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from atlas_tui.cloud.api.client import CloudClient
from atlas_tui.cloud.api.config import Profile
from atlas_tui.cloud.restore import (
    EventKind,
    RestoreEvent,
    RestoreOutcome,
    RestorePlan,
    RestoreRunner,
    gather_context,
    plan_root_swap,
)
from atlas_tui.cloud.restore.journal import Journal
from atlas_tui.sim import DEMO_API_KEY, DEMO_SECRET_KEY
from atlas_tui.sim.process import SimProcess
from tests.cloud.restore_child import kill_at
from tests.conftest import FAST_RETRY, make_sim, profile_for

SPEED = 2000  # simulated seconds per real second: every job ends in milliseconds
STEPS = [  # (plan step id, API command)
    ("create-volume", "createVolume"),
    ("copy-policy-daily", "createSnapshotPolicy"),
    ("stop-vm", "stopVirtualMachine"),
    ("detach-old", "detachVolume"),
    ("rename-old", "updateVolume"),
    ("attach-new", "attachVolume"),
    ("start-vm", "startVirtualMachine"),
]
SYNC_COMMANDS = {"createSnapshotPolicy"}
OPTIONAL_COMMANDS = {"updateVolume"}  # a failure is noted, the restore goes on
FAULTS = {  # name -> spec template; latency is cleared once the client has given up
    "job fails": "failjob:{cmd}",
    "sync 530": "error:{cmd}@530",
    "timeout": "latency:{cmd}=2500ms",
    "drop before": "drop:{cmd}@before",
    "drop after": "drop:{cmd}@after",
}
CLIENT_TIMEOUT_S = 1.0  # for the timeout column: the latency above is 2.5 s


@dataclass
class World:
    vm_id: str
    was_running: bool
    root_id: str
    root_name: str
    volume_ids: set[str]


async def snapshot_world(client: CloudClient, vm_name: str) -> World:
    vm = next(v for v in await client.virtual_machines() if v.name == vm_name)
    root = next(v for v in await client.volumes_of(vm.id) if v.deviceid == 0)
    return World(vm.id, vm.running, root.id, root.name, {v.id for v in await client.volumes()})


async def invariant(client: CloudClient, before: World, outcome: str,
                    plan: RestorePlan | None = None) -> list[str]:
    """What is wrong with the world after a case (empty = the invariant holds). With `plan`,
    also the old root's name: the planned one if completed without a rename note, else its
    own."""
    problems: list[str] = []
    vm = await client.virtual_machine(before.vm_id)
    vols = await client.volumes_of(before.vm_id)
    roots = [v for v in vols if v.is_root]
    if len(roots) != 1 or roots[0].deviceid != 0:
        problems.append(f"roots {[(v.name, v.deviceid) for v in roots]}")
    elif outcome == "rolled back" and roots[0].id != before.root_id:
        problems.append("rolled back but the root is not the original one")
    elif outcome != "rolled back" and roots[0].id == before.root_id:
        problems.append("completed but the root is still the original one")
    after = {v.id for v in await client.volumes()}
    if before.volume_ids - after:
        problems.append(f"volumes gone: {before.volume_ids - after}")
    if len(after - before.volume_ids) > 1:
        problems.append(f"more than one new volume: {after - before.volume_ids}")
    if vm is None or vm.running != before.was_running:
        problems.append(f"VM state {vm.state if vm else None}")
    old = await client.volume(before.root_id)
    if plan is not None and old is not None:
        renamed = outcome.startswith(("completed", "resumed")) and not outcome.endswith(NOTED)
        want = plan.step("rename-old").call.params["name"] if renamed else before.root_name
        if old.name != want:
            problems.append(f"old root named {old.name}, expected {want}")
    return problems


NOTED = "(noted)"  # completed, but an optional step was not done: the outcome says so


def verdict(outcome: RestoreOutcome, events: list[RestoreEvent], resumed: bool = False) -> str:
    if outcome.status == "rolled-back":
        return "rolled back"
    if outcome.status != "succeeded":
        return outcome.status
    if any(e.kind is EventKind.STEP_OPTIONAL_FAILED for e in events):
        return f"{'resumed' if resumed else 'completed'} {NOTED}"
    if resumed:
        return "resumed"
    return "completed" if not any(e.kind is EventKind.STEP_UNCERTAIN for e in events) \
        else "completed (checked)"


def table(title: str, rows: dict[str, dict[str, str]], columns: list[str]) -> str:
    width = max(len(r) for r in rows) + 2
    cell = max(24, *(len(v) + 2 for r in rows.values() for v in r.values()))
    lines = [title, "step".ljust(width) + "".join(c.ljust(cell) for c in columns)]
    for name, row in rows.items():
        lines.append(name.ljust(width) + "".join(row.get(c, "").ljust(cell) for c in columns))
    return "\n".join(lines)


# -- the in-process matrix ------------------------------------------------------------------


HIT = (EventKind.STEP_UNCERTAIN, EventKind.STEP_FAILED, EventKind.STEP_OPTIONAL_FAILED)


async def run_case(cmd: str, fault: str) -> tuple[str, list[str]]:
    sim = make_sim(speed=SPEED)
    await sim.start()
    timeout = CLIENT_TIMEOUT_S if fault == "timeout" else 10
    try:
        async with CloudClient(profile_for(sim, timeout_s=timeout), retry=FAST_RETRY) as client:
            before = await snapshot_world(client, "hello-atlas")
            snaps = await client.snapshots_of(before.root_id)
            snap = next(s for s in snaps if s.backed_up)
            plan = plan_root_swap(await gather_context(client, snap.id), move_policies=True)
            assert [s.call.command for s in plan.steps] == [c for _, c in STEPS]
            events: list[RestoreEvent] = []

            def on_event(e: RestoreEvent) -> None:
                events.append(e)
                if e.kind in HIT:
                    sim.faults.clear()  # the fault hit once; the rollback runs unhindered

            sim.faults.parse(FAULTS[fault].format(cmd=cmd))
            runner = RestoreRunner(client, plan, on_event=on_event, poll_s=0.05,
                                   settle_s=3.0 if fault == "timeout" else 1.0)
            outcome = await runner.run()
            hit = [e for e in events if e.kind in HIT]
            problems = [] if hit and hit[0].step_id == dict((c, s) for s, c in STEPS)[cmd] \
                else [f"the fault did not hit {cmd}: {[(e.kind, e.step_id) for e in hit]}"]
            result = verdict(outcome, events)
            if outcome.status == "rolled-back" and not outcome.error:
                problems.append("rolled back without the server's error text")
            problems += await invariant(client, before, result, plan)
            if not outcome.verified:
                problems.append(f"outcome not verified: {outcome.checks}")
            if result.endswith(NOTED) and not any(
                    n.startswith(f"Could not rename {before.root_name}: ")
                    for n in outcome.notes):
                problems.append(f"no note on the failed rename: {outcome.notes}")
            # A volume whose creation job failed is kept (state Error) and listed.
            if fault == "job fails" and cmd == "createVolume" and not any(
                    k.kind == "volume" and k.state == "Error" for k in outcome.kept):
                problems.append(f"the failed volume is not listed as kept: {outcome.kept}")
            return result, problems
    finally:
        await sim.stop()


async def test_root_swap_fault_matrix():
    started = time.monotonic()
    rows: dict[str, dict[str, str]] = {}
    failures: list[str] = []
    for _step, cmd in STEPS:
        # The faults of one step run side by side, each against its own simulator.
        faults = [f for f in FAULTS if not (f == "job fails" and cmd in SYNC_COMMANDS)]
        results = await asyncio.gather(*(run_case(cmd, f) for f in faults))
        rows[cmd] = {f: "n/a (synchronous)" for f in FAULTS if f not in faults}
        for fault, (result, problems) in zip(faults, results, strict=True):
            rows[cmd][fault] = result + (" !!" if problems else "")
            failures += [f"{cmd} × {fault}: {p}" for p in problems]
    text = table(f"root swap fault matrix ({time.monotonic() - started:.1f} s)", rows,
                 list(FAULTS))
    print("\n" + text)
    assert not failures, text + "\n" + "\n".join(failures)
    # What each fault must lead to: a refused or failed call rolls back; a call whose answer
    # was lost is checked, and the restore completes if the server did run it. A failed
    # optional step (the rename) is noted instead of rolled back.
    for cmd, row in rows.items():
        if cmd in OPTIONAL_COMMANDS:
            assert row == {"job fails": f"completed {NOTED}", "sync 530": f"completed {NOTED}",
                           "timeout": "completed (checked)",
                           "drop before": f"completed {NOTED}",
                           "drop after": "completed (checked)"}, text
            continue
        assert row["sync 530"] == "rolled back", text
        assert row["drop before"] == "rolled back", text
        assert row["drop after"] == "completed (checked)", text
        assert row["timeout"] == "completed (checked)", text
        if cmd not in SYNC_COMMANDS:
            assert row["job fails"] == "rolled back", text


async def test_a_failing_rollback_step_is_retried_and_reported(tmp_path: Path):
    """The attach of the new root fails, then the re-attach of the old root fails once too:
    the rollback retries it and still converges."""
    sim = make_sim(speed=SPEED, faults="failjob:attachVolume*2")
    await sim.start()
    try:
        async with CloudClient(profile_for(sim), retry=FAST_RETRY) as client:
            before = await snapshot_world(client, "hello-atlas")
            snap = next(s for s in await client.snapshots_of(before.root_id) if s.backed_up)
            plan = plan_root_swap(await gather_context(client, snap.id))
            events: list[RestoreEvent] = []
            outcome = await RestoreRunner(client, plan, on_event=events.append,
                                          poll_s=0.05, settle_s=1.0).run()
            assert outcome.status == "rolled-back", outcome
            assert outcome.error == "Failed to attach volume"
            retried = [e for e in events if e.kind is EventKind.ROLLBACK_STEP_FAILED]
            assert [e.step_id for e in retried] == ["undo-detach-old"]
            assert await invariant(client, before, "rolled back") == []
    finally:
        await sim.stop()


async def test_rollback_that_cannot_finish_leaves_the_journal_open():
    """Every re-attach fails: the rollback stops, says so, and the journal stays unfinished
    so the next start offers it again; a later rollback_from converges."""
    sim = make_sim(speed=SPEED, faults="failjob:attachVolume#1+")
    await sim.start()
    try:
        async with CloudClient(profile_for(sim), retry=FAST_RETRY) as client:
            before = await snapshot_world(client, "hello-atlas")
            snap = next(s for s in await client.snapshots_of(before.root_id) if s.backed_up)
            plan = plan_root_swap(await gather_context(client, snap.id))
            outcome = await RestoreRunner(client, plan, poll_s=0.05, settle_s=0.5,
                                          undo_attempts=2).run()
            assert outcome.status == "rollback-failed" and not outcome.verified
            assert "Rollback stopped at Re-attach ROOT-42" in outcome.notes[0]
            [left] = Journal.unfinished()
            assert left.status == "rollback-failed"
            sim.faults.clear()
            again = await RestoreRunner.rollback_from(client, left, poll_s=0.05, settle_s=0.5)
            assert again.status == "rolled-back" and again.verified
            assert await invariant(client, before, "rolled back") == []
            assert Journal.unfinished() == []
    finally:
        await sim.stop()


# -- the kill test: the simulator and the "app" each in their own process ---------------------


KILL_LATENCY = "1500ms"  # the step in flight when the child is killed
KILL_SETTLE_S = 2.5  # > the latency: what the server does late is still seen


class KillSim(SimProcess):
    def __init__(self) -> None:
        super().__init__(seed="demo", speed=SPEED, api_key=DEMO_API_KEY,
                         secret_key=DEMO_SECRET_KEY)
        self.start()

    def profile(self) -> Profile:
        return Profile(name="sim-process", url=self.endpoint, api_key=DEMO_API_KEY,
                       secret_key=DEMO_SECRET_KEY, source="test", timeout_s=10)

    async def faults(self, spec: str | None) -> None:
        async with aiohttp.ClientSession() as s:
            if spec is None:
                async with s.delete(f"{self.base}/sim/faults") as r:
                    assert r.status == 200
            else:
                async with s.post(f"{self.base}/sim/faults", json={"spec": spec}) as r:
                    assert r.status == 200, await r.text()



KILL_KINDS = {
    # The call is held by the server past the kill, and runs after it: the restarted app
    # must notice what happened late.
    "in flight": f"latency:{{cmd}}={KILL_LATENCY}",
    # The call never runs (the server drops it unread): the restarted app must find no trace
    # and send it again (resume) or leave it undone (rollback).
    "lost": "drop:{cmd}@before",
}


async def kill_case(step_id: str, cmd: str, kind: str, finish: str, journal_dir: Path,
                    ) -> tuple[str, list[str]]:
    """Kill the app while `step_id` is running, then `finish` ("resume" or "rollback")."""
    sim = KillSim()
    try:
        async with CloudClient(sim.profile(), retry=FAST_RETRY) as client:
            before = await snapshot_world(client, "hello-atlas")
            snap = next(s for s in await client.snapshots_of(before.root_id) if s.backed_up)
            plan: RestorePlan = plan_root_swap(await gather_context(client, snap.id),
                                               move_policies=True)
            journal = Journal.create(plan, journal_dir, endpoint=sim.endpoint)
            await sim.faults(KILL_KINDS[kind].format(cmd=cmd))
            try:
                # In flight: the journal is written just before the call; give the call time
                # to reach the server (which holds it for KILL_LATENCY) before the kill.
                await kill_at(journal.path, step_id, endpoint=sim.endpoint,
                              api_key=DEMO_API_KEY, secret_key=DEMO_SECRET_KEY,
                              wait_s=0.5 if kind == "in flight" else 0.0)
            except AssertionError as err:
                return "child never reached the step", [str(err)]
            await sim.faults(None)  # the restarted app is not slowed down
            unfinished = Journal.unfinished(journal_dir)
            problems = [] if [j.id for j in unfinished] == [plan.id] else [
                f"unfinished journals: {[j.id for j in unfinished]}"]
            left = unfinished[0] if unfinished else Journal.load(journal.path)
            events: list[RestoreEvent] = []
            how = RestoreRunner.resume if finish == "resume" else RestoreRunner.rollback_from
            outcome = await how(client, left, on_event=events.append, poll_s=0.05,
                                settle_s=KILL_SETTLE_S)
            result = verdict(outcome, events, resumed=finish == "resume")
            rerun = any(e.kind is EventKind.STEP_STARTED and e.step_id == step_id
                        for e in events)
            detail = " (re-sent)" if rerun else " (late call seen)"
            if finish == "resume" and rerun != (kind == "lost"):
                problems.append(f"resume {'re-sent' if rerun else 'did not re-send'} the call")
            problems += await invariant(client, before, result, plan)
            if not outcome.verified:
                problems.append(f"not verified: {outcome.checks}")
            if Journal.unfinished(journal_dir):
                problems.append("the journal is still unfinished")
            want = "resumed" if finish == "resume" else "rolled back"
            if result != want:
                problems.append(f"{finish} ended {result}: {outcome.error}")
            return result + (detail if finish == "resume" else ""), problems
    finally:
        sim.stop()


@pytest.mark.slow
async def test_kill_the_app_at_each_step_then_resume_or_roll_back(tmp_path: Path):
    started = time.monotonic()
    rows: dict[str, dict[str, str]] = {}
    failures: list[str] = []
    columns = [(kind, finish) for kind in KILL_KINDS for finish in ("resume", "rollback")]
    for step_id, cmd in STEPS:
        # The four cases of a step run side by side, each with its own simulator process.
        cases = await asyncio.gather(*(
            kill_case(step_id, cmd, kind, finish, tmp_path / f"{step_id}-{kind}-{finish}")
            for kind, finish in columns))
        rows[cmd] = {}
        for (kind, finish), (result, problems) in zip(columns, cases, strict=True):
            rows[cmd][f"{kind}, {finish}"] = result + (" !!" if problems else "")
            failures += [f"{cmd} × {kind}+{finish}: {p}" for p in problems]
    text = table(f"root swap kill matrix ({time.monotonic() - started:.1f} s)", rows,
                 [f"{kind}, {finish}" for kind, finish in columns])
    print("\n" + text)
    assert not failures, text + "\n" + "\n".join(failures)
