"""Running a restore plan: forward step by step, and back along the undo steps on failure.

- Before each step its precondition is checked against fresh reads (the step's operation
  inspects itself: `operations`). A step whose effect is already in place is skipped, which is
  also what makes `resume` safe.
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
from atlas_tui.cloud.restore.journal import Journal, now_iso
from atlas_tui.cloud.restore.operations import (
    Inspection,
    Look,
    Operation,
    RenameVolume,
    UnresolvedRef,
)
from atlas_tui.cloud.restore.plan import Mode, RestorePlan, Step
from atlas_tui.cloud.restore.report import Check, build_report, read_server

log = logging.getLogger(__name__)

AwaitJob = Callable[[JobStarted], Awaitable[AsyncJob]]
UNCERTAIN = frozenset({ErrorKind.UNKNOWN_OUTCOME, ErrorKind.TIMEOUT, ErrorKind.TRANSPORT})
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
            if isinstance(step.call, RenameVolume):
                await self._check_renamed(step, step.call)
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
        rename = step.call
        if not isinstance(rename, RenameVolume):
            return f"{step.title}: not done ({text})."
        if forward is not None:  # renaming back during a rollback
            return (f"Could not rename {forward.call.params.get('name')} back to "
                    f"{rename.name}: {text}; it is kept under the new name, "
                    f"id {rename.volume_id}.")
        return (f"Could not rename {_old_name(step, rename)}: {text}; it is kept, detached, "
                f"id {rename.volume_id}.")

    async def _check_renamed(self, step: Step, rename: RenameVolume) -> None:
        """A rename the server accepted may still not have happened: servers older than
        updateVolume's `name` ignore it and answer success. Read it back."""
        if self.journal.step(step.id).get("status") not in ("done", "skipped"):
            return
        want, vol_id, old = rename.name, rename.volume_id, _old_name(step, rename)
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

    def _resolve(self, op: Operation) -> Operation:
        try:
            return op.resolve(self.created)
        except UnresolvedRef as err:
            raise StepFailed("", str(err)) from None

    def _capture(self, step: Step, entity_id: str | None) -> None:
        if step.produces and entity_id and self.created.get(step.produces) != entity_id:
            self.created[step.produces] = entity_id
            self.journal.data["created_resources"] = dict(self.created)
            self.journal.save()

    async def _execute(self, step: Step, rec: dict[str, Any]) -> None:
        result = await self._resolve(step.call).send(self.client)
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
        """Fresh reads: is the step's effect in place, is its precondition true? (the
        operation's own rules: `operations`)."""
        try:
            op = self._resolve(step.call)
        except StepFailed as err:
            return Inspection(blocked=err.text)
        return await op.inspect(self.client, Look(rec, self.created.get(step.produces or "", "")))

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


def _old_name(step: Step, rename: RenameVolume) -> str:
    """The replaced disk's name before the rename (journals from before operations knew it
    have it in the undo step only)."""
    if rename.old_name:
        return rename.old_name
    if step.undo is not None and isinstance(step.undo.call, RenameVolume):
        return step.undo.call.name
    return rename.volume_id


def _result_id(job: AsyncJob) -> str | None:
    result = job.result or {}
    for key in ("volume", "template", "virtualmachine", "snapshot"):
        obj = result.get(key)
        if isinstance(obj, dict) and obj.get("id"):
            return str(obj["id"])
    return None
