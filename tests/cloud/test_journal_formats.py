"""Journals written before restore steps were typed operations still load, resume and roll
back. `data/journal-before-operations.json` was written by that version (a root swap moving
and deleting the old root's policies); its steps' calls are ``{"command", "params"}`` only,
where today's add a ``context`` for what an operation knows but does not send."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from atlas_tui.cloud.api.client import CloudClient
from atlas_tui.cloud.restore import (
    Journal,
    RestorePlan,
    RestoreRunner,
    gather_context,
    plan_root_swap,
)
from tests.cloud.restore_child import kill_at
from tests.cloud.test_restore import snapshot_of, vm_named

if TYPE_CHECKING:
    from atlas_tui.sim import SimServer

OLD = Path(__file__).with_name("data") / "journal-before-operations.json"


def calls_of(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Every call of a plan's steps and of their undo steps."""
    out = []
    for step in plan["steps"]:
        out.append(step["call"])
        if step.get("undo"):
            out.append(step["undo"]["call"])
    return out


def without_context(plan: dict[str, Any]) -> dict[str, Any]:
    """A plan as the version before operations wrote it."""
    for call in calls_of(plan):
        call.pop("context", None)
    return plan


def shape(plan: dict[str, Any]) -> list[tuple[str, tuple[str, ...], str, tuple[str, ...]]]:
    return [(s["id"], tuple(s), s["call"]["command"], tuple(s["call"]["params"]))
            for s in plan["steps"]]


def test_an_old_plan_reads_back_exactly_as_it_was_written():
    old = json.loads(OLD.read_text())
    assert all(set(call) == {"command", "params"} for call in calls_of(old["plan"]))
    plan = RestorePlan.from_dict(old["plan"])
    assert plan.to_dict() == old["plan"]
    assert plan.step("detach-old").call.undo() is None  # no context: the journal's undo step
    undo = plan.step("detach-old").undo
    assert undo is not None and undo.call.params["deviceid"] == 0


async def test_todays_plan_differs_from_the_old_only_by_context(rc: CloudClient):
    snap = await snapshot_of(rc, "ROOT-42")
    plan = plan_root_swap(await gather_context(rc, snap.id), move_policies=True,
                          delete_old_policies=True)
    today = plan.to_dict()
    assert any("context" in call for call in calls_of(today))
    old = json.loads(OLD.read_text())["plan"]
    assert shape(without_context(today)) == shape(old)
    assert set(today) == set(old)


@pytest.mark.slow
@pytest.mark.parametrize("finish", ["resume", "rollback"])
async def test_an_old_journal_left_by_a_crash_resumes_and_rolls_back(
    rc: CloudClient, rsim: SimServer, finish: str,
):
    vm = await vm_named(rc, "hello-atlas")
    snap = await snapshot_of(rc, "ROOT-42")
    plan = plan_root_swap(await gather_context(rc, snap.id), move_policies=True,
                          delete_old_policies=True)
    journal = Journal.create(plan, endpoint=rsim.endpoint)
    rsim.faults.parse("drop:attachVolume@before")  # the attach never reaches the server
    await kill_at(journal.path, "attach-new", endpoint=rsim.endpoint, api_key=rsim.api_key,
                  secret_key=rsim.secret_key)
    rsim.faults.clear()
    data = json.loads(journal.path.read_text())
    without_context(data["plan"])
    journal.path.write_text(json.dumps(data))
    [left] = Journal.unfinished()
    assert not any("context" in call for call in calls_of(left.data["plan"]))
    how = RestoreRunner.resume if finish == "resume" else RestoreRunner.rollback_from
    outcome = await how(rc, left, poll_s=0.05, settle_s=1.0)

    root = rsim.state.volumes[snap.volumeid]
    [at_0] = [v for v in rsim.state.vms[vm.id].volumes if v.deviceid == 0]
    new = rsim.state.volumes[outcome.kept[0].id] if outcome.kept else None
    assert rsim.state.vms[vm.id].state == "Running"
    if finish == "resume":
        assert outcome.succeeded and outcome.verified, outcome
        assert new is not None and at_0 is new and root.vm is None
        assert root.name == plan.step("rename-old").call.params["name"]
        assert [(p.volume, p.schedule) for p in rsim.state.policies.values()
                if p.volume in (root, new)] == [(new, "03:00")]
    else:
        assert outcome.status == "rolled-back" and outcome.verified, outcome
        assert at_0 is root and root.name == "ROOT-42"
        # The old root's policy, deleted on the way, is there again (the journal's undo).
        assert [(p.volume, p.schedule) for p in rsim.state.policies.values()
                if p.volume is root or (new is not None and p.volume is new)] == [
            (root, "03:00")]
