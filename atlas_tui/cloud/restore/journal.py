"""The restore journal: one JSON file per restore in ``state_dir()/restores/<id>.json``.

Written (temp file + ``os.replace``, so a crash leaves the old or the new file, never half of
one) before and after every step, so that after a crash the next start knows exactly what was
done, which job was in flight, and what was there before. Format (``format`` 1)::

    {
      "format": 1, "id": "<plan id>", "status": "planned|running|rolling-back|succeeded|
                                                 rolled-back|rollback-failed",
      "created": ISO, "updated": ISO, "endpoint": "<API url, credentials masked>",
      "plan": { RestorePlan.to_dict() }: each step's "call" is {"command", "params"} (the API
              call) plus, from typed operations on, an optional "context" (what the
              operation knows but does not send: see restore/operations.py); journals
              without it still load, resume and roll back (their undo steps are stored),
      "original": {"vm_id", "vm_name", "vm_state", "root_id", "root_name", "volume_ids"},
      "created_resources": {"new_volume": "<id>", "policy_daily": "<id>", ...},
      "steps": {"<step id>": {"status": "pending|running|done|failed|skipped|
                                         optional-failed",
                              "jobid", "started", "finished", "error",
                              "known": [ids of same-named resources before a create],
                              "applied": true if it failed yet took effect}},
      "rollback": {"<undo step id>": {same shape, plus "attempt"}},
      "error": "<the server's text of the failure>", "failed_step": "<step id>",
      "rollback_error": "<undo step title: text>" (only when the rollback stopped),
      "notes": [{"phase": "forward|rollback", "text": "..."}]  (optional steps that failed;
                absent in journals written before optional steps existed)
    }

A step is "running" from just before its call until its outcome is known; after a crash,
its job id (when the server's answer arrived) lets the next start look the job up.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from atlas_tui.cloud.api.redact import redact_url
from atlas_tui.cloud.private_files import private_dir, state_dir, tighten
from atlas_tui.cloud.restore.plan import RestorePlan

JOURNAL_FORMAT = 1
FINISHED = frozenset({"succeeded", "rolled-back"})


def restores_dir() -> Path:
    return private_dir(state_dir() / "restores")


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class Journal:
    def __init__(self, path: Path, data: dict[str, Any]) -> None:
        self.path = path
        self.data = data
        self._plan: RestorePlan | None = None

    @classmethod
    def create(cls, plan: RestorePlan, directory: Path | None = None, *,
               endpoint: str = "") -> Journal:
        path = (directory or restores_dir()) / f"{plan.id}.json"
        data: dict[str, Any] = {
            "format": JOURNAL_FORMAT, "id": plan.id, "status": "planned",
            "created": now_iso(), "updated": now_iso(),
            "endpoint": redact_url(endpoint) if endpoint else "",  # no user:pass@, no token
            "plan": plan.to_dict(), "original": {}, "created_resources": {},
            "steps": {s.id: {"status": "pending"} for s in plan.steps},
            "rollback": {}, "error": "", "failed_step": "",
        }
        journal = cls(path, data)
        journal._plan = plan
        journal.save()
        return journal

    @classmethod
    def load(cls, path: Path) -> Journal:
        tighten(path)  # a journal from an older version may be world-readable
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("format") != JOURNAL_FORMAT:
            raise ValueError(f"{path}: not a restore journal of format {JOURNAL_FORMAT}")
        return cls(path, data)

    @classmethod
    def unfinished(cls, directory: Path | None = None) -> list[Journal]:
        """Restores a crash left behind (running, rolling back, or a failed rollback)."""
        found: list[Journal] = []
        for path in sorted((directory or restores_dir()).glob("*.json")):
            try:
                journal = cls.load(path)
            except (OSError, ValueError):
                continue  # a foreign or unreadable file is not ours to judge
            if journal.status not in FINISHED and journal.status != "planned":
                found.append(journal)
        return found

    @classmethod
    def prune(cls, directory: Path | None = None, *, keep_days: int = 90,
              now: datetime | None = None) -> list[Path]:
        """Delete journals of restores that finished (or were only planned) more than
        `keep_days` ago; an unfinished one is never deleted, however old."""
        now = now or datetime.now(UTC)
        removed: list[Path] = []
        for path in sorted((directory or restores_dir()).glob("*.json")):
            try:
                journal = cls.load(path)
                updated = datetime.fromisoformat(str(journal.data.get("updated", "")))
            except (OSError, ValueError):
                continue  # not ours to judge, so not ours to delete
            if updated.tzinfo is None:
                updated = updated.replace(tzinfo=UTC)
            done = journal.finished or journal.status == "planned"
            if done and (now - updated).days >= keep_days:
                with contextlib.suppress(OSError):
                    path.unlink()
                    removed.append(path)
        return removed

    # -- reading ----------------------------------------------------------------------

    @property
    def id(self) -> str:
        return str(self.data["id"])

    @property
    def status(self) -> str:
        return str(self.data.get("status", ""))

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def plan(self) -> RestorePlan:
        if self._plan is None:
            self._plan = RestorePlan.from_dict(self.data["plan"])
        return self._plan

    @property
    def original(self) -> dict[str, Any]:
        return dict(self.data.get("original") or {})

    @property
    def created_resources(self) -> dict[str, str]:
        return dict(self.data.get("created_resources") or {})

    def step(self, step_id: str) -> dict[str, Any]:
        return self.data["steps"].setdefault(step_id, {"status": "pending"})

    def undo_record(self, step_id: str) -> dict[str, Any]:
        return self.data["rollback"].setdefault(step_id, {"status": "pending"})

    def summary(self) -> str:
        plan = self.plan
        done = sum(1 for s in plan.steps
                   if self.step(s.id)["status"] in ("done", "skipped", "optional-failed"))
        where = plan.vm["name"] if plan.vm else plan.snapshot["name"]
        return (f"{plan.mode.value} of {where} from {plan.snapshot['name']}: {self.status}, "
                f"{done}/{len(plan.steps)} steps done")

    # -- writing ----------------------------------------------------------------------

    def set(self, **fields: Any) -> None:
        self.data.update(fields)
        self.save()

    def save(self) -> None:
        self.data["updated"] = now_iso()
        private_dir(self.path.parent)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.stem}.", suffix=".tmp",
                                   dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(self.data, fh, indent=1, sort_keys=False)
                fh.flush()
                os.fsync(fh.fileno())  # the point of a journal is to survive a crash
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
