"""The restore drill: prove a snapshot can be restored, by restoring it.

A backup that was never restored is a hope. `drill` makes a volume from the snapshot, waits
for it to be Ready, checks its size and state, times it (what a real restore of it would
take for that step), and deletes the volume again. That delete is the only one the app does
unasked, and only of the volume this drill created: checked by the id its createVolume
returned, and only while it is detached. Results are kept in ``state_dir()/drills.json``,
per volume, for the protection view's "last verified" column.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from atlas_tui.cloud.api.client import CloudClient
from atlas_tui.cloud.api.errors import CloudError
from atlas_tui.cloud.api.models import AsyncJob, DiskOffering, JobStarted, Snapshot
from atlas_tui.cloud.private_files import state_dir
from atlas_tui.cloud.restore.journal import now_iso
from atlas_tui.cloud.restore.plan import (
    created_volume_size,
    gib_text,
    pick_disk_offering,
    snapshot_label,
)
from atlas_tui.cloud.restore.report import volume_or_none

AwaitJob = Callable[[JobStarted], Awaitable[AsyncJob]]


@dataclass
class DrillResult:
    snapshot_id: str
    snapshot_name: str
    volume_id: str  # the snapshot's volume (what the result verifies)
    volume_name: str
    at: str  # ISO, when the drill ended
    ok: bool
    text: str  # what happened, in words
    seconds: float = 0.0  # createVolume to Ready
    drill_volume_id: str = ""
    deleted: bool = False  # the drill volume was removed again

    @property
    def verdict(self) -> str:
        return "verified" if self.ok else "failed"


def drill_name(snap: Snapshot) -> str:
    return f"atlas-drill-{snapshot_label(snap)}-{uuid.uuid4().hex[:6]}"


async def drill(client: CloudClient, snap: Snapshot, offerings: list[DiskOffering],
                await_job: AwaitJob) -> DrillResult:
    """One drill of `snap`. Never raises for the server's refusals: they are the result."""
    result = DrillResult(snap.id, snap.name, snap.volumeid, snap.volumename, "", False, "")
    if not snap.backed_up:
        result.text = f"{snap.name} is {snap.state}: only BackedUp snapshots can be restored"
        return _done(result)
    offering, custom = (pick_disk_offering(offerings, snap.virtualsize or 0)
                        if snap.volumetype == "ROOT" else (None, None))
    want = created_volume_size(snap.virtualsize or 0, offering, custom)
    started_at = time.monotonic()
    try:
        started = await client.create_volume_from_snapshot(
            snap.id, name=drill_name(snap), disk_offering_id=offering.id if offering else None,
            zone_id=snap.zoneid or None, size_gib=custom)
        result.drill_volume_id = started.entity_id or ""
        try:
            job = await await_job(started)
        except asyncio.CancelledError:
            # Stopped mid-drill: the volume is already the server's; remove it once its job
            # ends (by the id its call returned), even though this drill is cancelled.
            _cleanups.add(task := asyncio.ensure_future(_cleanup(client, started, await_job)))
            task.add_done_callback(_cleanups.discard)
            raise
        result.seconds = round(time.monotonic() - started_at, 1)
        if not job.succeeded:
            result.text = f"createVolume failed; the server said: {job.error_text or 'failed'}"
            await _remove(client, result)  # the drill's own (failed) volume, by its id
            return _done(result)
        vol = await volume_or_none(client, result.drill_volume_id) \
            if result.drill_volume_id else None
        if vol is None:
            result.text = "the server reported success but the volume is not there"
            return _done(result)
        problems = []
        if vol.state != "Ready":
            problems.append(f"state {vol.state}, not Ready")
        if (vol.size or 0) != want:
            problems.append(f"size {gib_text(vol.size or 0)}, expected {gib_text(want)}")
        result.ok = not problems
        result.text = (f"restored in {result.seconds:.0f} s: {gib_text(want)} Ready"
                       if result.ok else "; ".join(problems))
        await _remove(client, result)
    except CloudError as err:
        result.text = f"the server said: {err.text}"
    return _done(result)


_cleanups: set[asyncio.Future[None]] = set()  # cleanups of stopped drills, kept alive


async def _cleanup(client: CloudClient, started: JobStarted, await_job: AwaitJob) -> None:
    """After a stop: wait for the drill's createVolume to end, then delete that volume."""
    result = DrillResult("", "", "", "", "", False, "", drill_volume_id=started.entity_id or "")
    with contextlib.suppress(CloudError):
        await await_job(started)
    await _remove(client, result)


