"""Running a restore plan: forward step by step, and back along the undo steps on failure.

- Before each step its precondition is checked against fresh reads (`_inspect`). A step whose
  effect is already in place is skipped, which is also what makes `resume` safe.
- Every step is journalled before it starts, when its job id is known, and when it ends.
- A call whose answer was lost (dropped connection, timeout) is not retried blindly: the
  runner looks (the job by id when known, else the resources) until `settle_s` has passed
  without any trace of it, and only then calls it not done.
- On failure, the undo steps of what was done are run in reverse. Anything created (the new
  volume, a template) is kept and listed; nothing is ever deleted except snapshot policies
  this restore itself created.
- An `optional` step (renaming the replaced disk) that fails is noted and skipped: it never
  triggers a rollback, and a failing undo of one does not stop the rollback either.

After `run`, `resume` or `rollback_from`: the VM has exactly one ROOT disk, at device 0; no
volume is gone; the VM runs as planned (success) or as before (rollback).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from atlas_tui.cloud.api.client import CloudClient
from atlas_tui.cloud.api.errors import CloudError, ErrorKind
from atlas_tui.cloud.api.models import AsyncJob, JobStarted, SnapshotPolicy
from atlas_tui.cloud.jobs import api_name
from atlas_tui.cloud.restore.journal import Journal, now_iso
from atlas_tui.cloud.restore.plan import Mode, RestorePlan, Step
from atlas_tui.cloud.restore.report import Check, build_report, read_server

log = logging.getLogger(__name__)

AwaitJob = Callable[[JobStarted], Awaitable[AsyncJob]]
UNCERTAIN = frozenset({ErrorKind.UNKNOWN_OUTCOME, ErrorKind.TIMEOUT, ErrorKind.TRANSPORT})
BUSY_VM_STATES = frozenset({"Starting", "Stopping", "Migrating"})
BUSY_VOLUME_STATES = frozenset({"Allocated", "Creating", "Attaching", "Migrating"})
# Step statuses that mean "nothing more to do going forward".
SETTLED = frozenset({"done", "skipped", "optional-failed"})


class EventKind(StrEnum):
    RUN_STARTED = "run-started"
    STEP_STARTED = "step-started"
    STEP_JOB = "step-job"  # the server accepted the call: jobid known
    STEP_UNCERTAIN = "step-uncertain"  # the answer was lost: checking what happened
    STEP_FINISHED = "step-finished"
    STEP_SKIPPED = "step-skipped"  # already in place
    STEP_FAILED = "step-failed"
    STEP_OPTIONAL_FAILED = "step-optional-failed"  # noted; the run carries on
    ROLLBACK_STARTED = "rollback-started"
    ROLLBACK_STEP_STARTED = "rollback-step-started"
    ROLLBACK_STEP_FINISHED = "rollback-step-finished"
    ROLLBACK_STEP_FAILED = "rollback-step-failed"
    ROLLBACK_FINISHED = "rollback-finished"
    RUN_FINISHED = "run-finished"


@dataclass(frozen=True)
class RestoreEvent:
    kind: EventKind
    step_id: str = ""
    title: str = ""
    jobid: str = ""
    state: str = ""  # running / done / failed / skipped / checking ...
    elapsed_s: float = 0.0
    error: str = ""  # the server's text
    done: int = 0  # steps finished so far
    total: int = 0


@dataclass
class KeptResource:
    """Something this restore created that is still on the server (read by id)."""

    kind: str  # volume, template, instance
    id: str
    name: str = ""
    state: str = ""
    where: str = ""  # "attached to hello-atlas at device 0", "detached"


@dataclass
class RestoreOutcome:
    status: str  # succeeded | rolled-back | rollback-failed
    plan_id: str
    failed_step: str = ""
    error: str = ""
    kept: list[KeptResource] = field(default_factory=list)  # created and still there
    notes: list[str] = field(default_factory=list)  # what happened on the way (the app's)
    checks: list[Check] = field(default_factory=list)  # the app's checks of the final read
    verified: bool = False
    journal_path: str = ""
    vm_line: str = ""  # the VM now, from the final read
    disks: list[str] = field(default_factory=list)  # where each disk is now (the server's)
    gone: list[str] = field(default_factory=list)  # created, but no longer on the server
    next_steps: list[str] = field(default_factory=list)

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"


class PlanBlocked(Exception):
    """The plan has blockers, or the world changed since it was made; nothing was run."""


class StepFailed(Exception):
    def __init__(self, step_id: str, text: str) -> None:
        super().__init__(text)
        self.step_id = step_id
        self.text = text


@dataclass
class Inspection:
    done: bool = False  # the step's effect is in place
    busy: bool = False  # something is still happening to the resource: wait
    blocked: str = ""  # the precondition does not hold (why)
    found: str = ""  # the id of what a create step made, if seen
    known: list[str] = field(default_factory=list)  # same-named resources before the call


class RestoreRunner:
    def __init__(
        self,
        client: CloudClient,
        plan: RestorePlan,
        *,
        await_job: AwaitJob | None = None,
        journal: Journal | None = None,
        on_event: Callable[[RestoreEvent], None] | None = None,
        settle_s: float = 15.0,
        poll_s: float = 0.5,
        undo_attempts: int = 3,
        max_wait_s: float = 3600.0,
    ) -> None:
        self.client = client
        self.plan = plan
        self.journal = journal or Journal.create(plan, endpoint=client.profile.url)
        self.await_job: AwaitJob = await_job or self._poll_job
        self.on_event = on_event
        self.settle_s = settle_s
        self.poll_s = poll_s
        self.undo_attempts = undo_attempts
        self.max_wait_s = max_wait_s
        self.created: dict[str, str] = self.journal.created_resources

    # -- public -----------------------------------------------------------------------

    async def run(self) -> RestoreOutcome:
        if not self.plan.runnable:
            raise PlanBlocked("; ".join(b.reason for b in self.plan.blockers))
        await self._record_original()
        self.journal.set(status="running")
        self._emit(EventKind.RUN_STARTED)
        return await self._forward_all()

    @classmethod
    async def resume(cls, client: CloudClient, journal: Journal, **kwargs: Any,
                     ) -> RestoreOutcome:
        """Continue an interrupted restore forward (or its rollback, if that had begun)."""
        runner = cls(client, journal.plan, journal=journal, **kwargs)
        if journal.status in ("rolling-back", "rollback-failed"):
            return await runner._rollback()
        if journal.finished:
            return await runner._outcome()
        journal.set(status="running")
        runner._emit(EventKind.RUN_STARTED, state="resumed")
        return await runner._forward_all()

    @classmethod
    async def rollback_from(cls, client: CloudClient, journal: Journal, **kwargs: Any,
                            ) -> RestoreOutcome:
        """Undo an interrupted restore: settle the step in flight, then walk back."""
        runner = cls(client, journal.plan, journal=journal, **kwargs)
        if journal.status == "rolled-back":
            return await runner._outcome()
        for step in runner.plan.steps:
            rec = journal.step(step.id)
            if rec.get("status") == "running":
                rec["status"] = "done" if await runner._reconcile(step, rec) else "failed"
                journal.save()
        return await runner._rollback()

    # -- forward ----------------------------------------------------------------------

    async def _record_original(self) -> None:
        plan = self.plan
        if plan.vm is None:
            return
        vm = await self.client.virtual_machine(plan.vm["id"])
        if vm is None:
            raise PlanBlocked(f"{plan.vm['name']} no longer exists")
        if vm.state != plan.vm["state"]:
            raise PlanBlocked(f"{vm.name} is {vm.state} now, not {plan.vm['state']} as when the "
                              "plan was made: plan again")
        volumes = await self.client.volumes_of(vm.id)
        root = next((v for v in volumes if v.deviceid == 0), None)
        if plan.original_root and plan.mode is Mode.ROOT_SWAP and (
                root is None or root.id != plan.original_root["id"]):
            raise PlanBlocked(f"{vm.name}'s root disk changed since the plan was made: plan again")
        self.journal.data["original"] = {
            "vm_id": vm.id, "vm_name": vm.name, "vm_state": vm.state,
            "root_id": root.id if root else "", "root_name": root.name if root else "",
            "volume_ids": [v.id for v in volumes],
        }
        self.journal.save()

    async def _forward_all(self) -> RestoreOutcome:
        for step in self.plan.steps:
            rec = self.journal.step(step.id)
            if rec.get("status") in SETTLED:
                continue
            if rec.get("status") == "failed":  # crashed between the failure and its rollback
                return await self._rollback()
            try:
                await self._forward(step, rec)
            except StepFailed as failure:
                if step.optional:
                    continue  # noted by _fail: not worth undoing a restore over
                self.journal.set(error=failure.text, failed_step=failure.step_id)
                return await self._rollback()
            if step.call.command == "updateVolume":
                await self._check_renamed(step)
        self.journal.set(status="succeeded")
        outcome = await self._outcome()
        self._emit(EventKind.RUN_FINISHED, state="succeeded")
        return outcome

    async def _forward(self, step: Step, rec: dict[str, Any]) -> None:
        # Resumed: it was in flight when we stopped.
        if rec.get("status") == "running" and await self._reconcile(step, rec):
            self._mark(step, rec, "done", EventKind.STEP_FINISHED)
            return
        insp = await self._inspect(step, rec)
        if insp.done:
            self._capture(step, insp.found)
            self._mark(step, rec, "skipped", EventKind.STEP_SKIPPED)
            return
        if insp.blocked:
            self._fail(step, rec, f"precondition failed: {insp.blocked}")
        if step.produces and insp.known and not rec.get("known"):
            self._add_note(
                f"{len(insp.known)} resource(s) named {step.call.params.get('name')} already "
                f"existed ({', '.join(insp.known)}), not created by this restore: left alone.",
                phase="info", save=False)
        rec.update(status="running", started=now_iso(), jobid="", error="", known=insp.known)
        self.journal.save()
        self._emit(EventKind.STEP_STARTED, step, state="running")
        try:
            await self._execute(step, rec)
        except StepFailed as failure:
            self._fail(step, rec, failure.text)
        except CloudError as err:
            text = err.text
            if err.kind in UNCERTAIN:
                self._emit(EventKind.STEP_UNCERTAIN, step, state="checking", error=text)
                if await self._reconcile(step, rec):
                    self._mark(step, rec, "done", EventKind.STEP_FINISHED)
                    return
                text = f"{err.text} (checked afterwards: it did not take effect)"
            elif (await self._inspect(step, rec)).done:
                if step.optional:  # failed, yet in place: as good as done
                    self._mark(step, rec, "done", EventKind.STEP_FINISHED)
                    return
                rec["applied"] = True  # failed, yet in place: roll it back as well
            self._fail(step, rec, text, jobid=err.jobid or rec.get("jobid") or "")
        self._mark(step, rec, "done", EventKind.STEP_FINISHED)

    def _fail(self, step: Step, rec: dict[str, Any], text: str, *, jobid: str = "") -> None:
        if step.optional:
            # Status and note in one save: a crash right after must not lose the note.
            rec.update(status="optional-failed", finished=now_iso(), error=text)
            self._add_note(self._optional_note(step, text), phase="forward", save=False)
            self.journal.save()
            self._emit(EventKind.STEP_OPTIONAL_FAILED, step, state="optional-failed",
                       error=text, jobid=jobid)
            raise StepFailed(step.id, text)
        rec.update(status="failed", finished=now_iso(), error=text)
        self.journal.save()
        self._emit(EventKind.STEP_FAILED, step, state="failed", error=text, jobid=jobid)
        raise StepFailed(step.id, text)

    def _add_note(self, text: str, *, phase: str, save: bool = True) -> None:
        """A note for the result, kept in the journal so a resumed run still reports it.
        `phase` "forward" notes are shown only if the restore succeeds (after a rollback
        they describe a state that no longer exists)."""
        self.journal.data.setdefault("notes", []).append({"phase": phase, "text": text})
        if save:
            self.journal.save()

    def _optional_note(self, step: Step, text: str, *, forward: Step | None = None) -> str:
        """What an optional step's failure leaves behind, in words. `forward` is the step
        whose undo `step` is."""
        if step.call.command != "updateVolume":
            return f"{step.title}: not done ({text})."
        vol_id = step.call.params.get("id", "")
        if forward is not None:  # renaming back during a rollback
            return (f"Could not rename {forward.call.params.get('name')} back to "
                    f"{step.call.params.get('name')}: {text}; it is kept under the new name, "
                    f"id {vol_id}.")
        old = step.undo.call.params.get("name") if step.undo is not None else vol_id
        return f"Could not rename {old}: {text}; it is kept, detached, id {vol_id}."

    async def _check_renamed(self, step: Step) -> None:
        """A rename the server accepted may still not have happened: servers older than
        updateVolume's `name` ignore it and answer success. Read it back."""
        if self.journal.step(step.id).get("status") not in ("done", "skipped"):
            return
        want = step.call.params.get("name")
        vol_id = str(step.call.params.get("id", ""))
        old = step.undo.call.params.get("name") if step.undo is not None else vol_id
        try:
            vol = await self.client.volume(vol_id)
        except CloudError as err:
            self._add_note(f"Could not read {old} back to check its rename: {err.text}.",
                           phase="forward")
            return
        if vol is not None and want and vol.name != want:
            self._add_note(
                f"The server accepted the rename of {old} but did not do it (older CloudStack "
                f"versions ignore updateVolume's name); it is kept, detached, as {vol.name}, "
                f"id {vol_id}.", phase="forward")

    def _mark(self, step: Step, rec: dict[str, Any], status: str, kind: EventKind) -> None:
        rec.update(status=status, finished=now_iso())
        self.journal.save()
        self._emit(kind, step, state=status, jobid=rec.get("jobid") or "")

    # -- one call ---------------------------------------------------------------------

    def _resolve(self, params: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in params.items():
            if isinstance(value, str) and value.startswith("$"):
                ref = value[1:]
                if ref not in self.created:
                    raise StepFailed("", f"{ref} was never created")
                value = self.created[ref]
            out[key] = value
        return out

    def _capture(self, step: Step, entity_id: str | None) -> None:
        if step.produces and entity_id and self.created.get(step.produces) != entity_id:
            self.created[step.produces] = entity_id
            self.journal.data["created_resources"] = dict(self.created)
            self.journal.save()

    async def _execute(self, step: Step, rec: dict[str, Any]) -> None:
        result = await self._call(step.call.command, self._resolve(step.call.params))
        if isinstance(result, JobStarted):
            rec["jobid"] = result.jobid
            self._capture(step, result.entity_id)  # create-type: the entity exists already
            self.journal.save()
            self._emit(EventKind.STEP_JOB, step, jobid=result.jobid, state="job started")
            job = await self.await_job(result)
            if not job.succeeded:
                raise CloudError(step.call.command, job.error_text or "the job failed",
                                 kind=ErrorKind.JOB_FAILED, code=job.resultcode or None,
                                 jobid=job.jobid)
            self._capture(step, _result_id(job))
        elif isinstance(result, SnapshotPolicy):
            self._capture(step, result.id)

    async def _call(self, command: str, p: dict[str, Any]) -> JobStarted | SnapshotPolicy | None:
        c = self.client
        if command == "createVolume":
            return await c.create_volume_from_snapshot(
                p["snapshotid"], name=p["name"], disk_offering_id=p.get("diskofferingid"),
                zone_id=p.get("zoneid"), size_gib=p.get("size"))
        if command == "stopVirtualMachine":
            return await c.stop_vm(p["id"])
        if command == "startVirtualMachine":
            return await c.start_vm(p["id"])
        if command == "detachVolume":
            return await c.detach_volume(p["id"])
        if command == "updateVolume":
            return await c.rename_volume(p["id"], p["name"])
        if command == "attachVolume":
            return await c.attach_volume(p["id"], p["virtualmachineid"],
                                         device_id=p.get("deviceid"))
        if command == "revertSnapshot":
            return await c.revert_snapshot(p["id"])
        if command == "deleteVMSnapshot":
            return await c.delete_vm_snapshot(p["vmsnapshotid"])
        if command == "createSnapshotPolicy":
            return await c.create_snapshot_policy(
                p["volumeid"], interval=p["intervaltype"], schedule=p["schedule"],
                timezone=p["timezone"], maxsnaps=int(p["maxsnaps"]))
        if command == "deleteSnapshotPolicies":
            await c.delete_snapshot_policies(str(p["ids"]).split(","))
            return None
        if command == "createTemplate":
            return await c.create_template_from_snapshot(
                p["snapshotid"], name=p["name"], ostype_id=p["ostypeid"],
                displaytext=p.get("displaytext"))
        if command == "deployVirtualMachine":
            nets = p.get("networkids")
            return await c.deploy_vm(
                template_id=p["templateid"], zone_id=p["zoneid"],
                service_offering_id=p["serviceofferingid"], name=p.get("name"),
                network_ids=[nets] if nets else None)
        raise CloudError(command, f"the restore runner cannot run {command}",
                         kind=ErrorKind.PROTOCOL)

    async def _poll_job(self, started: JobStarted) -> AsyncJob:
        return await self.client.wait(started.jobid, poll_s=self.poll_s)

    # -- finding out what happened ----------------------------------------------------

    async def _reconcile(self, step: Step, rec: dict[str, Any]) -> bool:
        """Did a step whose answer we never saw take effect? Waits for its job when the id is
        known; otherwise watches the resources until `settle_s` passes with no trace."""
        jobid = rec.get("jobid")
        if jobid:
            try:
                job = await self.await_job(JobStarted(step.call.command, jobid))
            except CloudError:
                job = None
            if job is not None and job.done:
                if job.succeeded:
                    self._capture(step, _result_id(job))
                    return True
                rec["error"] = job.error_text
                return (await self._inspect(step, rec)).done
        settle = time.monotonic() + self.settle_s
        hard = time.monotonic() + self.max_wait_s
        while True:
            try:
                insp = await self._inspect(step, rec)
            except CloudError as err:
                if not err.transient or time.monotonic() > hard:
                    raise
                insp = Inspection(busy=True)
            if insp.found:
                self._capture(step, insp.found)
            if insp.done:
                return True
            if insp.busy:
                # Something is happening: the call landed. Wait for it, not for the clock.
                settle = max(settle, time.monotonic() + self.poll_s * 4)
            if time.monotonic() > (hard if insp.busy else settle):
                return False
            await asyncio.sleep(self.poll_s)

    async def _inspect(self, step: Step, rec: dict[str, Any]) -> Inspection:
        """Fresh reads: is the step's effect in place, is its precondition true?"""
        c = self.client
        cmd = step.call.command
        try:
            p = self._resolve(step.call.params)
        except StepFailed as err:
            return Inspection(blocked=err.text)
        if cmd == "createVolume":
            return await self._inspect_create(step, rec, p)
        if cmd in ("stopVirtualMachine", "startVirtualMachine"):
            vm = await c.virtual_machine(p["id"])
            if vm is None:
                return Inspection(blocked="the VM no longer exists")
            want = "Stopped" if cmd == "stopVirtualMachine" else "Running"
            if vm.state == want:
                return Inspection(done=True)
            if vm.state in BUSY_VM_STATES or vm.raw.get("jobid"):
                return Inspection(busy=True)
            if cmd == "stopVirtualMachine":
                return Inspection() if vm.running else Inspection(blocked=f"{vm.name} is "
                                                                          f"{vm.state}")
            if not vm.stopped:
                return Inspection(blocked=f"{vm.name} is {vm.state}")
            vols = await c.volumes_of(vm.id)
            if not any(v.deviceid == 0 and v.is_root for v in vols):
                return Inspection(blocked=f"{vm.name} has no ROOT disk at device 0")
            return Inspection()
        if cmd == "detachVolume":
            vol = await c.volume(p["id"])
            if vol is None:
                return Inspection(blocked=f"volume {p['id']} no longer exists")
            if not vol.attached:
                return Inspection(done=True)
            if vol.raw.get("jobid"):
                return Inspection(busy=True)
            return await self._vm_allows(vol.virtualmachineid, root=vol.is_root)
        if cmd == "updateVolume":  # a rename: done when the volume has the name
            vol = await c.volume(p["id"])
            if vol is None:
                return Inspection(blocked=f"volume {p['id']} no longer exists")
            if vol.name == p.get("name"):
                return Inspection(done=True)
            if vol.raw.get("jobid"):
                return Inspection(busy=True)
            return Inspection()
        if cmd == "attachVolume":
            vol = await c.volume(p["id"])
            if vol is None:
                return Inspection(blocked=f"volume {p['id']} no longer exists")
            dev = p.get("deviceid")
            if vol.virtualmachineid == p["virtualmachineid"] and (
                    dev is None or vol.deviceid == int(dev)):
                return Inspection(done=True)
            if vol.raw.get("jobid") or vol.state in BUSY_VOLUME_STATES - {"Allocated"}:
                return Inspection(busy=True)
            if vol.attached:
                return Inspection(blocked=f"{vol.name} is attached to {vol.vmname or 'a VM'}")
            if vol.state not in ("Ready", "Allocated"):
                return Inspection(blocked=f"{vol.name} is {vol.state}")
            allowed = await self._vm_allows(p["virtualmachineid"], root=dev is not None
                                            and int(dev) == 0)
            if allowed.blocked or dev is None:
                return allowed
            taken = [v for v in await c.volumes_of(p["virtualmachineid"])
                     if v.deviceid == int(dev)]
            if taken:
                return Inspection(blocked=f"device {dev} is taken by {taken[0].name}")
            return allowed
        if cmd == "revertSnapshot":
            snap = await c.snapshot(p["id"])
            if snap is None:
                return Inspection(blocked="the snapshot no longer exists")
            if snap.raw.get("jobid"):
                return Inspection(busy=True)
            vol = await c.volume(snap.volumeid)
            if vol is None or vol.state != "Ready":
                return Inspection(blocked="the volume is not Ready")
            if vol.attached:
                return await self._vm_allows(vol.virtualmachineid, root=True)
            return Inspection()
        if cmd == "deleteVMSnapshot":
            found = await c.vm_snapshots(vmsnapshotid=p["vmsnapshotid"])
            if not found:
                return Inspection(done=True)
            if found[0].state in ("Expunging", "Creating", "Reverting") or found[0].raw.get(
                    "jobid"):
                return Inspection(busy=True)
            return Inspection()
        if cmd == "createSnapshotPolicy":
            vol = await c.volume(p["volumeid"])
            if vol is None:
                return Inspection(blocked=f"volume {p['volumeid']} no longer exists")
            for pol in await c.snapshot_policies(vol.id):
                if pol.interval == str(p["intervaltype"]).upper() and \
                        pol.schedule == p["schedule"] and pol.volumeid == vol.id:
                    return Inspection(done=True, found=pol.id)
            if vol.state != "Ready":
                return Inspection(busy=vol.state in BUSY_VOLUME_STATES,
                                  blocked="" if vol.state in BUSY_VOLUME_STATES
                                  else f"{vol.name} is {vol.state}")
            return Inspection()
        if cmd == "deleteSnapshotPolicies":
            ids = str(p["ids"]).split(",")
            left = []
            for pid in ids:
                left += await c.list_all("listSnapshotPolicies", "snapshotpolicy", id=pid)
            return Inspection(done=not left)
        if cmd == "createTemplate":
            return await self._inspect_made(
                step, rec, p["name"], [t for t in await c.templates("self")],
                lambda t: Inspection(done=t.isready, busy=not t.isready, found=t.id))
        if cmd == "deployVirtualMachine":
            mine_id = self.created.get(step.produces or "")
            vm = await c.virtual_machine(mine_id) if mine_id else None
            return await self._inspect_made(
                step, rec, p.get("name") or "",
                [vm] if vm is not None else await c.virtual_machines(name=p.get("name")),
                lambda v: Inspection(done=v.running, busy=v.state in BUSY_VM_STATES, found=v.id,
                                     blocked="" if v.running or v.state in BUSY_VM_STATES
                                     else f"{v.name} is {v.state}"))
        return Inspection(blocked=f"cannot check {cmd}")

    async def _inspect_create(self, step: Step, rec: dict[str, Any], p: dict[str, Any],
                              ) -> Inspection:
        """A volume this step makes is known by the id its call returned (or its job's);
        only a call whose answer was lost looks further (`_lost_create`)."""
        c = self.client
        mine_id = self.created.get(step.produces or "")
        if mine_id:
            vol = await c.volume(mine_id)
            if vol is None:
                return Inspection(blocked=f"the volume this restore created ({mine_id}) is gone")
            return _volume_progress(vol)
        same = [v for v in await c.volumes(name=p["name"]) if v.name == p["name"]]
        if rec.get("status") == "running":  # sent, but no id came back
            found = await self._lost_create(step, rec, {v.id: v for v in same})
            if found is not None:
                return _volume_progress(found)
        snap = await c.snapshot(p["snapshotid"])
        if snap is None or not snap.backed_up:
            return Inspection(blocked="the snapshot is not BackedUp")
        return Inspection(known=sorted({*(rec.get("known") or []), *(v.id for v in same)}))

    async def _lost_create(self, step: Step, rec: dict[str, Any], same: dict[str, Any],
                           ) -> Any:
        """The resource a create call made when its answer was lost (crash, dropped
        connection): the account's job of that command whose instance is one of the
        same-named resources that were not there before the call. Without a job list (an
        older server, or listAsyncJobs refused), the one such resource, since the name is
        unique to this run. Anything that was there before the call is never taken."""
        known = set(rec.get("known") or [])
        fresh = {i: r for i, r in same.items() if i not in known}
        if not fresh:
            return None
        try:
            jobs = await self.client.jobs()
        except CloudError:
            jobs = []
        for job in jobs:
            if api_name(job.cmd) == step.call.command and job.instanceid in fresh:
                rec["found_by"] = f"job {job.jobid}"
                if not rec.get("jobid"):
                    rec["jobid"] = job.jobid
                return fresh[job.instanceid]
        if len(fresh) == 1:
            rec["found_by"] = "name (unique to this run), not there before the call"
            return next(iter(fresh.values()))
        return None

    async def _inspect_made(self, step: Step, rec: dict[str, Any], name: str,
                            items: list[Any], progress: Callable[[Any], Inspection],
                            ) -> Inspection:
        """Templates and VMs a step makes: by the id it got, else (answer lost) as
        `_lost_create` finds it; a same-named one that was there before is not ours."""
        mine_id = self.created.get(step.produces or "")
        if mine_id:
            mine = [i for i in items if i.id == mine_id]
            if not mine:
                return Inspection(blocked=f"what this restore created ({mine_id}) is gone")
            return progress(mine[0])
        same = {i.id: i for i in items if i.name == name}
        if rec.get("status") == "running":
            found = await self._lost_create(step, rec, same)
            if found is not None:
                return progress(found)
        return Inspection(known=sorted({*(rec.get("known") or []), *same}))

    async def _vm_allows(self, vm_id: str, *, root: bool) -> Inspection:
        """Detach/attach/revert rules of the server, checked before calling."""
        vm = await self.client.virtual_machine(vm_id)
        if vm is None:
            return Inspection(blocked="the VM no longer exists")
        if vm.state in BUSY_VM_STATES:
            return Inspection(busy=True)
        if root and not vm.stopped:
            return Inspection(blocked=f"{vm.name} is {vm.state}, it must be Stopped")
        if vm.state not in ("Running", "Stopped"):
            return Inspection(blocked=f"{vm.name} is {vm.state}")
        vmsnaps = await self.client.vm_snapshots_of(vm.id)
        if vmsnaps:
            names = ", ".join(s.displayname for s in vmsnaps)
            return Inspection(blocked=f"{vm.name} has VM snapshots ({names})")
        return Inspection()

    # -- rollback ---------------------------------------------------------------------

    async def _rollback(self) -> RestoreOutcome:
        journal = self.journal
        journal.set(status="rolling-back")
        self._emit(EventKind.ROLLBACK_STARTED, step_id=journal.data.get("failed_step", ""),
                   error=journal.data.get("error", ""))
        to_undo = [s for s in self.plan.steps
                   if journal.step(s.id).get("status") == "done"
                   or journal.step(s.id).get("applied")]
        for step in reversed(to_undo):
            if step.undo is None:
                continue
            try:
                await self._undo(step.undo)
            except StepFailed as failure:
                if step.undo.optional:  # e.g. renaming back: the re-attach matters more
                    self._add_note(self._optional_note(step.undo, failure.text, forward=step),
                                   phase="rollback")
                    continue
                journal.set(status="rollback-failed",
                            rollback_error=f"{step.undo.title}: {failure.text}")
                self._emit(EventKind.ROLLBACK_FINISHED, state="rollback-failed",
                           error=failure.text)
                return await self._outcome()
        journal.set(status="rolled-back")
        self._emit(EventKind.ROLLBACK_FINISHED, state="rolled-back")
        outcome = await self._outcome()
        self._emit(EventKind.RUN_FINISHED, state="rolled-back")
        return outcome

    async def _undo(self, undo: Step) -> None:
        """One undo step, tried a few times: the rollback is the safety net."""
        rec = self.journal.undo_record(undo.id)
        if rec.get("status") == "done":
            return
        last = ""
        for attempt in range(1, self.undo_attempts + 1):
            if rec.get("status") == "running" and await self._reconcile(undo, rec):
                break
            insp = await self._inspect(undo, rec)
            if insp.done:
                break
            if insp.busy:
                await self._reconcile(undo, rec)
                continue
            if insp.blocked:
                last = f"precondition failed: {insp.blocked}"
                await asyncio.sleep(self.poll_s * attempt)
                continue
            rec.update(status="running", started=now_iso(), jobid="", attempt=attempt)
            self.journal.save()
            self._emit(EventKind.ROLLBACK_STEP_STARTED, undo, state="running")
            try:
                await self._execute(undo, rec)
                break
            except CloudError as err:
                last = err.text
                if err.kind in UNCERTAIN and await self._reconcile(undo, rec):
                    break
                self._emit(EventKind.ROLLBACK_STEP_FAILED, undo, state="retrying",
                           error=err.text, jobid=err.jobid or "")
                await asyncio.sleep(self.poll_s * attempt)
        else:
            rec.update(status="failed", error=last, finished=now_iso())
            self.journal.save()
            self._emit(EventKind.ROLLBACK_STEP_FAILED, undo, state="failed", error=last)
            raise StepFailed(undo.id, last)
        rec.update(status="done", finished=now_iso())
        self.journal.save()
        self._emit(EventKind.ROLLBACK_STEP_FINISHED, undo, state="done",
                   jobid=rec.get("jobid") or "")

    # -- results ----------------------------------------------------------------------

    async def _outcome(self) -> RestoreOutcome:
        """The summary from a final read of the server (restore_report), kept in the
        journal for the history."""
        j = self.journal
        status = j.status if j.status in ("succeeded", "rolled-back", "rollback-failed") \
            else "rollback-failed"
        run_notes = [n["text"] for n in j.data.get("notes", [])
                     if status == "succeeded" or n.get("phase") != "forward"]
        out = RestoreOutcome(status=status, plan_id=self.plan.id,
                             failed_step=j.data.get("failed_step", ""),
                             error=j.data.get("error", ""), notes=run_notes,
                             journal_path=str(j.path))
        if j.data.get("rollback_error"):
            out.notes.insert(0, f"Rollback stopped at {j.data['rollback_error']}.")
        report = build_report(j, await read_server(self.client, j), status)
        out.vm_line, out.disks, out.gone = report.vm_line, report.disks, report.gone
        out.kept = [KeptResource(k["kind"], k["id"], k["name"], k["state"], k["where"])
                    for k in report.kept]
        out.checks, out.next_steps, out.verified = report.checks, report.next_steps, \
            report.verified
        j.set(result=report.to_dict())
        return out

    def _emit(self, kind: EventKind, step: Step | None = None, *, step_id: str = "",
              jobid: str = "", state: str = "", error: str = "") -> None:
        if self.on_event is None:
            return
        rec: dict[str, Any] = {}
        if step is not None:
            rec = (self.journal.data["steps"].get(step.id)
                   or self.journal.data["rollback"].get(step.id) or {})
        elapsed = 0.0
        if rec.get("started"):
            started = datetime.fromisoformat(rec["started"])
            elapsed = (datetime.fromisoformat(now_iso()) - started).total_seconds()
        done = sum(1 for s in self.plan.steps
                   if self.journal.step(s.id).get("status") in SETTLED)
        event = RestoreEvent(kind, step.id if step else step_id, step.title if step else "",
                             jobid, state, elapsed, error, done, len(self.plan.steps))
        try:
            self.on_event(event)
        except Exception:  # a rendering bug must not break a restore half-way
            log.exception("restore event handler failed")


def _volume_progress(vol: Any) -> Inspection:
    if vol.state == "Ready":
        return Inspection(done=True, found=vol.id)
    if vol.state in BUSY_VOLUME_STATES or vol.raw.get("jobid"):
        return Inspection(busy=True, found=vol.id)
    return Inspection(found=vol.id, blocked=f"{vol.name} is {vol.state}")


def _result_id(job: AsyncJob) -> str | None:
    result = job.result or {}
    for key in ("volume", "template", "virtualmachine", "snapshot"):
        obj = result.get(key)
        if isinstance(obj, dict) and obj.get("id"):
            return str(obj["id"])
    return None
