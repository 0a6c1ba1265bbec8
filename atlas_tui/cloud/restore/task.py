"""One restore as the App runs it: the runner's events kept and published, and its jobs
registered with the App's JobTracker (so they show in the jobs panel and are polled with
everything else, not by a poller of their own)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from atlas_tui.cloud.api.client import CloudClient
from atlas_tui.cloud.api.models import AsyncJob, JobStarted
from atlas_tui.cloud.jobs import JobTracker
from atlas_tui.cloud.restore.journal import Journal
from atlas_tui.cloud.restore.plan import RestorePlan
from atlas_tui.cloud.restore.runner import RestoreEvent, RestoreOutcome, RestoreRunner

log = logging.getLogger(__name__)

# Labels of the jobs a restore starts: the App leaves their toasts to the restore's own.
RESTORE_LABEL_PREFIX = "Restore "


@dataclass(eq=False)
class RestoreTask:
    plan: RestorePlan
    events: list[RestoreEvent] = field(default_factory=list)
    outcome: RestoreOutcome | None = None
    failure: str = ""  # a refusal before anything ran (PlanBlocked, a read error)
    error: Exception | None = None  # what `failure` came from (its traceback, for the log)
    _subscribers: list[Callable[[RestoreTask], object]] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return self.outcome is not None or bool(self.failure)

    @property
    def where(self) -> str:
        return self.plan.vm["name"] if self.plan.vm else self.plan.snapshot["name"]

    def subscribe(self, callback: Callable[[RestoreTask], object]) -> Callable[[], None]:
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback) if callback in self._subscribers \
            else None

    def _publish(self) -> None:
        for callback in list(self._subscribers):
            try:
                callback(self)
            except Exception:  # a broken view must never stop a restore
                log.exception("restore subscriber failed")

    def emit(self, event: RestoreEvent) -> None:
        self.events.append(event)
        self._publish()

    def waiter(self, tracker: JobTracker) -> Callable[[JobStarted], object]:
        async def wait(started: JobStarted) -> AsyncJob:
            tracker.track(started, label=f"{RESTORE_LABEL_PREFIX}{self.where}: {started.command}",
                          target=self.where)
            return await tracker.wait(started.jobid)

        return wait

    async def run(self, client: CloudClient, tracker: JobTracker, *,
                  journal: Journal | None = None, rollback: bool = False) -> None:
        """Run the plan; or, given a journal left by a crash, resume it or roll it back."""
        kwargs: dict[str, Any] = {"await_job": self.waiter(tracker), "on_event": self.emit}
        try:
            if journal is None:
                self.outcome = await RestoreRunner(client, self.plan, **kwargs).run()
            elif rollback:
                self.outcome = await RestoreRunner.rollback_from(client, journal, **kwargs)
            else:
                self.outcome = await RestoreRunner.resume(client, journal, **kwargs)
        except Exception as e:  # PlanBlocked, CloudError on the first read...
            self.failure = str(e) or type(e).__name__
            self.error = e
        self._publish()
