"""The async job engine.

A job is a list of steps, each run a number of simulated seconds after the previous one. The
first steps with no delay run at submission, still inside the job: a rule the real server checks
in a command's ``execute()`` therefore fails the job (jobstatus 2, errorcode 530), not the HTTP
request. A step may raise ``JobError`` to fail the job or return ``HALT`` to leave it pending
forever (a stuck job). ``on_fail`` puts resources back the way a failed job leaves them.

Fault injection: ``fail_at`` names the step before which the job fails ("start" is the first
step, "end" is after the last one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from .errors import INTERNAL_ERROR, INTERNAL_TEXT, JobError
from .model import Job
from .state import SimState

HALT = object()

CMD_PACKAGE = "org.apache.cloudstack.api.command.user."
CMD_CLASSES: dict[str, str] = {
    "createSnapshot": "snapshot.CreateSnapshotCmd",
    "deleteSnapshot": "snapshot.DeleteSnapshotCmd",
    "revertSnapshot": "snapshot.RevertSnapshotCmd",
    "createVMSnapshot": "vmsnapshot.CreateVMSnapshotCmd",
    "revertToVMSnapshot": "vmsnapshot.RevertToVMSnapshotCmd",
    "deleteVMSnapshot": "vmsnapshot.DeleteVMSnapshotCmd",
    "createVolume": "volume.CreateVolumeCmd",
    "attachVolume": "volume.AttachVolumeCmd",
    "detachVolume": "volume.DetachVolumeCmd",
    "updateVolume": "volume.UpdateVolumeCmd",
    "stopVirtualMachine": "vm.StopVMCmd",
    "startVirtualMachine": "vm.StartVMCmd",
    "deployVirtualMachine": "vm.DeployVMCmd",
    "createTemplate": "template.CreateTemplateCmd",
}


@dataclass(slots=True)
class Step:
    name: str
    delay: float
    action: Callable[[], object]


@dataclass(slots=True)
class JobPlan:
    steps: list[Step]
    result: Callable[[], dict[str, object]]
    on_fail: Callable[[], None] | None = None
    entities: list[object] = field(default_factory=list)  # objects that show jobid/jobstatus


class JobEngine:
    def __init__(self, state: SimState) -> None:
        self.state = state
        # Set by the fault layer: (command) -> (fail point, errortext or None) or None.
        self.fault_hook: Callable[[str], tuple[str, str | None] | None] | None = None
        self.default_failure_texts: dict[str, Callable[[Job], str]] = {}

    def submit(
        self,
        command: str,
        plan: JobPlan,
        instance_type: str | None = None,
        instance_id: str | None = None,
    ) -> Job:
        state = self.state
        job = Job(
            id=state.new_uuid(),
            dbid=state.new_dbid("job"),
            command=command,
            cmd_class=CMD_PACKAGE + CMD_CLASSES.get(command, command),
            created=state.now(),
            instance_type=instance_type,
            instance_id=instance_id,
        )
        state.jobs[job.id] = job
        for entity in plan.entities:
            entity.job_id = job.id  # type: ignore[attr-defined]
        injected = self.fault_hook(command) if self.fault_hook else None
        self._run(job, plan, 0, injected, delayed=False)
        return job

    def _run(
        self,
        job: Job,
        plan: JobPlan,
        index: int,
        injected: tuple[str, str | None] | None,
        delayed: bool,
    ) -> None:
        steps = plan.steps
        while index < len(steps):
            step = steps[index]
            if step.delay > 0 and not delayed:
                self.state.after(
                    step.delay, partial(self._run, job, plan, index, injected, delayed=True)
                )
                return
            delayed = False
            point = injected[0].lower() if injected else ""
            hit = point == step.name.lower() or (point == "start" and index == 0)
            if injected and point and hit:
                self._fail(job, plan, JobError(injected[1] or self._default_text(job)))
                return
            try:
                outcome = step.action()
            except JobError as err:
                self._fail(job, plan, err)
                return
            except Exception as exc:  # a simulator bug: the job fails as on an internal error
                self.state.unexpected.append((job.command, exc))
                self._fail(job, plan, JobError(INTERNAL_TEXT))
                return
            if outcome is HALT:
                return
            index += 1
        if injected and injected[0].lower() == "end":
            self._fail(job, plan, JobError(injected[1] or self._default_text(job)))
            return
        try:
            result = plan.result()
        except Exception as exc:  # a simulator bug in the result's rendering
            self.state.unexpected.append((job.command, exc))
            self._fail(job, plan, JobError(INTERNAL_TEXT))
            return
        self._finish(job, plan, 1, 0, result)

    def _default_text(self, job: Job) -> str:
        maker = self.default_failure_texts.get(job.command)
        return maker(job) if maker else INTERNAL_TEXT

    def _fail(self, job: Job, plan: JobPlan, err: JobError) -> None:
        if plan.on_fail is not None:
            plan.on_fail()
        code = err.errorcode or INTERNAL_ERROR
        self._finish(job, plan, 2, code, {"errorcode": code, "errortext": err.errortext})

    def _finish(
        self, job: Job, plan: JobPlan, status: int, code: int, result: dict[str, object]
    ) -> None:
        job.status = status
        job.result_code = code
        job.result = result
        job.completed = self.state.now()
        for entity in plan.entities:
            if getattr(entity, "job_id", None) == job.id:
                entity.job_id = None  # type: ignore[attr-defined]
        self.state.touch()
