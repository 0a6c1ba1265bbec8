"""Worker failures reach the one error handler, whichever node ran the worker.

Textual tells only the node that started a worker that it failed (`Worker.StateChanged`
does not bubble), and quits the app when a worker with `exit_on_error=True` raises. So every
worker here runs with `exit_on_error=False` (a test holds every `@work` to it), and every
class that starts workers mixes this in: a worker in state ERROR is handed to the App's
`report(error, what)` with a label saying what failed. Nothing vanishes, nothing quits.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual.worker import Worker, WorkerState


class ReportsWorkerErrors:
    """Mix into a Screen (or the App) before the Textual base class."""

    # Worker name (the method's name for `@work`) -> what the user reads: "<label> failed".
    WORK_LABELS: ClassVar[dict[str, str]] = {}

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if event.state is not WorkerState.ERROR or worker.error is None:
            return
        app: Any = getattr(self, "app", self)
        app.report(worker.error, what=self.work_label(worker.name))
        self.work_failed(worker.name, worker.error)

    def work_failed(self, name: str, error: BaseException) -> None:
        """After the report: a screen puts its own state right here ("saving…" is over)."""

    def work_label(self, name: str) -> str:
        for cls in type(self).__mro__:
            labels = cls.__dict__.get("WORK_LABELS") or {}
            if name in labels:
                return str(labels[name])
        action = name.removeprefix("action_")
        if action != name:
            description = self._binding_description(action)
            if description:
                return description
        if not action.isidentifier():  # a name given to run_worker: a title, kept as written
            return action or "A background task"
        words = action.strip("_").replace("_", " ")
        return words[:1].upper() + words[1:] or "A background task"

    def _binding_description(self, action: str) -> str | None:
        for cls in type(self).__mro__:
            for binding in cls.__dict__.get("BINDINGS", ()):
                if getattr(binding, "action", None) == action and binding.description:
                    return str(binding.description)
        return None
