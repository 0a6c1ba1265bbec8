"""Every restore of a profile, from the journals on disk (so also after a restart): when,
which VM, which mode, how it ended, and what was kept (as the final read saw it)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from atlas_tui.cloud.restore.journal import Journal, restores_dir

OUTCOME_WORDS = {
    "succeeded": "restored",
    "rolled-back": "rolled back",
    "rollback-failed": "rollback failed: act",
    "running": "unfinished",
    "rolling-back": "unfinished (rolling back)",
    "planned": "never started",
}


@dataclass
class RestoreRecord:
    id: str
    when: str  # ISO, when the journal was created
    vm: str
    snapshot: str
    mode: str
    status: str
    error: str = ""  # the server's text of the failure
    kept: list[str] = field(default_factory=list)  # "volume NAME (id): where"
    vm_line: str = ""  # the VM as the final read saw it
    next_steps: list[str] = field(default_factory=list)
    path: Path | None = None

    @property
    def outcome(self) -> str:
        return OUTCOME_WORDS.get(self.status, self.status)

    @property
    def unfinished(self) -> bool:
        return self.status in ("running", "rolling-back", "rollback-failed")


def record_of(journal: Journal) -> RestoreRecord:
    plan = journal.plan
    data = journal.data
    result = data.get("result") or {}
    kept = [f"{k.get('kind', '')} {k.get('name') or k.get('id')} ({k.get('id')})"
            + (f": {k['where']}" if k.get("where") else "")
            for k in result.get("kept", [])]
    if not result:  # a journal from before the final read was kept: its ids at least
        kept = [f"{ref.replace('_', ' ')} {ident}"
                for ref, ident in journal.created_resources.items()
                if not ref.startswith("policy_")]
    return RestoreRecord(
        id=journal.id, when=str(data.get("created", "")),
        vm=str((plan.vm or {}).get("name") or plan.options.get("template_name") or ""),
        snapshot=str(plan.snapshot.get("name", "")), mode=plan.mode.value,
        status=journal.status, error=str(data.get("error", "")), kept=kept,
        vm_line=str(result.get("vm_line", "")),
        next_steps=list(result.get("next_steps", [])), path=journal.path,
    )


def history(endpoints: Iterable[str], directory: Path | None = None) -> list[RestoreRecord]:
    """The restores run against one of `endpoints` (the profile's url as written and as
    journals keep it, redacted; journals without one count too), newest first. Unreadable
    or foreign files are skipped, never judged."""
    wanted = {"", *endpoints}
    records: list[RestoreRecord] = []
    for path in (directory or restores_dir()).glob("*.json"):
        try:
            journal = Journal.load(path)
            if journal.data.get("endpoint") not in wanted:
                continue
            records.append(record_of(journal))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return sorted(records, key=lambda r: r.when, reverse=True)