async def drain_cleanups() -> None:
    """Wait for stopped drills' cleanups (tests; the app lets them run in the background)."""
    while _cleanups:
        await asyncio.gather(*list(_cleanups), return_exceptions=True)


async def _remove(client: CloudClient, result: DrillResult) -> None:
    """Delete the drill's volume: by the id its call returned, only if still detached."""
    if not result.drill_volume_id:
        return
    try:
        vol = await volume_or_none(client, result.drill_volume_id)
        if vol is None:
            result.deleted = True  # the server already removed it
            return
        if vol.attached:
            return  # someone attached it meanwhile: not ours to delete any more
        await client.delete_volume(vol.id)
        result.deleted = await volume_or_none(client, vol.id) is None
    except CloudError as err:
        result.text += f"; deleting the drill volume failed: {err.text}"


def _done(result: DrillResult) -> DrillResult:
    result.at = now_iso()
    if result.drill_volume_id and not result.deleted:
        result.text += f" (the drill volume {result.drill_volume_id} is kept: look at it, " \
                       "then delete it yourself)"
    return result


# -- results kept locally ---------------------------------------------------------------------


def drills_path() -> Path:
    return state_dir() / "drills.json"


def load_results(path: Path | None = None) -> dict[str, dict[str, Any]]:
    """volume id -> the last drill's result (as a dict), and `verified_at` of the last
    good one."""
    try:
        data = json.loads((path or drills_path()).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def keep_result(result: DrillResult, path: Path | None = None) -> None:
    path = path or drills_path()
    data = load_results(path)
    entry = asdict(result)
    entry["verified_at"] = result.at if result.ok else \
        (data.get(result.volume_id) or {}).get("verified_at", "")
    data[result.volume_id] = entry
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
    tmp.replace(path)


def verified_words(entry: dict[str, Any] | None) -> tuple[str, bool]:
    """(column text, flagged?) for the protection view: never verified or last failed are
    flagged."""
    if not entry:
        return "never", True
    if not entry.get("ok"):
        return f"failed {str(entry.get('at', ''))[:10]}", True
    return str(entry.get("verified_at") or entry.get("at", ""))[:10], False



class DrillProgress:
    """Where each drill of a run is, for a live view: snapshot id -> state in words."""

    def __init__(self, snaps: list[Snapshot]) -> None:
        self.snaps = list(snaps)
        self.states: dict[str, str] = {s.id: "waiting" for s in snaps}
        self.results: dict[str, DrillResult] = {}
        self.stopped = False
        self.finished = False

    def stop_rest(self) -> None:
        """After a stop: the drills not done will not be (a started one's volume is
        deleted once its job ends)."""
        self.stopped = True
        for sid, state in self.states.items():
            if sid not in self.results:
                self.states[sid] = "stopped (its drill volume is deleted)" \
                    if state == "restoring" else "stopped"


async def drill_many(client: CloudClient, snaps: list[Snapshot], await_job: AwaitJob, *,
                     parallel: int = 3,
                     on_result: Callable[[DrillResult], None] | None = None,
                     progress: DrillProgress | None = None,
                     ) -> list[DrillResult]:
    """Drill several snapshots, a few at a time; each result is kept as it comes. Cancelled
    (stopped), the drills not started never start and a started one's volume is deleted."""
    gate = asyncio.Semaphore(parallel)
    try:
        offerings = await client.disk_offerings()

        async def one(snap: Snapshot) -> DrillResult:
            async with gate:
                if progress is not None:
                    progress.states[snap.id] = "restoring"
                result = await drill(client, snap, offerings, await_job)
            keep_result(result)
            if progress is not None:
                progress.results[snap.id] = result
                progress.states[snap.id] = result.verdict
            if on_result is not None:
                on_result(result)
            return result

        return list(await asyncio.gather(*(one(s) for s in snaps)))
    except asyncio.CancelledError:
        if progress is not None:
            progress.stop_rest()
        raise
    finally:
        if progress is not None:
            progress.finished = True


async def newest_backed_up(client: CloudClient, volume_ids: list[str],
                           ) -> tuple[list[Snapshot], list[str]]:
    """The newest BackedUp snapshot of each volume, and the volumes that have none."""
    found, without = [], []
    for vid in volume_ids:
        backed = [s for s in await client.snapshots_of(vid) if s.backed_up]
        if backed:
            found.append(max(backed, key=lambda s: s.created.timestamp() if s.created else 0.0))
        else:
            without.append(vid)
    return found, without
