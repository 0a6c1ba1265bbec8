"""The World: what every domain operation acts on."""

from __future__ import annotations

from dataclasses import dataclass

from ..faults import FaultSet
from ..jobs import JobEngine, JobPlan
from ..model import Job
from ..state import SimState


@dataclass(slots=True)
class World:
    state: SimState
    jobs: JobEngine
    faults: FaultSet  # read by operations whose outcome a fault may change (a stuck snapshot)

    def submit(
        self, command: str, plan: JobPlan, instance_type: str | None, instance_id: str | None
    ) -> Job:
        """Start ``plan`` as the async job of ``command``; its zero-delay steps run now."""
        job = self.jobs.submit(command, plan, instance_type, instance_id)
        self.state.touch()
        return job
