"""What `:jobs` shows beyond the jobs this session tracks: the account's recent jobs as the
server lists them (listAsyncJobs keeps finished ones for a while), and this profile's past
actions from the audit log (so a restart loses nothing worth seeing)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from atlas_tui.cloud.api.commands import api_name, verb_of
from atlas_tui.cloud.api.models import AsyncJob, JobStatus

TARGET_KEYS = ("name", "id", "volumeid", "virtualmachineid", "snapshotid", "vmsnapshotid")


@dataclass(frozen=True)
class PastAction:
    """One line of the audit log: a mutating call this profile made."""

    time: str  # ISO UTC
    command: str
    target: str
    outcome: str  # accepted / error: ... / refused: read-only
    jobid: str

    @property
    def label(self) -> str:
        return f"{verb_of(self.command)} {self.target}".strip()


def _target(params: dict[str, Any]) -> str:
    for key in TARGET_KEYS:
        if params.get(key):
            return str(params[key])
    return ""


def past_actions(path: Path, profile: str, limit: int = 200) -> list[PastAction]:
    """The newest `limit` lines of `profile` in the audit log, newest first. A line that is
    not JSON (a crash mid-write) is skipped."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    out: list[PastAction] = []
    for line in reversed(lines):
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if not isinstance(entry, dict) or entry.get("profile") != profile:
            continue
        params = raw if isinstance(raw := entry.get("params"), dict) else {}
        out.append(PastAction(str(entry.get("time", "")), str(entry.get("command", "")),
                              _target(params), str(entry.get("outcome", "")),
                              str(entry.get("jobid") or "")))
        if len(out) >= limit:
            break
    return out


def job_words(job: AsyncJob, names: dict[str, str] | None = None) -> tuple[str, str]:
    """(label, state) of a job the server listed: "Create volume DATA-42", "succeeded".
    `names`: id -> name of what the app knows (else a short id)."""
    command = api_name(job.cmd)
    target = (names or {}).get(job.instanceid) or job.instanceid[:8]
    label = f"{verb_of(command)} {target}".strip()
    state = {JobStatus.PENDING: "pending", JobStatus.SUCCEEDED: "succeeded"}.get(
        job.status, "failed")
    if job.status is JobStatus.FAILED and job.error_text:
        state = f"failed: {job.error_text}"
    return label, state


def server_job_diagnostic(job: AsyncJob, label: str) -> str:
    """Plain text for a support ticket about a job the server listed (not tracked here)."""
    def at(when: object) -> str:
        return when.strftime("%Y-%m-%d %H:%M:%S UTC") if hasattr(when, "strftime") else "-"

    return "\n".join([
        f"atlas-tui job diagnostic: {label}",
        f"job id:        {job.jobid}",
        f"command:       {api_name(job.cmd)} ({job.cmd})",
        f"instance:      {job.instancetype or '-'} {job.instanceid or '-'}",
        f"created:       {at(job.created)}",
        f"completed:     {at(job.completed)}",
        f"status:        {job_words(job)[1]}",
        "source:        listAsyncJobs (the account's recent jobs)",
    ])


def past_action_diagnostic(action: PastAction) -> str:
    return "\n".join([
        f"atlas-tui job diagnostic: {action.label}",
        f"time:          {action.time}",
        f"command:       {action.command}",
        f"target:        {action.target or '-'}",
        f"job id:        {action.jobid or '-'}",
        f"outcome:       {action.outcome}",
        "source:        this profile's audit log",
    ])
