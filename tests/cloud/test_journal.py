"""Journal housekeeping: old finished journals go, unfinished ones always stay."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from atlas_tui.cloud.restore.journal import JOURNAL_FORMAT, Journal

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def write(directory: Path, name: str, status: str, age_days: int) -> Path:
    path = directory / f"{name}.json"
    updated = (NOW - timedelta(days=age_days)).isoformat(timespec="milliseconds")
    path.write_text(json.dumps({"format": JOURNAL_FORMAT, "id": name, "status": status,
                                "updated": updated}), encoding="utf-8")
    return path


def test_prune_removes_only_old_finished_journals(tmp_path: Path) -> None:
    old_ok = write(tmp_path, "old-ok", "succeeded", 100)
    old_back = write(tmp_path, "old-back", "rolled-back", 91)
    old_plan = write(tmp_path, "old-plan", "planned", 120)
    recent = write(tmp_path, "recent", "succeeded", 10)
    stuck = write(tmp_path, "stuck", "running", 400)
    failed = write(tmp_path, "failed", "rollback-failed", 400)
    foreign = tmp_path / "notes.json"
    foreign.write_text("not a journal", encoding="utf-8")

    removed = Journal.prune(tmp_path, keep_days=90, now=NOW)

    assert sorted(p.name for p in removed) == sorted(
        p.name for p in (old_ok, old_back, old_plan))
    for kept in (recent, stuck, failed, foreign):
        assert kept.exists()
    for gone in (old_ok, old_back, old_plan):
        assert not gone.exists()
